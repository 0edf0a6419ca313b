"""Appointment details and changes, and the call-back tasks a person has to take on.

The action server must say whom it acts for (`acting_for` in the body, or `as_kind`/`as_id` on a
GET); the backend checks that person may see or change this patient's appointments."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, status

from backend.app.api.deps import (
    ActingChannel,
    ActingId,
    ActingKind,
    SessionDep,
    StaffCaller,
    StaffOrService,
    acting_for_query,
    requester,
)
from backend.app.schemas.appointments import (
    AppointmentDetail,
    CallbackCreate,
    CallbackPublic,
    CallbacksPublic,
    CancelRequest,
    ConfirmRequest,
    RescheduleRequest,
    SlotPublic,
    SlotsPublic,
)
from backend.app.services import appointments as service

router = APIRouter(tags=["appointments"])


def _detail(appointment: object) -> AppointmentDetail:
    detail = AppointmentDetail.model_validate(appointment)
    detail.change_blocked = service.change_blocked(appointment)  # type: ignore[arg-type]
    return detail


@router.get("/appointments/{appointment_id}", response_model=AppointmentDetail)
def get_appointment(
    session: SessionDep,
    caller: StaffOrService,
    appointment_id: int,
    as_kind: ActingKind = None,
    as_id: ActingId = None,
    channel: ActingChannel = "sms",
) -> AppointmentDetail:
    who = requester(caller, acting_for_query(as_kind, as_id, channel))
    return _detail(service.get_appointment(session, appointment_id, who))


@router.get("/appointments/{appointment_id}/alternatives", response_model=SlotsPublic)
def list_alternatives(
    session: SessionDep,
    caller: StaffOrService,
    appointment_id: int,
    as_kind: ActingKind = None,
    as_id: ActingId = None,
    channel: ActingChannel = "sms",
    limit: Annotated[int, Query(ge=1, le=20)] = 3,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> SlotsPublic:
    """Free slots this appointment could move to (409 with the reason when it cannot be changed
    by text: `change_within_window`, `change_needs_transport`, `change_needs_interpreter`,
    `appointment_not_changeable`)."""
    who = requester(caller, acting_for_query(as_kind, as_id, channel))
    slots, count = service.alternatives(session, appointment_id, who, limit=limit, offset=offset)
    return SlotsPublic(data=[SlotPublic.model_validate(s) for s in slots], count=count)


@router.post("/appointments/{appointment_id}/reschedule", response_model=AppointmentDetail)
def reschedule(
    session: SessionDep, caller: StaffOrService, appointment_id: int, body: RescheduleRequest
) -> AppointmentDetail:
    """Move into a free slot; 409 `slot_taken` if someone else got it first."""
    who = requester(caller, body.acting_for)
    return _detail(service.reschedule(session, appointment_id, who, slot_id=body.slot_id))


@router.post("/appointments/{appointment_id}/cancel", response_model=AppointmentDetail)
def cancel(
    session: SessionDep, caller: StaffOrService, appointment_id: int, body: CancelRequest
) -> AppointmentDetail:
    who = requester(caller, body.acting_for)
    return _detail(service.cancel(session, appointment_id, who, reason=body.reason))


@router.post("/appointments/{appointment_id}/confirm", response_model=AppointmentDetail)
def confirm(
    session: SessionDep, caller: StaffOrService, appointment_id: int, body: ConfirmRequest
) -> AppointmentDetail:
    who = requester(caller, body.acting_for)
    return _detail(service.confirm(session, appointment_id, who))


@router.post("/callback-tasks", response_model=CallbackPublic, status_code=status.HTTP_201_CREATED)
def request_callback(
    session: SessionDep, caller: StaffOrService, body: CallbackCreate
) -> CallbackPublic:
    task = service.request_callback(
        session,
        requester(caller, body.acting_for),
        patient_id=body.patient_id,
        appointment_id=body.appointment_id,
        reason=body.reason,
        note=body.note,
    )
    return CallbackPublic.model_validate(task)


@router.get("/callback-tasks", response_model=CallbacksPublic)
def list_callbacks(
    session: SessionDep,
    caller: StaffCaller,
    status_: Annotated[Literal["open", "done"] | None, Query(alias="status")] = None,
    mine: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> CallbacksPublic:
    tasks, count = service.list_callbacks(
        session,
        actor_id=caller.actor_id,
        status=status_,
        assigned_to_id=caller.staff.id if (mine and caller.staff) else None,
        limit=limit,
    )
    return CallbacksPublic(data=[CallbackPublic.model_validate(t) for t in tasks], count=count)
