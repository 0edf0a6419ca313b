"""The safety reconciler reads Rasa's SQL event broker table (as Rasa writes it: id, sender_id,
JSON data) and makes sure every flagged message has exactly one escalation."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.orm import Session

from backend.app.core.config import get_settings
from backend.app.models import Escalation, OutboxMessage, Patient
from backend.app.safety_reconciler import SafetyReconciler
from tests.backend.conftest import service_headers

NOW = datetime(2026, 11, 29, 2, 30, tzinfo=UTC)
PHONE = "+447700900005"
SAFETY = {
    "severity": "emergency",
    "concerns": [
        {
            "category": "collapse",
            "severity": "emergency",
            "text": "collapsed",
            "experiencer": "other",
            "negated": False,
            "source": "lexicon",
        }
    ],
}


@pytest.fixture
def events(tmp_path: Path) -> Engine:
    engine = create_engine(f"sqlite:///{tmp_path / 'events.db'}")
    with engine.begin() as conn:
        conn.execute(
            text("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255), data TEXT)")
        )
    return engine


def publish(events: Engine, sender: str, event: dict) -> None:
    with events.begin() as conn:
        conn.execute(
            text("INSERT INTO events (sender_id, data) VALUES (:s, :d)"),
            {"s": sender, "d": json.dumps(event)},
        )


def user(message_id: str, at: datetime, safety: dict, body: str = "mum has collapsed") -> dict:
    return {
        "event": "user",
        "timestamp": at.timestamp(),
        "text": body,
        "message_id": message_id,
        "input_channel": "sms",
        "parse_data": {"intent": {"name": "safety_emergency"}, "safety": safety},
    }


def reconciler(seeded: Session, events: Engine) -> SafetyReconciler:
    return SafetyReconciler(get_settings(), lambda: seeded, events=events)


def test_a_flagged_message_nobody_raised_becomes_one_escalation(
    seeded: Session, events: Engine
) -> None:
    old = NOW - timedelta(minutes=2)
    publish(events, PHONE, {"event": "bot", "timestamp": old.timestamp() - 5, "text": "Hello."})
    dob = user("SMdob", old - timedelta(seconds=3), {"severity": "none", "concerns": []})
    dob["text"], dob["parse_data"]["intent"]["name"] = "12/03/1948", "give_date_of_birth"
    publish(events, PHONE, dob)
    publish(events, PHONE, user("SMabc", old, SAFETY, "mum has collapsed, born 12/03/1948"))
    publish(events, PHONE, user("SMcalm", old, {"severity": "none", "concerns": []}, "thanks"))
    job = reconciler(seeded, events)
    assert job.pass_once(now=NOW) == 1
    assert job.pass_once(now=NOW) == 0  # the cursor moved on

    [escalation] = seeded.scalars(select(Escalation))
    patient = seeded.scalar(select(Patient).where(Patient.phone == PHONE))
    assert patient is not None
    assert escalation.source_message_id == "SMabc"
    assert escalation.patient_id == patient.id
    assert escalation.assigned_to_id == patient.named_clinician_id
    assert [line["speaker"] for line in escalation.transcript] == ["bot", "user", "user"]
    # An answer to the date-of-birth check is never copied into an escalation.
    assert escalation.transcript[1]["text"] == "[date of birth, not shown]"
    assert "1948" not in json.dumps(escalation.transcript)
    assert escalation.message == "mum has collapsed, born [date]"
    assert len(list(seeded.scalars(select(OutboxMessage)))) == 1


def test_a_recent_message_is_left_to_the_action_server_first(
    seeded: Session, events: Engine
) -> None:
    publish(events, PHONE, user("SMnew", NOW - timedelta(seconds=3), SAFETY))
    job = reconciler(seeded, events)
    assert job.pass_once(now=NOW) == 0
    assert job.pass_once(now=NOW + timedelta(minutes=1)) == 1


def test_one_already_raised_by_the_action_server_is_not_repeated(
    client: TestClient, seeded: Session, events: Engine
) -> None:
    raised = client.post(
        "/api/v1/escalations",
        json={
            "source_message_id": "SMboth",
            "conversation_id": PHONE,
            "channel": "sms",
            "sender_phone": PHONE,
            "severity": "emergency",
            "category": "collapse",
            "message": "mum has collapsed",
        },
        headers=service_headers(),
    )
    assert raised.status_code == 201
    publish(events, PHONE, user("SMboth", NOW - timedelta(minutes=5), SAFETY))
    assert reconciler(seeded, events).pass_once(now=NOW) == 0
    assert len(list(seeded.scalars(select(Escalation)))) == 1


def test_no_events_table_yet_is_not_an_error(seeded: Session, tmp_path: Path) -> None:
    empty = create_engine(f"sqlite:///{tmp_path / 'none.db'}")
    assert reconciler(seeded, empty).pass_once(now=NOW) == 0
