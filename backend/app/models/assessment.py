from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.app.models.base import Base, UTCDateTime, utcnow


class Assessment(Base):
    """A questionnaire (the activation questionnaire, SURE) for one patient: answered item by
    item (by text, or entered by staff), resumable, scored by the instrument's own rules when
    complete (backend/app/services/instruments.py)."""

    __tablename__ = "assessments"
    __table_args__ = (
        CheckConstraint(
            "status IN ('requested', 'in_progress', 'completed', 'abandoned')",
            name="assessment_status_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    instrument: Mapped[str] = mapped_column(String(20))  # PAM | SURE
    instrument_id: Mapped[str] = mapped_column(String(60))  # which file: pam_demo, a licence...
    demonstration: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="in_progress", index=True)
    # item id -> 1..4, "not_applicable", or null (skipped)
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    raw: Mapped[int | None] = mapped_column(Integer)
    score: Mapped[float | None] = mapped_column(Float)
    level: Mapped[int | None] = mapped_column(Integer)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)  # SURE: decisional conflict
    channel: Mapped[str] = mapped_column(String(20))  # sms | webchat | console
    conducted_by_type: Mapped[str] = mapped_column(String(20))  # patient | carer | staff
    conducted_by_id: Mapped[str] = mapped_column(String(100))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class DecisionAidSession(Base):
    """A patient working through a decision aid (`data/decision_aids/`) before a shared
    decision-making conversation: the SURE test before and after, what matters most to them,
    the choice they lean towards, and the summary saved for the clinician. Resumable: `progress`
    says where they are (kept by the action server)."""

    __tablename__ = "decision_aid_sessions"
    __table_args__ = (
        CheckConstraint(
            "status IN ('requested', 'in_progress', 'completed', 'abandoned')",
            name="decision_aid_status_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    aid_id: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(20), default="in_progress", index=True)
    progress: Mapped[dict] = mapped_column(JSON, default=dict)
    # SURE item id -> 1 (yes) / 0 (no) / null (skipped); scored 0-4 on completion
    sure_before: Mapped[dict] = mapped_column(JSON, default=dict)
    sure_after: Mapped[dict] = mapped_column(JSON, default=dict)
    sure_before_score: Mapped[int | None] = mapped_column(Integer)
    sure_after_score: Mapped[int | None] = mapped_column(Integer)
    values: Mapped[list] = mapped_column(JSON, default=list)  # what matters most, their words
    leaning: Mapped[str | None] = mapped_column(String(60))  # an option id, or "unsure"
    summary: Mapped[str | None] = mapped_column(String(2000))
    conflict_flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    channel: Mapped[str] = mapped_column(String(20))
    conducted_by_type: Mapped[str] = mapped_column(String(20))
    conducted_by_id: Mapped[str] = mapped_column(String(100))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
