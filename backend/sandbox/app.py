"""SMS sandbox: a loopback stand-in for Twilio's Messages API, so the real `twilio` client can send
to it (demo and tests), and a way to text the assistant with requests signed exactly as Twilio
signs them. Messages are kept in memory: this is a stand-in, not part of the service."""

import secrets
import threading
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Annotated, Any

import httpx
from fastapi import Depends, FastAPI, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel
from pydantic_settings import BaseSettings, SettingsConfigDict
from twilio.request_validator import RequestValidator

from backend.app.seed import demo_carers, demo_patients

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")


class SandboxSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")
    twilio_account_sid: str = "ACsandbox0000000000000000000000000"
    twilio_auth_token: str = "sandbox-auth-token"
    sms_from_number: str = "+447700900999"
    # Where inbound texts are delivered; signatures are computed for this URL.
    sms_webhook_public_url: str = "http://127.0.0.1:5005/webhooks/sms/webhook"


class InboundText(BaseModel):
    from_number: str
    body: str


def create_app(settings: SandboxSettings | None = None) -> FastAPI:
    settings = settings or SandboxSettings()
    app = FastAPI(title="SMS sandbox (Twilio stand-in)")
    basic = HTTPBasic()
    messages: list[dict[str, Any]] = []
    lock = threading.Lock()

    def account(sid: str, credentials: Annotated[HTTPBasicCredentials, Depends(basic)]) -> str:
        ok_user = secrets.compare_digest(credentials.username, settings.twilio_account_sid)
        ok_pass = secrets.compare_digest(credentials.password, settings.twilio_auth_token)
        if not (ok_user and ok_pass and sid == settings.twilio_account_sid):
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="authenticate")
        return sid

    def store(direction: str, to: str, from_: str, body: str, status_: str) -> dict[str, Any]:
        now = format_datetime(datetime.now(UTC))
        sid = "SM" + secrets.token_hex(16)
        message = {
            "sid": sid,
            "account_sid": settings.twilio_account_sid,
            "to": to,
            "from": from_,
            "body": body,
            "status": status_,
            "direction": direction,
            "num_segments": str(max(1, -(-len(body) // 153)) if len(body) > 160 else 1),
            "num_media": "0",
            "date_created": now,
            "date_updated": now,
            "date_sent": now,
            "api_version": "2010-04-01",
            "price": None,
            "price_unit": "GBP",
            "error_code": None,
            "error_message": None,
            "messaging_service_sid": None,
            "uri": f"/2010-04-01/Accounts/{settings.twilio_account_sid}/Messages/{sid}.json",
            "subresource_uris": {},
        }
        with lock:
            messages.append(message)
        return message

    @app.post("/2010-04-01/Accounts/{sid}/Messages.json", status_code=status.HTTP_201_CREATED)
    def create_message(
        sid: Annotated[str, Depends(account)],
        To: Annotated[str, Form()],
        Body: Annotated[str, Form()] = "",
        From: Annotated[str, Form()] = "",
    ) -> dict[str, Any]:
        return store("outbound-api", To, From or settings.sms_from_number, Body, "sent")

    @app.get("/2010-04-01/Accounts/{sid}/Messages.json")
    def list_messages(
        sid: Annotated[str, Depends(account)],
        To: str | None = None,
        From: str | None = None,
        PageSize: int = 50,
    ) -> dict[str, Any]:
        with lock:
            found = [
                m
                for m in reversed(messages)
                if (To is None or m["to"] == To) and (From is None or m["from"] == From)
            ][:PageSize]
        uri = f"/2010-04-01/Accounts/{sid}/Messages.json"
        return {
            "messages": found,
            "uri": uri,
            "first_page_uri": uri,
            "next_page_uri": None,
            "previous_page_uri": None,
            "page": 0,
            "page_size": PageSize,
            "start": 0,
            "end": max(0, len(found) - 1),
        }

    @app.post("/sandbox/inbound", status_code=status.HTTP_202_ACCEPTED)
    async def inbound(text: InboundText) -> dict[str, Any]:
        """Text the assistant as `from_number`: signed as Twilio signs, posted to the webhook."""
        message = store(
            "inbound", settings.sms_from_number, text.from_number, text.body, "received"
        )
        params = {
            "MessageSid": message["sid"],
            "SmsMessageSid": message["sid"],
            "SmsSid": message["sid"],
            "AccountSid": settings.twilio_account_sid,
            "From": text.from_number,
            "To": settings.sms_from_number,
            "Body": text.body,
            "NumMedia": "0",
            "NumSegments": "1",
            "SmsStatus": "received",
            "ApiVersion": "2010-04-01",
        }
        url = settings.sms_webhook_public_url
        signature = RequestValidator(settings.twilio_auth_token).compute_signature(url, params)
        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.post(
                url, data=params, headers={"X-Twilio-Signature": signature}
            )
        return {"sid": message["sid"], "webhook_status": response.status_code}

    @app.get("/phone", response_class=HTMLResponse)
    def phone(request: Request) -> HTMLResponse:
        """The phone simulator: pick a demo patient and text the assistant."""
        return TEMPLATES.TemplateResponse(
            request, "phone.html", {"patients": demo_patients(), "carers": demo_carers()}
        )

    @app.get("/phone/thread")
    def thread(number: str) -> list[dict[str, str]]:
        with lock:
            return [
                {"direction": m["direction"], "body": m["body"], "date": m["date_created"]}
                for m in messages
                if number in (m["to"], m["from"])
            ]

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


app = create_app()
