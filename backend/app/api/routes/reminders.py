"""What a bare "1" or "2" by text answers: the latest reminder sent to that phone (action
server only)."""

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from backend.app.api.deps import ServiceCaller, SessionDep
from backend.app.core.config import get_settings
from backend.app.errors import NotFound
from backend.app.schemas.patients import PatientLookup
from backend.app.services import reminders as service

router = APIRouter(prefix="/reminders", tags=["reminders"])


class RecentReminder(BaseModel):
    appointment_id: int
    patient_id: int
    starts_at: datetime


@router.post("/latest", response_model=RecentReminder)
def latest_reminder(
    session: SessionDep, caller: ServiceCaller, body: PatientLookup
) -> RecentReminder:
    """The appointment of the latest reminder sent to this phone within `REMINDER_REPLY_HOURS`,
    still booked and ahead; 404 when there is none. POST, so the number stays out of URLs."""
    appointment = service.latest_sent(
        session, actor_id=caller.actor_id, phone=body.phone, settings=get_settings()
    )
    if appointment is None:
        raise NotFound("no_recent_reminder")
    return RecentReminder(
        appointment_id=appointment.id,
        patient_id=appointment.patient_id,
        starts_at=appointment.starts_at,
    )
