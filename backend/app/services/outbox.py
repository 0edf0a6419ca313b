"""The durable outbox for SMS the backend sends (clinician alerts). A message is written in the
same transaction as whatever caused it, then sent by the notifier; a failed send is retried with
exponential backoff until it is sent or, after `notifier_max_attempts`, marked `failed` (visible
on the escalation it belongs to)."""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.app.models import OutboxMessage
from backend.app.models.base import utcnow

logger = logging.getLogger(__name__)

# Sends one SMS; returns the provider's message id; raises on failure.
SendSMS = Callable[[str, str], str]


def enqueue_sms(
    session: Session, *, kind: str, to_phone: str, body: str, escalation_id: int | None = None
) -> OutboxMessage:
    """Add to the caller's transaction; nothing is sent until it commits."""
    message = OutboxMessage(
        kind=kind, to_phone=to_phone, body=body, escalation_id=escalation_id, status="pending"
    )
    session.add(message)
    return message


def backoff(attempts: int, cap_seconds: float) -> timedelta:
    """5 s, 10 s, 20 s ... capped."""
    return timedelta(seconds=min(5.0 * 2 ** max(attempts - 1, 0), cap_seconds))


def deliver_due(
    session: Session,
    send: SendSMS,
    *,
    max_attempts: int,
    max_backoff_seconds: float,
    now: datetime | None = None,
    batch: int = 20,
) -> tuple[int, int]:
    """Send what is due. Each message is claimed with SKIP LOCKED (PostgreSQL) so two notifiers
    never send the same one, and committed one by one. Returns (sent, failed_for_good)."""
    now = now or utcnow()
    sent = failed = 0
    ids = list(
        session.scalars(
            select(OutboxMessage.id)
            .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.id)
            .limit(batch)
        )
    )
    session.commit()
    for message_id in ids:
        message = session.scalar(
            select(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.status == "pending")
            .with_for_update(skip_locked=True)
        )
        if message is None:
            session.commit()
            continue
        message.attempts += 1
        try:
            if not message.to_phone:
                raise ValueError("recipient has no phone number")
            message.provider_id = send(message.to_phone, message.body)
        except Exception as exc:  # noqa: BLE001 - any failure to send is retried, then shown
            message.last_error = f"{type(exc).__name__}: {exc}"[:500]
            if message.attempts >= max_attempts or not message.to_phone:
                message.status = "failed"
                failed += 1
                logger.error(
                    "outbox message %s failed for good after %s attempts: %s",
                    message.id,
                    message.attempts,
                    message.last_error,
                )
            else:
                message.next_attempt_at = now + backoff(message.attempts, max_backoff_seconds)
                logger.warning(
                    "outbox message %s attempt %s failed; retrying at %s",
                    message.id,
                    message.attempts,
                    message.next_attempt_at.isoformat(),
                )
        else:
            message.status = "sent"
            message.sent_at = utcnow()
            sent += 1
        session.commit()
    return sent, failed
