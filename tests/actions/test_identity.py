"""The date-of-birth check: reading dates as people text them, asking before any disclosure, and
answering the original question once the backend confirms."""

import json
from datetime import date

import httpx
import pytest
import respx
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.appointments import ActionTellNextAppointment
from actions.identity import ActionConfirmIdentity, parse_date_of_birth
from actions.settings import get_settings

BACKEND = get_settings().backend_url
TODAY = date(2026, 11, 29)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("31/01/1950", date(1950, 1, 31)),
        ("5/6/1939", date(1939, 6, 5)),
        ("01.02.1960", date(1960, 2, 1)),
        ("14-11-1952", date(1952, 11, 14)),
        ("3/9/45", None),  # 1945 or 2045? asked again, at no cost
        ("12-Mar-1948", date(1948, 3, 12)),
        ("12 Mar. 1948", date(1948, 3, 12)),
        ("12 decimal 1948", None),
        ("1948-03-12", date(1948, 3, 12)),
        ("12 March 1948", date(1948, 3, 12)),
        ("3rd of May 1950", date(1950, 5, 3)),
        ("it's the 4th of july 1946", date(1946, 7, 4)),
        ("March 12, 1948", date(1948, 3, 12)),
        ("my dob is 22/10/1955 thanks", date(1955, 10, 22)),
        ("31/02/1950", None),
        ("12/03/2030", None),
        ("1", None),
        ("next tuesday", None),
    ],
)
def test_dates_as_people_text_them(text: str, expected: date | None) -> None:
    assert parse_date_of_birth(text, today=TODAY) == expected


def tracker(text: str = "", intent: str = "give_date_of_birth", **slots: object) -> Tracker:
    return Tracker(
        sender_id="+447700900001",
        slots={"patient_id": 1, "identity_status": "known", **slots},
        latest_message={"text": text, "intent": {"name": intent}},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


@respx.mock
async def test_nothing_is_disclosed_before_the_check() -> None:
    route = respx.get(f"{BACKEND}/api/v1/patients/1/appointments")
    dispatcher = CollectingDispatcher()
    events = await ActionTellNextAppointment().run(
        dispatcher, tracker("when is my appointment", "ask_next_appointment"), {}
    )
    assert not route.called, "no appointment data fetched, let alone sent"
    assert [m["response"] for m in dispatcher.messages] == ["utter_ask_date_of_birth"]
    assert {"event": "slot", "name": "pending_request", "value": "next", "timestamp": None} in [
        {**e, "timestamp": None} for e in events
    ]


@respx.mock
async def test_a_confirmed_date_answers_the_original_question() -> None:
    check = respx.post(f"{BACKEND}/api/v1/patients/confirm-identity").mock(
        return_value=httpx.Response(200, json={"result": "confirmed", "attempts_left": 3})
    )
    respx.get(f"{BACKEND}/api/v1/patients/1/appointments").mock(
        return_value=httpx.Response(
            200,
            json={
                "data": [
                    {
                        "id": 7,
                        "starts_at": "2026-12-01T10:30:00+00:00",
                        "ends_at": "2026-12-01T10:50:00+00:00",
                        "location": "Riverside",
                        "with_whom": "Dr A",
                        "appointment_type": "review",
                        "status": "booked",
                    }
                ],
                "count": 1,
            },
        )
    )
    dispatcher = CollectingDispatcher()
    events = await ActionConfirmIdentity().run(
        dispatcher, tracker("12/03/1948", pending_request="next"), {}
    )
    assert json.loads(check.calls.last.request.content) == {
        "phone": "+447700900001",
        "date_of_birth": "1948-03-12",
    }
    assert [m["response"] for m in dispatcher.messages] == [
        "utter_identity_confirmed",
        "utter_next_appointment",
    ]
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert slots["identity_confirmed"] is True and slots["pending_request"] is None


@respx.mock
@pytest.mark.parametrize(
    ("result", "left", "reply"),
    [
        ("mismatch", 2, "utter_date_of_birth_mismatch"),
        ("locked", 0, "utter_identity_locked"),
    ],
)
async def test_wrong_answers_and_the_lock(result: str, left: int, reply: str) -> None:
    respx.post(f"{BACKEND}/api/v1/patients/confirm-identity").mock(
        return_value=httpx.Response(200, json={"result": result, "attempts_left": left})
    )
    appointments = respx.get(f"{BACKEND}/api/v1/patients/1/appointments")
    dispatcher = CollectingDispatcher()
    await ActionConfirmIdentity().run(dispatcher, tracker("1/1/1950", pending_request="next"), {})
    assert [m["response"] for m in dispatcher.messages] == [reply]
    assert not appointments.called


async def test_an_unreadable_date_is_asked_again_without_calling_the_backend() -> None:
    dispatcher = CollectingDispatcher()
    with respx.mock(assert_all_called=False) as mock:
        check = mock.post(f"{BACKEND}/api/v1/patients/confirm-identity")
        await ActionConfirmIdentity().run(dispatcher, tracker("sometime in the fifties"), {})
    assert not check.called
    assert dispatcher.messages[0]["response"] == "utter_date_of_birth_unclear"


async def test_a_lock_wins_over_an_earlier_confirmation() -> None:
    from actions.identity import disclosure_allowed

    dispatcher = CollectingDispatcher()
    allowed, _ = disclosure_allowed(
        dispatcher, tracker(identity_confirmed=True, identity_locked=True), "next"
    )
    assert not allowed and dispatcher.messages[0]["response"] == "utter_identity_locked"


async def test_a_date_nobody_asked_for_is_not_an_answer() -> None:
    dispatcher = CollectingDispatcher()
    with respx.mock(assert_all_called=False) as mock:
        check = mock.post(f"{BACKEND}/api/v1/patients/confirm-identity")
        await ActionConfirmIdentity().run(
            dispatcher, tracker("my bloods were on 12/03/2026", identity_confirmed=True), {}
        )
    assert not check.called, "no attempt counted against them"


@respx.mock
async def test_a_change_carries_on_after_the_check_instead_of_being_asked_again() -> None:
    """Found in the phone-simulator trial: "Please send your request again" after a change."""
    respx.post(f"{BACKEND}/api/v1/patients/confirm-identity").mock(
        return_value=httpx.Response(200, json={"result": "confirmed", "attempts_left": 3})
    )
    row = {
        "id": 7,
        "starts_at": "2026-12-09T10:30:00+00:00",
        "ends_at": "2026-12-09T10:50:00+00:00",
        "location": "Riverside",
        "with_whom": "Dr A",
        "appointment_type": "review",
        "status": "booked",
    }
    respx.get(f"{BACKEND}/api/v1/patients/1/appointments").mock(
        return_value=httpx.Response(200, json={"data": [row], "count": 1})
    )
    slots_route = respx.get(f"{BACKEND}/api/v1/appointments/7/alternatives").mock(
        return_value=httpx.Response(
            200,
            json={
                "data": [
                    {
                        "id": 11,
                        "starts_at": "2026-12-10T10:30:00+00:00",
                        "with_whom": "Dr A",
                        "location": "Riverside",
                    }
                ],
                "count": 1,
            },
        )
    )
    dispatcher = CollectingDispatcher()
    events = await ActionConfirmIdentity().run(
        dispatcher, tracker("3rd of May 1950", pending_request="reschedule"), {}
    )
    assert slots_route.called
    assert [m["response"] for m in dispatcher.messages] == [
        "utter_identity_confirmed",
        "utter_reschedule_current",
    ]
    assert events[-1] == {"event": "followup", "name": "reschedule_form", "timestamp": None}
