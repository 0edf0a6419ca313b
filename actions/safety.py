"""Raise a safety concern: the reply with 999 / 111 / crisis lines has already gone (a domain
response, sent by Rasa even when this server is down). Here the concern is stored durably, sent to
the backend as an escalation (assigned there to the named clinician, who is alerted by SMS), and
the user gets what to do meanwhile. A backend that is down changes nothing for the user: the
outbox keeps the escalation and the retry loop delivers it when the backend is back."""

import asyncio
import logging
import re
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.clients.backend import BackendClient
from actions.outbox import EscalationOutbox, Pending
from actions.settings import REPO_ROOT, get_settings

logger = logging.getLogger(__name__)

REPLIES = REPO_ROOT / "data" / "replies" / "safety.yml"
TRANSCRIPT_LINES = 12
SEVERITY_RANK = {"none": 0, "routine": 1, "urgent": 2, "emergency": 3}


@lru_cache
def meanwhile_advice(path: Path = REPLIES) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@lru_cache
def outbox() -> EscalationOutbox:
    settings = get_settings()
    return EscalationOutbox(
        settings.escalation_outbox_path,
        settings.escalation_max_backoff_seconds,
        first_attempt_seconds=settings.backend_timeout_seconds * 3,
    )


def _last_user_event(tracker: Tracker) -> dict[str, Any]:
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return event
    return {}


DATE_OF_BIRTH_SHOWN_AS = "[date of birth, not shown]"
# A full date from ten or more years ago ("12/03/1948", "3rd of May 1950") in a user's message is
# most likely a date of birth, a credential here: staff see "[date]" instead. Recent dates stay,
# they may matter clinically ("last fit on 28/11/2026"). backend/app/safety_reconciler.py does
# the same.
_MONTHS = "jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec"
FULL_DATE = re.compile(
    r"\b\d{1,2}\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*(?P<a>(?:19|20)\d{2})\b"
    r"|\b(?P<b>(?:19|20)\d{2})-\d{2}-\d{2}\b"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS})[a-z]*\.?,?\s+(?P<c>(?:19|20)\d{{2}})\b"
    rf"|\b(?:{_MONTHS})[a-z]*\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?P<d>(?:19|20)\d{{2}})\b",
    re.IGNORECASE,
)


def _mask_birth_dates(text: str) -> str:
    oldest_recent = datetime.now(timezone.utc).year - 10

    def mask(match: re.Match[str]) -> str:
        year = int(next(g for g in match.groups() if g))
        return "[date]" if year <= oldest_recent else match.group(0)

    return FULL_DATE.sub(mask, text)


def shown_text(event: dict[str, Any]) -> str:
    """What staff see of a user's message: an answer to the date-of-birth check is never copied
    on, nor a date of birth within another message."""
    intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
    if event.get("event") == "user" and intent == "give_date_of_birth":
        return DATE_OF_BIRTH_SHOWN_AS
    text = str(event.get("text") or "")[:2000]
    return _mask_birth_dates(text) if event.get("event") == "user" else text


def transcript(tracker: Tracker, limit: int = TRANSCRIPT_LINES) -> list[dict[str, Any]]:
    lines = []
    for event in tracker.events:
        kind = event.get("event")
        if kind in ("user", "bot") and event.get("text"):
            at = event.get("timestamp")
            lines.append(
                {
                    "speaker": "user" if kind == "user" else "bot",
                    "text": shown_text(event),
                    "at": datetime.fromtimestamp(at, timezone.utc).isoformat() if at else None,
                }
            )
    return lines[-limit:]


def _subject(tracker: Tracker, status: str | None) -> int | None:
    """Whom the concern is about, when that is certain: the patient texting; a carer's one
    person. A carer who helps several may be writing about any of them ("mum has fallen" just
    after asking about dad): the backend then gives it to the duty clinician, with the
    transcript, rather than to the wrong person's clinician."""
    if status == "known":
        return tracker.get_slot("patient_id")
    if status == "carer" and (tracker.get_slot("carer_caring_for") or 0) <= 1:
        return tracker.get_slot("patient_id")
    return None


def escalation_payload(tracker: Tracker) -> dict[str, Any] | None:
    """What the backend needs, from the message that raised the concern. None if the message
    carries no concern (the action was reached some other way)."""
    event = _last_user_event(tracker)
    parse = event.get("parse_data") or {}
    safety = parse.get("safety") or {}
    concerns = [c for c in safety.get("concerns", []) if c.get("severity") != "none"]
    severity = safety.get("severity", "none")
    if severity == "none" or not concerns:
        return None
    top = max(concerns, key=lambda c: SEVERITY_RANK[c["severity"]])
    channel = event.get("input_channel") or "rest"
    # Only channels that verify who is writing may name the patient.
    status = tracker.get_slot("identity_status") if channel in ("sms", "webchat") else None
    at = event.get("timestamp")
    return {
        # Twilio's MessageSid on SMS: the same inbound message twice is one escalation.
        "source_message_id": event.get("message_id") or f"{tracker.sender_id}:{at}",
        "conversation_id": tracker.sender_id,
        "channel": channel if channel in ("sms", "webchat") else "rest",
        "patient_id": _subject(tracker, status),
        "sender_phone": tracker.sender_id if channel == "sms" else None,
        "sender_role": {"known": "patient", "carer": "carer", "unknown": "unknown"}.get(
            status or ""
        ),
        "severity": severity,
        "category": top["category"],
        "concerns": concerns,
        "message": shown_text(event),
        "transcript": transcript(tracker),
        "received_at": datetime.fromtimestamp(at, timezone.utc).isoformat() if at else None,
    }


class ActionRaiseSafetyConcern(Action):
    def name(self) -> str:
        return "action_raise_safety_concern"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        payload = escalation_payload(tracker)
        if payload is None:
            return []
        if payload["severity"] == "emergency":
            advice = meanwhile_advice()
            dispatcher.utter_message(
                text=advice["emergency"].get(payload["category"], advice["default"])
            )
        box = outbox()
        # Persist first; then one prompt attempt (the retry loop does the rest).
        key = payload["source_message_id"]
        if await asyncio.to_thread(box.put, key, payload):
            await box.deliver(Pending(key, payload, 0), BackendClient().raise_escalation)
        return [SlotSet("safety_concern_open", True)]


async def deliver_to_backend(payload: dict[str, Any]) -> None:
    """One outbox item to the backend: an escalation, or an opt-out (actions/opt_out.py)."""
    client = BackendClient()
    if payload.get("kind") == "sms_preference":
        await client.set_sms_preference(
            str(payload["phone"]), opted_out=bool(payload["opted_out"]), source=payload["source"]
        )
    else:
        await client.raise_escalation(payload)


async def retry_forever(interval: float | None = None) -> None:
    """Deliver what is waiting, every few seconds, for as long as the action server runs."""
    settings = get_settings()
    while True:
        try:
            await outbox().deliver_due(deliver_to_backend)
        except Exception:  # noqa: BLE001 - never let the loop die
            logger.exception("escalation retry pass failed")
        await asyncio.sleep(interval or settings.escalation_retry_seconds)
