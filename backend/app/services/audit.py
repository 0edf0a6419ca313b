from typing import Any

from sqlalchemy.orm import Session

from backend.app.models import AuditEvent


def record(
    *,
    session: Session,
    actor_type: str,
    actor_id: str,
    action: str,
    patient_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the caller's transaction: it commits with the access it records."""
    event = AuditEvent(
        actor_type=actor_type,
        actor_id=actor_id,
        action=action,
        patient_id=patient_id,
        detail=detail or {},
    )
    session.add(event)
    return event
