"""The decision-aid walkthrough by text: every message it can send, the steps in order, pausing
and resuming, choosing a guide, and the summary at the end. The backend is mocked here (its own
tests cover sessions); the shipped aids are read from data/decision_aids/."""

import json
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import decision_aid as da
from actions import questionnaire as q
from actions.clients.backend import Questionnaire
from actions.settings import get_settings
from tests.actions.test_questionnaire import _served

BACKEND = get_settings().backend_url
ROOT = Path(__file__).resolve().parents[2]
SURE_JSON = _served("sure.yml")
CARRIER = ("STOP", "CANCEL", "END", "QUIT", "UNSUBSCRIBE", "START", "HELP")


def _iso(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else value


def _aid(name: str) -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "data" / "decision_aids" / f"{name}.yml").read_text())
    return json.loads(json.dumps(data, default=_iso))


KNEE = _aid("knee_osteoarthritis")
AIDS = [KNEE, _aid("care_after_hospital")]


def _sure() -> Questionnaire:
    return Questionnaire(
        kind="SURE", name="SURE", min_answered=4,
        items=tuple((i["id"], i["text"], i["why"]) for i in SURE_JSON["items"]),
        scale=tuple((p["value"], p["label"]) for p in SURE_JSON["scale"]),
        not_applicable_reply=None, synonyms=SURE_JSON["synonyms"],
    )  # fmt: skip


@pytest.fixture(autouse=True)
def _sure_cached() -> None:
    q._cache.clear()
    q._cache["SURE"] = (float("inf"), _sure())


def _walk(content: dict[str, Any], replies: list[str]) -> tuple[list[str], dict[str, Any]]:
    """The messages a patient would see, replying as given; and where it ends."""
    state, seen = da.fresh_state(), []
    for reply in replies:
        seen.append(da.prompt(content, state, _sure()))
        meaning, state = da.advance(content, state, reply, _sure())
        assert meaning == "ok", (reply, meaning, state)
    return seen, state


def test_every_message_of_both_aids_fits_a_text_or_three_and_asks_for_no_carrier_keyword() -> None:
    for content in AIDS:
        more = ["more"] * (len(da.CHUNKS) - 1) + ["next"]
        replies = ["1", "2", "yes", "no"] + more * len(content["options"])
        replies += ["2", "1", "1", "1", "1", "yes"]
        seen, state = _walk(content, replies)
        assert state["step"] == "done"
        for text in seen:
            assert 0 < len(text) <= 480, text  # at most three SMS segments
            assert all(ord(c) < 128 for c in text), text
            words = set(text.upper().replace("'", " ").split())
            assert not words & set(CARRIER), text
        # Good points and downsides in equal detail; the numbers share one denominator.
        options = content["options"]
        assert sum("Good points of" in t for t in seen) == len(options)
        assert sum("Downsides of" in t for t in seen) == len(options)
        out_of = content["denominator"]
        assert sum(f"Of every {out_of} people" in t for t in seen) == len(options)


def test_the_steps_in_order_and_what_is_kept() -> None:
    replies = ["yes", "no", "2", "1"]  # SURE before
    replies += ["next"] * len(KNEE["options"])  # the choices, summaries only
    replies += ["3", "the exercise one i think"]  # what matters; leaning in words
    replies += ["1", "1", "1", "2"]  # SURE after
    seen, state = _walk(KNEE, replies)
    assert seen[0].startswith("First, 4 quick yes/no questions.\n1 of 4: ")
    assert seen[4].startswith(f"Choice 1 of {len(KNEE['options'])}: ")
    assert seen[4 + len(KNEE["options"])].startswith(KNEE["values_question"])
    assert "Not sure yet" in seen[5 + len(KNEE["options"])]
    assert seen[6 + len(KNEE["options"])].startswith(
        "Thanks: leaning towards Exercise, weight loss and pain relief. Now the same 4"
    )
    assert state["sure_before"] == {"sure_of_myself": 1, "understand": 0, "risk_benefit": 0,
                                    "encouragement": 1}  # fmt: skip
    assert state["values"] == [KNEE["values_options"][2]]
    assert state["leaning"] == "exercise"
    assert state["sure_after"]["encouragement"] == 0 and state["step"] == "done"


@pytest.mark.parametrize(
    ("step", "reply", "meaning"),
    [
        ("sure_before", "purple", "unclear"),
        ("sure_before", "why are you asking", "why"),
        ("options", "later", "later"),
        ("options", "purple", "unclear"),
        ("values", "7", "unclear"),
        ("leaning", "9", "unclear"),
        ("leaning", "the one with the needle or the operation", "unclear"),
    ],
)
def test_replies_that_do_not_move_on(step: str, reply: str, meaning: str) -> None:
    state = {**da.fresh_state(), "step": step}
    got, after = da.advance(KNEE, state, reply, _sure())
    assert got == meaning and after == state


