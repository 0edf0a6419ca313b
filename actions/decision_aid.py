"""A decision aid by text, before a shared decision-making conversation.

`start_decision_aid` ("choices", the reply the invitation asks for) starts one after the
date-of-birth check, or resumes the unfinished one where it was left (the backend keeps the place:
`services/decision_aid_sessions.py`). The steps, each in SMS-sized messages:

1. the SURE test (4 yes/no questions);
2. the options one at a time: a summary, then on "more" the good points, the downsides (in
   equal number), the numbers ("out of 100 people like you") and what living with it is like;
   "next" moves on;
3. what matters most (a numbered list, or their own words);
4. the choice they lean towards (or "not sure yet");
5. the SURE test again;
6. the Ask 3 Questions prompts for the appointment, and the summary, which the backend saves for
   the clinician (a SURE score of 3 or less afterwards becomes a task for the coordinator).

"why", "later" and a safety concern work as in the questionnaire (actions/questionnaire.py).
The content comes from the backend (`GET /api/v1/decision-aids/{id}`): data with sources and a
review date, marked as needing clinical review."""

import logging
import re
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.clients.backend import BackendClient, BackendError, ChangeRefused, parse_time
from actions.identity import disclosure_allowed
from actions.questionnaire import (
    _LATER,
    _WHY,
    CHANGES,
    DECLINE,
    _normalise,
    close_unfinished,
    load_questionnaire,
    read_reply,
    started_by,
)
from actions.reschedule import _intent, leaving, opting_out
from actions.session import client_for
from actions.settings import get_settings

logger = logging.getLogger(__name__)

FORM_SLOTS = (
    "decision_aid_session_id",
    "decision_aid_content",
    "decision_aid_state",
    "decision_aid_reply",
    "decision_aid_note",
    "decision_aid_stopped",
)
# "choices" again this soon after finishing says so instead of starting another.
REPEAT_DAYS = 30
CHUNKS = ("summary", "benefits", "downsides", "numbers", "living")
# "ok" and the like carry on reading (the downsides come after the good points): never a skip.
_MORE = re.compile(
    r"^(more|m|tell me more|more please|yes more|go on then|what else|details|ok|okay|k|got it|"
    r"thanks|ok thanks|right|fine|go on|continue|carry on|yes|yep)$"
)
_NEXT = re.compile(r"^(next|n|next one|next choice|ok next|skip|skip it|done|move on)$")
_QUESTION = re.compile(
    r"\?\s*$|^(what|whats|how|why|when|where|who|is|are|can|could|will|would|does|do)\b|\bmean\b"
)
_NOT = re.compile(r"\b(not|but|no|dont|don't|never|except|rather not|without|against)\b")
_DONT_KNOW = re.compile(r"^(dunno|dont know|don't know|not sure|no idea|unsure|idk)$")
_BACK = re.compile(r"^(back|go back|previous|last one|the one before)$")
_COMMON = {
    "choices",
    "choice",
    "where",
    "after",
    "with",
    "what",
    "your",
    "from",
    "about",
    "stay",
    "into",
    "only",
    "support",
    "visits",
}
_UNSURE = re.compile(r"\b(not sure|unsure|dont know|don't know|no idea|undecided|cant decide)\b")


def _asks(words: str, text: str) -> bool:
    """Whether a reply is a question ("what does reablement mean?")."""
    return bool(_QUESTION.search(words)) or text.strip().endswith("?")


def fresh_state() -> dict[str, Any]:
    return {"step": "sure_before", "index": 0, "chunk": 0, "sure_before": {}, "sure_after": {},
            "values": [], "leaning": None, "questions": []}  # fmt: skip


def choose_text(aids: list[dict[str, Any]]) -> str:
    lines = ["Which guide would you like to go through?"]
    lines += [f"{n} {a['title']}" for n, a in enumerate(aids, start=1)]
    return "\n".join(lines)


