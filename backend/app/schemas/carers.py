from typing import Literal

from pydantic import BaseModel


class CarerIdentityPublic(BaseModel):
    """What the assistant needs to address a carer: no patient is named."""

    id: int
    given_name: str
    caring_for: int
    identity_locked: bool


class CarerCheckResult(BaseModel):
    result: Literal["confirmed", "mismatch", "locked", "unknown", "no_consent", "ambiguous"]
    attempts_left: int
    # Only once confirmed: the patient the carer named, to address them by first name.
    patient_id: int | None = None
    patient_given_name: str | None = None
