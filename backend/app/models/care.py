from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
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
    # Date-of-birth check by text (services/identity.py): when it last succeeded, failures in a
    # row, and when it locked (then only staff can help).
    identity_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    identity_failures: Mapped[int] = mapped_column(Integer, default=0)
    identity_locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
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
    # Details a patient asks about: where exactly, what to bring, how to get there.
    address: Mapped[str | None] = mapped_column(String(300))
    what_to_bring: Mapped[str | None] = mapped_column(Text)
    directions: Mapped[str | None] = mapped_column(Text)
    # Appointments that need arranging by a person cannot be changed by text.
    needs_transport: Mapped[bool] = mapped_column(Boolean, default=False)
    needs_interpreter: Mapped[bool] = mapped_column(Boolean, default=False)
    cancel_reason: Mapped[str | None] = mapped_column(String(300))
    # When the reminder SMS was queued (backend/app/services/reminders.py): at most one each.
    reminder_queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Slot(Base):
    """A bookable time with a clinician. Held by at most one appointment: booking is one
    conditional UPDATE (`appointment_id IS NULL`), so two people can never get the same slot."""

    __tablename__ = "slots"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    clinician_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    with_whom: Mapped[str] = mapped_column(String(200))
    location: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(300))
    appointment_type: Mapped[str] = mapped_column(String(80), index=True)
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointments.id", ondelete="SET NULL"), unique=True
    )


CALLBACK_STATUSES = ("open", "done")


class CallbackTask(Base):
    """A call back the coordinator owes a patient or carer (a change that cannot be made by
    text, a locked identity check, a request for a person)."""

    __tablename__ = "callback_tasks"
    __table_args__ = (CheckConstraint("status IN ('open', 'done')", name="status_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointments.id", ondelete="SET NULL")
    )
    reason: Mapped[str] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(String(500))
    requested_by_type: Mapped[str] = mapped_column(String(20))  # patient | carer | staff
    requested_by_id: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(20))
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Carer(Base):
    __tablename__ = "carers"

    id: Mapped[int] = mapped_column(primary_key=True)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The carer's date-of-birth check by text (services/identity.py): wrong answers in a row and
    # the lock; a success is recorded on the consent for the patient they named.
    identity_failures: Mapped[int] = mapped_column(Integer, default=0)
    # Failures count within a day of each other, and a success does not wipe them: knowing one
    # person's birthday must not buy unlimited guesses at another's.
    identity_last_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    identity_locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


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
    # Consent lapses: a carer acts only while it is unexpired and not revoked.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When this carer last passed the check for this patient (the patient's date of birth).
    identity_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