def prompt(content: dict[str, Any], state: dict[str, Any], sure: Any) -> str:
    """The message for where the patient is."""
    step, index = state["step"], state["index"]
    if step in ("sure_before", "sure_after"):
        _, text, _ = sure.items[index]
        lead = ""
        if index == 0:
            if step == "sure_before":
                lead = "First, 4 quick yes/no questions.\n"
            else:
                names = {o["id"]: o["name"] for o in content["options"]}
                leaning = names.get(state.get("leaning") or "")
                said = f"Thanks: leaning towards {leaning}. " if leaning else "Thanks. "
                lead = f"{said}Now the same 4 yes/no questions again.\n"
        return f"{lead}{index + 1} of 4: {text}\nReply 1 Yes or 2 No"
    options = content["options"]
    if step == "options":
        option = options[index]
        chunk = CHUNKS[state["chunk"]]
        name = option["name"]
        last_chunk = state["chunk"] == len(CHUNKS) - 1
        tail = "Reply 'next' to go on." if last_chunk else "Reply 'more' or 'next'."
        if chunk == "summary":
            body = f"Choice {index + 1} of {len(options)}: {name}. {option['summary']}"
        elif chunk in ("benefits", "downsides"):
            title = "Good points" if chunk == "benefits" else "Downsides"
            body = f"{title} of {name}:\n" + "\n".join(f"- {t}" for t in option[chunk])
        elif chunk == "numbers":
            out_of = content["denominator"]
            body = f"Of every {out_of} people like you who choose {name}:\n" + "\n".join(
                f"- {p['people']} in {out_of}: {p['outcome']}" for p in option["probabilities"]
            )
        else:
            body = f"Living with it: {option['living_with_it']}"
        return f"{body}\n{tail}"
    if step == "values":
        lines = [content["values_question"]]
        lines += [f"{n} {v}" for n, v in enumerate(content["values_options"], start=1)]
        lines.append("Or tell me in your own words.")
        return "\n".join(lines)
    if step == "leaning":
        lines = ["Which choice are you leaning towards now? It is fine not to know yet."]
        lines += [f"{n} {o['name']}" for n, o in enumerate(options, start=1)]
        lines.append(f"{len(options) + 1} Not sure yet")
        return "\n".join(lines)
    return ""


def unclear_text(content: dict[str, Any], state: dict[str, Any]) -> str:
    step = state["step"]
    if step in ("sure_before", "sure_after"):
        return "Sorry, I didn't follow. Please reply 1 for Yes or 2 for No."
    if step == "options":
        name = content["options"][state["index"]]["name"]
        return f"Sorry, I didn't follow. Reply 'more' to hear more about {name}, or 'next'."
    if step == "values":
        return (
            f"Sorry, I didn't follow. Please reply a number from 1 to "
            f"{len(content['values_options'])}, or tell me what matters most in a few words."
        )
    return (
        f"Sorry, I didn't follow. Please reply a number from 1 to {len(content['options']) + 1}, "
        "or name the choice in a few words."
    )


def _pick_option(words: str, options: list[dict[str, Any]]) -> str | None:
    """ "the jab", "knee replacement": the one option named by the words the aid lists for it
    (`also_called`) or by a word of its name no other option's name has ("knee" names two);
    naming two ("the needle or the operation") is not an answer."""
    name_words = {
        o["id"]: {w for w in re.findall(r"[a-z]{4,}", o["name"].lower()) if w not in _COMMON}
        for o in options
    }
    named = []
    for option in options:
        others = set().union(*(v for k, v in name_words.items() if k != option["id"]))
        phrases = [str(p).lower() for p in option.get("also_called") or []]
        phrases += sorted(name_words[option["id"]] - others)
        if any(re.search(rf"\b{re.escape(p)}\b", words) for p in phrases):
            named.append(option["id"])
    return named[0] if len(named) == 1 else None


