"""SMS channel: Twilio's webhook in, Twilio's Messages API out (real Twilio or the sandbox).

Every request is checked against X-Twilio-Signature for the public webhook URL; text that starts
with "/" is neutralised so a texter cannot inject an intent; empty bodies get a plain answer."""

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from bot.settings import BotSettings, get_settings

logger = logging.getLogger(__name__)
REPLIES = Path(__file__).resolve().parents[2] / "data" / "replies" / "channel.yml"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


@lru_cache
def channel_replies() -> dict[str, str]:
    return yaml.safe_load(REPLIES.read_text(encoding="utf-8"))


def neutralise(text: str) -> str:
    """Rasa reads text starting with '/' as an intent with slots: strip the slashes."""
    return text.strip().lstrip("/").strip()


# Twilio's opt-out and opt-in keywords (a message of that one word): Twilio acts on them itself.
# They reach the assistant as one plain word each, so that "CANCEL" is recorded as an opt-out
# rather than read as "cancel my appointment".
_OPT_OUT_KEYWORDS = {"stop", "stopall", "unsubscribe", "cancel", "end", "quit"}
_OPT_IN_KEYWORDS = {"start", "unstop"}


def carrier_keyword(text: str) -> str:
    word = "".join(ch for ch in text.lower() if ch.isalpha())
    if word in _OPT_OUT_KEYWORDS:
        return "stop"
    if word in _OPT_IN_KEYWORDS:
        return "start"
    return text


class TwilioSender(OutputChannel):
    def __init__(self, settings: BotSettings) -> None:
        self._settings = settings
        self._client = Client(settings.twilio_account_sid, settings.twilio_auth_token)
        self._client.api.base_url = settings.twilio_api_base.rstrip("/")

    @classmethod
    def name(cls) -> str:
        return "sms"

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        for part in [p for p in text.split("\n\n") if p.strip()] or [text]:
            await asyncio.to_thread(
                self._client.messages.create,
                to=recipient_id,
                from_=self._settings.sms_from_number,
                body=part,
            )


@lru_cache
def twilio_sender() -> TwilioSender:
    """One Twilio client per process, built on first use."""
    return TwilioSender(get_settings())


_SEEN: "OrderedDict[str, None]" = OrderedDict()
_SEEN_MAX = 10_000


def _already_seen(sid: str) -> bool:
    """Twilio retries a webhook it thinks failed. Per process and bounded; the backend's
    escalations are idempotent on MessageSid whatever happens here."""
    if sid in _SEEN:
        return True
    _SEEN[sid] = None
    if len(_SEEN) > _SEEN_MAX:
        _SEEN.popitem(last=False)
    return False


class SMSInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "sms"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> "SMSInput":
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("sms_webhook", __name__)

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @bp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            settings = get_settings()
            params = {key: values[0] for key, values in (request.form or {}).items()}
            signature = request.headers.get("X-Twilio-Signature", "")
            validator = RequestValidator(settings.twilio_auth_token)
            if not signature or not validator.validate(
                settings.sms_webhook_public_url, params, signature
            ):
                logger.warning("SMS webhook refused: missing or invalid signature")
                return response.json({"detail": "invalid_signature"}, status=403)
            sender = params.get("From", "").strip()
            if not sender:
                return response.json({"detail": "missing_from"}, status=400)
            sid = params.get("MessageSid", "")
            if sid and _already_seen(sid):
                # Twilio retried a webhook we already took: answer it, do not run it twice.
                return response.text(EMPTY_TWIML, content_type="text/xml")
            text = carrier_keyword(neutralise(params.get("Body", ""))[: settings.max_inbound_chars])
            out = twilio_sender()
            if not text:
                await out.send_text_message(sender, channel_replies()["empty_message"])
                return response.text(EMPTY_TWIML, content_type="text/xml")
            try:
                await on_new_message(
                    UserMessage(
                        text,
                        out,
                        sender,
                        input_channel=self.name(),
                        message_id=params.get("MessageSid"),
                        metadata={"channel": "sms"},
                    )
                )
            except Exception:
                # Not taken: let Twilio's retry through rather than swallow it as a repeat.
                if sid:
                    _SEEN.pop(sid, None)
                raise
            return response.text(EMPTY_TWIML, content_type="text/xml")

        return bp
