"""Cancelling and confirming attendance: the form's branches and the calls to the backend."""

import json
from pathlib import Path

import httpx
import respx
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.cancel import (
    ActionAskCancelConfirm,
    ActionCancelFinish,
    ActionCancelStart,
    ActionConfirmAttendance,
    ValidateCancelForm,
)
from actions.settings import get_settings

BACKEND = get_settings().backend_url
UPCOMING = {
    "data": [
        {
            "id": 7,
            "starts_at": "2026-12-10T10:30:00+00:00",
            "ends_at": "2026-12-10T10:50:00+00:00",
            "location": "Riverside",
            "with_whom": "Dr A",
            "appointment_type": "diabetes review",
            "status": "booked",
        }
    ],
    "count": 1,
}


DOMAIN = yaml.safe_load(
    (Path(__file__).resolve().parents[2] / "bot" / "domain" / "appointments.yml").read_text()
)


def tracker(intent: str = "inform", **slots: object) -> Tracker:
    return Tracker(
        sender_id="+447700900001",
        slots={"patient_id": 1, "identity_status": "known", "identity_confirmed": True, **slots},
        latest_message={"text": "", "intent": {"name": intent}},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={"name": "cancel_form"},
        latest_action_name="action_listen",
    )


@respx.mock
async def test_start_names_the_appointment_and_notes_a_limit() -> None:
    respx.get(f"{BACKEND}/api/v1/patients/1/appointments").mock(
        return_value=httpx.Response(200, json=UPCOMING)
    )
    respx.get(f"{BACKEND}/api/v1/appointments/7").mock(
        return_value=httpx.Response(200, json={"change_blocked": "change_needs_transport"})
    )
    dispatcher = CollectingDispatcher()
    events = await ActionCancelStart().run(dispatcher, tracker(), {})
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert slots["cancel_appointment_id"] == 7
    assert slots["cancel_blocked"] == "change_needs_transport"
    assert dispatcher.messages[0]["response"] == "utter_cancel_which"
    assert dispatcher.messages[0]["kind"] == "diabetes review"
    form = ValidateCancelForm()
    assert await form.required_slots([], dispatcher, tracker(**slots), {}) == ["callback_answer"]


async def test_the_confirmation_and_reason() -> None:
    form = ValidateCancelForm()
    d = CollectingDispatcher()
    assert await form.validate_cancel_confirm("1", d, tracker(), {}) == {"cancel_confirm": "yes"}
    kept = await form.validate_cancel_confirm("2", d, tracker(), {})
    assert kept["cancel_stopped"] == "kept"
    unclear = await form.validate_cancel_confirm("what", d, tracker(), {})
    assert unclear == {"cancel_confirm": None}
    assert d.messages == [], "asked again by the ask action, as one line"
    # Found in the phone-simulator trial: a natural yes or no, and a question mid-form.
    yes = await form.validate_cancel_confirm("yes cancel it, I'm away that week", d, tracker(), {})
    assert yes == {"cancel_confirm": "yes", "cancel_reason": "I'm away that week"}
    plain = await form.validate_cancel_confirm("yes please cancel it", d, tracker(), {})
    assert plain == {"cancel_confirm": "yes"}
    no = await form.validate_cancel_confirm("no not that one, the january one", d, tracker(), {})
    assert no["cancel_stopped"] == "kept"
    doubt = await form.validate_cancel_confirm("yes but not that one", d, tracker(), {})
    assert doubt == {"cancel_confirm": None}
    digression = await form.validate_cancel_confirm(
        "actually when is it again", d, tracker(intent="ask_next_appointment"), {}
    )
    assert digression == {"cancel_confirm": None}
    assert d.messages[-1]["response"] == "utter_reschedule_digression_when"
    # Asked again only when it was the last question: the form sets requested_slot before the
    # first asking as well (found in the second phone-simulator trial).
    first, again = CollectingDispatcher(), CollectingDispatcher()
    started = tracker(requested_slot="cancel_confirm")
    started.events = [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "cancel my appointment"},
        {"event": "action", "name": "action_cancel_start"},
        {"event": "action", "name": "cancel_form"},
    ]
    domain = DOMAIN
    await ActionAskCancelConfirm().run(first, started, domain)
    asked = tracker(requested_slot="cancel_confirm")
    asked.events = [
        {"event": "action", "name": "cancel_form"},  # the form runs its ask action inside
        {"event": "bot", "text": "Reply 1 to cancel it, or 2 to keep it."},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "what"},
        {"event": "action", "name": "cancel_form"},
    ]
    await ActionAskCancelConfirm().run(again, asked, domain)
    assert [m["response"] for m in first.messages + again.messages] == [
        "utter_ask_cancel_confirm",
        "utter_cancel_confirm_unclear",
    ]
    assert await form.validate_cancel_reason("0", d, tracker(), {}) == {"cancel_reason": "-"}
    given = await form.validate_cancel_reason("Feeling better now", d, tracker(), {})
    assert given == {"cancel_reason": "Feeling better now"}


@respx.mock
async def test_finish_cancels_only_after_a_yes() -> None:
    route = respx.post(f"{BACKEND}/api/v1/appointments/7/cancel").mock(
        return_value=httpx.Response(200, json={"status": "cancelled"})
    )
    d = CollectingDispatcher()
    await ActionCancelFinish().run(d, tracker(cancel_appointment_id=7, cancel_stopped="kept"), {})
    assert not route.called and d.messages[-1]["response"] == "utter_cancel_kept"
    await ActionCancelFinish().run(
        d, tracker(cancel_appointment_id=7, cancel_confirm="yes", cancel_reason="-"), {}
    )
    body = json.loads(route.calls.last.request.content)
    assert body == {"reason": None, "acting_for": {"kind": "patient", "id": 1, "channel": "sms"}}
    assert d.messages[-1]["response"] == "utter_cancelled"


@respx.mock
async def test_finish_refused_by_the_backend_says_why() -> None:
    respx.post(f"{BACKEND}/api/v1/appointments/7/cancel").mock(
        return_value=httpx.Response(409, json={"detail": "change_within_window"})
    )
    d = CollectingDispatcher()
    await ActionCancelFinish().run(
        d, tracker(cancel_appointment_id=7, cancel_confirm="yes", cancel_reason="busy"), {}
    )
    assert d.messages[-1]["response"] == "utter_cannot_change_by_text_change_within_window"


@respx.mock
async def test_confirm_attendance() -> None:
    respx.get(f"{BACKEND}/api/v1/patients/1/appointments").mock(
        return_value=httpx.Response(200, json=UPCOMING)
    )
    route = respx.post(f"{BACKEND}/api/v1/appointments/7/confirm").mock(
        return_value=httpx.Response(200, json={"status": "confirmed"})
    )
    d = CollectingDispatcher()
    await ActionConfirmAttendance().run(d, tracker(), {})
    assert route.called
    assert d.messages[-1]["response"] == "utter_attendance_confirmed"
