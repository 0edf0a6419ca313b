from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response, status
from sqlalchemy import select

from backend.app.api.deps import ServiceCaller, SessionDep, StaffCaller
from backend.app.models import OutboxMessage
from backend.app.schemas.escalations import (
    AlertPublic,
    EscalationAssign,
    EscalationCreate,
    EscalationPublic,
    EscalationResolve,
    EscalationsPublic,
    EscalationSummary,
    NoteCreate,
    NotePublic,
)
from backend.app.services import escalations as service

router = APIRouter(prefix="/escalations", tags=["escalations"])


def _public(session: SessionDep, escalation) -> EscalationPublic:  # type: ignore[no-untyped-def]
    alerts = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.escalation_id == escalation.id)
        .order_by(OutboxMessage.id)
    )
    public = EscalationPublic.model_validate(escalation)
    public.alerts = [AlertPublic.model_validate(a) for a in alerts]
    return public


@router.post("", response_model=EscalationPublic, status_code=status.HTTP_201_CREATED)
def raise_escalation(
    request: Request,
    response: Response,
    session: SessionDep,
    caller: ServiceCaller,
    body: EscalationCreate,
) -> EscalationPublic:
    """Raise a safety concern (action server only). Idempotent on `source_message_id`: a repeat
    answers 200 with the escalation already recorded."""
    escalation, created = service.raise_escalation(
        session=session,
        actor_type=caller.actor_type,
        actor_id=caller.actor_id,
        data=service.data_from(body),
    )
    if created:
        notifier = getattr(request.app.state, "notifier", None)
        if notifier is not None:
            notifier.wake()
    else:
        response.status_code = status.HTTP_200_OK
    return _public(session, escalation)


@router.get("", response_model=EscalationsPublic)
def list_escalations(
    session: SessionDep,
    caller: StaffCaller,
    status_: Annotated[
        Literal["open", "acknowledged", "resolved"] | None, Query(alias="status")
    ] = None,
    mine: Annotated[bool, Query(description="only those assigned to me")] = False,
    patient_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> EscalationsPublic:
    rows, count = service.list_escalations(
        session=session,
        actor_type=caller.actor_type,
        actor_id=caller.actor_id,
        status=status_,
        assigned_to_id=caller.staff.id if (mine and caller.staff) else None,
        patient_id=patient_id,
        limit=limit,
        offset=offset,
    )
    return EscalationsPublic(data=[EscalationSummary.model_validate(e) for e in rows], count=count)


@router.get("/{escalation_id}", response_model=EscalationPublic)
def get_escalation(
    session: SessionDep, caller: StaffCaller, escalation_id: int
) -> EscalationPublic:
    escalation = service.get_escalation(
        session=session,
        actor_type=caller.actor_type,
        actor_id=caller.actor_id,
        escalation_id=escalation_id,
    )
    return _public(session, escalation)


@router.post("/{escalation_id}/acknowledge", response_model=EscalationPublic)
def acknowledge(session: SessionDep, caller: StaffCaller, escalation_id: int) -> EscalationPublic:
    assert caller.staff is not None
    escalation = service.acknowledge(
        session=session, staff=caller.staff, escalation_id=escalation_id
    )
    return _public(session, escalation)


@router.post("/{escalation_id}/assign", response_model=EscalationPublic)
def assign(
    session: SessionDep, caller: StaffCaller, escalation_id: int, body: EscalationAssign
) -> EscalationPublic:
    assert caller.staff is not None
    escalation = service.assign(
        session=session,
        staff=caller.staff,
        escalation_id=escalation_id,
        to_staff_id=body.staff_id,
    )
    return _public(session, escalation)


@router.post("/{escalation_id}/resolve", response_model=EscalationPublic)
def resolve(
    session: SessionDep, caller: StaffCaller, escalation_id: int, body: EscalationResolve
) -> EscalationPublic:
    assert caller.staff is not None
    escalation = service.resolve(
        session=session,
        staff=caller.staff,
        escalation_id=escalation_id,
        resolution=body.resolution,
    )
    return _public(session, escalation)


@router.post(
    "/{escalation_id}/notes", response_model=NotePublic, status_code=status.HTTP_201_CREATED
)
def add_note(
    session: SessionDep, caller: StaffCaller, escalation_id: int, body: NoteCreate
) -> NotePublic:
    assert caller.staff is not None
    note = service.add_note(
        session=session, staff=caller.staff, escalation_id=escalation_id, text=body.text
    )
    return NotePublic.model_validate(note)
