"""The date-of-birth check before details are disclosed by text (DESIGN.md: "a date-of-birth
check before details are disclosed on a new channel"). A registered phone is not enough on its
own: phones are shared, lost and passed on. The sender confirms the patient's date of birth the
first time and again after `IDENTITY_RECONFIRM_DAYS`; after `IDENTITY_MAX_ATTEMPTS` wrong answers
in a row the check locks, nothing more is disclosed by text, and the care coordinator gets a call
back task. Only staff unlock it. Every attempt is audited (never the date given)."""

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.app.core.config import get_settings
from backend.app.models import CallbackTask, Patient
from backend.app.models.base import utcnow
from backend.app.services import audit


def is_confirmed(patient: Patient, now: datetime | None = None) -> bool:
    if patient.identity_locked_at is not None or patient.identity_confirmed_at is None:
        return False
    days = get_settings().identity_reconfirm_days
    return (now or utcnow()) - patient.identity_confirmed_at < timedelta(days=days)


def confirm(session: Session, *, actor_id: str, phone: str, date_of_birth: date) -> tuple[str, int]:
    """("confirmed" | "mismatch" | "locked" | "unknown", attempts left)."""
    settings = get_settings()
    patient = session.scalar(select(Patient).where(Patient.phone == phone).with_for_update())
    if patient is None:
        audit.record(
            session=session,
            actor_type="service",
            actor_id=actor_id,
            action="identity.confirm",
            detail={"result": "unknown"},
        )
        session.commit()
        return "unknown", 0
    from backend.app.services.carers import phone_locked_as_carer  # carers imports nothing here

    if patient.identity_locked_at is not None or phone_locked_as_carer(session, phone):
        result = "locked"  # one phone, one lock: a carer's lock holds for their own record too
    elif patient.date_of_birth == date_of_birth:
        patient.identity_confirmed_at = utcnow()
        patient.identity_failures = 0
        result = "confirmed"
    else:
        patient.identity_failures = (patient.identity_failures or 0) + 1
        result = "mismatch"
        if patient.identity_failures >= settings.identity_max_attempts:
            patient.identity_locked_at = utcnow()
            patient.identity_confirmed_at = None
            result = "locked"
            session.add(
                CallbackTask(
                    patient_id=patient.id,
                    reason="identity_locked",
                    note="Date-of-birth check by text failed; confirm identity by phone.",
                    requested_by_type="system",
                    requested_by_id="identity-check",
                    channel="sms",
                    assigned_to_id=patient.care_coordinator_id,
                    status="open",
                )
            )
    audit.record(
        session=session,
        actor_type="patient",
        actor_id=str(patient.id),
        action="identity.confirm",
        patient_id=patient.id,
        detail={"result": result, "failures": patient.identity_failures},
    )
    session.commit()
    left = max(settings.identity_max_attempts - (patient.identity_failures or 0), 0)
    return result, 0 if result == "locked" else left


def unlock(session: Session, *, staff_id: str, patient_id: int) -> Patient:
    """Staff, having checked who the patient is another way, lift the lock. The next text still
    asks for the date of birth; open call-back tasks for the lock are marked done."""
    from backend.app.errors import NotFound  # local: errors imports nothing from here

    patient = session.get(Patient, patient_id)
    if patient is None:
        raise NotFound("patient_not_found")
    patient.identity_locked_at = None
    patient.identity_failures = 0
    for task in session.scalars(
        select(CallbackTask).where(
            CallbackTask.patient_id == patient_id,
            CallbackTask.reason == "identity_locked",
            CallbackTask.status == "open",
        )
    ):
        task.status = "done"
        task.done_at = utcnow()
    audit.record(
        session=session,
        actor_type="staff",
        actor_id=staff_id,
        action="identity.unlock",
        patient_id=patient_id,
    )
    session.commit()
    return patient
