"""Appointment reminders: queued through the outbox once per appointment, a set number of days
ahead, never in quiet hours, never to an opted-out patient, and again after a reschedule."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.app.core.config import get_settings
from backend.app.models import Appointment, OutboxMessage, Patient
from backend.app.services.reminders import in_quiet_hours, queue_due, reminder_text

# 10:00 in London on a winter weekday, far beyond the seeded caseload (which is within six weeks
# of today), so no seeded appointment is ever due: outside quiet hours.
NOON_ISH = datetime(2035, 1, 16, 10, 0, tzinfo=UTC)


def _appointment(session: Session, phone: str, starts_in: timedelta) -> Appointment:
    patient = session.scalar(select(Patient).where(Patient.phone == phone))
    appointment = Appointment(
        patient_id=patient.id,
        starts_at=NOON_ISH + starts_in,
        ends_at=NOON_ISH + starts_in + timedelta(minutes=20),
        location="Riverside Surgery, 12 Mill Lane",
        with_whom="Dr Test",
        appointment_type="medication review",
        status="booked",
    )
    session.add(appointment)
    session.commit()
    return appointment


def _reminders(session: Session, phone: str) -> list[OutboxMessage]:
    return list(
        session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.kind == "appointment_reminder", OutboxMessage.to_phone == phone
            )
        )
    )


def test_a_reminder_is_queued_once_within_the_window(seeded: Session) -> None:
    settings = get_settings()
    soon = _appointment(seeded, "+447700900004", timedelta(days=1))
    later = _appointment(seeded, "+447700900004", timedelta(days=10))
    assert queue_due(seeded, settings, now=NOON_ISH) >= 1
    messages = _reminders(seeded, "+447700900004")
    assert len(messages) == 1 and messages[0].status == "pending"
    assert "Wednesday 17 January at 10am" in messages[0].body
    assert soon.location not in messages[0].body, "no details to a phone alone"
    assert soon.reminder_queued_at is not None and later.reminder_queued_at is None
    queue_due(seeded, settings, now=NOON_ISH + timedelta(minutes=5))
    assert len(_reminders(seeded, "+447700900004")) == 1, "never twice"


def test_quiet_hours_and_opted_out_patients(seeded: Session) -> None:
    settings = get_settings()
    _appointment(seeded, "+447700900005", timedelta(days=1))
    night = datetime(2035, 1, 16, 22, 30, tzinfo=UTC)
    assert in_quiet_hours(night, settings) and not in_quiet_hours(NOON_ISH, settings)
    assert queue_due(seeded, settings, now=night) == 0
    assert _reminders(seeded, "+447700900005") == []

    patient = seeded.scalar(select(Patient).where(Patient.phone == "+447700900006"))
    patient.sms_opt_out = True
    _appointment(seeded, "+447700900006", timedelta(days=1))
    queue_due(seeded, settings, now=NOON_ISH)
    [message] = _reminders(seeded, "+447700900006")
    assert message.status == "failed" and "opted out" in message.last_error


def test_reminder_wording_fits_sms_and_asks_for_no_keyword(seeded: Session) -> None:
    appointment = _appointment(seeded, "+447700900007", timedelta(days=1))
    text = reminder_text(appointment, "Europe/London")
    assert "Reply 1 to confirm" in text
    appointment.status = "confirmed"
    confirmed = reminder_text(appointment, "Europe/London")
    assert "is confirmed" in confirmed and "Reply 1" not in confirmed
    # One SMS segment even for the longest day and time ("Wednesday 30 September at 10:45am").
    from backend.app.services.reminders import REMINDER, REMINDER_CONFIRMED

    for wording in (REMINDER, REMINDER_CONFIRMED):
        longest = wording.format(day="Wednesday 30 September", time="10:45am")
        assert len(longest) <= 160, len(longest)
    for keyword in ("STOP", "CANCEL", "END", "QUIT", "UNSUBSCRIBE", "START", "HELP"):
        assert f"text {keyword.lower()}" not in text.lower()
        assert f"reply {keyword.lower()}" not in text.lower()


def test_no_reminder_to_a_locked_identity_and_alerts_still_reach_staff(seeded: Session) -> None:
    from backend.app.services.outbox import enqueue_sms

    patient = seeded.scalar(select(Patient).where(Patient.phone == "+447700900009"))
    patient.identity_locked_at = NOON_ISH
    _appointment(seeded, "+447700900009", timedelta(days=1))
    queue_due(seeded, get_settings(), now=NOON_ISH)
    assert _reminders(seeded, "+447700900009") == []
    # An opted-out patient's phone shared with staff still gets clinician alerts.
    patient.sms_opt_out = True
    alert = enqueue_sms(seeded, kind="escalation_alert", to_phone=patient.phone, body="ref")
    assert alert.status == "pending"


def test_checked_again_when_sent(seeded: Session) -> None:
    """A reminder queued at 19:55 waits for the morning; one whose appointment was cancelled, or
    whose patient opted out, while it waited is not sent."""
    from backend.app.services.outbox import deliver_due
    from backend.app.services.reminders import quiet_until

    settings = get_settings()
    sent: list[str] = []

    def send(to: str, body: str) -> str:
        sent.append(to)
        return "SM1"

    def deliver(now: datetime) -> None:
        deliver_due(
            seeded,
            send,
            max_attempts=3,
            max_backoff_seconds=60,
            now=now,
            quiet_until=lambda t: quiet_until(t, settings),
        )

    evening = datetime(2035, 1, 16, 19, 55, tzinfo=UTC)
    waits = _appointment(seeded, "+447700900010", timedelta(days=1))
    cancelled = _appointment(seeded, "+447700900011", timedelta(days=1))
    queue_due(seeded, settings, now=evening)
    cancelled.status = "cancelled"
    seeded.commit()
    night = datetime(2035, 1, 16, 22, 0, tzinfo=UTC)
    deliver(night)
    assert sent == []
    [held] = _reminders(seeded, "+447700900010")
    assert held.status == "pending" and held.attempts == 0
    assert held.next_attempt_at == datetime(2035, 1, 17, 8, 0, tzinfo=UTC)
    [dropped] = _reminders(seeded, "+447700900011")
    assert dropped.status == "failed" and "cancelled" in dropped.last_error
    deliver(datetime(2035, 1, 17, 8, 1, tzinfo=UTC))
    assert sent == ["+447700900010"] and waits.reminder_queued_at is not None


def test_a_bare_number_answers_the_latest_reminder_sent_recently(seeded: Session) -> None:
    from backend.app.services.reminders import latest_sent

    settings = get_settings()
    phone = "+447700900010"

    def found(now: datetime = NOON_ISH) -> list[int]:
        appointments, _ = latest_sent(seeded, actor_id="t", phone=phone, settings=settings, now=now)
        return [a.id for a in appointments]

    appointment = _appointment(seeded, phone, timedelta(days=1))
    queue_due(seeded, settings, now=NOON_ISH)
    assert found() == [], "queued is not sent"
    [message] = _reminders(seeded, phone)
    message.status, message.sent_at = "sent", NOON_ISH
    seeded.commit()

    assert found() == [appointment.id]
    other, _ = latest_sent(
        seeded, actor_id="t", phone="+447700900011", settings=settings, now=NOON_ISH
    )
    assert other == [], "another phone's reminder answers nothing"
    assert found(NOON_ISH + timedelta(hours=settings.reminder_reply_hours + 1)) == []

    # Found by review: two reminded appointments make a bare number ambiguous.
    second = _appointment(seeded, phone, timedelta(days=1, hours=3))
    queue_due(seeded, settings, now=NOON_ISH)
    for reminder in _reminders(seeded, phone):
        reminder.status, reminder.sent_at = "sent", NOON_ISH
    seeded.commit()
    assert sorted(found()) == sorted([appointment.id, second.id])

    appointment.status = "cancelled"
    second.status = "cancelled"
    seeded.commit()
    assert found() == []


def test_the_latest_reminder_endpoint_is_for_the_action_server_only(
    client, seeded: Session
) -> None:
    from tests.backend.conftest import login, service_headers

    body = {"phone": "+447700900010"}
    assert client.post("/api/v1/reminders/latest", json=body).status_code == 401
    staff = client.post("/api/v1/reminders/latest", json=body, headers=login(client))
    assert staff.status_code == 403
    none = client.post("/api/v1/reminders/latest", json=body, headers=service_headers())
    assert none.status_code == 404 and none.json() == {"detail": "no_recent_reminder"}

    from backend.app.models.base import utcnow

    patient = seeded.scalar(select(Patient).where(Patient.phone == body["phone"]))
    sent = utcnow() - timedelta(hours=1)
    reminded = []
    for hours in (30, 33):
        appointment = Appointment(
            patient_id=patient.id,
            starts_at=utcnow() + timedelta(hours=hours),
            ends_at=utcnow() + timedelta(hours=hours, minutes=20),
            location="Riverside Surgery",
            with_whom="Dr Test",
            appointment_type="review",
            status="booked",
        )
        seeded.add(appointment)
        seeded.flush()
        seeded.add(
            OutboxMessage(
                kind="appointment_reminder", to_phone=body["phone"], body="Reminder",
                appointment_id=appointment.id, status="sent", sent_at=sent,
            )
        )  # fmt: skip
        seeded.commit()
        reminded.append(appointment)
        answer = client.post("/api/v1/reminders/latest", json=body, headers=service_headers())
        if len(reminded) == 1:
            assert answer.status_code == 200
            assert answer.json()["appointment_id"] == appointment.id
            assert answer.json()["patient_id"] == patient.id and answer.json()["sent_at"]
        else:
            assert answer.status_code == 409
            assert answer.json() == {"detail": "several_recent_reminders"}
    # One of the two already confirmed: a bare number answers the other.
    reminded[0].status = "confirmed"
    seeded.commit()
    answer = client.post("/api/v1/reminders/latest", json=body, headers=service_headers())
    assert answer.status_code == 200 and answer.json()["appointment_id"] == reminded[1].id
