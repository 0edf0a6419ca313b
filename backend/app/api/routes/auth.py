from typing import Annotated

from fastapi import APIRouter, Depends, status
from fastapi.security import OAuth2PasswordRequestForm

from backend.app.api.deps import SessionDep, StaffCaller
from backend.app.core.security import create_access_token
from backend.app.errors import NotAuthenticated
from backend.app.schemas.auth import StaffPublic, Token
from backend.app.services import audit
from backend.app.services.auth import authenticate

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/token", response_model=Token, status_code=status.HTTP_200_OK)
def login(session: SessionDep, form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> Token:
    """OAuth2 password flow: the username is the staff e-mail address."""
    staff = authenticate(session=session, email=form.username, password=form.password)
    if staff is None:
        raise NotAuthenticated("incorrect_email_or_password")
    audit.record(session=session, actor_type="staff", actor_id=str(staff.id), action="staff.login")
    session.commit()
    return Token(access_token=create_access_token(str(staff.id), staff.role))


@router.get("/me", response_model=StaffPublic, status_code=status.HTTP_200_OK)
def me(caller: StaffCaller) -> StaffPublic:
    return StaffPublic.model_validate(caller.staff)
