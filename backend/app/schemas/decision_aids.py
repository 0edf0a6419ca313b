from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from backend.app.schemas.appointments import ActingFor

AidId = Field(min_length=1, max_length=60, pattern=r"^[a-z0-9_]+$")


class DecisionAidListed(BaseModel):
    id: str
    title: str
    decision: str


class DecisionAidsPublic(BaseModel):
    data: list[DecisionAidListed]
    count: int


class DecisionAidPublic(BaseModel):
    """The whole aid, for the action server to send a step at a time."""

    id: str
    title: str
    condition: str
    decision: str
    status: str
    denominator: int
    options: list[dict[str, Any]]
    values_question: str
    values_options: list[str]
    ask_3_questions: list[str]
    review_by: str


class DecisionAidSessionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    patient_id: int
    aid_id: str
    status: str
    progress: dict[str, Any]
    sure_before: dict[str, int | None]
    sure_after: dict[str, int | None]
    sure_before_score: int | None
    sure_after_score: int | None
    values: list[str]
    leaning: str | None
    summary: str | None
    conflict_flagged: bool
    channel: str
    conducted_by_type: str
    started_at: datetime
    completed_at: datetime | None


class DecisionAidSessionsPublic(BaseModel):
    data: list[DecisionAidSessionPublic]
    count: int


class DecisionAidSessionStart(BaseModel):
    aid_id: str | None = Field(default=None, min_length=1, max_length=60)
    acting_for: ActingFor | None = None


class DecisionAidSessionProgress(BaseModel):
    """Only the fields sent change."""

    progress: dict[str, Any] | None = None
    sure_before: dict[str, int | None] | None = None
    sure_after: dict[str, int | None] | None = None
    values: list[str] | None = Field(default=None, max_length=5)
    leaning: str | None = Field(default=None, max_length=60)
    acting_for: ActingFor | None = None


class DecisionAidSessionComplete(BaseModel):
    acting_for: ActingFor | None = None


class DecisionAidRequest(BaseModel):
    aid_id: str = Field(min_length=1, max_length=60)
