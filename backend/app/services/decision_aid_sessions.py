"""A patient working through a decision aid by text, before a shared decision-making
conversation (issue 5). The action server leads the conversation (actions/decision_aid.py) and
saves where the patient is after every step, so they can stop and carry on days later; this keeps
it, scores the SURE test before and after, writes the summary for the clinician and, when the
SURE test after is 3 or less (decisional conflict), highlights it to the patient's care
coordinator as a call-back task. Access as for questionnaires (`assessments.answer` scope);
every read and change is audited."""

from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.app.errors import Conflict, InvalidInput, NotFound
from backend.app.models import CallbackTask, DecisionAidSession, Patient
from backend.app.models.base import utcnow
from backend.app.services import audit
from backend.app.services.access import ANSWER, Requester, authorise
from backend.app.services.assessments import instrument
from backend.app.services.decision_aids import DecisionAid, load_all
from backend.app.services.outbox import enqueue_sms

UNFINISHED = ("requested", "in_progress")
INVITATION = (
    "Your care team has a short guide to help you think about your choices for: {title}. "
    "It takes about 10 minutes by text. Reply 'choices' when you are ready."
)


@lru_cache
def aids() -> dict[str, DecisionAid]:
    return load_all()


def aid(aid_id: str) -> DecisionAid:
    found = aids().get(aid_id)
    if found is None:
        raise NotFound("decision_aid_not_found")
    return found


def _get(session: Session, session_id: int) -> DecisionAidSession:
    row = session.get(DecisionAidSession, session_id)
    if row is None:
        raise NotFound("decision_aid_session_not_found")
    return row


def _audit(session: Session, actor: Any, action: str, row: DecisionAidSession) -> None:
    audit.record(
        session=session, actor_type=actor.actor_type, actor_id=actor.actor_id, action=action,
        patient_id=row.patient_id, detail={"decision_aid_session_id": row.id, "aid": row.aid_id},
    )  # fmt: skip


def list_for_patient(
    session: Session, requester: Requester, patient_id: int
) -> list[DecisionAidSession]:
    actor = authorise(session, requester, patient_id=patient_id, scope=ANSWER)
    if session.get(Patient, patient_id) is None:
        raise NotFound("patient_not_found")
    rows = list(
        session.scalars(
            select(DecisionAidSession)
            .where(DecisionAidSession.patient_id == patient_id)
            .order_by(DecisionAidSession.started_at.desc(), DecisionAidSession.id.desc())
        )
    )
    audit.record(
        session=session, actor_type=actor.actor_type, actor_id=actor.actor_id,
        action="decision_aid_session.list", patient_id=patient_id, detail={"count": len(rows)},
    )  # fmt: skip
    session.commit()
    return rows


def start_or_resume(
    session: Session, requester: Requester, patient_id: int, aid_id: str | None
) -> DecisionAidSession:
    """The patient's unfinished one (of this aid, or any when none is named), else a new one of
    this aid; 409 `choose_decision_aid` when none is named and none is waiting."""
    actor = authorise(session, requester, patient_id=patient_id, scope=ANSWER)
    if session.get(Patient, patient_id) is None:
        raise NotFound("patient_not_found")
    query = select(DecisionAidSession).where(
        DecisionAidSession.patient_id == patient_id, DecisionAidSession.status.in_(UNFINISHED)
    )
    if aid_id is not None:
        aid(aid_id)
        query = query.where(DecisionAidSession.aid_id == aid_id)
    row = session.scalar(query.order_by(DecisionAidSession.id.desc()))
    if row is None:
        if aid_id is None:
            raise Conflict("choose_decision_aid")
        row = DecisionAidSession(
            patient_id=patient_id, aid_id=aid_id, progress={}, sure_before={}, sure_after={},
            values=[], channel=actor.channel, conducted_by_type=actor.actor_type,
            conducted_by_id=actor.actor_id,
        )  # fmt: skip
        session.add(row)
        session.flush()
    row.status = "in_progress"
    row.updated_at = utcnow()
    _audit(session, actor, "decision_aid_session.start", row)
    session.commit()
    return row


def _sure_answers(answers: dict[str, Any]) -> dict[str, int | None]:
    items = {i.id for i in instrument("SURE").items}
    if set(answers) - items:
        raise InvalidInput("unknown_sure_item")
    if any(v not in (0, 1, None) for v in answers.values()):
        raise InvalidInput("sure_answer_out_of_range")
    return dict(answers)


