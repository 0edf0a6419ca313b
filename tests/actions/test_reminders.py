"""A bare number answers the latest reminder: 1 confirms, 2 changes, anything else is explained,
and the reminded appointment is the one acted on."""

import httpx
import pytest
import respx
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.cancel import ActionConfirmAttendance
from actions.reminders import ActionReadReminderReply, reminder_answer
from actions.settings import get_settings

BACKEND = get_settings().backend_url
SENT = "2026-12-01T10:00:00Z"  # when the reminder went


def row(appointment_id: int, day: int) -> dict[str, object]:
    return {
        "id": appointment_id,
        "starts_at": f"2026-12-0{day}T10:30:00+00:00",
        "ends_at": f"2026-12-0{day}T10:50:00+00:00",
        "location": "Riverside",
        "with_whom": "Dr A",
        "appointment_type": "review",
        "status": "booked",
    }


def tracker(text: str, **slots: object) -> Tracker:
    return Tracker(
        sender_id="+447700900001",
        slots={"identity_status": "known", "patient_id": 1, **slots},
        latest_message={"text": text, "intent": {"name": "inform"}},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("1", "confirm"),
        (" 1. ", "confirm"),
        ("1 please", "confirm"),
        ("One", "confirm"),
        ("2", "change"),
        ("2 thanks", "change"),
        ("3", None),
        ("1 or 2", None),
        ("12/03/1948", None),
    ],
)
def test_reading_the_reply(text: str, answer: str | None) -> None:
    assert reminder_answer(text) == answer


@respx.mock
@pytest.mark.parametrize(("text", "answer"), [("1", "confirm"), ("2", "change")])
async def test_a_number_after_a_reminder_answers_it(text: str, answer: str) -> None:
    respx.post(f"{BACKEND}/api/v1/reminders/latest").mock(
        return_value=httpx.Response(
            200,
            json={
                "appointment_id": 9,
                "patient_id": 1,
                "starts_at": "2026-12-03T10:30:00Z",
                "sent_at": SENT,
            },
        )
    )
    dispatcher = CollectingDispatcher()
    events = await ActionReadReminderReply().run(dispatcher, tracker(text), {})
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert slots == {"reminder_reply": answer, "reminder_appointment_id": 9}
    assert dispatcher.messages == []


@respx.mock
@pytest.mark.parametrize(
    ("text", "lookup", "status"),
    [
        ("1", httpx.Response(404), "known"),  # no recent reminder
        ("3", None, "known"),  # not an answer
        ("1", None, "unknown"),  # not a patient's phone: nothing asked of the backend
        (
            "1",
            httpx.Response(
                200,
                json={
                    "appointment_id": 9,
                    "patient_id": 2,
                    "starts_at": "2026-12-03T10:30:00Z",
                    "sent_at": SENT,
                },
            ),
            "known",
        ),  # someone else's reminder (a shared phone changed hands): not acted on
    ],
)
async def test_a_number_with_nothing_to_answer_is_explained(
    text: str, lookup: httpx.Response | None, status: str
) -> None:
    route = respx.post(f"{BACKEND}/api/v1/reminders/latest")
    if lookup is not None:
        route.mock(return_value=lookup)
    dispatcher = CollectingDispatcher()
    events = await ActionReadReminderReply().run(
        dispatcher, tracker(text, identity_status=status), {}
    )
    assert [m["response"] for m in dispatcher.messages] == ["utter_number_without_context"]
    assert [e["value"] for e in events if e["name"] == "reminder_reply"] == ["unclear"]
    assert route.called == (lookup is not None)


@respx.mock
async def test_two_reminded_appointments_make_a_number_ambiguous() -> None:
    respx.post(f"{BACKEND}/api/v1/reminders/latest").mock(
        return_value=httpx.Response(409, json={"detail": "several_recent_reminders"})
    )
    dispatcher = CollectingDispatcher()
    events = await ActionReadReminderReply().run(dispatcher, tracker("1"), {})
    assert [m["response"] for m in dispatcher.messages] == ["utter_reminder_reply_ambiguous"]
    assert {e["name"]: e["value"] for e in events}["reminder_reply"] == "unclear"