def test_not_sure_and_back() -> None:
    state = {**da.fresh_state(), "step": "leaning"}
    assert da.advance(KNEE, state, "not sure yet", _sure())[1]["leaning"] == "unsure"
    assert da.advance(KNEE, state, str(len(KNEE["options"]) + 1), _sure())[1]["leaning"] == "unsure"
    state = {**da.fresh_state(), "step": "options", "index": 2, "chunk": 3}
    assert da.advance(KNEE, state, "back", _sure())[1] | {} == {**state, "index": 1, "chunk": 0}


def tracker(text: str = "", intent: str = "inform", **slots: object) -> Tracker:
    return Tracker(
        sender_id="+447700900001",
        slots={"patient_id": 1, "identity_status": "known", "identity_confirmed": True, **slots},
        latest_message={"text": text, "intent": {"name": intent}},
        events=[], paused=False, followup_action=None,
        active_loop={"name": "decision_aid_form"}, latest_action_name="action_listen",
    )  # fmt: skip


def _slots(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


@respx.mock
async def test_no_guide_waiting_asks_which_then_starts_it() -> None:
    respx.post(f"{BACKEND}/api/v1/patients/1/decision-aid-sessions").mock(
        side_effect=[
            httpx.Response(409, json={"detail": "choose_decision_aid"}),
            httpx.Response(200, json={"id": 5, "aid_id": "knee_osteoarthritis", "progress": {}}),
        ]
    )
    respx.get(f"{BACKEND}/api/v1/decision-aids").mock(
        return_value=httpx.Response(200, json={"data": [
            {"id": a["id"], "title": a["title"], "decision": a["decision"]} for a in AIDS],
            "count": 2})  # fmt: skip
    )
    respx.get(f"{BACKEND}/api/v1/decision-aids/knee_osteoarthritis").mock(
        return_value=httpx.Response(200, json=KNEE)
    )
    respx.get(f"{BACKEND}/api/v1/patients/1/decision-aid-sessions").mock(
        return_value=httpx.Response(200, json={"data": [], "count": 0})
    )
    d = CollectingDispatcher()
    slots = _slots(await da.ActionDecisionAidStart().run(d, tracker("choices"), {}))
    assert slots["decision_aid_state"]["step"] == "choose" and not d.messages
    await da.ActionAskDecisionAidReply().run(d, tracker(**slots), {})
    assert d.messages[0]["text"].startswith("Which guide would you like to go through?\n1 ")

    d = CollectingDispatcher()
    chosen = await da.ValidateDecisionAidForm().validate_decision_aid_reply(
        "the knee one", d, tracker("the knee one", **slots), {}
    )
    assert chosen["decision_aid_session_id"] == 5 and chosen["decision_aid_reply"] is None
    assert d.messages[0]["response"] == "utter_decision_aid_intro"
    d = CollectingDispatcher()
    await da.ActionAskDecisionAidReply().run(d, tracker(**{**slots, **chosen}), {})
    assert "1 of 4: Do you feel SURE" in d.messages[0]["text"]


@respx.mock
async def test_resumed_where_it_was_left_and_each_step_saved() -> None:
    progress = {"step": "options", "index": 1, "chunk": 0}
    respx.post(f"{BACKEND}/api/v1/patients/1/decision-aid-sessions").mock(
        return_value=httpx.Response(200, json={"id": 5, "aid_id": "knee_osteoarthritis",
                                               "progress": progress})  # fmt: skip
    )
    respx.get(f"{BACKEND}/api/v1/decision-aids/knee_osteoarthritis").mock(
        return_value=httpx.Response(200, json=KNEE)
    )
    saved = respx.post(f"{BACKEND}/api/v1/decision-aid-sessions/5/progress").mock(
        return_value=httpx.Response(200, json={"id": 5})
    )
    d = CollectingDispatcher()
    slots = _slots(await da.ActionDecisionAidStart().run(d, tracker("choices"), {}))
    assert d.messages[0]["response"] == "utter_decision_aid_resume"
    assert slots["decision_aid_state"]["index"] == 1
    d = CollectingDispatcher()
    await da.ActionAskDecisionAidReply().run(d, tracker(**slots), {})
    assert d.messages[0]["text"].startswith(f"Choice 2 of {len(KNEE['options'])}: ")

    result = await da.ValidateDecisionAidForm().validate_decision_aid_reply(
        "more", CollectingDispatcher(), tracker("more", **slots), {}
    )
    assert result["decision_aid_state"]["chunk"] == 1
    body = json.loads(saved.calls.last.request.content)
    assert body["progress"] == {"step": "options", "index": 1, "chunk": 1, "questions": []}
    assert body["acting_for"] == {"kind": "patient", "id": 1, "channel": "sms"}

    paused = await da.ValidateDecisionAidForm().validate_decision_aid_reply(
        "can I finish this tomorrow", CollectingDispatcher(), tracker("x", **slots), {}
    )
    assert paused["decision_aid_stopped"] == "later"


@respx.mock
async def test_the_end_sends_ask_3_questions_and_the_summary_and_says_who_follows_up() -> None:
    summary = "Your summary: Knee osteoarthritis: treatment choices. Leaning towards: not sure yet."
    respx.post(f"{BACKEND}/api/v1/decision-aid-sessions/5/complete").mock(
        return_value=httpx.Response(
            200, json={"id": 5, "summary": summary, "conflict_flagged": True}
        )
    )
    d = CollectingDispatcher()
    await da.ActionDecisionAidFinish().run(
        d,
        tracker(decision_aid_session_id=5, decision_aid_content=KNEE,
                decision_aid_state={"step": "done"}, decision_aid_reply="done"),
        {},
    )  # fmt: skip
    assert d.messages[0]["text"].startswith("At your appointment, you could ask:\n1) ")
    assert d.messages[1]["text"] == summary
    assert d.messages[2]["response"] == "utter_decision_aid_not_sure_yet"


async def test_a_carer_is_told_the_person_goes_through_it() -> None:
    d = CollectingDispatcher()
    slots = _slots(
        await da.ActionDecisionAidStart().run(
            d, tracker("choices", identity_status="carer", carer_id=3), {}
        )
    )
    assert d.messages[0]["response"] == "utter_decision_aid_not_for_carers"
    assert slots["decision_aid_stopped"] == "start_failed"


@respx.mock
async def test_an_appointment_question_is_answered_and_the_step_asked_again() -> None:
    respx.get(f"{BACKEND}/api/v1/patients/1/appointments").mock(
        return_value=httpx.Response(200, json={"data": [], "count": 0})
    )
    state = {**da.fresh_state(), "step": "options", "index": 1}
    d = CollectingDispatcher()
    t = tracker(
        "when is my next appointment?",
        intent="ask_next_appointment",
        decision_aid_state=state,
        decision_aid_content=KNEE,
        decision_aid_session_id=5,
    )
    result = await da.ValidateDecisionAidForm().validate_decision_aid_reply(
        "when is my next appointment?", d, t, {}
    )
    assert result == {"decision_aid_reply": None, "decision_aid_note": "again"}
    assert d.messages and d.messages[0].get("response", "").startswith("utter_")
    # Then a short line back to the guide, not the whole choice again (the second trial).
    d = CollectingDispatcher()
    await da.ActionAskDecisionAidReply().run(d, tracker(**{**t.slots, **result}), {})
    assert d.messages[0]["text"].startswith("Back to the guide: choice 2, ")
    assert len(d.messages[0]["text"]) <= 160


def test_ok_reads_on_and_never_skips_the_downsides() -> None:
    # The second trial: "ok" after the good points jumped to the next choice.
    state = {**da.fresh_state(), "step": "options", "index": 1, "chunk": 1}
    _, after = da.advance(KNEE, state, "ok", _sure())
    assert (after["index"], da.CHUNKS[after["chunk"]]) == (1, "downsides")
    state = {**state, "chunk": 2}
    _, after = da.advance(KNEE, state, "next", _sure())
    assert (after["index"], after["chunk"]) == (2, 0)


def test_a_question_about_a_choice_is_kept_for_the_appointment() -> None:
    state = {**da.fresh_state(), "step": "options", "index": 1}
    meaning, after = da.advance(KNEE, state, "what does steroid mean?", _sure())
    assert meaning == "question" and after["questions"] == ["what does steroid mean?"]
    assert (after["index"], after["chunk"]) == (1, 0)


def test_maybe_to_a_sure_question_counts_as_not_yes_and_dunno_is_a_value() -> None:
    _, after = da.advance(KNEE, da.fresh_state(), "maybe", _sure())
    assert after["sure_before"] == {"sure_of_myself": 0}
    state = {**da.fresh_state(), "step": "values"}
    assert da.advance(KNEE, state, "dunno", _sure())[1]["values"] == ["not sure yet"]


@respx.mock
async def test_a_resumed_guide_keeps_everything_said_before() -> None:
    # The second trial: resuming started the answers afresh and the summary lost them.
    respx.post(f"{BACKEND}/api/v1/patients/1/decision-aid-sessions").mock(
        return_value=httpx.Response(200, json={
            "id": 5, "aid_id": "knee_osteoarthritis",
            "progress": {"step": "sure_after", "index": 0, "chunk": 0, "questions": ["q?"]},
            "sure_before": {"sure_of_myself": 0}, "sure_after": {},
            "values": ["Avoiding an operation and its risks"], "leaning": "exercise"})  # fmt: skip
    )
    respx.get(f"{BACKEND}/api/v1/decision-aids/knee_osteoarthritis").mock(
        return_value=httpx.Response(200, json=KNEE)
    )
    slots = _slots(await da.ActionDecisionAidStart().run(CollectingDispatcher(), tracker(), {}))
    state = slots["decision_aid_state"]
    assert state["sure_before"] == {"sure_of_myself": 0} and state["leaning"] == "exercise"
    assert state["values"] == ["Avoiding an operation and its risks"]
    assert state["questions"] == ["q?"] and state["step"] == "sure_after"


@respx.mock
async def test_choices_again_soon_after_finishing_says_so() -> None:
    respx.post(f"{BACKEND}/api/v1/patients/1/decision-aid-sessions").mock(
        return_value=httpx.Response(409, json={"detail": "choose_decision_aid"})
    )
    finished = datetime.now(timezone.utc).isoformat()
    respx.get(f"{BACKEND}/api/v1/patients/1/decision-aid-sessions").mock(
        return_value=httpx.Response(200, json={"data": [
            {"id": 5, "aid_id": "knee_osteoarthritis", "status": "completed",
             "completed_at": finished}], "count": 1})  # fmt: skip
    )
    respx.get(f"{BACKEND}/api/v1/decision-aids").mock(
        return_value=httpx.Response(200, json={"data": [
            {"id": a["id"], "title": a["title"], "decision": a["decision"]} for a in AIDS],
            "count": 2})  # fmt: skip
    )
    d = CollectingDispatcher()
    slots = _slots(await da.ActionDecisionAidStart().run(d, tracker("choices"), {}))
    assert d.messages[0]["response"] == "utter_decision_aid_already_done"
    assert d.messages[0]["title"] == KNEE["title"]
    assert slots["decision_aid_stopped"] == "start_failed"


CARE = AIDS[1]


@pytest.mark.parametrize(
    ("content", "reply", "leaning"),
    [
        (KNEE, "knee replacement", "knee_replacement"),
        (KNEE, "the operation i think", "knee_replacement"),
        (KNEE, "the jab", "steroid_injection"),
        (CARE, "the rehab bed", "rehab_bed"),
        (CARE, "a care home", "care_home"),
    ],
)
def test_a_choice_named_in_natural_words(content: dict[str, Any], reply: str, leaning: str) -> None:
    # The third trial: "knee replacement", "the operation" and "the rehab bed" were not read.
    state = {**da.fresh_state(), "step": "leaning"}
    meaning, after = da.advance(content, state, reply, _sure())
    assert (meaning, after["leaning"]) == ("ok", leaning)


def test_a_choice_said_with_a_negative_is_not_taken_as_that_choice() -> None:
    state = {**da.fresh_state(), "step": "leaning"}
    meaning, after = da.advance(CARE, state, "anything but the rehabilitation bed", _sure())
    assert meaning == "unclear" and after["leaning"] is None
    assert "name the choice" in da.unclear_text(CARE, state)


def test_a_question_when_asked_what_matters_is_kept_not_taken_as_the_answer() -> None:
    state = {**da.fresh_state(), "step": "values"}
    meaning, after = da.advance(CARE, state, "what does reablement mean?", _sure())
    assert meaning == "question" and after["values"] == [] and after["step"] == "values"
    assert after["questions"] == ["what does reablement mean?"]


def test_the_sure_questions_take_y_and_n_go_back_and_explain() -> None:
    state = {**da.fresh_state(), "index": 1}
    assert da.advance(KNEE, state, "Y", _sure())[1]["sure_before"] == {"understand": 1}
    assert da.advance(KNEE, state, "n", _sure())[1]["sure_before"] == {"understand": 0}
    meaning, after = da.advance(KNEE, state, "back", _sure())
    assert meaning == "ok" and after["index"] == 0 and after["sure_before"] == {}
    assert da.advance(KNEE, state, "what does sure mean?", _sure())[0] == "sure_why"
    # "back" at the first question after the choices returns to the leaning (the fourth trial).
    after_first = {**da.fresh_state(), "step": "sure_after", "index": 0, "leaning": "exercise"}
    meaning, back = da.advance(KNEE, after_first, "back", _sure())
    assert meaning == "ok" and back["step"] == "leaning"


def test_next_after_the_good_points_still_shows_the_downsides() -> None:
    state = {**da.fresh_state(), "step": "options", "index": 2, "chunk": 1}
    _, after = da.advance(KNEE, state, "next", _sure())
    assert (after["index"], da.CHUNKS[after["chunk"]]) == (2, "downsides")
