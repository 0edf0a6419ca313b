from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from backend.app.errors import NotFound
from backend.app.models import Appointment, Patient
from backend.app.models.base import utcnow
from backend.app.services import audit

UPCOMING_STATUSES = ("booked", "confirmed")


def list_patients(
    *,
    session: Session,
    actor_type: str,
    actor_id: str,
    staff_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[Patient], int]:
    """Patients, optionally only those a member of staff coordinates or is named clinician for."""
    query = select(Patient)
    if staff_id is not None:
        query = query.where(
            or_(Patient.care_coordinator_id == staff_id, Patient.named_clinician_id == staff_id)
        )
    count = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    patients = list(
        session.scalars(
            query.order_by(Patient.family_name, Patient.given_name, Patient.id)
            .limit(limit)
            .offset(offset)
        )
    )
    audit.record(
        session=session,
        actor_type=actor_type,
        actor_id=actor_id,
        action="patient.list",
        detail={"patient_ids": [p.id for p in patients], "mine": staff_id is not None},
    )
    session.commit()
    return patients, count


def get_patient(*, session: Session, actor_type: str, actor_id: str, patient_id: int) -> Patient:
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise NotFound("patient_not_found")
    audit.record(
        session=session,
        actor_type=actor_type,
        actor_id=actor_id,
        action="patient.read",
        patient_id=patient_id,
    )
    session.commit()
    return patient


def find_by_phone(*, session: Session, actor_type: str, actor_id: str, phone: str) -> Patient:
    """The patient whose registered phone this is. A miss is audited too (no number stored)."""
    patient = session.scalar(select(Patient).where(Patient.phone == phone))
    audit.record(
        session=session,
        actor_type=actor_type,
        actor_id=actor_id,
        action="patient.lookup_by_phone",
        patient_id=patient.id if patient else None,
        detail={"found": patient is not None},
    )
    session.commit()
    if patient is None:
        raise NotFound("patient_not_found")
    return patient


def list_appointments(
    *,
    session: Session,
    actor_type: str,
    actor_id: str,
    patient_id: int,
    upcoming: bool = False,
    limit: int = 100,
    now: datetime | None = None,
) -> tuple[list[Appointment], int]:
    """A patient's appointments: all, newest first; or upcoming (booked or confirmed, not yet
    started), soonest first."""
    if session.get(Patient, patient_id) is None:
        raise NotFound("patient_not_found")
    query = select(Appointment).where(Appointment.patient_id == patient_id)
    if upcoming:
        query = query.where(
            Appointment.starts_at > (now or utcnow()),
            Appointment.status.in_(UPCOMING_STATUSES),
        ).order_by(Appointment.starts_at, Appointment.id)
    else:
        query = query.order_by(Appointment.starts_at.desc(), Appointment.id)
    count = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    appointments = list(session.scalars(query.limit(limit)))
    audit.record(
        session=session,
        actor_type=actor_type,
        actor_id=actor_id,
        action="appointment.list",
        patient_id=patient_id,
        detail={"upcoming": upcoming, "returned": len(appointments)},
    )
    session.commit()
    return appointments, count


def set_sms_preference(
    *, session: Session, actor_type: str, actor_id: str, phone: str, opted_out: bool, source: str
) -> bool:
    """Record a patient's opt-out (or back in) for texts; False when no patient has that phone.
    Audited either way, without the number."""
    patient = session.scalar(select(Patient).where(Patient.phone == phone))
    if patient is not None:
        patient.sms_opt_out = opted_out
    audit.record(
        session=session,
        actor_type=actor_type,
        actor_id=actor_id,
        action="patient.sms_opt_out" if opted_out else "patient.sms_opt_in",
        patient_id=patient.id if patient else None,
        detail={"source": source, "found": patient is not None},
    )
    session.commit()
    return patient is not None
