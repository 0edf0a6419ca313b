from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from backend.app.core.validation import normalise_phone

Severity = Literal["emergency", "urgent", "routine"]
Category = Literal[
    "suicide_self_harm",
    "chest_pain",
    "stroke",
    "breathing",
    "collapse",
    "fall",
    "bleeding",
    "seizure",
    "allergic_reaction",
    "overdose_medication",
    "safeguarding",
    "carer_crisis",
    "confusion",
    "mental_distress",
]


class Concern(BaseModel):
    category: Category
    severity: Literal["emergency", "urgent", "routine", "none"]
    text: str = Field(max_length=500)
    experiencer: Literal["patient", "other"] = "patient"
    negated: bool = False
    source: Literal["lexicon", "model"] = "lexicon"


class TranscriptLine(BaseModel):
    speaker: Literal["user", "bot", "staff"]
    text: str = Field(max_length=2000)
    at: datetime | None = None


class EscalationCreate(BaseModel):
    """What the action server sends when the safety detector flags a message."""

    source_message_id: str = Field(min_length=1, max_length=100)
    conversation_id: str = Field(min_length=1, max_length=100)
    channel: Literal["sms", "webchat", "rest"]
    patient_id: int | None = None
    sender_phone: str | None = Field(default=None, max_length=32)
    sender_role: Literal["patient", "carer", "unknown"] | None = None
    severity: Severity
    category: Category
    concerns: list[Concern] = Field(default_factory=list, max_length=20)
    message: str = Field(max_length=2000)
    transcript: list[TranscriptLine] = Field(default_factory=list, max_length=30)
    received_at: datetime | None = None

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
