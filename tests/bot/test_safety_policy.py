"""The safety policy answers a flagged message first, whatever state the conversation is in."""

from pathlib import Path

import pytest
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.policies.safety_policy import RAISE, next_safety_action

DOMAIN = Domain.load(str(Path(__file__).resolve().parents[2] / "bot" / "domain"))


def tracker(*events: object) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("+447700900001", list(events), DOMAIN.slots)


def said(intent: str) -> UserUttered:
    return UserUttered("text", intent={"name": intent, "confidence": 1.0})


@pytest.mark.parametrize(
    ("intent", "reply"),
    [
        ("safety_emergency", "utter_safety_emergency"),
        ("safety_urgent", "utter_safety_urgent"),
        ("safety_mental_health", "utter_safety_mental_health"),
        ("safety_routine", "utter_safety_routine"),
    ],
)
def test_reply_then_raise_then_listen(intent: str, reply: str) -> None:
    t = tracker(ActionExecuted(ACTION_LISTEN_NAME), said(intent))
    assert next_safety_action(t) == reply
    t.update(ActionExecuted(reply))
    assert next_safety_action(t) == RAISE
    t.update(ActionExecuted(RAISE))
    assert next_safety_action(t) == ACTION_LISTEN_NAME


def test_even_when_the_session_start_failed_and_a_form_is_active() -> None:
    # The action server was down: no action_listen, no slots; a form left active.
    t = tracker(
        ActionExecuted("action_session_start"), ActiveLoop("some_form"), said("safety_emergency")
    )
    assert next_safety_action(t) == "utter_safety_emergency"


def test_an_earlier_turns_actions_do_not_count() -> None:
    t = tracker(
        ActionExecuted(ACTION_LISTEN_NAME),
        said("safety_emergency"),
        ActionExecuted("utter_safety_emergency"),
        ActionExecuted(RAISE),
        ActionExecuted(ACTION_LISTEN_NAME),
        said("safety_emergency"),
    )
    assert next_safety_action(t) == "utter_safety_emergency"


def test_other_messages_are_left_to_the_other_policies() -> None:
    assert next_safety_action(tracker(said("ask_next_appointment"))) is None
    assert next_safety_action(tracker()) is None


@pytest.mark.parametrize("intent", ["safety_emergency", "safety_urgent", "safety_mental_health"])
def test_a_serious_concern_closes_an_active_form_and_says_so(intent: str) -> None:
    t = tracker(ActiveLoop("reschedule_form"), ActionExecuted(ACTION_LISTEN_NAME))
    t.update(said(intent))
    reply = next_safety_action(t)
    t.update(ActionExecuted(reply))
    for expected in (RAISE, "action_deactivate_loop"):
        assert next_safety_action(t) == expected
        t.update(ActionExecuted(expected))
    t.update(ActiveLoop(None))
    assert next_safety_action(t) == "utter_flow_closed_for_safety"
    t.update(ActionExecuted("utter_flow_closed_for_safety"))
    assert next_safety_action(t) == ACTION_LISTEN_NAME


@pytest.mark.parametrize(
    ("form", "paused"),
    [
        ("questionnaire_form", "utter_questionnaire_closed_for_safety"),
        ("decision_aid_form", "utter_decision_aid_closed_for_safety"),
    ],
)
def test_a_questionnaire_or_guide_closed_by_a_concern_says_its_place_is_kept(
    form: str, paused: str
) -> None:
    t = tracker(ActiveLoop(form), ActionExecuted(ACTION_LISTEN_NAME))
    t.update(said("safety_urgent"))
    for expected in ("utter_safety_urgent", RAISE, "action_deactivate_loop"):
        assert next_safety_action(t) == expected
        t.update(ActionExecuted(expected))
    t.update(ActiveLoop(None))
    assert next_safety_action(t) == paused
    t.update(ActionExecuted(paused))
    assert next_safety_action(t) == ACTION_LISTEN_NAME


def test_a_routine_concern_lets_the_form_ask_again() -> None:
    t = tracker(ActiveLoop("reschedule_form"), ActionExecuted(ACTION_LISTEN_NAME))
    t.update(said("safety_routine"))
    t.update(ActionExecuted(next_safety_action(t)))
    assert next_safety_action(t) == RAISE
    t.update(ActionExecuted(RAISE))
    assert next_safety_action(t) == "reschedule_form"
    t.update(ActionExecuted("reschedule_form"))
    assert next_safety_action(t) == ACTION_LISTEN_NAME