def advance(
    content: dict[str, Any], state: dict[str, Any], text: str, sure: Any
) -> tuple[str, dict[str, Any]]:
    """Read a reply at this step: ("ok", new state) moves on; ("why" | "later" | "unclear", same
    state) does not; the step "done" means everything has been asked."""
    words = _normalise(text)
    state = {**state}
    step = state["step"]
    if _LATER.search(words):
        return "later", state
    if DECLINE.search(words):
        return "decline", state
    if _WHY.search(words) and step != "options":  # in the choices, a question is kept instead
        return "why", state
    options = content["options"]
    if step in ("sure_before", "sure_after"):
        if _asks(words, "") and not re.fullmatch(r"(yes|no|y|n)( \w+)?", words):
            return "sure_why", state  # "what does sure mean?"
        meaning, value = read_reply(text, sure)
        if meaning == "back":
            if state["index"] > 0:
                state["index"] -= 1
            elif step == "sure_after":
                state.update(step="leaning", index=0)  # back to the choice they lean towards
            else:
                return "unclear", state
            return "ok", state
        if meaning == "unclear" and _asks(words, text):
            return "why", state
        if meaning not in ("answer", "skip"):
            return "unclear", state
        item_id = sure.items[state["index"]][0]
        state[step] = {**state[step], item_id: value if meaning == "answer" else None}
        if state["index"] + 1 < len(sure.items):
            state["index"] += 1
        elif step == "sure_before":
            state.update(step="options", index=0, chunk=0)
        else:
            state.update(step="done", index=0)
        return "ok", state
    if step == "options":
        if _asks(words, text) and not (
            _MORE.match(words) or _NEXT.match(words) or _BACK.match(words)
        ):
            # Kept for the appointment: the summary lists it for the clinician.
            state["questions"] = [*state.get("questions", []), text.strip()[:200]][-5:]
            return "question", state
        if _MORE.match(words) and state["chunk"] + 1 < len(CHUNKS):
            state["chunk"] += 1
        elif _BACK.match(words):
            state.update(index=max(0, state["index"] - 1), chunk=0)
        elif _NEXT.match(words) and CHUNKS[state["chunk"]] == "benefits":
            state["chunk"] += 1  # the downsides always follow the good points
        elif _MORE.match(words) or _NEXT.match(words):
            if state["index"] + 1 < len(options):
                state.update(index=state["index"] + 1, chunk=0)
            else:
                state.update(step="values", index=0, chunk=0)
        else:
            return "unclear", state
        return "ok", state
    if step == "values":
        number = re.fullmatch(r"(\d+)", words)
        if not number and _asks(words, text):
            state["questions"] = [*state.get("questions", []), text.strip()[:200]][-5:]
            return "question", state
        if number and 1 <= int(number.group(1)) <= len(content["values_options"]):
            state["values"] = [content["values_options"][int(number.group(1)) - 1]]
        elif _DONT_KNOW.match(words):
            state["values"] = ["not sure yet"]
        elif len(words.split()) >= 2 and not number:
            state["values"] = [text.strip()[:200]]
        else:
            return "unclear", state
        state.update(step="leaning", index=0)
        return "ok", state
    if step == "leaning":
        number = re.fullmatch(r"(\d+)", words)
        if number and 1 <= int(number.group(1)) <= len(options):
            state["leaning"] = options[int(number.group(1)) - 1]["id"]
        elif (number and int(number.group(1)) == len(options) + 1) or _UNSURE.search(words):
            state["leaning"] = "unsure"
        elif _NOT.search(words):
            return "unclear", state  # "anything but the rehab bed": never read as that choice
        elif not number and (chosen := _pick_option(words, options)):
            state["leaning"] = chosen
        else:
            return "unclear", state
        state.update(step="sure_after", index=0)
        return "ok", state
    return "ok", state


