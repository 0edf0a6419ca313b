"""Actions with CollectingDispatcher, trackers built from data, the backend faked at HTTP level."""

from datetime import datetime, timezone

import httpx
import pytest
import respx
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.appointments import ActionTellNextAppointment, describe
from actions.clients.backend import Appointment
from actions.session import ActionSessionStart
from actions.settings import get_settings

BACKEND = get_settings().backend_url
PHONE = "+447700900001"


def tracker(**slots: object) -> Tracker:
    return Tracker(
        sender_id=PHONE,
        slots={"identity_confirmed": True, **slots},
        latest_message={"text": "when is my next appointment?", "intent": {"name": "x"}},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def appointment_row(**overrides: object) -> dict[str, object]:
    row = {
        "id": 7,
        "patient_id": 1,
        "starts_at": "2026-12-01T10:30:00+00:00",
        "ends_at": "2026-12-01T10:50:00+00:00",
        "location": "Riverside Surgery, 12 Mill Lane",
        "with_whom": "Nurse Ben Osei (Practice nurse)",
        "appointment_type": "diabetes review",
        "status": "booked",
    }
    row.update(overrides)
    return row


def test_describe_uses_the_patients_clock_in_summer() -> None:
    # 09:00 UTC in July is 10am in London.
    appt = Appointment(
        1,
        datetime(2027, 7, 6, 9, 0, tzinfo=timezone.utc),
        datetime(2027, 7, 6, 9, 20, tzinfo=timezone.utc),
        "Riverside Surgery",
        "Dr Amira Patel (GP)",
        "care plan review",
        "booked",
    )
    words = describe(appt, "Europe/London")
    assert words["day"] == "Tuesday 6 July"
    assert words["time"] == "10am"


@respx.mock
async def test_known_patient_hears_their_next_appointment() -> None:
    route = respx.get(f"{BACKEND}/api/v1/patients/1/appointments").mock(
        return_value=httpx.Response(200, json={"data": [appointment_row()], "count": 1})
    )
    dispatcher = CollectingDispatcher()
    events = await ActionTellNextAppointment().run(
        dispatcher, tracker(patient_id=1, identity_status="known"), {}
    )
    assert events == []
    assert route.called
    assert route.calls.last.request.headers["Authorization"].startswith("Bearer ")
    assert route.calls.last.request.url.params["upcoming"] == "true"
    [message] = dispatcher.messages
    assert message["response"] == "utter_next_appointment"
    assert message["day"] == "Tuesday 1 December"
    assert message["time"] == "10:30am"
    assert message["place"] == "Riverside Surgery, 12 Mill Lane"
    assert message["with_whom"] == "Nurse Ben Osei (Practice nurse)"


@respx.mock
async def test_utc_times_with_a_z_suffix_are_read() -> None:
    respx.get(f"{BACKEND}/api/v1/patients/1/appointments").mock(
        return_value=httpx.Response(
            200, json={"data": [appointment_row(starts_at="2026-11-30T09:15:00Z")], "count": 1}
        )
    )
    dispatcher = CollectingDispatcher()
    await ActionTellNextAppointment().run(
        dispatcher, tracker(patient_id=1, identity_status="known"), {}
    )
    assert dispatcher.messages[0]["day"] == "Monday 30 November"
    assert dispatcher.messages[0]["time"] == "9:15am"


@respx.mock
async def test_malformed_backend_answer_is_treated_as_unavailable() -> None:
    respx.get(f"{BACKEND}/api/v1/patients/1/appointments").mock(
        return_value=httpx.Response(200, json={"data": [{"id": 1}], "count": 1})
    )
    dispatcher = CollectingDispatcher()
    await ActionTellNextAppointment().run(
        dispatcher, tracker(patient_id=1, identity_status="known"), {}
    )
    assert [m["response"] for m in dispatcher.messages] == ["utter_backend_unavailable"]


@respx.mock
async def test_no_upcoming_appointment() -> None:
    respx.get(f"{BACKEND}/api/v1/patients/1/appointments").mock(
        return_value=httpx.Response(200, json={"data": [], "count": 0})
    )
    dispatcher = CollectingDispatcher()
    await ActionTellNextAppointment().run(
        dispatcher, tracker(patient_id=1, identity_status="known"), {}
    )
    assert [m["response"] for m in dispatcher.messages] == ["utter_no_upcoming_appointment"]


@respx.mock
async def test_unknown_number_learns_nothing() -> None:
    lookup = respx.post(f"{BACKEND}/api/v1/patients/lookup").mock(
        return_value=httpx.Response(404, json={"detail": "patient_not_found"})
    )
    carer_lookup = respx.post(f"{BACKEND}/api/v1/carers/lookup").mock(
        return_value=httpx.Response(404, json={"detail": "carer_not_found"})
    )
    appointments = respx.get(url__regex=r".*/appointments.*").mock(
        return_value=httpx.Response(200, json={"data": [appointment_row()], "count": 1})
    )
    dispatcher = CollectingDispatcher()
    events = await ActionTellNextAppointment().run(
        dispatcher, tracker(identity_status="unknown"), {}
    )
    assert lookup.called and carer_lookup.called and not appointments.called
    assert [m["response"] for m in dispatcher.messages] == ["utter_unknown_number"]
    assert {"event": "slot", "name": "identity_status", "value": "unknown"} in [
        {k: e[k] for k in ("event", "name", "value")} for e in events
    ]


@respx.mock
async def test_backend_down_is_said_plainly_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    respx.get(f"{BACKEND}/api/v1/patients/1/appointments").mock(
        side_effect=httpx.ConnectError("refused")
    )
    dispatcher = CollectingDispatcher()
    await ActionTellNextAppointment().run(
        dispatcher, tracker(patient_id=1, identity_status="known"), {}
    )
    assert [m["response"] for m in dispatcher.messages] == ["utter_backend_unavailable"]
    assert "backend unreachable" in caplog.text


@respx.mock
async def test_session_start_identifies_a_known_patient_silently() -> None:
    respx.post(f"{BACKEND}/api/v1/patients/lookup").mock(
        return_value=httpx.Response(
            200,
            json={
                "id": 1,
                "given_name": "Margaret",
                "named_clinician_id": 3,
                "care_coordinator_id": 1,
                "sms_opt_out": False,
            },
        )
    )
    dispatcher = CollectingDispatcher()
    events = await ActionSessionStart().run(dispatcher, tracker(), {})
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert slots == {
        "identity_status": "known",
        "carer_id": None,
        "asked_about_someone_else": False,
        "patient_id": 1,
        "patient_first_name": "Margaret",
        "identity_confirmed": False,
        "identity_locked": False,
    }
    assert events[0]["event"] == "session_started" and events[-1]["name"] == "action_listen"
    assert dispatcher.messages == []


@respx.mock
async def test_session_start_with_backend_down_marks_identity_unavailable() -> None:
    respx.post(f"{BACKEND}/api/v1/patients/lookup").mock(side_effect=httpx.ReadTimeout("slow"))
    dispatcher = CollectingDispatcher()
    events = await ActionSessionStart().run(dispatcher, tracker(), {})
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert slots == {"identity_status": "unavailable"}


@respx.mock
async def test_several_upcoming_appointments_are_told_apart() -> None:
    respx.get(f"{BACKEND}/api/v1/patients/1/appointments").mock(
        return_value=httpx.Response(
            200,
            json={
                "data": [
                    appointment_row(),
                    appointment_row(
                        id=8, starts_at="2026-12-08T14:00:00+00:00", appointment_type="blood test"
                    ),
                ],
                "count": 2,
            },
        )
    )
    dispatcher = CollectingDispatcher()
    await ActionTellNextAppointment().run(
        dispatcher, tracker(patient_id=1, identity_status="known"), {}
    )
    assert [m["response"] for m in dispatcher.messages] == [
        "utter_next_appointment",
        "utter_also_upcoming",
    ]
    assert dispatcher.messages[1]["others"] == "blood test, Tuesday 8 December at 2pm"


@respx.mock
async def test_details_give_the_address_directions_and_what_to_bring() -> None:
    from actions.appointments import ActionTellAppointmentDetails

    respx.get(f"{BACKEND}/api/v1/patients/1/appointments").mock(
        return_value=httpx.Response(200, json={"data": [appointment_row()], "count": 1})
    )
    route = respx.get(f"{BACKEND}/api/v1/appointments/7").mock(
        return_value=httpx.Response(
            200,
            json={
                "address": "Riverside Surgery, 12 Mill Lane, Leeds LS2 7AB",
                "directions": "Buses 6 and 51 stop outside.",
                "what_to_bring": "Your blood glucose meter.",
                "location": "Riverside Surgery",
            },
        )
    )
    dispatcher = CollectingDispatcher()
    await ActionTellAppointmentDetails().run(
        dispatcher, tracker(patient_id=1, identity_status="known"), {}
    )
    assert route.calls.last.request.url.params["as_id"] == "1"
    responses = [m["response"] for m in dispatcher.messages]
    assert responses == [
        "utter_appointment_where",
        "utter_appointment_directions",
        "utter_appointment_bring",
    ]
    assert dispatcher.messages[0]["address"].endswith("LS2 7AB")


def test_the_appointment_a_message_names() -> None:
    """Found in the phone-simulator trial: "cancel the one in January" offered the next one."""
    from datetime import datetime

    from actions.appointments import named_appointment
    from actions.clients.backend import Appointment

    def at(i: int, iso: str, kind: str) -> Appointment:
        when = datetime.fromisoformat(iso)
        return Appointment(i, when, when, "Riverside", "Dr A", kind, "booked")

    upcoming = [
        at(1, "2026-12-01T10:00:00+00:00", "medication review"),
        at(2, "2026-12-11T10:00:00+00:00", "care plan review"),
        at(3, "2027-01-08T10:00:00+00:00", "blood test"),
    ]
    cases = {
        "can I cancel the one in January?": 3,
        "can we cancel the one on the 11th instead": 2,
        "move the blood test please": 3,
        "cancel the care plan review on friday": 2,
        "cancel the tuesday one": 1,
        "may I cancel my appointment": None,  # not May
        "cancel my appointment": None,
        "cancel the december one": None,  # two in December: the form says which it means
    }
    for text, expected in cases.items():
        found = named_appointment(text, upcoming, "Europe/London")
        assert (found.id if found else None) == expected, text


@respx.mock
async def test_session_start_says_nothing_to_an_unknown_number() -> None:
    """Found in the phone-simulator trial: the first text from an unknown number was answered
    "doesn't recognise your phone number" twice (here, and by what it asked for)."""
    respx.post(f"{BACKEND}/api/v1/patients/lookup").mock(return_value=httpx.Response(404))
    respx.post(f"{BACKEND}/api/v1/carers/lookup").mock(return_value=httpx.Response(404))
    dispatcher = CollectingDispatcher()
    events = await ActionSessionStart().run(dispatcher, tracker(), {})
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert slots["identity_status"] == "unknown"
    assert dispatcher.messages == []
