"""The safety reconciler: the last line of "nothing is lost". Rasa publishes every conversation
event to its SQL event broker (bot/endpoints.yml); each user message the safety detector flagged
carries `parse_data.safety`. This reads those events in order and makes sure each flagged message
has an escalation, keyed by the inbound message id, so it arrives once whether the action server
raised it, raised it late, or never ran (down, restarting, timed out).

It waits `safety_reconcile_grace_seconds` after a message before acting, so that the action server,
which knows the patient and sends the transcript, normally raises it first."""

import asyncio
import json
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from backend.app.core.config import Settings
from backend.app.models import RasaEventCursor
from backend.app.schemas.escalations import EscalationCreate
from backend.app.services import escalations

logger = logging.getLogger(__name__)
ACTOR = "safety-reconciler"
TRANSCRIPT_LINES = 12
_EVENTS_AFTER = text(
    "SELECT id, sender_id, data FROM events WHERE id > :after ORDER BY id LIMIT 500"
)
_CONVERSATION = text(
    "SELECT data FROM events WHERE sender_id = :sender AND id <= :upto ORDER BY id DESC LIMIT 200"
)


def _time(value: Any) -> str | None:
    return datetime.fromtimestamp(float(value), UTC).isoformat() if value else None


_MONTHS = "jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec"
_FULL_DATE = re.compile(
    r"\b\d{1,2}\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*(?P<a>(?:19|20)\d{2})\b"
    r"|\b(?P<b>(?:19|20)\d{2})-\d{2}-\d{2}\b"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS})[a-z]*\.?,?\s+(?P<c>(?:19|20)\d{{2}})\b"
    rf"|\b(?:{_MONTHS})[a-z]*\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?P<d>(?:19|20)\d{{2}})\b",
    re.IGNORECASE,
)


def _shown_text(event: dict[str, Any]) -> str:
    """As the action server does (actions/safety.py): an answer to the date-of-birth check is
    never copied into an escalation, nor a date of birth (a full date ten or more years ago)
    within another message; recent dates stay, they may matter clinically."""
    intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
    if event.get("event") == "user" and intent == "give_date_of_birth":
        return "[date of birth, not shown]"
    text = str(event.get("text") or "")
    if event.get("event") != "user":
        return text
    oldest_recent = datetime.now(UTC).year - 10

    def mask(match: re.Match[str]) -> str:
        year = int(next(g for g in match.groups() if g))
        return "[date]" if year <= oldest_recent else match.group(0)

    return _FULL_DATE.sub(mask, text)


def _transcript(rows: list[str]) -> list[dict[str, Any]]:
    lines = []
    for data in reversed(rows):
        event = json.loads(data)
        if event.get("event") in ("user", "bot") and event.get("text"):
            lines.append(
                {
                    "speaker": "user" if event["event"] == "user" else "bot",
                    "text": _shown_text(event),
                    "at": _time(event.get("timestamp")),
                }
            )
    return lines[-TRANSCRIPT_LINES:]


def escalation_from_event(
    sender_id: str, event: dict[str, Any], transcript: list[dict[str, Any]]
) -> EscalationCreate | None:
    """The escalation a flagged user event stands for; None when it carries no concern."""
    safety = (event.get("parse_data") or {}).get("safety") or {}
    concerns = [c for c in safety.get("concerns", []) if c.get("severity") != "none"]
    severity = safety.get("severity", "none")
    if event.get("event") != "user" or severity == "none" or not concerns:
        return None
    top = max(concerns, key=lambda c: escalations.SEVERITY_RANK[c["severity"]])
    channel = event.get("input_channel") or "rest"
    at = event.get("timestamp")
    return EscalationCreate.model_validate(
        {
            # The same id the action server uses: whichever arrives first stands.
            "source_message_id": event.get("message_id") or f"{sender_id}:{at}",
            "conversation_id": sender_id,
            "channel": channel if channel in ("sms", "webchat") else "rest",
            "sender_phone": sender_id if channel == "sms" else None,
            "severity": severity,
            "category": top["category"],
            "concerns": concerns,
            "message": _shown_text(event),
            "transcript": transcript,
            "received_at": _time(at),
        }
    )


class SafetyReconciler:
    def __init__(
        self,
        settings: Settings,
        sessions: Callable[[], Session],
        on_created: Callable[[], None] = lambda: None,
        events: Engine | None = None,
    ) -> None:
        assert settings.rasa_events_url or events is not None
        self.settings = settings
        self.sessions = sessions
        self.on_created = on_created
        self.events = events or create_engine(settings.rasa_events_url or "", hide_parameters=True)

    def pass_once(self, now: datetime | None = None) -> int:
        """Read new events up to the grace period; returns how many escalations it created."""
        cutoff = (
            now or datetime.now(UTC)
        ).timestamp() - self.settings.safety_reconcile_grace_seconds
        created = 0
        with self.sessions() as session:
            cursor = session.get(RasaEventCursor, 1)
            if cursor is None:
                cursor = RasaEventCursor(id=1, last_event_id=0)
                session.add(cursor)
                session.commit()
            try:
                with self.events.connect() as events:
                    rows = events.execute(_EVENTS_AFTER, {"after": cursor.last_event_id}).all()
                    for event_id, sender_id, data in rows:
                        event = json.loads(data)
                        if (
                            event.get("event") == "user"
                            and float(event.get("timestamp") or 0) > cutoff
                        ):
                            break  # too recent: the action server's turn; read on next pass
                        created += self._reconcile(session, events, event_id, sender_id, event)
                        cursor.last_event_id = event_id
                        session.commit()
            except DBAPIError as exc:
                # No events table yet (Rasa not started), or the broker's database is down.
                logger.warning(
                    "safety reconciler cannot read Rasa's events: %s", type(exc).__name__
                )
        if created:
            self.on_created()
        return created

    def _reconcile(
        self, session: Session, events: Any, event_id: int, sender_id: str, event: dict[str, Any]
    ) -> int:
        if event.get("event") != "user":
            return 0
        try:
            history = [
                r[0] for r in events.execute(_CONVERSATION, {"sender": sender_id, "upto": event_id})
            ]
            body = escalation_from_event(sender_id, event, _transcript(history))
        except (ValidationError, ValueError, KeyError) as exc:
            logger.error("safety event %s unreadable, skipped: %s", event_id, type(exc).__name__)
            return 0
        if body is None:
            return 0
        escalation, created = escalations.raise_escalation(
            session=session, actor_type="service", actor_id=ACTOR, data=escalations.data_from(body)
        )
        if created:
            logger.error(
                "escalation %s raised by the reconciler: the action server did not raise it",
                escalation.reference,
            )
        return int(created)

    async def run(self) -> None:
        while True:
            try:
                await asyncio.to_thread(self.pass_once)
            except Exception:  # noqa: BLE001 - keep going; the database may come back
                logger.exception("safety reconciler pass failed")
            await asyncio.sleep(self.settings.safety_reconcile_interval_seconds)
