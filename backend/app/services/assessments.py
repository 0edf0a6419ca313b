"""Questionnaires for a patient, answered item by item and resumable (hours or days later, where
they left off), scored by the instrument's own rules when complete. Access as for appointments
(services/access.py): staff by role; the action server for the patient (after the date-of-birth
check) or a carer whose consent covers `assessments.answer`. Every read and change is audited.
A coordinator can request one, which texts the patient an invitation through the outbox (never
to a patient who opted out of texts)."""

from functools import lru_cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.app.core.config import REPO_ROOT, get_settings
from backend.app.errors import Conflict, InvalidInput, NotFound
from backend.app.models import Assessment, Patient
from backend.app.models.base import utcnow
from backend.app.services import audit
from backend.app.services.access import ANSWER, Requester, authorise
from backend.app.services.instruments import (
    NOT_APPLICABLE,
    Instrument,
    NotEnoughAnswers,
    cutpoints,
    load,
    score,
)
from backend.app.services.outbox import enqueue_sms

INVITATION = (
    "Your care team would like you to answer a few short questions about managing your health, "
    "one text at a time. Reply 'ready' when you have a few minutes."
)


@lru_cache
def _load(path: str) -> Instrument:
    return load(Path(path))


def instrument(kind: str) -> Instrument:
    """The configured file for an instrument kind: PAM (PAM_INSTRUMENT_PATH) or SURE."""
    if kind == "PAM":
        return _load(str(get_settings().pam_instrument_path))
    if kind == "SURE":
        return _load(str(REPO_ROOT / "data" / "instruments" / "sure.yml"))
    raise InvalidInput("unknown_instrument")


def _get(session: Session, assessment_id: int) -> Assessment:
    assessment = session.get(Assessment, assessment_id)
    if assessment is None:
        raise NotFound("assessment_not_found")
    return assessment


def list_for_patient(session: Session, requester: Requester, patient_id: int) -> list[Assessment]:
    # Access first (refusals audited), so a refused caller cannot learn which ids exist. The
    # questionnaire scope, not the appointments one: scores are for clinical staff, the patient
    # and a carer the patient agreed may answer them (not, say, a practice manager).
    actor = authorise(session, requester, patient_id=patient_id, scope=ANSWER)
    if session.get(Patient, patient_id) is None:
        raise NotFound("patient_not_found")
    rows = list(
        session.scalars(
            select(Assessment)
            .where(Assessment.patient_id == patient_id)
            .order_by(Assessment.started_at.desc(), Assessment.id.desc())
        )
    )
    audit.record(
        session=session, actor_type=actor.actor_type, actor_id=actor.actor_id,
        action="assessment.list", patient_id=patient_id, detail={"count": len(rows)},
    )  # fmt: skip
    session.commit()
    return rows


def start_or_resume(
    session: Session, requester: Requester, patient_id: int, kind: str
) -> Assessment:
    """The patient's unfinished one of this kind (where they left off), or a new one."""
    actor = authorise(session, requester, patient_id=patient_id, scope=ANSWER)
    if session.get(Patient, patient_id) is None:
        raise NotFound("patient_not_found")
    form = instrument(kind)
    current = session.scalar(
        select(Assessment)
        .where(
            Assessment.patient_id == patient_id,
            Assessment.instrument == kind,
            Assessment.status.in_(("requested", "in_progress")),
        )
        .order_by(Assessment.id.desc())
    )
    if current is None:
        current = Assessment(
            patient_id=patient_id,
            instrument=kind,
            instrument_id=form.id,
            demonstration=form.demonstration,
            answers={},
            channel=actor.channel,
            conducted_by_type=actor.actor_type,
            conducted_by_id=actor.actor_id,
        )
        session.add(current)
        session.flush()
    current.status = "in_progress"
    current.updated_at = utcnow()
    audit.record(
        session=session, actor_type=actor.actor_type, actor_id=actor.actor_id,
        action="assessment.start", patient_id=patient_id,
        detail={"assessment_id": current.id, "instrument": kind},
    )  # fmt: skip
    session.commit()
    return current


def answer(
    session: Session,
    requester: Requester,
    assessment_id: int,
    item_id: str,
    value: int | str | None,
) -> Assessment:
    """Record one item's answer: a scale value, "not_applicable", or None (skipped)."""
    assessment = _get(session, assessment_id)
    actor = authorise(session, requester, patient_id=assessment.patient_id, scope=ANSWER)
    if assessment.status != "in_progress":
        raise Conflict("assessment_not_in_progress")
    form = instrument(assessment.instrument)
    if item_id not in {i.id for i in form.items}:
        raise InvalidInput("unknown_item")
    if value is not None and value != NOT_APPLICABLE and value not in form.scale:
        raise InvalidInput("answer_out_of_range")
    assessment.answers = {**(assessment.answers or {}), item_id: value}
    assessment.updated_at = utcnow()
    audit.record(
        session=session, actor_type=actor.actor_type, actor_id=actor.actor_id,
        action="assessment.answer", patient_id=assessment.patient_id,
        detail={"assessment_id": assessment.id, "item": item_id},
    )  # fmt: skip
    session.commit()
    return assessment


def complete(session: Session, requester: Requester, assessment_id: int) -> Assessment:
    """Score it by the instrument's rules; 409 `not_enough_answers` if it cannot be scored."""
    assessment = _get(session, assessment_id)
    actor = authorise(session, requester, patient_id=assessment.patient_id, scope=ANSWER)
    if assessment.status == "completed":
        return assessment
    form = instrument(assessment.instrument)
    cuts = cutpoints(get_settings().pam_level_cutpoints) if form.kind == "PAM" else None
    try:
        result = score(form, dict(assessment.answers or {}), cuts)
    except NotEnoughAnswers as exc:
        raise Conflict("not_enough_answers") from exc
    assessment.raw, assessment.score, assessment.level = result.raw, result.score, result.level
    assessment.flagged = result.flagged
    assessment.status = "completed"
    assessment.completed_at = assessment.updated_at = utcnow()
    audit.record(
        session=session, actor_type=actor.actor_type, actor_id=actor.actor_id,
        action="assessment.complete", patient_id=assessment.patient_id,
        detail={"assessment_id": assessment.id, "level": result.level},
    )  # fmt: skip
    session.commit()
    return assessment


def request(session: Session, requester: Requester, patient_id: int, kind: str) -> Assessment:
    """A coordinator asks the patient to take one: recorded, and an invitation texted through
    the outbox in the same transaction (an opted-out patient's is kept as failed, with why)."""
    actor = authorise(session, requester, patient_id=patient_id, scope=ANSWER)
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise NotFound("patient_not_found")
    form = instrument(kind)
    assessment = Assessment(
        patient_id=patient_id,
        instrument=kind,
        instrument_id=form.id,
        demonstration=form.demonstration,
        status="requested",
        answers={},
        channel="sms",
        conducted_by_type="patient",
        conducted_by_id=str(patient_id),
        requested_by_id=int(actor.actor_id) if actor.actor_type == "staff" else None,
    )
    session.add(assessment)
    session.flush()
    message = enqueue_sms(
        session, kind="assessment_invitation", to_phone=patient.phone, body=INVITATION
    )
    audit.record(
        session=session, actor_type=actor.actor_type, actor_id=actor.actor_id,
        action="assessment.request", patient_id=patient_id,
        detail={"assessment_id": assessment.id, "instrument": kind, "sms": message.status},
    )  # fmt: skip
    session.commit()
    return assessment
