"""The reschedule conversation's actions: reading replies, the form's branches, booking and the
call back, with the backend faked at HTTP level (respx)."""

import json

import httpx
import pytest
import respx
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.reschedule import (
    ActionAskRescheduleChoice,
    ActionRescheduleFinish,
    ActionRescheduleStart,
    ValidateRescheduleForm,
    pick,
)
from actions.settings import get_settings

BACKEND = get_settings().backend_url
TZ = "Europe/London"
OFFERS = [
    {
        "id": 11,
        "starts_at": "2026-12-01T10:30:00+00:00",
        "with_whom": "Dr A",
        "location": "Riverside",
    },
    {
        "id": 12,
        "starts_at": "2026-12-03T14:00:00+00:00",
        "with_whom": "Dr B",
        "location": "Northgate",
    },
    {
        "id": 13,
        "starts_at": "2026-12-04T09:15:00+00:00",
        "with_whom": "Dr A",
        "location": "Riverside",
    },
]


def tracker(text: str = "", intent: str = "inform", **slots: object) -> Tracker:
    return Tracker(
        sender_id="+447700900001",
        slots={"patient_id": 1, "identity_status": "known", "identity_confirmed": True, **slots},
        latest_message={"text": text, "intent": {"name": intent}},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={"name": "reschedule_form"},
        latest_action_name="action_listen",
    )


@pytest.mark.parametrize(
    ("reply", "index"),
    [
        ("1", 0), ("2", 1), ("3", 2), ("2nd", 1), ("the second one", 1), ("option 3", 2),
        ("Third please", 2), ("number 1", 0), ("thursday", 1), ("the fri one", 2),
        ("tues", 0), ("5", None), ("whenever", None), ("", None), ("monday", None),
        # Found by review: "one" naming a day, negations, and words that start like a day.
        ("the one on friday", 2), ("one on tuesday please", 0), ("no, not the tuesday one", None),
        ("not this month", None), ("sunny", None), ("friend", None),
    ],
)  # fmt: skip
def test_pick_understands_numbers_ordinals_and_weekdays(reply: str, index: int | None) -> None:
    assert pick(reply, OFFERS, TZ) == index


@respx.mock
async def test_start_offers_slots_for_the_next_appointment() -> None:
    respx.get(f"{BACKEND}/api/v1/patients/1/appointments").mock(
        return_value=httpx.Response(200, json={"data": [{
            "id": 7, "starts_at": "2026-12-10T10:30:00+00:00",
            "ends_at": "2026-12-10T10:50:00+00:00", "location": "Riverside", "with_whom": "Dr A",
            "appointment_type": "review", "status": "booked"}], "count": 1})
    )  # fmt: skip
    route = respx.get(f"{BACKEND}/api/v1/appointments/7/alternatives").mock(
        return_value=httpx.Response(200, json={"data": OFFERS, "count": 9})
    )
    dispatcher = CollectingDispatcher()
    events = await ActionRescheduleStart().run(dispatcher, tracker(), {})
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert slots["reschedule_appointment_id"] == 7
    assert [o["id"] for o in slots["reschedule_offers"]] == [11, 12, 13]
    assert route.calls.last.request.url.params["as_id"] == "1"
    assert route.calls.last.request.url.params["as_kind"] == "patient"
    assert dispatcher.messages[0]["response"] == "utter_reschedule_current"
    assert dispatcher.messages[0]["kind"], "says which appointment it is, not only when"


@respx.mock
@pytest.mark.parametrize(
    "reason", ["change_within_window", "change_needs_transport", "change_needs_interpreter"]
)
async def test_start_when_text_cannot_change_it_goes_to_the_call_back(reason: str) -> None:
    respx.get(f"{BACKEND}/api/v1/patients/1/appointments").mock(
        return_value=httpx.Response(200, json={"data": [{
            "id": 7, "starts_at": "2026-12-10T10:30:00+00:00",
            "ends_at": "2026-12-10T10:50:00+00:00", "location": "Riverside", "with_whom": "Dr A",
            "appointment_type": "review", "status": "booked"}], "count": 1})
    )  # fmt: skip
    respx.get(f"{BACKEND}/api/v1/appointments/7/alternatives").mock(
        return_value=httpx.Response(409, json={"detail": reason})
    )
    events = await ActionRescheduleStart().run(CollectingDispatcher(), tracker(), {})
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert slots["reschedule_blocked"] == reason
    form = ValidateRescheduleForm()
    required = await form.required_slots([], CollectingDispatcher(), tracker(**slots), {})
    assert required == ["callback_answer"]


