"""The activation questionnaire by text: one item per message, resumable.

`start_pam` (or "ready", the reply the invitation asks for) starts it after the date-of-birth
check, or resumes the unfinished one where it was left (hours or days later: the answers live in
the backend, `services/assessments.py`). Each item is one SMS with numbered answers; words work
too ("agree strongly", "yes definitely", "n/a"), as the instrument file lists them. "why" gets the
item's reason, "skip" leaves it out, "later" stops with the answers kept. After the last item the
backend scores it and the patient gets a short message suited to their level
(`data/replies/questionnaires.yml`). A safety concern interrupts it like any form
(bot/policies/safety_policy.py); the answers given so far stay saved.

The questionnaire asks about the patient's own views, so a carer is not asked it on their
behalf: answers by someone else would not measure the patient's activation.

The wording of the items comes from the backend (`GET /api/v1/instruments/{kind}`): the
deploying organisation's licensed file, or the demonstration one."""

import logging
import re
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.clients.backend import BackendClient, BackendError, ChangeRefused, Questionnaire
from actions.identity import disclosure_allowed
from actions.opt_out import record_sms_preference
from actions.reschedule import _intent, leaving, opting_out
from actions.session import client_for
from actions.settings import get_settings

logger = logging.getLogger(__name__)

KIND = "PAM"
NOT_APPLICABLE = "not_applicable"
REPLIES = Path(__file__).resolve().parents[1] / "data" / "replies" / "questionnaires.yml"
FORM_SLOTS = (
    "questionnaire_assessment_id",
    "questionnaire_answered",
    "questionnaire_skipped",
    "questionnaire_answer",
    "questionnaire_note",
    "questionnaire_stopped",
)
_CACHE_SECONDS = 600
# Asked again by text only this long after the last one was finished, unless staff request it.
REPEAT_DAYS = 90
# Asking to change or cancel an appointment mid-questionnaire pauses it and starts the change.
CHANGES = ("reschedule_appointment", "cancel_appointment")
_cache: dict[str, tuple[float, Questionnaire]] = {}

_SKIP = re.compile(
    r"^(skip|skip it|skip this|skip this one|skip that|pass|next|next one|rather not say|"
    r"prefer not to say|i'?d rather not say|dont know|don't know|do not know|not sure|unsure|"
    r"no idea|dunno|idk)$"
)
# Not wanting to do it at all (kept apart from "later", and never read as an opt-out of texts).
DECLINE = re.compile(
    r"\b(rather not (do|answer|fill)|"
    r"(dont|don't|do not) want to (do|answer|fill|carry on|continue)|"
    r"not interested|no thanks|no thank you|not doing (this|it|these)|leave it|stop (the|these) "
    r"questions|dont want these|no more questions)\b"
)
_BACK = re.compile(r"^(back|go back|previous|previous one|last one|the last one|undo)$")
_CORRECTION = re.compile(
    r"\b(meant|should (have )?been|should be|change (it|that|the last( one)?|my last answer) to|"
    r"last one (was|is|should be)|wrong (answer|number))\b"
)
_WHY = re.compile(
    r"\bwhy\b|what'?s (this|it|that) for|what is (this|it|that) for|what for\b|"
    r"who (sees|reads|will see|gets) (this|it|my answers|them)|what happens to my answers"
)
_LATER = re.compile(
    r"^(later|pause|busy|not now|another time|tomorrow|not today|maybe later|"
    r"can i do (this|it|the rest) later|carry on later|finish (it )?later|"
    r"do (it|this|the rest) later|"
    r"i'?ll do (it|this|the rest) later|i'?m busy|im busy|in a bit|can we stop)[ .!]*$"
    r"|\b(do|finish|carry on with|continue) (it|this|the rest) (later|tomorrow|another time)\b"
)


