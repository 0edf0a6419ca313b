"""Appointment details and changes: reschedule into a free slot, cancel, confirm; and the
call-back tasks for changes that a person has to make.

Booking is atomic: a slot is claimed by one conditional UPDATE (`appointment_id IS NULL`), so of
two people who try for the same slot at once exactly one gets it, on SQLite (writes serialised by
`BEGIN IMMEDIATE`) and on PostgreSQL (the second UPDATE waits for the first and then finds the
slot taken). The appointment's old slot is released in the same transaction."""

from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from backend.app.core.config import get_settings
from backend.app.errors import Conflict, Forbidden, NotFound
from backend.app.models import Appointment, CallbackTask, Patient, Slot
from backend.app.models.base import utcnow
from backend.app.services import audit
from backend.app.services.access import CHANGE, READ, Actor, Requester, authorise

CHANGEABLE = ("booked", "confirmed")


def change_blocked(
    appointment: Appointment, now: datetime | None = None, *, by_staff: bool = False
) -> str | None:
    """Why this appointment cannot be changed by text, or None. Real services have the same
    limits: close to the time, or when transport or an interpreter has been arranged, a person
    makes the change. Staff (the person who takes the call back) are held only to the first."""
    now = now or utcnow()
    if appointment.status not in CHANGEABLE or appointment.starts_at <= now:
        return "appointment_not_changeable"
    if by_staff:
        return None
    if appointment.needs_transport:
        return "change_needs_transport"
    if appointment.needs_interpreter:
        return "change_needs_interpreter"
    hours = get_settings().appointment_change_min_hours
    if appointment.starts_at - now < timedelta(hours=hours):
        return "change_within_window"
    return None


def _load(
    session: Session, appointment_id: int, requester: Requester, *, scope: str, lock: bool = False
) -> tuple[Appointment, Actor]:
    query = select(Appointment).where(Appointment.id == appointment_id)
    appointment = session.scalar(query.with_for_update() if lock else query)
    if appointment is None:
        if requester.caller_type == "staff":
            raise NotFound("appointment_not_found")
        # The action server learns nothing about ids it may not see: the same refusal as for
        # someone else's appointment, audited.
        audit.record(
            session=session,
            actor_type=requester.acting_for.kind if requester.acting_for else "service",
            actor_id=str(requester.acting_for.id) if requester.acting_for else requester.caller_id,
            action="access.refused",
            detail={"scope": scope, "reason": "not_permitted", "appointment_id": appointment_id},
        )
        session.commit()
        raise Forbidden("not_permitted")
    actor = authorise(session, requester, patient_id=appointment.patient_id, scope=scope)
    return appointment, actor


def _refuse(session: Session, actor: Actor, appointment: Appointment, reason: str) -> Conflict:
    """Record a refused change (its own transaction) and return the error to raise."""
    session.rollback()
    _audit(session, actor, "appointment.change_refused", appointment, reason=reason)
    session.commit()
    return Conflict(reason)


def _audit(
    session: Session, actor: Actor, action: str, appointment: Appointment, **detail: object
) -> None:
    audit.record(
        session=session,
        actor_type=actor.actor_type,
        actor_id=actor.actor_id,
        action=action,
        patient_id=appointment.patient_id,
        detail={"appointment_id": appointment.id, "channel": actor.channel, **detail},
    )


def get_appointment(session: Session, appointment_id: int, requester: Requester) -> Appointment:
    appointment, actor = _load(session, appointment_id, requester, scope=READ)
    _audit(session, actor, "appointment.read", appointment)
    session.commit()
    return appointment


def alternatives(
    session: Session,
    appointment_id: int,
    requester: Requester,
    *,
    limit: int = 3,
    offset: int = 0,
    now: datetime | None = None,
) -> tuple[list[Slot], int]:
    """Free slots of the same kind the appointment could move to, soonest first."""
    appointment, actor = _load(session, appointment_id, requester, scope=CHANGE)
    by_staff = actor.actor_type == "staff"
    blocked = change_blocked(appointment, now, by_staff=by_staff)
    if blocked:
        raise _refuse(session, actor, appointment, blocked)
    now = now or utcnow()
    settings = get_settings()
    query = select(Slot).where(
        Slot.appointment_id.is_(None),
        Slot.appointment_type == appointment.appointment_type,
        Slot.starts_at
        >= now + timedelta(hours=0 if by_staff else settings.appointment_change_min_hours),
        Slot.starts_at <= now + timedelta(days=settings.appointment_offer_days),
    )
    count = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    slots = list(
        session.scalars(query.order_by(Slot.starts_at, Slot.id).limit(limit).offset(offset))
    )
    _audit(session, actor, "appointment.alternatives", appointment, offered=[s.id for s in slots])
    session.commit()
    return slots, count


