"""The notifier: drains the SMS outbox in the background of the backend process. Woken at once
when something is enqueued, and every `notifier_interval_seconds` for retries."""

import asyncio
import logging
from collections.abc import Callable

from sqlalchemy.orm import Session
from twilio.rest import Client

from backend.app.core.config import Settings
from backend.app.services import reminders
from backend.app.services.outbox import SendSMS, deliver_due

logger = logging.getLogger(__name__)


def twilio_sender(settings: Settings) -> SendSMS:
    """Send through the real `twilio` client: to Twilio, or to the SMS sandbox in the demo."""
    client = Client(settings.twilio_account_sid, settings.twilio_auth_token)
    if settings.twilio_api_base:
        client.api.base_url = settings.twilio_api_base.rstrip("/")

    def send(to: str, body: str) -> str:
        message = client.messages.create(to=to, from_=settings.sms_from_number, body=body)
        return str(message.sid)

    return send


class Notifier:
    def __init__(
        self, settings: Settings, sessions: Callable[[], Session], send: SendSMS | None = None
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.send = send or twilio_sender(settings)
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    def wake(self) -> None:
        """Safe from any thread (sync routes run in a worker thread)."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    def drain_once(self) -> tuple[int, int]:
        with self.sessions() as session:
            return deliver_due(
                session,
                self.send,
                max_attempts=self.settings.notifier_max_attempts,
                max_backoff_seconds=self.settings.notifier_max_backoff_seconds,
                quiet_until=lambda now: reminders.quiet_until(now, self.settings),
            )

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        while True:
            try:
                await asyncio.to_thread(self.drain_once)
            except Exception:  # noqa: BLE001 - keep draining; the database may come back
                logger.exception("notifier pass failed")
            try:
                await asyncio.wait_for(
                    self._wake.wait(), timeout=self.settings.notifier_interval_seconds
                )
            except TimeoutError:
                pass
            self._wake.clear()
