from typing import Annotated

from fastapi import APIRouter, Query, status

from backend.app.api.deps import ServiceCaller, SessionDep, StaffCaller, StaffOrService
from backend.app.schemas.patients import (
    AppointmentPublic,
    AppointmentsPublic,
    PatientIdentity,
    PatientLookup,
    PatientPublic,
    PatientsPublic,
)
from backend.app.services import patients as service

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
    return PatientIdentity.model_validate(patient)


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
) -> AppointmentsPublic:
    appointments, count = service.list_appointments(
        session=session,
        actor_type=caller.actor_type,
        actor_id=caller.actor_id,
        patient_id=patient_id,
        upcoming=upcoming,
        limit=limit,
    )
    return AppointmentsPublic(
        data=[AppointmentPublic.model_validate(a) for a in appointments], count=count
    )
