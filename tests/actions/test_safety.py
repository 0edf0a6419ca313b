"""Raising a safety concern: the payload from the tracker, the durable outbox, and delivery exactly
once whether or not the backend is up. The backend is faked at HTTP level (respx)."""

import json
from pathlib import Path

import httpx
import pytest
import respx
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import safety
from actions.outbox import EscalationOutbox
from actions.settings import get_settings

BACKEND = get_settings().backend_url
PHONE = "+447700900001"
SAFETY = {
    "severity": "emergency",
    "concerns": [
        {
            "category": "chest_pain",
            "severity": "emergency",
            "text": "crushing pain in my chest",
            "experiencer": "patient",
            "negated": False,
        }
    ],
}


def tracker(safety_result: dict | None = SAFETY, **slots: object) -> Tracker:
    user = {
        "event": "user",
        "timestamp": 1_790_000_000.0,
        "text": "I have crushing pain in my chest",
        "message_id": "SM0123456789abcdef0123456789abcdef",
        "input_channel": "sms",
        "parse_data": {"intent": {"name": "safety_emergency"}, "safety": safety_result},
    }
    events = [
        {"event": "bot", "timestamp": 1_789_999_990.0, "text": "Hello."},
        user,
        {"event": "bot", "timestamp": 1_790_000_001.0, "text": "Call 999 now."},
    ]
    return Tracker(
        sender_id=PHONE,
        slots={"identity_status": "known", "patient_id": 4, **slots},
        latest_message=user,
        events=events,
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="utter_safety_emergency",
    )