async def test_the_offer_is_numbered_and_fits_two_sms_segments() -> None:
    dispatcher = CollectingDispatcher()
    await ActionAskRescheduleChoice().run(dispatcher, tracker(reschedule_offers=OFFERS), {})
    message = dispatcher.messages[0]
    assert message["response"] == "utter_ask_reschedule_choice"
    assert message["options"].splitlines()[0] == "1 Tue 1 Dec 10:30am, Dr A"
    assert message["numbers"] == "1, 2 or 3"
    text = (
        f"I can move it to:\n{message['options']}\n"
        f"Reply {message['numbers']}, 4 for other times, or 0 to leave it."
    )
    assert len(text) <= 306


async def test_unclear_choice_is_asked_again_and_never_mind_stops() -> None:
    form = ValidateRescheduleForm()
    dispatcher = CollectingDispatcher()
    unclear = await form.validate_reschedule_choice(
        "whenever", dispatcher, tracker(reschedule_offers=OFFERS), {}
    )
    assert unclear == {"reschedule_choice": None}
    assert dispatcher.messages[-1]["response"] == "utter_reschedule_choice_unclear"
    stop = await form.validate_reschedule_choice(
        "never mind", dispatcher, tracker(reschedule_offers=OFFERS), {}
    )
    assert stop["reschedule_stopped"] == "said_no"
    chosen = await form.validate_reschedule_choice(
        "the 2nd", dispatcher, tracker(reschedule_offers=OFFERS), {}
    )
    assert chosen == {"reschedule_choice": "2", "reschedule_slot_id": 12}
    when = await form.validate_reschedule_choice(
        "actually when is it again?",
        dispatcher,
        tracker(intent="ask_next_appointment", reschedule_offers=OFFERS),
        {},
    )
    assert when == {"reschedule_choice": None}
    assert dispatcher.messages[-1]["response"] == "utter_reschedule_digression_when"


@respx.mock
async def test_other_times_fetches_the_next_page() -> None:
    route = respx.get(f"{BACKEND}/api/v1/appointments/7/alternatives").mock(
        return_value=httpx.Response(200, json={"data": OFFERS[:1], "count": 4})
    )
    result = await ValidateRescheduleForm().validate_reschedule_choice(
        "4",
        CollectingDispatcher(),
        tracker(reschedule_offers=OFFERS, reschedule_appointment_id=7, reschedule_offset=0),
        {},
    )
    assert route.calls.last.request.url.params["offset"] == "3"
    assert result["reschedule_offset"] == 3 and result["reschedule_choice"] is None


async def test_confirmation_needs_an_explicit_yes() -> None:
    form = ValidateRescheduleForm()
    d = CollectingDispatcher()
    assert await form.validate_reschedule_confirm("1", d, tracker(), {}) == {
        "reschedule_confirm": "yes"
    }
    again = await form.validate_reschedule_confirm("2", d, tracker(), {})
    assert again["reschedule_choice"] is None and again["reschedule_confirm"] is None
    maybe = await form.validate_reschedule_confirm("hmm maybe", d, tracker(), {})
    assert maybe == {"reschedule_confirm": None}


@respx.mock
async def test_finish_books_the_confirmed_slot() -> None:
    route = respx.post(f"{BACKEND}/api/v1/appointments/7/reschedule").mock(
        return_value=httpx.Response(200, json={"starts_at": OFFERS[1]["starts_at"]})
    )
    dispatcher = CollectingDispatcher()
    slots = {"reschedule_appointment_id": 7, "reschedule_offers": OFFERS,
             "reschedule_slot_id": 12, "reschedule_confirm": "yes"}  # fmt: skip
    events = await ActionRescheduleFinish().run(dispatcher, tracker(**slots), {})
    body = json.loads(route.calls.last.request.content)
    assert body == {"slot_id": 12, "acting_for": {"kind": "patient", "id": 1, "channel": "sms"}}
    assert dispatcher.messages[0]["response"] == "utter_rescheduled"
    assert all(e["value"] is None for e in events if e["event"] == "slot")


@respx.mock
async def test_finish_when_the_slot_was_taken_meanwhile_changes_nothing() -> None:
    respx.post(f"{BACKEND}/api/v1/appointments/7/reschedule").mock(
        return_value=httpx.Response(409, json={"detail": "slot_taken"})
    )
    dispatcher = CollectingDispatcher()
    slots = {"reschedule_appointment_id": 7, "reschedule_offers": OFFERS,
             "reschedule_slot_id": 12, "reschedule_confirm": "yes"}  # fmt: skip
    await ActionRescheduleFinish().run(dispatcher, tracker(**slots), {})
    assert dispatcher.messages[0]["response"] == "utter_slot_taken"


