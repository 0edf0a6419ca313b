"""Safety escalations: raised by the assistant, assigned to the patient's named clinician (or the
duty clinician), alerted through the outbox, moved on by staff only. Every read and change is
audited."""

import logging
import secrets
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from backend.app.core.config import get_settings
from backend.app.errors import Conflict, Forbidden, InvalidInput, NotFound
from backend.app.models import Carer, Escalation, EscalationNote, Patient, Staff
from backend.app.models.base import utcnow
from backend.app.schemas.escalations import EscalationCreate
from backend.app.services import audit, carers, outbox

logger = logging.getLogger(__name__)

# Crockford-style alphabet: no 0/O, 1/I/L, so a reference reads back over the phone.
_REF_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
ALERTED_SEVERITIES = ("emergency", "urgent")
SEVERITY_RANK = {"none": 0, "routine": 1, "urgent": 2, "emergency": 3}
STAFF_WHO_ACT = ("clinician", "coordinator")
_SEVERITY_ORDER = case(
    (Escalation.severity == "emergency", 0), (Escalation.severity == "urgent", 1), else_=2
)


def _new_reference() -> str:
    return "ESC-" + "".join(secrets.choice(_REF_ALPHABET) for _ in range(6))


def duty_clinician(session: Session) -> Staff | None:
    return session.scalar(
        select(Staff)
        .where(Staff.is_on_duty.is_(True), Staff.is_active.is_(True), Staff.role == "clinician")
        .order_by(Staff.id)
        .limit(1)
    )


def _assignee(
    session: Session, patient: Patient | None, severity: str, sender_role: str = "patient"
) -> tuple[Staff | None, str]:
    """Who owns a new escalation, and why. Emergencies and urgent concerns go to the named
    clinician; routine ones to the care coordinator; anything without an owner to the duty
    clinician."""
    if patient is not None:
        owner_id = (
            patient.care_coordinator_id if severity == "routine" else patient.named_clinician_id
        )
        owner = session.get(Staff, owner_id) if owner_id else None
        if owner is not None and owner.is_active:
            reason = "care_coordinator" if severity == "routine" else "named_clinician"
            return owner, reason
    duty = duty_clinician(session)
    if duty is not None:
        if patient is not None:
            return duty, "duty_clinician"
        # A known carer whose person is not certain is not an unknown sender.
        why = "duty_clinician_carer" if sender_role == "carer" else "duty_clinician_unknown_sender"
        return duty, why
    return None, "unassigned_no_duty_clinician"


def _alert_body(escalation: Escalation) -> str:
    """No clinical detail and nothing that identifies the patient: a reference and a link."""
    base = get_settings().public_base_url.rstrip("/")
    return (
        f"Care assistant: a safety concern {escalation.reference} needs your review now. "
        f"Open {base}/console/escalations/{escalation.id}"
    )


def _by_source(session: Session, source_message_id: str) -> Escalation | None:
    return session.scalar(
        select(Escalation).where(Escalation.source_message_id == source_message_id)
    )


def data_from(body: EscalationCreate) -> dict[str, Any]:
    """JSON columns take JSON values; the one time column stays a datetime."""
    return {**body.model_dump(mode="json"), "received_at": body.received_at}


def _cared_for(session: Session, phone: str) -> list[int] | None:
    """The patients a carer with this phone has a current consent from (any scope: a concern
    is raised whatever was agreed), or None when the phone is no carer's."""
    carer = session.scalar(select(Carer).where(Carer.phone == phone))
    if carer is None:
        return None
    return [c.patient_id for c in carers.current_consents(session, carer.id, scope=None)]


