"""What a bare "1" or "2" by text answers: the latest reminder sent to that phone (action
server only)."""

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from backend.app.api.deps import ServiceCaller, SessionDep
from backend.app.core.config import get_settings
from backend.app.errors import Conflict, NotFound
from backend.app.schemas.patients import PatientLookup
from backend.app.services import reminders as service

router = APIRouter(prefix="/reminders", tags=["reminders"])


class RecentReminder(BaseModel):
    appointment_id: int
    patient_id: int
    starts_at: datetime
    sent_at: datetime  # anything the assistant said after this is newer than the reminder


@router.post("/latest", response_model=RecentReminder)
def latest_reminder(
    session: SessionDep, caller: ServiceCaller, body: PatientLookup
) -> RecentReminder:
    """The appointment reminded to this phone within `REMINDER_REPLY_HOURS`, still booked and
    ahead (of several, the one not yet confirmed); 404 when there is none, 409
    `several_recent_reminders` when a number could mean more than one. POST, so the number
    stays out of URLs."""
    found, sent_at = service.latest_sent(
        session, actor_id=caller.actor_id, phone=body.phone, settings=get_settings()
    )
    if not found or sent_at is None:
        raise NotFound("no_recent_reminder")
    if len(found) > 1:
        # Only one still waiting for a reply ("Reply 1 to confirm"; the others already
        # confirmed): that is the one a bare number answers.
        waiting = [a for a in found if a.status == "booked"]
        if len(waiting) != 1:
            raise Conflict("several_recent_reminders")
        found = waiting
    return RecentReminder(
        appointment_id=found[0].id,
        patient_id=found[0].patient_id,
        starts_at=found[0].starts_at,
        sent_at=sent_at,
    )
