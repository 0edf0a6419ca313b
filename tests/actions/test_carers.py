"""Carers by text: recognised without naming anyone, the person named by their date of birth,
then answered in the carer's terms; the backend is told the assistant acts for the carer."""

import httpx
import pytest
import respx
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.appointments import ActionTellNextAppointment
from actions.carers import ActionIdentifyCarer
from actions.identity import ActionConfirmIdentity
from actions.safety import escalation_payload
from actions.session import ActionSessionStart
from actions.settings import get_settings

BACKEND = get_settings().backend_url
PHONE = "+447700900690"
CARER = {"id": 5, "given_name": "Sam", "caring_for": 2, "identity_locked": False}
ROW = {
    "id": 7,
    "starts_at": "2026-12-01T10:30:00+00:00",
    "ends_at": "2026-12-01T10:50:00+00:00",
    "location": "Riverside",
    "with_whom": "Dr A",
    "appointment_type": "review",
    "status": "booked",
}


def tracker(text: str = "", intent: str = "", **slots: object) -> Tracker:
    return Tracker(
        sender_id=PHONE,
        slots=slots,
        latest_message={"text": text, "intent": {"name": intent}},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def slots_of(events: list[dict[str, object]]) -> dict[str, object]:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def carer_slots(**more: object) -> dict[str, object]:
    return {
        "identity_status": "carer",
        "carer_id": 5,
        "carer_caring_for": 2,
        "patient_id": None,
        "identity_confirmed": False,
        **more,
    }


@respx.mock
async def test_a_carers_phone_is_recognised_at_session_start_and_nobody_is_named() -> None:
    respx.post(f"{BACKEND}/api/v1/patients/lookup").mock(return_value=httpx.Response(404))
    respx.post(f"{BACKEND}/api/v1/carers/lookup").mock(return_value=httpx.Response(200, json=CARER))
    dispatcher = CollectingDispatcher()
    events = await ActionSessionStart().run(dispatcher, tracker(), {})
    slots = slots_of(events)
    assert slots["identity_status"] == "carer" and slots["carer_id"] == 5
    assert slots["patient_id"] is None and slots["identity_confirmed"] is False
    assert dispatcher.messages == [], "not greeted as an unknown number"


@respx.mock
async def test_a_carer_asking_first_is_asked_for_the_persons_date_of_birth() -> None:
    appointments = respx.get(url__regex=r".*/appointments.*")
    dispatcher = CollectingDispatcher()
    events = await ActionTellNextAppointment().run(
        dispatcher, tracker("when is mums appointment", **carer_slots()), {}
    )
    assert not appointments.called
    assert [m["response"] for m in dispatcher.messages] == ["utter_carer_ask_date_of_birth"]
    assert slots_of(events) == {"pending_request": "next"}


@respx.mock
async def test_the_date_of_birth_names_the_person_and_answers_as_the_carer() -> None:
    check = respx.post(f"{BACKEND}/api/v1/carers/confirm-identity").mock(
        return_value=httpx.Response(
            200,
            json={
                "result": "confirmed",
                "attempts_left": 3,
                "patient_id": 11,
                "patient_given_name": "Margaret",
            },
        )
    )
    appointments = respx.get(f"{BACKEND}/api/v1/patients/11/appointments").mock(
        return_value=httpx.Response(200, json={"data": [ROW], "count": 1})
    )
    dispatcher = CollectingDispatcher()
    events = await ActionConfirmIdentity().run(
        dispatcher, tracker("12/03/1948", **carer_slots(pending_request="next")), {}
    )
    assert check.calls.last.request.content == (
        b'{"phone":"+447700900690","date_of_birth":"1948-03-12"}'
    )
    params = appointments.calls.last.request.url.params
    assert (params["as_kind"], params["as_id"], params["channel"]) == ("carer", "5", "sms")
    assert [m["response"] for m in dispatcher.messages] == [
        "utter_carer_identity_confirmed",
        "utter_next_appointment",
    ]
    assert all(m["patient_first_name"] == "Margaret" for m in dispatcher.messages)
    slots = slots_of(events)
    assert (slots["patient_id"], slots["identity_confirmed"]) == (11, True)


@respx.mock
@pytest.mark.parametrize(
    ("answer", "reply"),
    [
        ({"result": "mismatch", "attempts_left": 2}, "utter_carer_date_of_birth_mismatch"),
        ({"result": "locked", "attempts_left": 0}, "utter_carer_identity_locked"),
        ({"result": "no_consent", "attempts_left": 3}, "utter_carer_no_consent"),
        ({"result": "ambiguous", "attempts_left": 3}, "utter_carer_date_of_birth_ambiguous"),
    ],
)
async def test_a_wrong_or_refused_answer_names_nobody(answer: dict, reply: str) -> None:
    respx.post(f"{BACKEND}/api/v1/carers/confirm-identity").mock(
        return_value=httpx.Response(200, json={**answer, "patient_id": None})
    )
    appointments = respx.get(url__regex=r".*/appointments.*")
    dispatcher = CollectingDispatcher()
    events = await ActionConfirmIdentity().run(
        dispatcher, tracker("1/1/1950", **carer_slots(pending_request="next")), {}
    )
    assert [m["response"] for m in dispatcher.messages] == [reply]
    assert not appointments.called
    assert slots_of(events).get("patient_id") is None


@respx.mock
async def test_with_nobody_to_act_for_nothing_is_asked_or_said() -> None:
    appointments = respx.get(url__regex=r".*/appointments.*")
    dispatcher = CollectingDispatcher()
    await ActionTellNextAppointment().run(
        dispatcher, tracker("when is it", **carer_slots(carer_caring_for=0)), {}
    )
    assert [m["response"] for m in dispatcher.messages] == ["utter_carer_no_consent"]
    assert not appointments.called


@respx.mock
@pytest.mark.parametrize(
    ("lookup", "reply", "becomes_carer"),
    [
        (httpx.Response(200, json=CARER), "utter_carer_ask_date_of_birth", True),
        (httpx.Response(200, json={**CARER, "caring_for": 0}), "utter_carer_no_consent", True),
        (
            httpx.Response(200, json={**CARER, "identity_locked": True}),
            "utter_carer_identity_locked",
            True,
        ),
        (httpx.Response(404), "utter_carer_not_registered", False),
    ],
)
async def test_saying_im_a_carer(lookup: httpx.Response, reply: str, becomes_carer: bool) -> None:
    respx.post(f"{BACKEND}/api/v1/carers/lookup").mock(return_value=lookup)
    dispatcher = CollectingDispatcher()
    # A patient who is also someone's carer, already confirmed as themselves.
    events = await ActionIdentifyCarer().run(
        dispatcher,
        tracker(
            "I'm texting for my mum",
            "identify_as_carer",
            identity_status="known",
            patient_id=1,
            identity_confirmed=True,
        ),
        {},
    )
    assert [m["response"] for m in dispatcher.messages] == [reply]
    slots = slots_of(events)
    if becomes_carer:
        assert slots["identity_status"] == "carer"
        assert slots["patient_id"] is None and slots["identity_confirmed"] is False
    else:
        assert slots == {"asked_about_someone_else": True}, "a patient stays themselves"


def test_a_carers_concern_names_the_person_only_when_certain() -> None:
    chosen = tracker(
        "mum has collapsed",
        "safety_emergency",
        **carer_slots(patient_id=11, identity_confirmed=True),
    )
    chosen.events = [
        {
            "event": "user",
            "text": "mum has collapsed",
            "timestamp": 1764400000.0,
            "message_id": "SM1",
            "input_channel": "sms",
            "parse_data": {
                "safety": {
                    "severity": "emergency",
                    "concerns": [
                        {"category": "collapse", "severity": "emergency", "text": "collapsed"}
                    ],
                }
            },
        }
    ]
    payload = escalation_payload(chosen)
    assert payload is not None
    # Sam helps two people: "mum" may not be the one chosen last (found in the second trial),
    # so the duty clinician takes it with the transcript; a carer of one person names them.
    assert (payload["patient_id"], payload["sender_role"]) == (None, "carer")
    chosen.slots["carer_caring_for"] = 1
    only = escalation_payload(chosen)
    assert only is not None and only["patient_id"] == 11


@respx.mock
async def test_a_patient_who_is_nobodys_carer_is_checked_before_their_own_details() -> None:
    """Found by review: "I'm texting for my mum" (not registered), then "cancel her appointment"
    must not quietly offer the patient's own."""
    appointments = respx.get(url__regex=r".*/appointments.*").mock(
        return_value=httpx.Response(200, json={"data": [ROW], "count": 1})
    )
    slots = {"identity_status": "known", "patient_id": 1, "identity_confirmed": True}
    dispatcher = CollectingDispatcher()
    events = await ActionTellNextAppointment().run(
        dispatcher, tracker("when is her appointment", **slots, asked_about_someone_else=True), {}
    )
    assert not appointments.called
    assert [m["response"] for m in dispatcher.messages] == ["utter_carer_not_registered_own"]
    assert slots_of(events) == {"asked_about_someone_else": False}
    again = CollectingDispatcher()
    await ActionTellNextAppointment().run(again, tracker("when is my appointment", **slots), {})
    assert appointments.called
    assert [m["response"] for m in again.messages] == ["utter_next_appointment"]