async def _recently_done(client: BackendClient, patient_id: int) -> dict[str, str] | None:
    """The guide finished within REPEAT_DAYS, when none is waiting: "choices" again then says
    so rather than opening a second one by mistake."""
    finished = [
        s for s in await client.decision_aid_sessions(patient_id)
        if s.get("status") == "completed" and s.get("completed_at")
    ]  # fmt: skip
    if not finished:
        return None
    latest = max(finished, key=lambda s: str(s["completed_at"]))
    when = parse_time(str(latest["completed_at"]))
    if datetime.now(timezone.utc) - when >= timedelta(days=REPEAT_DAYS):
        return None
    local = when.astimezone(ZoneInfo(get_settings().timezone))
    title = next(
        (a["title"] for a in await client.decision_aids() if a["id"] == latest["aid_id"]),
        "your guide",
    )
    return {"title": title, "done_on": f"{local:%A} {local.day} {local:%B}"}


class ActionDecisionAidStart(Action):
    def name(self) -> str:
        return "action_decision_aid_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        events: list[EventType] = [SlotSet(name, None) for name in FORM_SLOTS]
        failed = [*events, SlotSet("decision_aid_stopped", "start_failed")]
        status = tracker.get_slot("identity_status")
        if status == "carer":
            dispatcher.utter_message(response="utter_decision_aid_not_for_carers")
            return failed
        if status != "known":
            dispatcher.utter_message(response="utter_unknown_number")
            return failed
        allowed, asked = disclosure_allowed(dispatcher, tracker, "decision_aid")
        if not allowed:
            return [*failed, *asked]
        client = client_for(tracker)
        patient_id = int(tracker.get_slot("patient_id"))
        events.append(SlotSet("decision_aid_note", started_by(tracker)))
        if tracker.get_slot("safety_concern_open"):
            dispatcher.utter_message(response="utter_questionnaire_after_concern")
        try:
            started = await client.start_decision_aid(patient_id, None)
        except ChangeRefused as refused:
            if refused.reason == "choose_decision_aid":
                try:
                    recent = await _recently_done(client, patient_id)
                except BackendError:
                    recent = None
                if recent is not None:
                    dispatcher.utter_message(response="utter_decision_aid_already_done", **recent)
                    return failed
            if refused.reason != "choose_decision_aid":
                logger.error("decision aid not started: %s", refused.reason)
                dispatcher.utter_message(response="utter_backend_unavailable")
                return failed
            try:
                aids = await client.decision_aids()
            except BackendError:
                logger.exception("backend unreachable while listing decision aids")
                dispatcher.utter_message(response="utter_backend_unavailable")
                return failed
            # Which guide: asked as the form's first step.
            return [*events, SlotSet("decision_aid_state", {"step": "choose", "aids": aids})]
        except BackendError:
            logger.exception("backend unreachable while starting a decision aid")
            dispatcher.utter_message(response="utter_backend_unavailable")
            return failed
        return events + await _open(dispatcher, client, started)


async def _open(
    dispatcher: CollectingDispatcher, client: BackendClient, started: dict[str, Any]
) -> list[EventType]:
    """The aid's content and where they are; the introduction or "welcome back"."""
    try:
        content = await client.decision_aid(str(started["aid_id"]))
    except BackendError:
        logger.exception("backend unreachable while reading a decision aid")
        dispatcher.utter_message(response="utter_backend_unavailable")
        return [SlotSet("decision_aid_stopped", "start_failed")]
    progress = started.get("progress") or {}
    state = fresh_state()
    if progress.get("step"):
        # Where they were, and everything they said before (the first trial found a resumed
        # guide started its answers afresh and the summary lost them).
        state.update(
            step=progress["step"],
            index=int(progress.get("index") or 0),
            chunk=int(progress.get("chunk") or 0),
            questions=list(progress.get("questions") or []),
            sure_before=dict(started.get("sure_before") or {}),
            sure_after=dict(started.get("sure_after") or {}),
            values=list(started.get("values") or []),
            leaning=started.get("leaning"),
        )
    if progress.get("step"):
        dispatcher.utter_message(response="utter_decision_aid_resume", title=content["title"])
    else:
        dispatcher.utter_message(response="utter_decision_aid_intro", decision=content["decision"])
    return [
        SlotSet("decision_aid_session_id", started["id"]),
        SlotSet("decision_aid_content", content),
        SlotSet("decision_aid_state", state),
    ]