def raise_escalation(
    *, session: Session, actor_type: str, actor_id: str, data: dict[str, Any]
) -> tuple[Escalation, bool]:
    """Record a safety concern. Idempotent on `source_message_id`: returns (escalation, created)."""
    existing = _by_source(session, data["source_message_id"])
    if existing is not None:
        return existing, False

    # A safety concern is never refused: an unknown patient id falls back to the sender's phone,
    # and an unmatched sender goes to the duty clinician.
    patient: Patient | None = None
    if data.get("patient_id") is not None:
        patient = session.get(Patient, data["patient_id"])
    phone = data.get("sender_phone")
    carer_texting = data.get("sender_role") == "carer"
    if patient is None and phone and not carer_texting:
        # (A carer who is also a patient, texting about someone else, is not the subject.)
        patient = session.scalar(select(Patient).where(Patient.phone == phone))
    sender_role = data.get("sender_role") or ("patient" if patient else "unknown")
    if patient is None and phone:
        # A registered carer who has not named the patient yet: "mum fell and can't get up" is
        # about the person they care for, when there is only one; otherwise the duty clinician.
        cared_for = _cared_for(session, phone)
        if cared_for is not None:
            sender_role = "carer"
            if len(cared_for) == 1:
                patient = session.get(Patient, cared_for[0])
    if patient is None and sender_role == "patient":
        sender_role = "unknown"

    owner, reason = _assignee(session, patient, data["severity"], sender_role)
    escalation = Escalation(
        reference=_new_reference(),
        source_message_id=data["source_message_id"],
        patient_id=patient.id if patient else None,
        sender_phone=data.get("sender_phone"),
        sender_role=sender_role,
        conversation_id=data["conversation_id"],
        channel=data["channel"],
        category=data["category"],
        severity=data["severity"],
        concerns=data.get("concerns", []),
        message=data["message"],
        transcript=data.get("transcript", []),
        received_at=data.get("received_at") or utcnow(),
        status="open",
        assigned_to_id=owner.id if owner else None,
        assignment_reason=reason,
    )
    try:
        with session.begin_nested():
            session.add(escalation)
            session.flush()
    except IntegrityError:
        # Another delivery of the same message won the race: that one stands.
        existing = _by_source(session, data["source_message_id"])
        if existing is None:
            raise
        return existing, False

    alerted = []
    if data["severity"] in ALERTED_SEVERITIES:
        for staff in _alert_recipients(session, owner):
            outbox.enqueue_sms(
                session,
                kind="escalation_alert",
                to_phone=staff.phone or "",
                body=_alert_body(escalation),
                escalation_id=escalation.id,
            )
            alerted.append(staff.id)
    audit.record(
        session=session,
        actor_type=actor_type,
        actor_id=actor_id,
        action="escalation.raise",
        patient_id=escalation.patient_id,
        detail={
            "escalation_id": escalation.id,
            "severity": escalation.severity,
            "assigned_to_id": escalation.assigned_to_id,
            "assignment_reason": reason,
            "alerted_staff_ids": alerted,
        },
    )
    session.commit()
    return escalation, True


def _alert_recipients(session: Session, owner: Staff | None) -> list[Staff]:
    """The owner, if they can take an SMS; if not, the duty clinician; if nobody is on duty with a
    phone, every active clinician with one. An emergency is never left without an alert."""
    if owner is not None and owner.phone:
        return [owner]
    duty = duty_clinician(session)
    if duty is not None and duty.phone:
        return [duty]
    logger.error("no owner or duty clinician with a phone: alerting every active clinician")
    return list(
        session.scalars(
            select(Staff).where(
                Staff.role == "clinician", Staff.is_active.is_(True), Staff.phone.is_not(None)
            )
        )
    )


def list_escalations(
    *,
    session: Session,
    actor_type: str,
    actor_id: str,
    status: str | None = None,
    assigned_to_id: int | None = None,
    patient_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[Escalation], int]:
    """Most severe first, then oldest first: the order a duty clinician works through them."""
    query = select(Escalation)
    if status is not None:
        query = query.where(Escalation.status == status)
    if assigned_to_id is not None:
        query = query.where(Escalation.assigned_to_id == assigned_to_id)
    if patient_id is not None:
        query = query.where(Escalation.patient_id == patient_id)
    count = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(
        session.scalars(
            query.order_by(_SEVERITY_ORDER, Escalation.created_at, Escalation.id)
            .limit(limit)
            .offset(offset)
        )
    )
    audit.record(
        session=session,
        actor_type=actor_type,
        actor_id=actor_id,
        action="escalation.list",
        patient_id=patient_id,
        detail={
            "escalation_ids": [e.id for e in rows],
            "patient_ids": sorted({e.patient_id for e in rows if e.patient_id is not None}),
            "status": status,
        },
    )
    session.commit()
    return rows, count


