"""Decision aids (data/decision_aids/) and patients working through them
(services/decision_aid_sessions.py): the action server reads an aid, starts or resumes a
session for a patient, saves progress step by step and completes it; staff list a patient's
sessions and request one, which texts the invitation."""

from fastapi import APIRouter, status

from backend.app.api.deps import (
    ActingChannel,
    ActingId,
    ActingKind,
    ServiceCaller,
    SessionDep,
    StaffCaller,
    StaffOrService,
    acting_for_query,
    requester,
)
from backend.app.errors import Forbidden, InvalidInput
from backend.app.schemas.decision_aids import (
    DecisionAidListed,
    DecisionAidPublic,
    DecisionAidRequest,
    DecisionAidSessionComplete,
    DecisionAidSessionProgress,
    DecisionAidSessionPublic,
    DecisionAidSessionsPublic,
    DecisionAidSessionStart,
    DecisionAidsPublic,
)
from backend.app.services import decision_aid_sessions as service

router = APIRouter(tags=["decision aids"])


@router.get("/decision-aids", response_model=DecisionAidsPublic)
def list_aids(caller: StaffOrService) -> DecisionAidsPublic:
    rows = [
        DecisionAidListed(id=a.id, title=a.title, decision=a.decision)
        for a in service.aids().values()
    ]
    return DecisionAidsPublic(data=rows, count=len(rows))


@router.get("/decision-aids/{aid_id}", response_model=DecisionAidPublic)
def get_aid(caller: StaffOrService, aid_id: str) -> DecisionAidPublic:
    content = service.aid(aid_id)
    data = content.data
    return DecisionAidPublic(
        id=content.id, title=content.title, condition=str(data["condition"]),
        decision=content.decision, status=str(data["status"]), denominator=int(data["denominator"]),
        options=list(content.options), values_question=str(data["values_question"]),
        values_options=[str(v) for v in data["values_options"]],
        ask_3_questions=[str(q) for q in data["ask_3_questions"]],
        review_by=str(data["review_by"]),
    )  # fmt: skip


@router.get(
    "/patients/{patient_id}/decision-aid-sessions", response_model=DecisionAidSessionsPublic
)
def list_sessions(
    session: SessionDep,
    caller: StaffOrService,
    patient_id: int,
    as_kind: ActingKind = None,
    as_id: ActingId = None,
    channel: ActingChannel = "sms",
) -> DecisionAidSessionsPublic:
    acting_for = acting_for_query(as_kind, as_id, channel)
    rows = service.list_for_patient(session, requester(caller, acting_for), patient_id)
    return DecisionAidSessionsPublic(
        data=[DecisionAidSessionPublic.model_validate(r) for r in rows], count=len(rows)
    )


@router.post(
    "/patients/{patient_id}/decision-aid-sessions", response_model=DecisionAidSessionPublic
)
def start_session(
    session: SessionDep, caller: ServiceCaller, patient_id: int, body: DecisionAidSessionStart
) -> DecisionAidSessionPublic:
    """Resume the unfinished one (of `aid_id`, or any), or start `aid_id`;
    409 `choose_decision_aid` when no aid is named and none is waiting."""
    row = service.start_or_resume(
        session, requester(caller, body.acting_for), patient_id, body.aid_id
    )
    return DecisionAidSessionPublic.model_validate(row)


@router.post(
    "/patients/{patient_id}/decision-aid-sessions/request",
    response_model=DecisionAidSessionPublic,
    status_code=status.HTTP_201_CREATED,
)
def request_session(
    session: SessionDep, caller: StaffCaller, patient_id: int, body: DecisionAidRequest
) -> DecisionAidSessionPublic:
    if caller.role not in ("coordinator", "clinician"):
        raise Forbidden("role_not_allowed")
    row = service.request(session, requester(caller, None), patient_id, body.aid_id)
    return DecisionAidSessionPublic.model_validate(row)


@router.post(
    "/decision-aid-sessions/{session_id}/progress", response_model=DecisionAidSessionPublic
)
def save_progress(
    session: SessionDep, caller: ServiceCaller, session_id: int, body: DecisionAidSessionProgress
) -> DecisionAidSessionPublic:
    changes = body.model_dump(exclude_unset=True, exclude={"acting_for"})
    if not changes:
        raise InvalidInput("nothing_to_save")
    row = service.save_progress(session, requester(caller, body.acting_for), session_id, changes)
    return DecisionAidSessionPublic.model_validate(row)


@router.post(
    "/decision-aid-sessions/{session_id}/complete", response_model=DecisionAidSessionPublic
)
def complete_session(
    session: SessionDep, caller: ServiceCaller, session_id: int, body: DecisionAidSessionComplete
) -> DecisionAidSessionPublic:
    """Scored and summarised; SURE after of 3 or less opens a task for the care coordinator."""
    row = service.complete(session, requester(caller, body.acting_for), session_id)
    return DecisionAidSessionPublic.model_validate(row)
