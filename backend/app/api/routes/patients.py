from typing import Annotated, Literal

from fastapi import APIRouter, Query, status

from backend.app.api.deps import (
    ServiceCaller,
    SessionDep,
    StaffCaller,
    StaffOrService,
    acting_for_query,
)
from backend.app.errors import Forbidden, NotFound
from backend.app.models import Patient
from backend.app.schemas.patients import (
    AppointmentPublic,
    AppointmentsPublic,
    IdentityCheck,
    IdentityResult,
    PatientIdentity,
    PatientLookup,
    PatientPublic,
    PatientsPublic,
    SmsPreference,
    SmsPreferenceRecorded,
)
from backend.app.services import carers as carers_service
from backend.app.services import identity as identity_service
from backend.app.services import patients as service
from backend.app.services.access import READ, Requester, authorise

router = APIRouter(prefix="/patients", tags=["patients"])


@router.get("", response_model=PatientsPublic, status_code=status.HTTP_200_OK)
def list_patients(
    session: SessionDep,
    caller: StaffCaller,
    mine: Annotated[bool, Query(description="only my caseload")] = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> PatientsPublic:
    staff_id = caller.staff.id if (mine and caller.staff) else None
    patients, count = service.list_patients(
        session=session,
        actor_type=caller.actor_type,
        actor_id=caller.actor_id,
        staff_id=staff_id,
        limit=limit,
        offset=offset,
    )
    return PatientsPublic(data=[PatientPublic.model_validate(p) for p in patients], count=count)


@router.post("/lookup", response_model=PatientIdentity, status_code=status.HTTP_200_OK)
def lookup_by_phone(
    session: SessionDep, caller: ServiceCaller, body: PatientLookup
) -> PatientIdentity:
    """Find the patient registered with this phone number (action server only). POST, so the
    number never appears in a URL or an access log."""
    patient = service.find_by_phone(
        session=session, actor_type=caller.actor_type, actor_id=caller.actor_id, phone=body.phone
    )
    identity = PatientIdentity.model_validate(patient)
    identity.identity_confirmed = identity_service.is_confirmed(patient)
    identity.identity_locked = patient.identity_locked_at is not None or (
        carers_service.phone_locked_as_carer(session, body.phone)
    )
    return identity


@router.post("/confirm-identity", response_model=IdentityResult)
def confirm_identity(
    session: SessionDep, caller: ServiceCaller, body: IdentityCheck
) -> IdentityResult:
    """The sender's answer to the date-of-birth check (action server). POST, so neither the
    number nor the date appears in a URL or log; the date is never stored or echoed."""
    result, left = identity_service.confirm(
        session, actor_id=caller.actor_id, phone=body.phone, date_of_birth=body.date_of_birth
    )
    return IdentityResult(result=result, attempts_left=left)


@router.post("/sms-preference", response_model=SmsPreferenceRecorded)
def set_sms_preference(
    session: SessionDep, caller: ServiceCaller, body: SmsPreference
) -> SmsPreferenceRecorded:
    """Opt a phone's patient out of (or back into) texts from every sender (action server)."""
    recorded = service.set_sms_preference(
        session=session,
        actor_type=caller.actor_type,
        actor_id=caller.actor_id,
        phone=body.phone,
        opted_out=body.opted_out,
        source=body.source,
    )
    return SmsPreferenceRecorded(recorded=recorded)


@router.post("/{patient_id}/identity/unlock", status_code=status.HTTP_204_NO_CONTENT)
def unlock_identity(session: SessionDep, caller: StaffCaller, patient_id: int) -> None:
    """Lift a locked date-of-birth check (coordinator or clinician, after checking by phone)."""
    if caller.role not in ("coordinator", "clinician"):
        raise Forbidden("role_not_allowed")
    identity_service.unlock(session, staff_id=caller.actor_id, patient_id=patient_id)


@router.get("/{patient_id}", response_model=PatientPublic, status_code=status.HTTP_200_OK)
def get_patient(session: SessionDep, caller: StaffCaller, patient_id: int) -> PatientPublic:
    patient = service.get_patient(
        session=session,
        actor_type=caller.actor_type,
        actor_id=caller.actor_id,
        patient_id=patient_id,
    )
    return PatientPublic.model_validate(patient)


@router.get(
    "/{patient_id}/appointments", response_model=AppointmentsPublic, status_code=status.HTTP_200_OK
)
def list_appointments(
    session: SessionDep,
    caller: StaffOrService,
    patient_id: int,
    upcoming: Annotated[
        bool, Query(description="only booked or confirmed, not yet started")
    ] = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    as_kind: Annotated[
        Literal["patient", "carer"] | None, Query(description="action server: acting for whom")
    ] = None,
    as_id: Annotated[int | None, Query(ge=1)] = None,
    channel: Annotated[Literal["sms", "webchat"], Query()] = "sms",
) -> AppointmentsPublic:
    """Staff by role; the action server only for the patient or a consenting carer it names."""
    acting_for = acting_for_query(as_kind, as_id, channel)
    # Access first (refusals audited), so a refused caller cannot learn which ids exist.
    actor = authorise(
        session,
        Requester(caller.actor_type, caller.actor_id, caller.role, acting_for),
        patient_id=patient_id,
        scope=READ,
    )
    if session.get(Patient, patient_id) is None:
        raise NotFound("patient_not_found")
    appointments, count = service.list_appointments(
        session=session,
        actor_type=actor.actor_type,
        actor_id=actor.actor_id,
        patient_id=patient_id,
        upcoming=upcoming,
        limit=limit,
    )
    return AppointmentsPublic(
        data=[AppointmentPublic.model_validate(a) for a in appointments], count=count
    )