@pytest.fixture
def box(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> EscalationOutbox:
    outbox = EscalationOutbox(tmp_path / "outbox.db", max_backoff_seconds=60)
    monkeypatch.setattr(safety, "outbox", lambda: outbox)
    return outbox


def test_payload_carries_what_the_backend_needs() -> None:
    payload = safety.escalation_payload(tracker())
    assert payload is not None
    assert payload["source_message_id"] == "SM0123456789abcdef0123456789abcdef"
    assert payload["patient_id"] == 4 and payload["sender_role"] == "patient"
    assert payload["sender_phone"] == PHONE and payload["channel"] == "sms"
    assert (payload["severity"], payload["category"]) == ("emergency", "chest_pain")
    assert [line["speaker"] for line in payload["transcript"]] == ["bot", "user", "bot"]


def test_unknown_and_unidentified_senders_leave_it_to_the_backend() -> None:
    unknown = safety.escalation_payload(tracker(identity_status="unknown", patient_id=None))
    assert unknown is not None and unknown["patient_id"] is None
    assert unknown["sender_role"] == "unknown"
    unavailable = safety.escalation_payload(tracker(identity_status="unavailable"))
    assert unavailable is not None
    assert unavailable["patient_id"] is None and unavailable["sender_role"] is None


def test_no_concern_no_escalation() -> None:
    assert safety.escalation_payload(tracker({"severity": "none", "concerns": []})) is None


@respx.mock
async def test_backend_up_delivers_at_once_with_meanwhile_advice(box: EscalationOutbox) -> None:
    route = respx.post(f"{BACKEND}/api/v1/escalations").mock(
        return_value=httpx.Response(201, json={"id": 1})
    )
    dispatcher = CollectingDispatcher()
    events = await safety.ActionRaiseSafetyConcern().run(dispatcher, tracker(), {})
    assert events == [SlotSet("safety_concern_open", True)]
    assert route.call_count == 1
    sent = json.loads(route.calls[0].request.content)
    assert sent["source_message_id"] == "SM0123456789abcdef0123456789abcdef"
    assert box.counts() == {"delivered": 1}
    assert "sit down and rest" in dispatcher.messages[0]["text"]
    # Delivered: the message text no longer sits on the action server's disk.
    assert "crushing" not in box.path.read_bytes().decode("latin-1")
    assert box.path.stat().st_mode & 0o077 == 0


@respx.mock
async def test_backend_down_keeps_it_then_delivers_exactly_once(box: EscalationOutbox) -> None:
    route = respx.post(f"{BACKEND}/api/v1/escalations")
    route.side_effect = httpx.ConnectError("refused")
    dispatcher = CollectingDispatcher()
    await safety.ActionRaiseSafetyConcern().run(dispatcher, tracker(), {})
    assert dispatcher.messages  # the user was answered regardless
    assert box.counts() == {"pending": 1}

    # The same message processed again (a Twilio retry) does not add a second one.
    await safety.ActionRaiseSafetyConcern().run(CollectingDispatcher(), tracker(), {})
    assert box.counts() == {"pending": 1} and route.call_count == 1

    # Backend back: the retry loop's pass delivers it (due now, as if the backoff had passed).
    route.side_effect = None
    route.return_value = httpx.Response(201, json={"id": 1})
    client = safety.BackendClient()
    for item in box.due(now=float("inf")):
        await box.deliver(item, client.raise_escalation)
    assert box.counts() == {"delivered": 1}
    assert await box.deliver_due(client.raise_escalation) == 0
    assert route.call_count == 2


@respx.mock
async def test_a_refused_escalation_is_kept_and_marked(box: EscalationOutbox) -> None:
    respx.post(f"{BACKEND}/api/v1/escalations").mock(
        return_value=httpx.Response(422, json={"detail": "invalid_input"})
    )
    await safety.ActionRaiseSafetyConcern().run(CollectingDispatcher(), tracker(), {})
    assert box.counts() == {"rejected": 1}
    assert box.status("SM0123456789abcdef0123456789abcdef") == "rejected"


def test_outbox_survives_a_restart(tmp_path: Path) -> None:
    EscalationOutbox(tmp_path / "o.db").put("k1", {"a": 1})
    reopened = EscalationOutbox(tmp_path / "o.db")
    assert reopened.due() == []  # the action's own first attempt comes first
    assert [p.key for p in reopened.due(now=float("inf"))] == ["k1"]
    assert reopened.put("k1", {"a": 1}) is False


@respx.mock
async def test_an_open_concern_survives_a_new_session() -> None:
    from actions.session import ActionSessionStart

    respx.post(f"{BACKEND}/api/v1/patients/lookup").mock(
        return_value=httpx.Response(
            200, json={"id": 4, "given_name": "Joan", "named_clinician_id": 3}
        )
    )
    events = await ActionSessionStart().run(
        CollectingDispatcher(), tracker(safety_concern_open=True), {}
    )
    assert SlotSet("safety_concern_open", True) in events


def test_an_answer_to_the_date_of_birth_check_is_not_copied_into_the_transcript() -> None:
    checked = tracker()
    checked.events.insert(
        1,
        {
            "event": "user",
            "timestamp": 1_789_999_995.0,
            "text": "12/03/1948",
            "parse_data": {"intent": {"name": "give_date_of_birth"}},
        },
    )
    payload = safety.escalation_payload(checked)
    assert payload is not None
    texts = [line["text"] for line in payload["transcript"]]
    assert "[date of birth, not shown]" in texts and not any("1948" in t for t in texts)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("12/03/1948 and I feel really unwell", "[date] and I feel really unwell"),
        ("born 3rd of May 1950, chest pain now", "born [date], chest pain now"),
        ("dob 1948-03-12 cant breathe", "dob [date] cant breathe"),
        (
            "last fit was on 28/11/2026 and another now",
            "last fit was on 28/11/2026 and another now",
        ),
        ("took 20 tablets at 10:30", "took 20 tablets at 10:30"),
    ],
)
def test_a_date_of_birth_inside_a_concern_is_not_shown_but_recent_dates_are(
    text: str, shown: str
) -> None:
    assert safety.shown_text({"event": "user", "text": text}) == shown
