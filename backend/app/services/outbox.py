"""The durable outbox for SMS the backend sends (clinician alerts). A message is written in the
same transaction as whatever caused it, then sent by the notifier; a failed send is retried with
exponential backoff until it is sent or, after `notifier_max_attempts`, marked `failed` (visible
on the escalation it belongs to). Delivery is at least once: a notifier that dies between sending
and recording it may send that one message again."""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from backend.app.models import (
    Appointment,
    Assessment,
    DecisionAidSession,
    OutboxMessage,
    Patient,
)
from backend.app.models.base import utcnow

logger = logging.getLogger(__name__)

# Messages to patients, which their opt-out stops (clinician alerts are not among them).
PATIENT_MESSAGES = frozenset(
    {"appointment_reminder", "assessment_invitation", "decision_aid_invitation"}
)

# Invitations, and what they invite to: not sent once nothing is waiting for the patient.
INVITATIONS: dict[str, type[Assessment] | type[DecisionAidSession]] = {
    "assessment_invitation": Assessment,
    "decision_aid_invitation": DecisionAidSession,
}

# Sends one SMS; returns the provider's message id; raises on failure.
SendSMS = Callable[[str, str], str]


def enqueue_sms(
    session: Session,
    *,
    kind: str,
    to_phone: str,
    body: str,
    escalation_id: int | None = None,
    appointment_id: int | None = None,
) -> OutboxMessage:
    """Add to the caller's transaction; nothing is sent until it commits. A patient who opted out
    of texts is never sent a patient message (reminders, invitations): it is kept, marked failed
    with the reason, so whoever expected it can see why. Clinician alerts are not patient
    messages and always go, even to a phone a patient record also uses."""
    opted_out = kind in PATIENT_MESSAGES and session.scalar(
        select(Patient.id).where(Patient.phone == to_phone, Patient.sms_opt_out.is_(True))
    )
    message = OutboxMessage(
        kind=kind,
        to_phone=to_phone,
        body=body,
        escalation_id=escalation_id,
        appointment_id=appointment_id,
        status="failed" if opted_out else "pending",
        last_error="recipient opted out of SMS" if opted_out else None,
    )
    session.add(message)
    return message


def _no_longer_wanted(session: Session, message: OutboxMessage) -> str | None:
    """Why a patient message must not go now: opted out since, or its appointment cancelled or
    moved (a moved appointment gets a reminder of its own)."""
    if session.scalar(
        select(Patient.id).where(Patient.phone == message.to_phone, Patient.sms_opt_out.is_(True))
    ):
        return "recipient opted out of SMS"
    if message.appointment_id is not None:
        appointment = session.get(Appointment, message.appointment_id)
        if (
            appointment is None
            or appointment.status not in ("booked", "confirmed")
            or appointment.reminder_queued_at is None
        ):
            return "appointment cancelled or moved since"
    if message.kind in INVITATIONS:
        # An invitation held for the morning is pointless once it has been done by text.
        model = INVITATIONS[message.kind]
        waiting = session.scalar(
            select(model.id)
            .join(Patient, Patient.id == model.patient_id)
            .where(
                Patient.phone == message.to_phone,
                model.status.in_(("requested", "in_progress")),
            )
            .limit(1)
        )
        if waiting is None:
            return "already done by text since it was requested"
    return None


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
    claim_timeout: timedelta = timedelta(minutes=10),
    quiet_until: Callable[[datetime], datetime | None] | None = None,
) -> tuple[int, int]:
    """Send what is due. Each message is first claimed (pending -> sending, committed, only if it
    was still pending) so two notifiers never send it twice, on SQLite as on PostgreSQL; a claim
    older than `claim_timeout` (a notifier that died mid-send) is due again. Returns
    (sent, failed_for_good)."""
    now = now or utcnow()
    sent = failed = 0
    due = (OutboxMessage.status == "pending") & (OutboxMessage.next_attempt_at <= now)
    stale = (OutboxMessage.status == "sending") & (OutboxMessage.claimed_at <= now - claim_timeout)
    ids = list(
        session.scalars(
            select(OutboxMessage.id).where(due | stale).order_by(OutboxMessage.id).limit(batch)
        )
    )
    session.commit()
    for message_id in ids:
        claimed = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, due | stale)
            .values(status="sending", claimed_at=now, attempts=OutboxMessage.attempts + 1)
        )
        session.commit()
        if claimed.rowcount != 1:
            continue  # another notifier has it
        message = session.get(OutboxMessage, message_id)
        assert message is not None
        session.refresh(message)
        if message.kind in PATIENT_MESSAGES:
            # Checked again now, not only when queued: it may have waited through a restart.
            held = quiet_until(now) if quiet_until else None
            why_not = _no_longer_wanted(session, message)
            if why_not:
                message.status, message.last_error = "failed", why_not
                session.commit()
                continue
            if held:
                message.status, message.next_attempt_at = "pending", held
                message.attempts -= 1  # waiting for the morning is not a failed attempt
                session.commit()
                continue
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
                message.status = "pending"
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