def _normalise(text: str) -> str:
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    text = re.sub(r"[^a-z0-9'/ ]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def read_reply(text: str, questionnaire: Questionnaire) -> tuple[str, int | str | None]:
    """What a reply means: ("answer", value), ("skip", None), ("why", None), ("later", None),
    or ("unclear", None). A number, or the words the instrument lists for each answer; two
    answers that disagree ("agree, well disagree") are unclear, never guessed."""
    words = _normalise(text)
    values = {value for value, _ in questionnaire.scale}
    synonyms = {k.lower(): v for k, v in questionnaire.synonyms.items()}
    if words in synonyms:
        return "answer", synonyms[words]
    if _BACK.match(words):
        return "back", None
    if _CORRECTION.search(words):
        # "I meant 2 for the last one": the number is for the item before.
        meaning, value = read_reply(_CORRECTION.sub(" ", re.sub(
            r"\b(i|for|the|last|one|previous|it|that|question|to|was|is|my|answer)\b", " ", words
        )), questionnaire)  # fmt: skip
        return ("correct", value) if meaning == "answer" else ("unclear", None)
    numbers = set(re.findall(r"(?<![0-9])[0-9]+(?![0-9])", words))
    if len(numbers) == 1:
        number = int(numbers.pop())
        if number in values:
            return "answer", number
        if number == questionnaire.not_applicable_reply:
            return "answer", NOT_APPLICABLE
        return "unclear", None
    if numbers:
        return "unclear", None
    if _SKIP.match(words):
        return "skip", None
    if _WHY.search(words):
        return "why", None
    if _LATER.search(words):
        return "later", None
    if DECLINE.search(words):
        return "decline", None
    found: set[int | str] = set()
    rest = f" {words} "
    for phrase in sorted(synonyms, key=len, reverse=True):
        pattern = re.compile(rf"(?<![a-z']){re.escape(phrase)}(?![a-z'])")
        if pattern.search(rest):
            found.add(synonyms[phrase])
            rest = pattern.sub(" ", rest)
    if len(found) == 1:
        return "answer", found.pop()
    return "unclear", None


def next_item(
    questionnaire: Questionnaire, answered: dict[str, Any], skipped: list[str]
) -> int | None:
    """The index of the item to ask: the first never answered; then one skipped at an earlier
    sitting (not this one), so a patient who resumes is asked what they left out."""
    for index, (item_id, _, _) in enumerate(questionnaire.items):
        if item_id not in answered:
            return index
    for index, (item_id, _, _) in enumerate(questionnaire.items):
        if answered.get(item_id) is None and item_id not in skipped:
            return index
    return None


def previous_item(
    questionnaire: Questionnaire, answered: dict[str, Any], index: int | None
) -> int | None:
    """The item answered just before the one being asked (for "go back", "I meant 2")."""
    upto = len(questionnaire.items) if index is None else index
    for earlier in range(upto - 1, -1, -1):
        if questionnaire.items[earlier][0] in answered:
            return earlier
    return None


def item_text(questionnaire: Questionnaire, index: int) -> str:
    """One SMS: "4 of 13: <statement>" then the numbered answers, one a line."""
    _, text, _ = questionnaire.items[index]
    lines = [f"{index + 1} of {len(questionnaire.items)}: {text}"]
    lines += [f"{value} {label}" for value, label in questionnaire.scale]
    if questionnaire.not_applicable_reply is not None:
        lines.append(f"{questionnaire.not_applicable_reply} Does not apply")
    return "\n".join(lines)


def unclear_text(questionnaire: Questionnaire, index: int) -> str:
    """Asked again in one short line."""
    (low, low_label), (high, high_label) = questionnaire.scale[0], questionnaire.scale[-1]
    na = questionnaire.not_applicable_reply
    tail = f", {na} if it does not apply" if na is not None else ""
    return (
        f"Sorry, I didn't follow. For question {index + 1}, please reply a number from {low} "
        f"({low_label.lower()}) to {high} ({high_label.lower()}){tail}, or 'skip'."
    )


async def load_questionnaire(client: BackendClient, kind: str = KIND) -> Questionnaire:
    cached = _cache.get(kind)
    if cached and time.monotonic() - cached[0] < _CACHE_SECONDS:
        return cached[1]
    questionnaire = await client.questionnaire(kind)
    _cache[kind] = (time.monotonic(), questionnaire)
    return questionnaire


async def close_unfinished(
    stopped: str | None,
    flow: str,
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    domain: DomainDict,
) -> list[EventType] | None:
    """What a questionnaire or guide (`flow`) says when it ended before its last step, and any
    events that follow (a change of appointment started); None when it did reach the end."""
    if stopped in ("start_failed", "backend"):
        return []  # already told why
    if stopped == "opt_out":
        await record_sms_preference(dispatcher, tracker, opted_out=True)
        return []
    if stopped in ("later", "declined"):
        dispatcher.utter_message(response=f"utter_{flow}_{stopped}")
        return []
    if stopped in CHANGES:
        dispatcher.utter_message(response=f"utter_{flow}_paused_for_change")
        return await start_change(stopped, dispatcher, tracker, domain)
    return None


async def start_change(
    intent: str, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
) -> list[EventType]:
    """Start rescheduling or cancelling, as the rules do when it is asked for directly."""
    from actions.cancel import ActionCancelStart
    from actions.reschedule import ActionRescheduleStart

    start, form = (
        (ActionRescheduleStart, "reschedule_form")
        if intent == "reschedule_appointment"
        else (ActionCancelStart, "cancel_form")
    )
    return [*await start().run(dispatcher, tracker, domain), FollowupAction(form)]


def level_message(level: int | None) -> str:
    replies = yaml.safe_load(REPLIES.read_text(encoding="utf-8"))
    return str((replies.get("levels") or {}).get(level) or replies["default"])


def started_by(tracker: Tracker) -> str:
    message = tracker.latest_message or {}
    return f"started:{message.get('message_id') or message.get('text') or ''}"


def _answered(tracker: Tracker) -> dict[str, Any]:
    return dict(tracker.get_slot("questionnaire_answered") or {})


def _skipped(tracker: Tracker) -> list[str]:
    return list(tracker.get_slot("questionnaire_skipped") or [])


async def _recently_done(client: BackendClient, patient_id: int) -> datetime | None:
    """When the last one was finished, if within REPEAT_DAYS and none is waiting (requested by
    staff or unfinished): "ready" again then does not open a second one by mistake."""
    rows = [a for a in await client.assessments(patient_id) if a.instrument == KIND]
    if any(a.status in ("requested", "in_progress") for a in rows):
        return None
    finished = [a.completed_at for a in rows if a.status == "completed" and a.completed_at]
    latest = max(finished, default=None)
    if latest and datetime.now(timezone.utc) - latest < timedelta(days=REPEAT_DAYS):
        return latest.astimezone(ZoneInfo(get_settings().timezone))
    return None


class ActionQuestionnaireStart(Action):
    def name(self) -> str:
        return "action_questionnaire_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        events: list[EventType] = [SlotSet(name, None) for name in FORM_SLOTS]
        failed = [*events, SlotSet("questionnaire_stopped", "start_failed")]
        status = tracker.get_slot("identity_status")
        if status == "carer":
            dispatcher.utter_message(response="utter_questionnaire_not_for_carers")
            return failed
        if status != "known":
            dispatcher.utter_message(response="utter_unknown_number")
            return failed
        allowed, asked = disclosure_allowed(dispatcher, tracker, "questionnaire")
        if not allowed:
            return [*failed, *asked]
        patient_id = int(tracker.get_slot("patient_id"))
        client = client_for(tracker)
        try:
            questionnaire = await load_questionnaire(client)
            done_on = await _recently_done(client, patient_id)
            if done_on is not None:
                dispatcher.utter_message(
                    response="utter_questionnaire_already_done",
                    done_on=f"{done_on:%A} {done_on.day} {done_on:%B}",
                )
                return failed
            assessment = await client.start_assessment(patient_id, KIND)
        except BackendError:
            logger.exception("backend unreachable while starting a questionnaire")
            dispatcher.utter_message(response="utter_backend_unavailable")
            return failed
        index = next_item(questionnaire, assessment.answers, [])
        events += [
            # The message that started it (e.g. the date of birth) is not an answer: the form
            # may be handed it when it starts in the same turn.
            SlotSet("questionnaire_note", started_by(tracker)),
            SlotSet("questionnaire_assessment_id", assessment.id),
            SlotSet("questionnaire_answered", assessment.answers),
            SlotSet("questionnaire_skipped", []),
        ]
        total = len(questionnaire.items)
        if tracker.get_slot("safety_concern_open"):
            dispatcher.utter_message(response="utter_questionnaire_after_concern")
        if not assessment.answers:
            dispatcher.utter_message(response="utter_questionnaire_intro", total=total)
        elif index is not None:
            dispatcher.utter_message(
                response="utter_questionnaire_resume", number=index + 1, total=total
            )
        if index is None:  # everything answered at an earlier sitting: score it now
            events.append(SlotSet("questionnaire_answer", "done"))
        return events


class ActionAskQuestionnaireAnswer(Action):
    """The next item, in full; or, after a reply that was not understood, one short line."""

    def name(self) -> str:
        return "action_ask_questionnaire_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        try:
            questionnaire = await load_questionnaire(client_for(tracker))
        except BackendError:
            logger.exception("backend unreachable while asking a questionnaire item")
            dispatcher.utter_message(response="utter_backend_unavailable")
            return []
        note = tracker.get_slot("questionnaire_note")
        index = next_item(questionnaire, _answered(tracker), _skipped(tracker))
        if isinstance(note, str) and note.startswith("back:"):
            index = int(note.split(":", 1)[1])
            dispatcher.utter_message(text=item_text(questionnaire, index))
            return []  # the note says which item the next reply answers
        if index is None:
            return []
        if note == "unclear":
            dispatcher.utter_message(text=unclear_text(questionnaire, index))
        else:
            dispatcher.utter_message(text=item_text(questionnaire, index))
        return [SlotSet("questionnaire_note", None)]


class ValidateQuestionnaireForm(FormValidationAction):
    def name(self) -> str:
        return "validate_questionnaire_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        if tracker.get_slot("questionnaire_stopped"):
            return []
        return ["questionnaire_answer"]

    async def validate_questionnaire_answer(
        self,
        slot_value: object,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, object]:
        if slot_value == "done":
            return {"questionnaire_answer": "done"}
        note = tracker.get_slot("questionnaire_note")
        if note == started_by(tracker):
            return {"questionnaire_answer": None}  # the message that started it
        client = client_for(tracker)
        answered, skipped = _answered(tracker), _skipped(tracker)
        try:
            questionnaire = await load_questionnaire(client)
        except BackendError:
            logger.exception("backend unreachable during a questionnaire")
            dispatcher.utter_message(response="utter_backend_unavailable")
            return {"questionnaire_answer": "stopped", "questionnaire_stopped": "backend"}
        index = next_item(questionnaire, answered, skipped)
        if isinstance(note, str) and note.startswith("back:"):
            index = int(note.split(":", 1)[1])  # "go back": that item is being asked again
        if index is None:
            return {"questionnaire_answer": "done"}
        text = str(slot_value or "")
        meaning, value = read_reply(text, questionnaire)
        if meaning not in ("answer", "skip") and opting_out(tracker):
            return {"questionnaire_answer": "stopped", "questionnaire_stopped": "opt_out"}
        intent = _intent(tracker)
        if meaning == "unclear" and intent in CHANGES:
            # "change my appointment": paused, and the change started (the finish action).
            return {"questionnaire_answer": "stopped", "questionnaire_stopped": intent}
        if meaning == "unclear" and intent == "ask_next_appointment":
            # A digression: answered, then the same item again.
            from actions.appointments import ActionTellNextAppointment

            await ActionTellNextAppointment().run(dispatcher, tracker, domain)
            return {"questionnaire_answer": None}
        stopping = meaning == "unclear" and leaving(_normalise(text), tracker, dispatcher)
        if meaning == "later" or stopping:
            return {"questionnaire_answer": "stopped", "questionnaire_stopped": "later"}
        if meaning == "decline":
            return {"questionnaire_answer": "stopped", "questionnaire_stopped": "declined"}
        if meaning == "why":
            why = questionnaire.items[index][2]
            dispatcher.utter_message(response="utter_questionnaire_why", why=why)
            return {"questionnaire_answer": None}
        if meaning in ("back", "correct"):
            earlier = previous_item(questionnaire, answered, index)
            if earlier is None:
                return {"questionnaire_answer": None, "questionnaire_note": "unclear"}
            if meaning == "back":
                return {"questionnaire_answer": None, "questionnaire_note": f"back:{earlier}"}
            index, meaning = earlier, "answer"
            dispatcher.utter_message(response="utter_questionnaire_changed", number=earlier + 1)
        if meaning == "unclear":
            return {"questionnaire_answer": None, "questionnaire_note": "unclear"}
        item_id = questionnaire.items[index][0]
        if meaning == "skip":
            skipped.append(item_id)
        try:
            assessment = await client.answer_item(
                int(tracker.get_slot("questionnaire_assessment_id")),
                int(tracker.get_slot("patient_id")),
                item_id,
                value,
            )
        except BackendError:
            logger.exception("backend unreachable while saving a questionnaire answer")
            dispatcher.utter_message(response="utter_questionnaire_not_saved")
            return {"questionnaire_answer": "stopped", "questionnaire_stopped": "backend"}
        answered = assessment.answers
        done = next_item(questionnaire, answered, skipped) is None
        return {
            "questionnaire_answer": "done" if done else None,
            "questionnaire_answered": answered,
            "questionnaire_skipped": skipped,
            "questionnaire_note": None,
        }


class ActionQuestionnaireFinish(Action):
    def name(self) -> str:
        return "action_questionnaire_finish"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        reset = [SlotSet(name, None) for name in FORM_SLOTS]
        stopped = tracker.get_slot("questionnaire_stopped")
        closed = await close_unfinished(stopped, "questionnaire", dispatcher, tracker, domain)
        if closed is not None:
            return [*reset, *closed]
        answered = _answered(tracker)
        client = client_for(tracker)
        try:
            assessment = await client.complete_assessment(
                int(tracker.get_slot("questionnaire_assessment_id")),
                int(tracker.get_slot("patient_id")),
            )
        except ChangeRefused as refused:
            if refused.reason == "not_enough_answers":
                dispatcher.utter_message(
                    response="utter_questionnaire_not_enough",
                    skipped=sum(1 for value in answered.values() if value is None),
                )
                return reset
            logger.error("questionnaire not scored: %s", refused.reason)
            dispatcher.utter_message(response="utter_questionnaire_not_saved")
            return reset
        except BackendError:
            logger.exception("backend unreachable while scoring a questionnaire")
            dispatcher.utter_message(response="utter_questionnaire_not_saved")
            return reset
        dispatcher.utter_message(text=level_message(assessment.level))
        return reset