def save_progress(
    session: Session, requester: Requester, session_id: int, changes: dict[str, Any]
) -> DecisionAidSession:
    """Keep where they are and what they said so far (only the fields given change)."""
    row = _get(session, session_id)
    actor = authorise(session, requester, patient_id=row.patient_id, scope=ANSWER)
    if row.status != "in_progress":
        raise Conflict("decision_aid_session_not_in_progress")
    options = {o["id"] for o in aid(row.aid_id).options}
    if "leaning" in changes and changes["leaning"] not in (*options, "unsure", None):
        raise InvalidInput("unknown_option")
    for key in ("sure_before", "sure_after"):
        if changes.get(key) is not None:
            setattr(row, key, _sure_answers(changes[key]))
    for key in ("progress", "values", "leaning"):
        if key in changes:
            setattr(row, key, changes[key])
    row.updated_at = utcnow()
    _audit(session, actor, "decision_aid_session.progress", row)
    session.commit()
    return row


def _sure_score(answers: dict[str, Any]) -> int | None:
    """The number of "yes" answers (0-4); None when the test was not taken."""
    return sum(1 for v in answers.values() if v == 1) if answers else None


def summary(row: DecisionAidSession) -> str:
    """What the clinician reads before the conversation, and the patient is sent: the guide, what
    matters most, the leaning, the questions they asked along the way, and how sure they felt."""
    content = aid(row.aid_id)
    names = {o["id"]: o["name"] for o in content.options}
    if row.leaning == "unsure":
        leaning = "not sure yet"
    else:
        leaning = names.get(row.leaning or "", "not said")
    matters = "; ".join(str(v) for v in row.values) or "not said"
    parts = [
        f"Your summary: {content.title}.",
        f"What matters most to you: {matters}.",
        f"Leaning towards: {leaning}.",
    ]
    questions = [str(q) for q in (row.progress or {}).get("questions") or []]
    if questions:
        asked = "; ".join(q.rstrip(" ?.!") + "?" for q in questions)[:300]
        parts.append(f"Your questions: {asked}")
    if row.sure_before_score is not None or row.sure_after_score is not None:
        before = "-" if row.sure_before_score is None else row.sure_before_score
        after = "-" if row.sure_after_score is None else row.sure_after_score
        parts.append(f"How sure you felt, out of 4: {before} before, {after} after.")
    return " ".join(parts)


def complete(session: Session, requester: Requester, session_id: int) -> DecisionAidSession:
    """Score the SURE tests, write the summary, and highlight decisional conflict (SURE after,
    or before when there is no after, of 3 or less) to the care coordinator."""
    row = _get(session, session_id)
    actor = authorise(session, requester, patient_id=row.patient_id, scope=ANSWER)
    if row.status == "completed":
        return row
    if row.status != "in_progress":
        raise Conflict("decision_aid_session_not_in_progress")
    row.sure_before_score = _sure_score(row.sure_before or {})
    row.sure_after_score = _sure_score(row.sure_after or {})
    latest = row.sure_after_score if row.sure_after_score is not None else row.sure_before_score
    limit = instrument("SURE").conflict_at_or_below or 3
    row.conflict_flagged = latest is not None and latest <= limit
    row.summary = summary(row)
    row.status = "completed"
    row.completed_at = row.updated_at = utcnow()
    if row.conflict_flagged:
        patient = session.get(Patient, row.patient_id)
        assert patient is not None
        session.add(
            CallbackTask(
                patient_id=row.patient_id, appointment_id=None, reason="decisional_conflict",
                note=f"SURE {latest}/4 after the decision aid '{row.aid_id}' "
                f"(session {row.id}): not yet sure of their choice.",
                requested_by_type=actor.actor_type, requested_by_id=actor.actor_id,
                channel=actor.channel, assigned_to_id=patient.care_coordinator_id, status="open",
            )
        )  # fmt: skip
    _audit(session, actor, "decision_aid_session.complete", row)
    session.commit()
    return row


def request(
    session: Session, requester: Requester, patient_id: int, aid_id: str
) -> DecisionAidSession:
    """A coordinator or clinician asks the patient to work through one: recorded, and the
    invitation texted through the outbox in the same transaction."""
    actor = authorise(session, requester, patient_id=patient_id, scope=ANSWER)
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise NotFound("patient_not_found")
    content = aid(aid_id)
    row = DecisionAidSession(
        patient_id=patient_id, aid_id=aid_id, status="requested", progress={}, sure_before={},
        sure_after={}, values=[], channel="sms", conducted_by_type="patient",
        conducted_by_id=str(patient_id),
        requested_by_id=int(actor.actor_id) if actor.actor_type == "staff" else None,
    )  # fmt: skip
    session.add(row)
    session.flush()
    message = enqueue_sms(
        session, kind="decision_aid_invitation", to_phone=patient.phone,
        body=INVITATION.format(title=content.title),
    )  # fmt: skip
    audit.record(
        session=session, actor_type=actor.actor_type, actor_id=actor.actor_id,
        action="decision_aid_session.request", patient_id=patient_id,
        detail={"decision_aid_session_id": row.id, "aid": aid_id, "sms": message.status},
    )  # fmt: skip
    session.commit()
    return row
