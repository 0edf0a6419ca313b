"""Carers texting the assistant (action server) and unlocking their check (staff)."""

from fastapi import APIRouter, status

from backend.app.api.deps import ServiceCaller, SessionDep, StaffCaller
from backend.app.errors import Forbidden
from backend.app.schemas.carers import CarerCheckResult, CarerIdentityPublic
from backend.app.schemas.patients import IdentityCheck, PatientLookup
from backend.app.services import carers as service

router = APIRouter(prefix="/carers", tags=["carers"])


@router.post("/lookup", response_model=CarerIdentityPublic)
def lookup_by_phone(
    session: SessionDep, caller: ServiceCaller, body: PatientLookup
) -> CarerIdentityPublic:
    """The carer registered with this phone, and how many people they may act for (never who).
    POST, so the number never appears in a URL or an access log."""
    found = service.find_by_phone(session, actor_id=caller.actor_id, phone=body.phone)
    return CarerIdentityPublic(**found.__dict__)


@router.post("/confirm-identity", response_model=CarerCheckResult)
def confirm_identity(
    session: SessionDep, caller: ServiceCaller, body: IdentityCheck
) -> CarerCheckResult:
    """A carer names the person they are helping by that person's date of birth (action server).
    The date is never stored or echoed."""
    check = service.confirm(
        session, actor_id=caller.actor_id, phone=body.phone, date_of_birth=body.date_of_birth
    )
    return CarerCheckResult(**check.__dict__)


@router.post("/{carer_id}/identity/unlock", status_code=status.HTTP_204_NO_CONTENT)
def unlock_identity(session: SessionDep, caller: StaffCaller, carer_id: int) -> None:
    """Lift a carer's locked check (coordinator or clinician, after checking by phone)."""
    if caller.role not in ("coordinator", "clinician"):
        raise Forbidden("role_not_allowed")
    service.unlock(session, staff_id=caller.actor_id, carer_id=carer_id)
