"""Carers by text: who a carer's phone belongs to, and the check before anything about a patient is
disclosed to it.

A registered carer phone is not enough on its own, as for patients (services/identity.py): the
carer names the person they are helping by that person's date of birth. One answer both chooses
among the patients they care for (nobody's name is sent before it) and shows they know the
person. It must match a patient whose consent for this carer is current and covers appointments.
Success is recorded on that consent and lasts `IDENTITY_RECONFIRM_DAYS`; `IDENTITY_MAX_ATTEMPTS`
wrong answers in a row lock the carer's phone out of every patient, with a call-back task for each
patient's care coordinator, until staff unlock it. Every attempt is audited, never the date given.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from backend.app.core.config import get_settings
from backend.app.errors import NotFound
from backend.app.models import CallbackTask, Carer, CarerConsent, Patient
from backend.app.models.base import utcnow
from backend.app.services import audit

CARER_SCOPE = "appointments.read"  # what naming a patient by text is for
FAILURE_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class CarerIdentity:
    id: int
    given_name: str
    caring_for: int  # how many patients, by current consent: never who
    identity_locked: bool


@dataclass(frozen=True)
class CarerCheck:
    result: str  # confirmed | mismatch | locked | unknown | no_consent | ambiguous
    attempts_left: int
    patient_id: int | None = None
    patient_given_name: str | None = None


def phone_locked_as_patient(session: Session, phone: str) -> bool:
    return (
        session.scalar(
            select(Patient.id).where(
                Patient.phone == phone, Patient.identity_locked_at.is_not(None)
            )
        )
        is not None
    )


def phone_locked_as_carer(session: Session, phone: str) -> bool:
    return (
        session.scalar(
            select(Carer.id).where(Carer.phone == phone, Carer.identity_locked_at.is_not(None))
        )
        is not None
    )


def _lock_task_source(carer_id: int) -> str:
    return f"carer-identity-check:{carer_id}"


def current_consents(
    session: Session, carer_id: int, now: datetime | None = None, scope: str | None = CARER_SCOPE
) -> list[CarerConsent]:
    """The carer's unrevoked, unexpired consents; with `scope`, only those that cover it."""
    now = now or utcnow()
    consents = session.scalars(
        select(CarerConsent).where(
            CarerConsent.carer_id == carer_id,
            CarerConsent.revoked_at.is_(None),
            or_(CarerConsent.expires_at.is_(None), CarerConsent.expires_at > now),
        )
    ).all()
    return [c for c in consents if scope is None or scope in (c.scopes or [])]


def consent_confirmed(carer: Carer, consent: CarerConsent, now: datetime | None = None) -> bool:
    """Whether this carer has passed the check for this patient recently and is not locked."""
    if carer.identity_locked_at is not None or consent.identity_confirmed_at is None:
        return False
    days = get_settings().identity_reconfirm_days
    return (now or utcnow()) - consent.identity_confirmed_at < timedelta(days=days)


def find_by_phone(session: Session, *, actor_id: str, phone: str) -> CarerIdentity:
    """The carer registered with this phone. A miss is audited too (no number stored)."""
    carer = session.scalar(select(Carer).where(Carer.phone == phone))
    caring_for = len(current_consents(session, carer.id)) if carer else 0
    audit.record(
        session=session,
        actor_type="service",
        actor_id=actor_id,
        action="carer.lookup_by_phone",
        detail={"found": carer is not None, "carer_id": carer.id if carer else None},
    )
    session.commit()
    if carer is None:
        raise NotFound("carer_not_found")
    return CarerIdentity(
        id=carer.id,
        given_name=carer.given_name,
        caring_for=caring_for,
        identity_locked=carer.identity_locked_at is not None
        or phone_locked_as_patient(session, phone),
    )


def confirm(session: Session, *, actor_id: str, phone: str, date_of_birth: date) -> CarerCheck:
    """Which consenting patient has this date of birth, if any; counts and locks failures."""
    settings = get_settings()
    now = utcnow()
    carer = session.scalar(select(Carer).where(Carer.phone == phone).with_for_update())
    if carer is None:
        audit.record(
            session=session,
            actor_type="service",
            actor_id=actor_id,
            action="carer.identity_confirm",
            detail={"result": "unknown"},
        )
        session.commit()
        return CarerCheck("unknown", 0)
    consents = current_consents(session, carer.id, now)
    patients = {
        p.id: p
        for p in session.scalars(
            select(Patient).where(Patient.id.in_([c.patient_id for c in consents]))
        )
    }
    matching = [c for c in consents if patients[c.patient_id].date_of_birth == date_of_birth]
    patient: Patient | None = None
    if carer.identity_locked_at is not None or phone_locked_as_patient(session, phone):
        result = "locked"  # one phone, one lock: a patient's lock holds for their carer role
    elif not consents:
        # Nothing to choose from: not an attempt, and nothing is said about anyone.
        result = "no_consent"
    elif len(matching) == 1:
        consent = matching[0]
        consent.identity_confirmed_at = now
        patient = patients[consent.patient_id]
        result = "confirmed"
    elif len(matching) > 1:
        # Two people they help share a birthday (twins): not a wrong answer; a person sorts it
        # out by phone.
        result = "ambiguous"
    else:
        last = carer.identity_last_failed_at
        if last is None or now - last > FAILURE_WINDOW:
            carer.identity_failures = 0
        carer.identity_failures = (carer.identity_failures or 0) + 1
        carer.identity_last_failed_at = now
        result = "mismatch"
        if carer.identity_failures >= settings.identity_max_attempts:
            carer.identity_locked_at = now
            result = "locked"
            for consent in consents:
                consent.identity_confirmed_at = None  # after an unlock, checked afresh
                session.add(
                    CallbackTask(
                        patient_id=consent.patient_id,
                        reason="identity_locked",
                        note=(
                            f"Carer {carer.given_name} {carer.family_name} failed the "
                            "date-of-birth check by text; check who they are by phone."
                        ),
                        requested_by_type="system",
                        requested_by_id=_lock_task_source(carer.id),
                        channel="sms",
                        assigned_to_id=patients[consent.patient_id].care_coordinator_id,
                        status="open",
                    )
                )
    audit.record(
        session=session,
        actor_type="carer",
        actor_id=str(carer.id),
        action="carer.identity_confirm",
        patient_id=patient.id if patient else None,
        detail={"result": result, "failures": carer.identity_failures},
    )
    session.commit()
    left = max(settings.identity_max_attempts - (carer.identity_failures or 0), 0)
    return CarerCheck(
        result,
        0 if result == "locked" else left,
        patient.id if patient else None,
        patient.given_name if patient else None,
    )


def unlock(session: Session, *, staff_id: str, carer_id: int) -> Carer:
    """Staff, having checked who the carer is another way, lift the lock. The next text still
    asks for the date of birth; open call-back tasks for the lock are marked done."""
    carer = session.get(Carer, carer_id)
    if carer is None:
        raise NotFound("carer_not_found")
    carer.identity_locked_at = None
    carer.identity_failures = 0
    carer.identity_last_failed_at = None
    for task in session.scalars(
        select(CallbackTask).where(
            CallbackTask.reason == "identity_locked",
            CallbackTask.requested_by_id == _lock_task_source(carer_id),
            CallbackTask.status == "open",
        )
    ):
        task.status = "done"
        task.done_at = utcnow()
    audit.record(
        session=session, actor_type="staff", actor_id=staff_id, action="carer.identity_unlock",
        detail={"carer_id": carer_id},
    )  # fmt: skip
    session.commit()
    return carer