class ActionAskDecisionAidReply(Action):
    def name(self) -> str:
        return "action_ask_decision_aid_reply"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        state = tracker.get_slot("decision_aid_state") or {}
        if state.get("step") == "choose":
            dispatcher.utter_message(text=choose_text(state["aids"]))
            return [SlotSet("decision_aid_note", None)]
        content = tracker.get_slot("decision_aid_content")
        if not content or state.get("step") in (None, "done"):
            return []
        try:
            sure = await load_questionnaire(client_for(tracker), "SURE")
        except BackendError:
            dispatcher.utter_message(response="utter_backend_unavailable")
            return []
        note = tracker.get_slot("decision_aid_note")
        if note == "unclear":
            dispatcher.utter_message(text=unclear_text(content, state))
        elif note == "again" and state.get("step") == "options":
            option = content["options"][state["index"]]
            dispatcher.utter_message(
                text=f"Back to the guide: choice {state['index'] + 1}, {option['name']}. "
                "Reply 'more' or 'next'."
            )
        else:
            dispatcher.utter_message(text=prompt(content, state, sure))
        return [SlotSet("decision_aid_note", None)]


class ValidateDecisionAidForm(FormValidationAction):
    def name(self) -> str:
        return "validate_decision_aid_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        if tracker.get_slot("decision_aid_stopped"):
            return []
        return ["decision_aid_reply"]

    async def validate_decision_aid_reply(
        self,
        slot_value: object,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, object]:
        if tracker.get_slot("decision_aid_note") == started_by(tracker):
            return {"decision_aid_reply": None}  # the message that started it
        text = str(slot_value or "")
        if opting_out(tracker):
            return {"decision_aid_reply": "stopped", "decision_aid_stopped": "opt_out"}
        client = client_for(tracker)
        state = dict(tracker.get_slot("decision_aid_state") or {})
        patient_id = int(tracker.get_slot("patient_id"))
        if state.get("step") == "choose":
            return await self._choose(dispatcher, client, patient_id, state, text)
        content = tracker.get_slot("decision_aid_content") or {}
        try:
            sure = await load_questionnaire(client, "SURE")
        except BackendError:
            dispatcher.utter_message(response="utter_backend_unavailable")
            return {"decision_aid_reply": "stopped", "decision_aid_stopped": "backend"}
        meaning, moved = advance(content, state, text, sure)
        if meaning in ("unclear", "question") and _intent(tracker) in CHANGES:
            # "change my appointment": paused, and the change started (the finish action).
            return {"decision_aid_reply": "stopped", "decision_aid_stopped": _intent(tracker)}
        if meaning == "decline":
            return {"decision_aid_reply": "stopped", "decision_aid_stopped": "declined"}
        if meaning in ("unclear", "question") and _intent(tracker) == "ask_next_appointment":
            # A digression: answered, then the same step again.
            from actions.appointments import ActionTellNextAppointment

            await ActionTellNextAppointment().run(dispatcher, tracker, domain)
            return {"decision_aid_reply": None, "decision_aid_note": "again"}
        if meaning == "unclear" and leaving(_normalise(text), tracker, dispatcher):
            meaning = "later"
        if meaning == "later":
            return {"decision_aid_reply": "stopped", "decision_aid_stopped": "later"}
        if meaning in ("why", "sure_why"):
            dispatcher.utter_message(
                response="utter_decision_aid_sure_why"
                if meaning == "sure_why"
                else "utter_decision_aid_why"
            )
            return {"decision_aid_reply": None}
        if meaning == "unclear":
            return {"decision_aid_reply": None, "decision_aid_note": "unclear"}
        try:
            await client.save_decision_aid_progress(
                int(tracker.get_slot("decision_aid_session_id")),
                patient_id,
                {
                    "progress": {k: moved[k] for k in ("step", "index", "chunk", "questions")},
                    "sure_before": moved["sure_before"],
                    "sure_after": moved["sure_after"],
                    "values": moved["values"],
                    "leaning": moved["leaning"],
                },
            )
        except BackendError:
            logger.exception("backend unreachable while saving decision-aid progress")
            dispatcher.utter_message(response="utter_decision_aid_not_saved")
            return {"decision_aid_reply": "stopped", "decision_aid_stopped": "backend"}
        done = moved["step"] == "done"
        if meaning == "question":
            dispatcher.utter_message(response="utter_decision_aid_question_kept")
        return {
            "decision_aid_reply": "done" if done else None,
            "decision_aid_state": moved,
            "decision_aid_note": "again" if meaning == "question" else None,
        }

    @staticmethod
    async def _choose(
        dispatcher: CollectingDispatcher,
        client: BackendClient,
        patient_id: int,
        state: dict[str, Any],
        text: str,
    ) -> dict[str, object]:
        aids = state["aids"]
        words = _normalise(text)
        number = re.fullmatch(r"(\d+)", words)
        chosen = None
        if number and 1 <= int(number.group(1)) <= len(aids):
            chosen = aids[int(number.group(1)) - 1]["id"]
        else:
            named = [a["id"] for a in aids if any(
                re.search(rf"\b{w}", words) for w in re.findall(r"[a-z]{4,}", a["title"].lower())
                if w not in _COMMON)]  # fmt: skip
            chosen = named[0] if len(named) == 1 else None
        if chosen is None:
            if _LATER.search(words):
                return {"decision_aid_reply": "stopped", "decision_aid_stopped": "later"}
            return {"decision_aid_reply": None}
        try:
            started = await client.start_decision_aid(patient_id, chosen)
        except BackendError:
            logger.exception("backend unreachable while starting a decision aid")
            dispatcher.utter_message(response="utter_backend_unavailable")
            return {"decision_aid_reply": "stopped", "decision_aid_stopped": "backend"}
        opened = await _open(dispatcher, client, started)
        slots: dict[str, object] = {e["name"]: e["value"] for e in opened}
        if slots.get("decision_aid_stopped"):
            return {"decision_aid_reply": "stopped", **slots}
        return {"decision_aid_reply": None, **slots}


