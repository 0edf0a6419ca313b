"""SQLAlchemy models. Import from here so Alembic sees every table."""

from backend.app.models.assessment import Assessment, DecisionAidSession
from backend.app.models.audit import AuditEvent
from backend.app.models.base import Base
from backend.app.models.care import (
    Appointment,
    CallbackTask,
    Carer,
    CarerConsent,
    Patient,
    Slot,
)
from backend.app.models.escalation import (
    Escalation,
    EscalationNote,
    OutboxMessage,
    RasaEventCursor,
)
from backend.app.models.staff import Staff, StaffRole

__all__ = [
    "Appointment",
    "Assessment",
    "DecisionAidSession",
    "AuditEvent",
    "CallbackTask",
    "Base",
    "Carer",
    "CarerConsent",
    "Escalation",
    "EscalationNote",
    "OutboxMessage",
    "Patient",
    "RasaEventCursor",
    "Slot",
    "Staff",
    "StaffRole",
]
