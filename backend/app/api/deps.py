"""Dependencies: database session, and who is calling (staff by JWT, the action server by its
service token). Access checks live here, not in routes."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Literal

import jwt
from fastapi import Depends, Query
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from backend.app.core.db import get_db
from backend.app.core.security import decode_access_token, service_token_is_valid
from backend.app.errors import Forbidden, NotAuthenticated
from backend.app.models import Staff
from backend.app.schemas.appointments import ActingFor
from backend.app.services.access import Requester

SessionDep = Annotated[Session, Depends(get_db)]

_bearer = HTTPBearer(auto_error=False, description="Staff JWT or the action server's token")


@dataclass(frozen=True)
class Caller:
    """Whoever makes a request: a member of staff or the assistant's action server."""

    actor_type: str  # "staff" | "service"
    actor_id: str
    staff: Staff | None = None

    @property
    def role(self) -> str:
        return self.staff.role if self.staff else "service"


def _staff_from_token(session: Session, token: str) -> Staff:
    try:
        claims = decode_access_token(token)
    except jwt.InvalidTokenError as exc:
        raise NotAuthenticated("invalid_token") from exc
    staff = session.get(Staff, int(str(claims["sub"])))
    if staff is None or not staff.is_active:
        raise NotAuthenticated("invalid_token")
    return staff


def get_caller(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise NotAuthenticated()
    token = credentials.credentials
    if service_token_is_valid(token):
        return Caller(actor_type="service", actor_id="action-server")
    staff = _staff_from_token(session, token)
    return Caller(actor_type="staff", actor_id=str(staff.id), staff=staff)


CallerDep = Annotated[Caller, Depends(get_caller)]


def require(*roles: str) -> Callable[[Caller], Caller]:
    """Allow only these roles; "service" stands for the action server."""

    def _check(caller: CallerDep) -> Caller:
        if caller.role not in roles:
            raise Forbidden("role_not_allowed")
        return caller

    return _check


STAFF_ROLES = ("coordinator", "clinician", "admin")
StaffCaller = Annotated[Caller, Depends(require(*STAFF_ROLES))]
ServiceCaller = Annotated[Caller, Depends(require("service"))]
StaffOrService = Annotated[Caller, Depends(require(*STAFF_ROLES, "service"))]


# The action server says whom it acts for: in the body of a change (`acting_for`), or on a read
# as query parameters. Both become the Requester that services/access.py checks.
ActingKind = Annotated[
    Literal["patient", "carer"] | None, Query(description="action server: acting for whom")
]
ActingId = Annotated[int | None, Query(ge=1, description="action server: their id")]
ActingChannel = Annotated[Literal["sms", "webchat"], Query()]


def acting_for_query(
    kind: Literal["patient", "carer"] | None, who: int | None, channel: Literal["sms", "webchat"]
) -> ActingFor | None:
    return ActingFor(kind=kind, id=who, channel=channel) if kind and who else None


def requester(caller: Caller, acting_for: ActingFor | None) -> Requester:
    return Requester(caller.actor_type, caller.actor_id, caller.role, acting_for)
