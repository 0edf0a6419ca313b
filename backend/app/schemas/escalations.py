from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from backend.app.core.validation import normalise_phone

Severity = Literal["emergency", "urgent", "routine"]


class Concern(BaseModel):
    """As the detector reported it. A safety concern is never refused for its shape: a category
    the backend does not know yet is kept as given, an over-long quote is shortened."""

    category: str = Field(max_length=40)
    severity: Literal["emergency", "urgent", "routine", "none"]
    text: str
    experiencer: Literal["patient", "other"] = "patient"
    negated: bool = False
    source: Literal["lexicon", "model"] = "lexicon"

    @field_validator("text")
    @classmethod
    def _shorten(cls, value: str) -> str:
        return value[:500]


class TranscriptLine(BaseModel):
    speaker: Literal["user", "bot", "staff"]
    text: str
    at: datetime | None = None

    @field_validator("text")
    @classmethod
    def _shorten(cls, value: str) -> str:
        return value[:2000]


class EscalationCreate(BaseModel):
    """What the action server (or the safety reconciler) sends when the detector flags a message.
    Only what cannot be stored is refused; anything too long is shortened."""

    source_message_id: str = Field(min_length=1, max_length=100)
    conversation_id: str = Field(min_length=1, max_length=100)
    channel: Literal["sms", "webchat", "rest"]
    patient_id: int | None = None
    sender_phone: str | None = Field(default=None, max_length=32)
    sender_role: Literal["patient", "carer", "unknown"] | None = None
    severity: Severity
    category: str = Field(max_length=40)
    concerns: list[Concern] = Field(default_factory=list)
    message: str
    transcript: list[TranscriptLine] = Field(default_factory=list)
    received_at: datetime | None = None

    @field_validator("message")
    @classmethod
    def _shorten_message(cls, value: str) -> str:
        return value[:2000]

    @field_validator("concerns")
    @classmethod
    def _first_concerns(cls, value: list[Concern]) -> list[Concern]:
        return value[:20]

    @field_validator("transcript")
    @classmethod
    def _last_lines(cls, value: list[TranscriptLine]) -> list[TranscriptLine]:
        return value[-30:]

    @field_validator("received_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        # A time without a zone is taken as UTC rather than refused.
        return value.replace(tzinfo=UTC) if value and value.tzinfo is None else value

    @field_validator("sender_phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        # A safety concern is never refused for an odd sender id: keep it unmatched instead.
        try:
            return normalise_phone(value) if value else None
        except ValueError:
            return None


class NotePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    author_id: int
    text: str
    created_at: datetime


class EscalationSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    reference: str
    patient_id: int | None
    sender_role: str
    channel: str
    severity: str
    category: str
    status: str
    assigned_to_id: int | None
    assignment_reason: str
    created_at: datetime
    received_at: datetime


class EscalationPublic(EscalationSummary):
    sender_phone: str | None
    conversation_id: str
    concerns: list[dict[str, object]]
    message: str
    transcript: list[dict[str, object]]
    acknowledged_at: datetime | None
    acknowledged_by_id: int | None
    resolved_at: datetime | None
    resolved_by_id: int | None
    resolution: str | None
    notes: list[NotePublic] = []
    alerts: list["AlertPublic"] = []


class AlertPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    to_phone: str
    status: str
    attempts: int
    last_error: str | None
    sent_at: datetime | None


class EscalationsPublic(BaseModel):
    data: list[EscalationSummary]
    count: int


class EscalationAssign(BaseModel):
    staff_id: int


class EscalationResolve(BaseModel):
    resolution: str = Field(min_length=3, max_length=2000)


class NoteCreate(BaseModel):
    text: str = Field(min_length=1, max_length=4000)
