from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.app.models.base import Base, UTCDateTime, utcnow
from backend.app.models.staff import Staff

APPOINTMENT_STATUSES = ("booked", "confirmed", "cancelled", "completed", "did_not_attend")


class Patient(Base):
    __tablename__ = "patients"
    __table_args__ = (CheckConstraint("risk_tier BETWEEN 0 AND 3", name="risk_tier_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    nhs_number: Mapped[str] = mapped_column(String(10), unique=True)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[date] = mapped_column(Date)
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    named_clinician_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    care_coordinator_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    risk_tier: Mapped[int] = mapped_column(Integer, default=1)
    sms_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    named_clinician: Mapped[Staff | None] = relationship(foreign_keys=[named_clinician_id])
    care_coordinator: Mapped[Staff | None] = relationship(foreign_keys=[care_coordinator_id])


class Appointment(Base):
    __tablename__ = "appointments"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint(
            "status IN ('booked', 'confirmed', 'cancelled', 'completed', 'did_not_attend')",
            name="status_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    location: Mapped[str] = mapped_column(String(200))
    with_whom: Mapped[str] = mapped_column(String(200))
    clinician_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    appointment_type: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(20), default="booked")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Carer(Base):
    __tablename__ = "carers"

    id: Mapped[int] = mapped_column(primary_key=True)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CarerConsent(Base):
    """What a patient has agreed a carer may see or do for them. Revoked, not deleted."""

    __tablename__ = "carer_consents"
    __table_args__ = (UniqueConstraint("carer_id", "patient_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    carer_id: Mapped[int] = mapped_column(ForeignKey("carers.id", ondelete="CASCADE"), index=True)
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    relationship_to_patient: Mapped[str] = mapped_column(String(60))
    # e.g. ["appointments.read", "appointments.change", "assessments.answer"]
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
