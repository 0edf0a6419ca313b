from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from backend.app.schemas.appointments import ActingFor

InstrumentKind = Literal["PAM", "SURE"]


class AssessmentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    patient_id: int
    instrument: str
    instrument_id: str
    demonstration: bool
    status: str
    answers: dict[str, int | str | None]
    raw: int | None
    score: float | None
    level: int | None
    flagged: bool
    channel: str
    conducted_by_type: str
    started_at: datetime
    completed_at: datetime | None


class AssessmentsPublic(BaseModel):
    data: list[AssessmentPublic]
    count: int


class AssessmentStart(BaseModel):
    instrument: InstrumentKind
    acting_for: ActingFor | None = None


class AssessmentRequest(BaseModel):
    instrument: InstrumentKind = "PAM"


class AssessmentAnswer(BaseModel):
    item_id: str = Field(min_length=1, max_length=60)
    # 1-4 on the scale (SURE: 0 or 1), "not_applicable", or null to skip
    value: int | Literal["not_applicable"] | None
    acting_for: ActingFor | None = None


class AssessmentComplete(BaseModel):
    acting_for: ActingFor | None = None


class InstrumentItemPublic(BaseModel):
    id: str
    text: str
    why: str


class ScalePointPublic(BaseModel):
    value: int
    label: str


class InstrumentPublic(BaseModel):
    """What the action server needs to ask an instrument by text: its items, in order, the
    scale with the number each answer is sent as, and the words that mean each answer."""

    id: str
    name: str
    instrument: str
    demonstration: bool
    min_answered: int
    items: list[InstrumentItemPublic]
    scale: list[ScalePointPublic]
    not_applicable_reply: int | None
    synonyms: dict[str, int | str]
    conflict_at_or_below: int | None
    source: str
    review_by: str
