"""Opting out and back in: recorded in the backend; Twilio's own keywords get no reply from us
(Twilio confirms them itself), free text gets a plain answer; and "stop" in the middle of a form
leaves the form and opts out."""

import json

import httpx
import pytest
import respx
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.opt_out import ActionOptIn, ActionOptOut
from actions.outbox import EscalationOutbox
from actions.reschedule import ActionRescheduleFinish, ValidateRescheduleForm
from actions.settings import get_settings

BACKEND = get_settings().backend_url


def tracker(text: str, intent: str, **slots: object) -> Tracker:
    return Tracker(
        sender_id="+447700900001",
        slots={"patient_id": 1, "identity_status": "known", "identity_confirmed": True, **slots},
        latest_message={"text": text, "intent": {"name": intent}},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


@respx.mock
@pytest.mark.parametrize(
    ("text", "source", "reply"),
    [("STOP", "keyword", []), ("please stop texting me", "free_text", ["utter_opted_out"])],
)
async def test_opt_out(text: str, source: str, reply: list[str]) -> None:
    route = respx.post(f"{BACKEND}/api/v1/patients/sms-preference").mock(
        return_value=httpx.Response(200, json={"recorded": True})
    )
    dispatcher = CollectingDispatcher()
    await ActionOptOut().run(dispatcher, tracker(text, "opt_out"), {})
    body = json.loads(route.calls.last.request.content)
    assert body == {"phone": "+447700900001", "opted_out": True, "source": source}
    assert [m["response"] for m in dispatcher.messages] == reply


@respx.mock
async def test_opt_in_by_free_text() -> None:
    route = respx.post(f"{BACKEND}/api/v1/patients/sms-preference").mock(
        return_value=httpx.Response(200, json={"recorded": True})
    )
    dispatcher = CollectingDispatcher()
    await ActionOptIn().run(dispatcher, tracker("you can text me again", "opt_in"), {})
    assert json.loads(route.calls.last.request.content)["opted_out"] is False
    assert dispatcher.messages[0]["response"] == "utter_opted_in"


@respx.mock
async def test_backend_down_the_opt_out_is_kept_and_delivered_later(
    _own_outbox: EscalationOutbox,
) -> None:
    """Nothing lost: the opt-out is in the durable outbox before the backend is tried, the
    answer goes at once, and the retry pass delivers it when the backend is back."""
    from actions.safety import deliver_to_backend

    route = respx.post(f"{BACKEND}/api/v1/patients/sms-preference").mock(
        side_effect=httpx.ConnectError("down")
    )
    dispatcher = CollectingDispatcher()
    await ActionOptOut().run(dispatcher, tracker("stop texting me", "opt_out"), {})
    assert [m["response"] for m in dispatcher.messages] == ["utter_opted_out"]
    assert route.called and _own_outbox.counts() == {"pending": 1}

    route.side_effect = None
    route.return_value = httpx.Response(200, json={"recorded": True})
    [item] = _own_outbox.due(now=float("inf"))
    assert await _own_outbox.deliver(item, deliver_to_backend)
    assert json.loads(route.calls.last.request.content) == {
        "phone": "+447700900001",
        "opted_out": True,
        "source": "free_text",
    }
    assert _own_outbox.counts() == {"delivered": 1}


@respx.mock
async def test_stop_in_the_middle_of_a_form_leaves_it_and_opts_out() -> None:
    route = respx.post(f"{BACKEND}/api/v1/patients/sms-preference").mock(
        return_value=httpx.Response(200, json={"recorded": True})
    )
    t = tracker("stop", "opt_out", reschedule_offers=[])
    result = await ValidateRescheduleForm().validate_reschedule_choice(
        "stop", CollectingDispatcher(), t, {}
    )
    assert result["reschedule_stopped"] == "opt_out"
    booked = respx.post(f"{BACKEND}/api/v1/appointments/7/reschedule")
    await ActionRescheduleFinish().run(
        CollectingDispatcher(), tracker("stop", "opt_out", reschedule_stopped="opt_out"), {}
    )
    assert route.called and not booked.called


@respx.mock
@pytest.mark.parametrize("text", ["dont know", "I don't want to do this anymore", "no"])
async def test_a_guess_of_opt_out_that_does_not_mention_texts_changes_nothing(text: str) -> None:
    # The first questionnaire trial: "dont know" was classified opt_out and turned texts off.
    route = respx.post(f"{BACKEND}/api/v1/patients/sms-preference")
    dispatcher = CollectingDispatcher()
    await ActionOptOut().run(dispatcher, tracker(text, "opt_out"), {})
    assert not route.called
    assert [m["response"] for m in dispatcher.messages] == ["utter_sms_preference_unclear"]