@respx.mock
async def test_finish_without_confirmation_books_nothing() -> None:
    route = respx.post(f"{BACKEND}/api/v1/appointments/7/reschedule")
    dispatcher = CollectingDispatcher()
    slots = {"reschedule_appointment_id": 7, "reschedule_offers": OFFERS,
             "reschedule_slot_id": 12, "reschedule_stopped": "said_no"}  # fmt: skip
    await ActionRescheduleFinish().run(dispatcher, tracker(**slots), {})
    assert not route.called
    assert dispatcher.messages[0]["response"] == "utter_reschedule_left_as_is"


@respx.mock
async def test_finish_requests_the_call_back() -> None:
    route = respx.post(f"{BACKEND}/api/v1/callback-tasks").mock(
        return_value=httpx.Response(201, json={"id": 1})
    )
    dispatcher = CollectingDispatcher()
    slots = {"reschedule_appointment_id": 7, "reschedule_blocked": "change_within_window",
             "callback_answer": "yes"}  # fmt: skip
    await ActionRescheduleFinish().run(dispatcher, tracker(**slots), {})
    body = json.loads(route.calls.last.request.content)
    assert body["reason"] == "change_within_window" and body["appointment_id"] == 7
    assert dispatcher.messages[0]["response"] == "utter_callback_requested"


@pytest.mark.parametrize(
    "reply",
    ["yeah no", "ok what about later", "please can i have another time", "Yes, no wait", "hmm"],
)
async def test_only_an_unmistakable_yes_books(reply: str) -> None:
    result = await ValidateRescheduleForm().validate_reschedule_confirm(
        reply, CollectingDispatcher(), tracker(), {}
    )
    assert result.get("reschedule_confirm") != "yes"


@pytest.mark.parametrize(
    ("reply", "intent"),
    [
        ("0", "inform"),
        ("stop", "inform"),
        ("can i speak to someone", "request_human"),
        ("bye", "goodbye"),
    ],
)
async def test_ways_to_leave_without_a_carrier_keyword(reply: str, intent: str) -> None:
    dispatcher = CollectingDispatcher()
    result = await ValidateRescheduleForm().validate_reschedule_choice(
        reply, dispatcher, tracker(reply, intent, reschedule_offers=OFFERS), {}
    )
    assert result["reschedule_stopped"] == "said_no"
    if intent == "request_human":
        assert dispatcher.messages[-1]["response"] == "utter_request_human"


@respx.mock
async def test_a_carer_books_and_cancels_as_the_carer_not_as_the_patient() -> None:
    """Found by review: every call in the forms, not only the first, says it acts for the carer."""
    from actions.cancel import ActionCancelFinish

    booked = respx.post(f"{BACKEND}/api/v1/appointments/7/reschedule").mock(
        return_value=httpx.Response(200, json={"starts_at": OFFERS[1]["starts_at"]})
    )
    cancelled = respx.post(f"{BACKEND}/api/v1/appointments/7/cancel").mock(
        return_value=httpx.Response(200, json={})
    )
    more = respx.get(f"{BACKEND}/api/v1/appointments/7/alternatives").mock(
        return_value=httpx.Response(200, json={"data": OFFERS, "count": 3})
    )
    carer = {"identity_status": "carer", "carer_id": 5, "patient_id": 11}
    as_carer = {"kind": "carer", "id": 5, "channel": "sms"}

    slots = {"reschedule_appointment_id": 7, "reschedule_offers": OFFERS,
             "reschedule_slot_id": 12, "reschedule_confirm": "yes", **carer}  # fmt: skip
    await ActionRescheduleFinish().run(CollectingDispatcher(), tracker(**slots), {})
    assert json.loads(booked.calls.last.request.content)["acting_for"] == as_carer

    await ValidateRescheduleForm().validate_reschedule_choice(
        "4", CollectingDispatcher(), tracker("4", reschedule_appointment_id=7, **carer), {}
    )
    assert more.calls.last.request.url.params["as_kind"] == "carer"

    slots = {"cancel_appointment_id": 7, "cancel_confirm": "yes", "cancel_reason": "-", **carer}
    await ActionCancelFinish().run(CollectingDispatcher(), tracker(**slots), {})
    assert json.loads(cancelled.calls.last.request.content)["acting_for"] == as_carer
