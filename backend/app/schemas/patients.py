from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from backend.app.core.validation import nhs_number_is_valid, normalise_phone


class PatientBase(BaseModel):
    nhs_number: str = Field(examples=["9434765919"])
    given_name: str = Field(min_length=1, max_length=100)
    family_name: str = Field(min_length=1, max_length=100)
    date_of_birth: date
    phone: str = Field(description="E.164, e.g. +447700900123")
    named_clinician_id: int | None = None
    care_coordinator_id: int | None = None
    risk_tier: int = Field(default=1, ge=0, le=3)
    sms_opt_out: bool = False

    @field_validator("nhs_number")
    @classmethod
    def _nhs_number(cls, value: str) -> str:
        value = value.replace(" ", "")
        if not nhs_number_is_valid(value):
            raise ValueError("NHS number fails the modulus 11 check")
        return value

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        return normalise_phone(value)


class PatientCreate(PatientBase):
    pass


class PatientPublic(PatientBase):
    model_config = ConfigDict(from_attributes=True)
    id: int


class PatientsPublic(BaseModel):
    data: list[PatientPublic]
    count: int


class PatientLookup(BaseModel):
    phone: str = Field(max_length=32)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        return normalise_phone(value)


class PatientIdentity(BaseModel):
    """What the assistant needs to address a patient: no more."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    given_name: str
    named_clinician_id: int | None
    care_coordinator_id: int | None
    sms_opt_out: bool
    # Whether the sender has confirmed the date of birth recently enough to be told details.
    identity_confirmed: bool = False
    identity_locked: bool = False


class IdentityCheck(BaseModel):
    phone: str = Field(max_length=32)
    date_of_birth: date

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        return normalise_phone(value)


class IdentityResult(BaseModel):
    result: Literal["confirmed", "mismatch", "locked", "unknown"]
    attempts_left: int


class AppointmentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    patient_id: int
    starts_at: datetime
    ends_at: datetime
    location: str
    with_whom: str
    appointment_type: str
    status: str


class AppointmentsPublic(BaseModel):
    data: list[AppointmentPublic]
    count: int


class SmsPreference(BaseModel):
    """A texter's choice about being sent SMS: a carrier keyword (STOP, START) or free text
    ("please stop texting me") seen by the assistant, or a change made by staff."""

    phone: str = Field(max_length=32)
    opted_out: bool
    source: Literal["keyword", "free_text", "staff"] = "free_text"

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        return normalise_phone(value)


class SmsPreferenceRecorded(BaseModel):
    recorded: bool
