"""Questionnaires (services/assessments.py): listed per patient (the contract:
`GET /api/v1/patients/{id}/assessments`), started or resumed, answered item by item and scored
by the action server acting for a patient or consenting carer; requested by a coordinator."""

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
from backend.app.errors import Forbidden
from backend.app.schemas.assessments import (
    AssessmentAnswer,
    AssessmentComplete,
    AssessmentPublic,
    AssessmentRequest,
    AssessmentsPublic,
    AssessmentStart,
    InstrumentItemPublic,
    InstrumentKind,
    InstrumentPublic,
    ScalePointPublic,
)
from backend.app.services import assessments as service

router = APIRouter(tags=["assessments"])


@router.get("/instruments/{kind}", response_model=InstrumentPublic)
def get_instrument(caller: StaffOrService, kind: InstrumentKind) -> InstrumentPublic:
    """The configured questionnaire (PAM: `PAM_INSTRUMENT_PATH`, a licensed file or the
    demonstration one), for the action server to ask one item per text. No patient data."""
    form = service.instrument(kind)
    return InstrumentPublic(
        id=form.id,
        name=form.name,
        instrument=form.kind,
        demonstration=form.demonstration,
        min_answered=form.min_answered,
        items=[InstrumentItemPublic(id=i.id, text=i.text, why=i.why) for i in form.items],
        scale=[ScalePointPublic(value=v, label=label) for v, label in form.scale.items()],
        not_applicable_reply=form.not_applicable_reply,
        synonyms=form.synonyms,
        conflict_at_or_below=form.conflict_at_or_below,
        source=form.source,
        review_by=form.review_by,
    )


@router.get("/patients/{patient_id}/assessments", response_model=AssessmentsPublic)
def list_assessments(
    session: SessionDep,
    caller: StaffOrService,
    patient_id: int,
    as_kind: ActingKind = None,
    as_id: ActingId = None,
    channel: ActingChannel = "sms",
) -> AssessmentsPublic:
    """Newest first, each with `instrument`, `completed_at`, `score`, `level`."""
    acting_for = acting_for_query(as_kind, as_id, channel)
    rows = service.list_for_patient(session, requester(caller, acting_for), patient_id)
    return AssessmentsPublic(
        data=[AssessmentPublic.model_validate(a) for a in rows], count=len(rows)
    )


@router.post("/patients/{patient_id}/assessments", response_model=AssessmentPublic)
def start_assessment(
    session: SessionDep, caller: ServiceCaller, patient_id: int, body: AssessmentStart
) -> AssessmentPublic:
    """Start one, or resume the unfinished one where it was left."""
    assessment = service.start_or_resume(
        session, requester(caller, body.acting_for), patient_id, body.instrument
    )
    return AssessmentPublic.model_validate(assessment)


@router.post(
    "/patients/{patient_id}/assessments/request",
    response_model=AssessmentPublic,
    status_code=status.HTTP_201_CREATED,
)
def request_assessment(
    session: SessionDep, caller: StaffCaller, patient_id: int, body: AssessmentRequest
) -> AssessmentPublic:
    """A coordinator or clinician asks the patient to take one; the invitation goes by SMS."""
    if caller.role not in ("coordinator", "clinician"):
        raise Forbidden("role_not_allowed")
    assessment = service.request(session, requester(caller, None), patient_id, body.instrument)
    return AssessmentPublic.model_validate(assessment)


@router.post("/assessments/{assessment_id}/answers", response_model=AssessmentPublic)
def answer_item(
    session: SessionDep, caller: ServiceCaller, assessment_id: int, body: AssessmentAnswer
) -> AssessmentPublic:
    assessment = service.answer(
        session, requester(caller, body.acting_for), assessment_id, body.item_id, body.value
    )
    return AssessmentPublic.model_validate(assessment)


@router.post("/assessments/{assessment_id}/complete", response_model=AssessmentPublic)
def complete_assessment(
    session: SessionDep, caller: ServiceCaller, assessment_id: int, body: AssessmentComplete
) -> AssessmentPublic:
    """Score it; 409 `not_enough_answers` when the instrument's minimum is not met."""
    assessment = service.complete(session, requester(caller, body.acting_for), assessment_id)
    return AssessmentPublic.model_validate(assessment)