def reschedule(
    session: Session,
    appointment_id: int,
    requester: Requester,
    *,
    slot_id: int,
    now: datetime | None = None,
) -> Appointment:
    appointment, actor = _load(session, appointment_id, requester, scope=CHANGE, lock=True)
    by_staff = actor.actor_type == "staff"
    blocked = change_blocked(appointment, now, by_staff=by_staff)
    if blocked:
        raise _refuse(session, actor, appointment, blocked)
    slot = session.get(Slot, slot_id)
    hours = 0 if by_staff else get_settings().appointment_change_min_hours
    earliest = (now or utcnow()) + timedelta(hours=hours)
    if slot is None or slot.appointment_type != appointment.appointment_type:
        raise _refuse(session, actor, appointment, "slot_not_found")
    if slot.starts_at < earliest:
        raise _refuse(session, actor, appointment, "change_within_window")
    old = {"starts_at": appointment.starts_at.isoformat(), "with_whom": appointment.with_whom}
    # Release the old slot first (a slot has one holder), then claim the new one only if it is
    # still free: the claim is the single statement that decides who gets it.
    session.execute(
        update(Slot).where(Slot.appointment_id == appointment.id).values(appointment_id=None)
    )
    claimed = session.execute(
        update(Slot)
        .where(Slot.id == slot_id, Slot.appointment_id.is_(None))
        .values(appointment_id=appointment.id)
    ).rowcount
    if claimed != 1:
        # Rolled back: the old slot stays with the appointment.
        raise _refuse(session, actor, appointment, "slot_taken")
    session.refresh(slot)
    appointment.starts_at = slot.starts_at
    appointment.ends_at = slot.ends_at
    appointment.with_whom = slot.with_whom
    appointment.clinician_id = slot.clinician_id
    appointment.location = slot.location
    appointment.address = slot.address
    appointment.status = "booked"
    appointment.reminder_queued_at = None  # a new time gets its own reminder
    _audit(session, actor, "appointment.reschedule", appointment, slot_id=slot.id, old=old)
    session.commit()
    return appointment


def cancel(
    session: Session,
    appointment_id: int,
    requester: Requester,
    *,
    reason: str | None,
    now: datetime | None = None,
) -> Appointment:
    appointment, actor = _load(session, appointment_id, requester, scope=CHANGE, lock=True)
    blocked = change_blocked(appointment, now, by_staff=actor.actor_type == "staff")
    if blocked:
        raise _refuse(session, actor, appointment, blocked)
    session.execute(
        update(Slot).where(Slot.appointment_id == appointment.id).values(appointment_id=None)
    )
    appointment.status = "cancelled"
    appointment.cancel_reason = (reason or "").strip()[:300] or None
    _audit(
        session,
        actor,
        "appointment.cancel",
        appointment,
        reason_given=bool(appointment.cancel_reason),
    )
    session.commit()
    return appointment


def confirm(
    session: Session, appointment_id: int, requester: Requester, *, now: datetime | None = None
) -> Appointment:
    """Confirming attendance is allowed up to the start: it changes nothing a person arranged."""
    appointment, actor = _load(session, appointment_id, requester, scope=CHANGE, lock=True)
    if appointment.status not in CHANGEABLE or appointment.starts_at <= (now or utcnow()):
        raise _refuse(session, actor, appointment, "appointment_not_changeable")
    appointment.status = "confirmed"
    _audit(session, actor, "appointment.confirm", appointment)
    session.commit()
    return appointment


def request_callback(
    session: Session,
    requester: Requester,
    *,
    patient_id: int,
    appointment_id: int | None,
    reason: str,
    note: str | None,
) -> CallbackTask:
    """A call back for the patient's care coordinator, asked for by the patient, a carer whose
    consent covers their appointments, or staff. Checked and audited like any access."""
    patient = session.get(Patient, patient_id)
    if patient is None and requester.caller_type == "staff":
        raise NotFound("patient_not_found")
    actor = authorise(session, requester, patient_id=patient_id, scope=READ)
    appointment = session.get(Appointment, appointment_id) if appointment_id else None
    if patient is None or (
        appointment_id is not None and (appointment is None or appointment.patient_id != patient_id)
    ):
        raise Forbidden("not_permitted")
    by_type, by_id, channel = actor.actor_type, actor.actor_id, actor.channel
    task = CallbackTask(
        patient_id=patient_id,
        appointment_id=appointment_id,
        reason=reason,
        note=note,
        requested_by_type=by_type,
        requested_by_id=by_id,
        channel=channel,
        assigned_to_id=patient.care_coordinator_id,
        status="open",
    )
    session.add(task)
    session.flush()
    audit.record(
        session=session,
        actor_type=by_type,
        actor_id=by_id,
        action="callback.request",
        patient_id=patient_id,
        detail={"callback_id": task.id, "reason": reason, "channel": channel},
    )
    session.commit()
    return task


def list_callbacks(
    session: Session,
    *,
    actor_id: str,
    status: str | None,
    assigned_to_id: int | None,
    limit: int = 100,
) -> tuple[list[CallbackTask], int]:
    query = select(CallbackTask)
    if status:
        query = query.where(CallbackTask.status == status)
    if assigned_to_id is not None:
        query = query.where(CallbackTask.assigned_to_id == assigned_to_id)
    count = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    tasks = list(
        session.scalars(query.order_by(CallbackTask.created_at, CallbackTask.id).limit(limit))
    )
    audit.record(
        session=session,
        actor_type="staff",
        actor_id=actor_id,
        action="callback.list",
        detail={"callback_ids": [t.id for t in tasks]},
    )
    session.commit()
    return tasks, count
