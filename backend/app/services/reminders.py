"""Appointment reminders: an SMS `REMINDER_DAYS_BEFORE` days before each booked or confirmed
appointment, queued through the durable outbox (so retried until sent or visibly failed), never
in quiet hours and never to a patient who opted out of texts (the outbox refuses those and
records why). Each appointment is reminded at most once: the reminder is queued and the
appointment marked in one transaction."""

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.app.core.config import Settings
from backend.app.models import Appointment, OutboxMessage, Patient
from backend.app.models.base import utcnow
from backend.app.services import audit
from backend.app.services.outbox import enqueue_sms

logger = logging.getLogger(__name__)

# Reviewed wording: source "project team", review by 2027-05-29. GSM-7, one or two segments, and
# no carrier keyword.
# Only the day and time: a phone alone is not trusted with details (the date-of-birth check
# guards those), and a lost or passed-on phone should learn as little as possible.
REMINDER = (
    "Reminder: your care team appointment is on {day} at {time}. Reply 1 to confirm you'll "
    "come or 2 to change it. If you feel unwell, call 111."
)
# Already confirmed (by text or by staff): no "Reply 1 to confirm" for it.
REMINDER_CONFIRMED = (
    "Reminder: your care team appointment on {day} at {time} is confirmed. Reply 2 if you need "
    "to change it. If you feel unwell, call 111."
)


def in_quiet_hours(now: datetime, settings: Settings) -> bool:
    hour = now.astimezone(ZoneInfo(settings.timezone)).hour
    start, end = settings.quiet_hours_start, settings.quiet_hours_end
    return start <= hour or hour < end if start > end else start <= hour < end


def quiet_until(now: datetime, settings: Settings) -> datetime | None:
    """The end of the quiet hours `now` falls in (UTC), or None."""
    if not in_quiet_hours(now, settings):
        return None
    local = now.astimezone(ZoneInfo(settings.timezone))
    end = local.replace(hour=settings.quiet_hours_end, minute=0, second=0, microsecond=0)
    if end <= local:
        end += timedelta(days=1)
    return end.astimezone(now.tzinfo)


def reminder_text(appointment: Appointment, timezone: str) -> str:
    local = appointment.starts_at.astimezone(ZoneInfo(timezone))
    hour = local.strftime("%I").lstrip("0")
    time = f"{hour}:{local:%M}{local:%p}".lower() if local.minute else f"{hour}{local:%p}".lower()
    wording = REMINDER_CONFIRMED if appointment.status == "confirmed" else REMINDER
    return wording.format(day=f"{local:%A} {local.day} {local:%B}", time=time)


def queue_due(session: Session, settings: Settings, now: datetime | None = None) -> int:
    """Queue the reminders now due; how many. Nothing in quiet hours."""
    now = now or utcnow()
    if in_quiet_hours(now, settings):
        return 0
    due = session.execute(
        select(Appointment, Patient)
        .join(Patient, Patient.id == Appointment.patient_id)
        .where(
            Appointment.status.in_(("booked", "confirmed")),
            Appointment.reminder_queued_at.is_(None),
            # A locked identity check means the phone may be in the wrong hands.
            Patient.identity_locked_at.is_(None),
            Appointment.starts_at > now,
            Appointment.starts_at <= now + timedelta(days=settings.reminder_days_before),
        )
        .order_by(Appointment.starts_at)
        .with_for_update(skip_locked=True)
    ).all()
    for appointment, patient in due:
        message = enqueue_sms(
            session,
            kind="appointment_reminder",
            to_phone=patient.phone,
            body=reminder_text(appointment, settings.timezone),
            appointment_id=appointment.id,
        )
        appointment.reminder_queued_at = now
        audit.record(
            session=session,
            actor_type="system",
            actor_id="reminders",
            action="appointment.reminder",
            patient_id=patient.id,
            detail={"appointment_id": appointment.id, "status": message.status},
        )
    session.commit()
    return len(due)


def latest_sent(
    session: Session, *, actor_id: str, phone: str, settings: Settings, now: datetime | None = None
) -> tuple[list[Appointment], datetime | None]:
    """What a bare "1" or "2" may answer: the appointments reminded to this phone within
    `REMINDER_REPLY_HOURS` that are still booked or confirmed and ahead (the caller acts only
    when there is exactly one), and when the latest reminder was sent."""
    now = now or utcnow()
    since = now - timedelta(hours=settings.reminder_reply_hours)
    rows = session.execute(
        select(OutboxMessage, Appointment)
        .join(Appointment, Appointment.id == OutboxMessage.appointment_id)
        .where(
            OutboxMessage.kind == "appointment_reminder",
            OutboxMessage.to_phone == phone,
            OutboxMessage.status == "sent",
            OutboxMessage.sent_at >= since,
        )
        .order_by(OutboxMessage.sent_at.desc())
    ).all()
    open_ones: dict[int, Appointment] = {}
    for _, appointment in rows:
        if appointment.status in ("booked", "confirmed") and appointment.starts_at > now:
            open_ones.setdefault(appointment.id, appointment)
    latest = rows[0][0].sent_at if rows else None
    found = list(open_ones.values())
    audit.record(
        session=session,
        actor_type="service",
        actor_id=actor_id,
        action="appointment.reminder_lookup",
        patient_id=found[0].patient_id if len(found) == 1 else None,
        detail={"found": len(found)},
    )
    session.commit()
    return found, latest