@respx.mock
async def test_a_number_after_the_assistant_spoke_again_is_not_a_reminder_reply() -> None:
    """Found by review: "Reply 1 to cancel it", a safety reply closes the form, then "1"."""
    respx.post(f"{BACKEND}/api/v1/reminders/latest").mock(
        return_value=httpx.Response(
            200,
            json={
                "appointment_id": 9,
                "patient_id": 1,
                "starts_at": "2026-12-03T10:30:00Z",
                "sent_at": SENT,
            },
        )
    )
    after = tracker("1")
    after.events = [{"event": "bot", "text": "Reply 1 to cancel it", "timestamp": 1_796_120_000.0}]
    dispatcher = CollectingDispatcher()
    events = await ActionReadReminderReply().run(dispatcher, after, {})
    assert [m["response"] for m in dispatcher.messages] == ["utter_number_without_context"]
    assert {e["name"]: e["value"] for e in events}["reminder_reply"] == "unclear"
    before = tracker("1")
    before.events = [{"event": "bot", "text": "Hello", "timestamp": 1_796_000_000.0}]
    events = await ActionReadReminderReply().run(CollectingDispatcher(), before, {})
    assert {e["name"]: e["value"] for e in events}["reminder_reply"] == "confirm"


@respx.mock
async def test_a_reminded_appointment_cancelled_meanwhile_changes_nothing() -> None:
    respx.get(f"{BACKEND}/api/v1/patients/1/appointments").mock(
        return_value=httpx.Response(200, json={"data": [row(8, 2)], "count": 1})
    )
    confirm = respx.post(url__regex=r".*/confirm$")
    dispatcher = CollectingDispatcher()
    events = await ActionConfirmAttendance().run(
        dispatcher, tracker("1", identity_confirmed=True, reminder_appointment_id=9), {}
    )
    assert not confirm.called, "never the next appointment instead"
    assert [m["response"] for m in dispatcher.messages] == ["utter_reminded_appointment_gone"]
    assert {e["name"]: e["value"] for e in events}["reminder_appointment_id"] is None


@respx.mock
async def test_confirming_acts_on_the_reminded_appointment_not_just_the_next() -> None:
    respx.get(f"{BACKEND}/api/v1/patients/1/appointments").mock(
        return_value=httpx.Response(200, json={"data": [row(8, 2), row(9, 3)], "count": 2})
    )
    confirm = respx.post(f"{BACKEND}/api/v1/appointments/9/confirm").mock(
        return_value=httpx.Response(200, json={})
    )
    dispatcher = CollectingDispatcher()
    events = await ActionConfirmAttendance().run(
        dispatcher, tracker("1", identity_confirmed=True, reminder_appointment_id=9), {}
    )
    assert confirm.called
    assert [m["response"] for m in dispatcher.messages] == ["utter_attendance_confirmed"]
    assert dispatcher.messages[0]["day"] == "Thursday 3 December"
    assert {"reminder_appointment_id": None}.items() <= {
        e["name"]: e["value"] for e in events if e["event"] == "slot"
    }.items()


async def test_words_are_not_read_as_a_reminder_reply() -> None:
    """Found in the third phone-simulator trial: "thanks, see you tuesday" (classified as a choice
    because of the weekday) got "not sure what that number is for"."""
    dispatcher = CollectingDispatcher()
    events = await ActionReadReminderReply().run(dispatcher, tracker("thanks, see you tuesday"), {})
    assert [m["response"] for m in dispatcher.messages] == ["utter_default"]
    assert {e["name"]: e["value"] for e in events}["reminder_reply"] == "unclear"
