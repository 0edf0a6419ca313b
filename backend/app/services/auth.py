from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.app.core.security import verify_password
from backend.app.models import Staff


def authenticate(*, session: Session, email: str, password: str) -> Staff | None:
    staff = session.scalar(select(Staff).where(func.lower(Staff.email) == email.strip().lower()))
    if not verify_password(password, staff.hashed_password if staff else None):
        return None
    if staff is None or not staff.is_active:
        return None
    return staff
