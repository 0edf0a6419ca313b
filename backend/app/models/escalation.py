from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.app.models.base import Base, UTCDateTime, utcnow

ESCALATION_STATUSES = ("open", "acknowledged", "resolved")
ESCALATION_SEVERITIES = ("emergency", "urgent", "routine")


class Escalation(Base):
    """A safety concern raised by the assistant. Opened by the action server only; moved on
    (acknowledged, resolved) by staff only. Never deleted."""

    __tablename__ = "escalations"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'acknowledged', 'resolved')", name="status_known"),
        CheckConstraint("severity IN ('emergency', 'urgent', 'routine')", name="severity_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Short, unambiguous, safe to put in an SMS: says nothing about the patient.
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    # The inbound message that raised it (Twilio MessageSid, or Rasa's message id): the same
    # message processed twice yields one escalation.
    source_message_id: Mapped[str] = mapped_column(String(100), unique=True)
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"), index=True)
    sender_phone: Mapped[str | None] = mapped_column(String(20))
    sender_role: Mapped[str] = mapped_column(String(20))  # patient | carer | unknown
    conversation_id: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(20), index=True)
    concerns: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    message: Mapped[str] = mapped_column(Text)
    transcript: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    assignment_reason: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    resolution: Mapped[str | None] = mapped_column(Text)

    notes: Mapped[list["EscalationNote"]] = relationship(
        back_populates="escalation", order_by="EscalationNote.id"
    )


class EscalationNote(Base):
    __tablename__ = "escalation_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    escalation_id: Mapped[int] = mapped_column(ForeignKey("escalations.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    escalation: Mapped[Escalation] = relationship(back_populates="notes")


class OutboxMessage(Base):
    """An SMS to send (a clinician alert): written in the same transaction as what caused it,
    sent by the notifier, retried with backoff until sent or visibly failed."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))  # e.g. escalation_alert
    to_phone: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(String(480))
    escalation_id: Mapped[int | None] = mapped_column(ForeignKey("escalations.id"), index=True)
    # For a reminder: checked again when it is sent (still booked, not moved).
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointments.id", ondelete="SET NULL")
    )
    # pending -> sending (claimed by one notifier) -> sent | pending (retry) | failed
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    last_error: Mapped[str | None] = mapped_column(String(500))
    provider_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RasaEventCursor(Base):
    """How far the safety reconciler has read Rasa's event broker table."""

    __tablename__ = "rasa_event_cursor"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_event_id: Mapped[int] = mapped_column(Integer, default=0)