def get_escalation(
    *, session: Session, actor_type: str, actor_id: str, escalation_id: int
) -> Escalation:
    escalation = session.scalar(
        select(Escalation)
        .where(Escalation.id == escalation_id)
        .options(selectinload(Escalation.notes))
    )
    if escalation is None:
        raise NotFound("escalation_not_found")
    audit.record(
        session=session,
        actor_type=actor_type,
        actor_id=actor_id,
        action="escalation.read",
        patient_id=escalation.patient_id,
        detail={"escalation_id": escalation.id},
    )
    session.commit()
    return escalation


def _for_change(session: Session, escalation_id: int, staff: Staff) -> Escalation:
    if staff.role not in STAFF_WHO_ACT:
        raise Forbidden("role_not_allowed")
    # Locked (PostgreSQL) so two members of staff cannot both move it on from the same state.
    escalation = session.scalar(
        select(Escalation).where(Escalation.id == escalation_id).with_for_update()
    )
    if escalation is None:
        raise NotFound("escalation_not_found")
    return escalation


def _changed(
    session: Session, staff: Staff, escalation: Escalation, action: str, **detail: Any
) -> Escalation:
    audit.record(
        session=session,
        actor_type="staff",
        actor_id=str(staff.id),
        action=action,
        patient_id=escalation.patient_id,
        detail={"escalation_id": escalation.id, **detail},
    )
    session.commit()
    session.refresh(escalation)
    return escalation


def acknowledge(*, session: Session, staff: Staff, escalation_id: int) -> Escalation:
    escalation = _for_change(session, escalation_id, staff)
    if escalation.status != "open":
        raise Conflict(f"escalation_is_{escalation.status}")
    escalation.status = "acknowledged"
    escalation.acknowledged_at = utcnow()
    escalation.acknowledged_by_id = staff.id
    return _changed(session, staff, escalation, "escalation.acknowledge")


def assign(*, session: Session, staff: Staff, escalation_id: int, to_staff_id: int) -> Escalation:
    escalation = _for_change(session, escalation_id, staff)
    if escalation.status == "resolved":
        raise Conflict("escalation_is_resolved")
    target = session.get(Staff, to_staff_id)
    if target is None or not target.is_active or target.role not in STAFF_WHO_ACT:
        raise InvalidInput("assignee_not_allowed")
    previous = escalation.assigned_to_id
    escalation.assigned_to_id = target.id
    escalation.assignment_reason = "reassigned"
    return _changed(
        session, staff, escalation, "escalation.assign", previous=previous, to=target.id
    )


def resolve(*, session: Session, staff: Staff, escalation_id: int, resolution: str) -> Escalation:
    """Only an acknowledged escalation can be resolved, and only with a note of what was done."""
    escalation = _for_change(session, escalation_id, staff)
    if escalation.status != "acknowledged":
        raise Conflict(f"escalation_is_{escalation.status}")
    escalation.status = "resolved"
    escalation.resolved_at = utcnow()
    escalation.resolved_by_id = staff.id
    escalation.resolution = resolution
    return _changed(session, staff, escalation, "escalation.resolve")


def add_note(*, session: Session, staff: Staff, escalation_id: int, text: str) -> EscalationNote:
    escalation = _for_change(session, escalation_id, staff)
    note = EscalationNote(escalation_id=escalation.id, author_id=staff.id, text=text)
    session.add(note)
    session.flush()
    _changed(session, staff, escalation, "escalation.note", note_id=note.id)
    return note