class ActionDecisionAidFinish(Action):
    def name(self) -> str:
        return "action_decision_aid_finish"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        reset = [SlotSet(name, None) for name in FORM_SLOTS]
        stopped = tracker.get_slot("decision_aid_stopped")
        closed = await close_unfinished(stopped, "decision_aid", dispatcher, tracker, domain)
        if closed is not None:
            return [*reset, *closed]
        content = tracker.get_slot("decision_aid_content") or {}
        client = client_for(tracker)
        try:
            done = await client.complete_decision_aid(
                int(tracker.get_slot("decision_aid_session_id")),
                int(tracker.get_slot("patient_id")),
            )
        except BackendError:
            logger.exception("backend unreachable while completing a decision aid")
            dispatcher.utter_message(response="utter_decision_aid_not_saved")
            return reset
        questions = content.get("ask_3_questions") or []
        dispatcher.utter_message(
            text="At your appointment, you could ask:\n"
            + "\n".join(f"{n}) {q}" for n, q in enumerate(questions, start=1))
        )
        dispatcher.utter_message(text=str(done.get("summary") or ""))
        dispatcher.utter_message(
            response="utter_decision_aid_not_sure_yet"
            if done.get("conflict_flagged")
            else "utter_decision_aid_done"
        )
        return reset
