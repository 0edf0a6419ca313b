"""Appointment changes, slots and call-back tasks. The action server acts for someone: every
change it asks for names who (`ActingFor`), and the backend checks that person may do it."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Channel = Literal["sms", "webchat"]


class ActingFor(BaseModel):
    """Who the assistant is acting for: the patient themselves, or a carer (checked against the
    consent the patient gave)."""

    kind: Literal["patient", "carer"]
    id: int = Field(ge=1)
    channel: Channel = "sms"


class AppointmentDetail(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    patient_id: int
    starts_at: datetime
    ends_at: datetime
    location: str
    address: str | None
    with_whom: str
    appointment_type: str
    status: str
    what_to_bring: str | None
    directions: str | None
    needs_transport: bool
    needs_interpreter: bool
    cancel_reason: str | None
    # Why this appointment cannot be changed by text right now, or None when it can.
    change_blocked: str | None = None


class SlotPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    starts_at: datetime
    ends_at: datetime
    with_whom: str
    location: str
    address: str | None
    appointment_type: str


class SlotsPublic(BaseModel):
    data: list[SlotPublic]
    count: int


class RescheduleRequest(BaseModel):
    slot_id: int = Field(ge=1)
    acting_for: ActingFor | None = None


class CancelRequest(BaseModel):
    reason: str | None = Field(default=None, max_length=300)
    acting_for: ActingFor | None = None


class ConfirmRequest(BaseModel):
    acting_for: ActingFor | None = None


CallbackReason = Literal[
    "change_within_window",
    "change_needs_transport",
    "change_needs_interpreter",
    "identity_locked",
    "requested",
]


class CallbackCreate(BaseModel):
    patient_id: int = Field(ge=1)
    appointment_id: int | None = Field(default=None, ge=1)
    reason: CallbackReason
    note: str | None = Field(default=None, max_length=500)
    acting_for: ActingFor | None = None


class CallbackPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    patient_id: int
    appointment_id: int | None
    reason: str
    note: str | None
    requested_by_type: str
    requested_by_id: str
    channel: str
    assigned_to_id: int | None
    status: str
    created_at: datetime


class CallbacksPublic(BaseModel):
    data: list[CallbackPublic]
    count: int
