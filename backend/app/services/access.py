"""Who may read or change a patient's appointments. Enforced here, in the backend, whatever the
assistant believes: staff by role; the action server only for a named person it acts for, the
patient themselves or a carer whose consent from the patient is current and covers the scope,
either of them only after the date-of-birth check by text (services/identity.py, carers.py)."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from backend.app.errors import Forbidden
from backend.app.models import Carer, CarerConsent, Patient
from backend.app.models.base import utcnow
from backend.app.schemas.appointments import ActingFor
from backend.app.services import audit, carers, identity

READ = "appointments.read"
CHANGE = "appointments.change"
ANSWER = "assessments.answer"  # take a questionnaire for the patient (a carer needs this scope)
STAFF_MAY = {
    READ: ("coordinator", "clinician", "admin"),
    CHANGE: ("coordinator", "clinician"),
    ANSWER: ("coordinator", "clinician"),
}


@dataclass(frozen=True)
class Requester:
    """Who calls the API (staff, or the action server) and, for the action server, whom it acts
    for."""

    caller_type: str  # staff | service
    caller_id: str
    caller_role: str  # a staff role, or "service"
    acting_for: ActingFor | None = None


@dataclass(frozen=True)
class Actor:
    """Who the audit trail names for an access."""

    actor_type: str  # staff | patient | carer
    actor_id: str
    channel: str  # console | sms | webchat


def current_consent(
    session: Session, *, carer_id: int, patient_id: int, scope: str, now: datetime | None = None
) -> CarerConsent | None:
    now = now or utcnow()
    consent = session.scalar(
        select(CarerConsent).where(
            CarerConsent.carer_id == carer_id,
            CarerConsent.patient_id == patient_id,
            CarerConsent.revoked_at.is_(None),
            or_(CarerConsent.expires_at.is_(None), CarerConsent.expires_at > now),
        )
    )
    return consent if consent is not None and scope in (consent.scopes or []) else None


def authorise(session: Session, requester: Requester, *, patient_id: int, scope: str) -> Actor:
    """The actor to audit, or Forbidden (itself audited: a refused attempt is an access too)."""
    caller_type, caller_id = requester.caller_type, requester.caller_id
    caller_role, acting_for = requester.caller_role, requester.acting_for
    if caller_type == "staff":
        if caller_role in STAFF_MAY[scope]:
            return Actor("staff", caller_id, "console")
        return _refuse(session, caller_type, caller_id, patient_id, scope, "role_not_allowed")
    if acting_for is None:
        return _refuse(session, caller_type, caller_id, patient_id, scope, "acting_for_required")
    if acting_for.kind == "patient":
        if acting_for.id != patient_id:
            return _refuse(
                session, "patient", str(acting_for.id), patient_id, scope, "not_permitted"
            )
        patient = session.get(Patient, patient_id)
        if patient is not None and (
            not identity.is_confirmed(patient)
            or carers.phone_locked_as_carer(session, patient.phone)
        ):
            # The backend holds the line too: no detail by text before the date-of-birth check.
            return _refuse(
                session, "patient", str(acting_for.id), patient_id, scope, "identity_unconfirmed"
            )
        return Actor("patient", str(acting_for.id), acting_for.channel)
    consent = current_consent(session, carer_id=acting_for.id, patient_id=patient_id, scope=scope)
    if consent is None:
        return _refuse(session, "carer", str(acting_for.id), patient_id, scope, "consent_required")
    carer = session.get(Carer, acting_for.id)
    if (
        carer is None
        or not carers.consent_confirmed(carer, consent)
        or (carer.phone is not None and carers.phone_locked_as_patient(session, carer.phone))
    ):
        # As for patients: nothing by text until the carer has named the patient by their date
        # of birth (services/carers.py), and nothing while the carer's check is locked.
        return _refuse(
            session, "carer", str(acting_for.id), patient_id, scope, "identity_unconfirmed"
        )
    return Actor("carer", str(acting_for.id), acting_for.channel)


def _refuse(
    session: Session, actor_type: str, actor_id: str, patient_id: int, scope: str, why: str
) -> Actor:
    audit.record(
        session=session,
        actor_type=actor_type,
        actor_id=actor_id,
        action="access.refused",
        patient_id=patient_id,
        detail={"scope": scope, "reason": why},
    )
    session.commit()
    raise Forbidden(why)
