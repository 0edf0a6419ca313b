from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.app.models import (
    AuditEvent,
    Carer,
    CarerConsent,
    Escalation,
    OutboxMessage,
    Patient,
    Staff,
)
from backend.app.models.base import utcnow
from backend.app.services.outbox import deliver_due
from tests.backend.conftest import login, service_headers


def _payload(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "source_message_id": "SM" + "a" * 32,
        "conversation_id": "+447700900001",
        "channel": "sms",
        "sender_phone": "+447700900001",
        "severity": "emergency",
        "category": "chest_pain",
        "concerns": [
            {
                "category": "chest_pain",
                "severity": "emergency",
                "text": "crushing pain in my chest",
                "experiencer": "patient",
                "negated": False,
            }
        ],
        "message": "I have crushing pain in my chest",
        "transcript": [
            {
                "speaker": "user",
                "text": "I have crushing pain in my chest",
                "at": "2026-11-29T02:14:00+00:00",
            }
        ],
        "received_at": "2026-11-29T02:14:00Z",
    }
    body.update(overrides)
    return body


def _patient(session: Session, phone: str = "+447700900001") -> Patient:
    patient = session.scalar(select(Patient).where(Patient.phone == phone))
    assert patient is not None
    return patient


def _staff(session: Session, email: str) -> Staff:
    staff = session.scalar(select(Staff).where(Staff.email == email))
    assert staff is not None
    return staff


def test_emergency_is_assigned_to_the_named_clinician_and_alerts_them_without_detail(
    client: TestClient, seeded: Session
) -> None:
    patient = _patient(seeded)
    response = client.post("/api/v1/escalations", json=_payload(), headers=service_headers())
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["patient_id"] == patient.id
    assert body["assigned_to_id"] == patient.named_clinician_id
    assert body["assignment_reason"] == "named_clinician"
    assert body["status"] == "open"
    assert body["reference"].startswith("ESC-")
    assert body["received_at"].startswith("2026-11-29T02:14:00")
    assert body["transcript"][0]["at"] == "2026-11-29T02:14:00Z"

    alerts = list(seeded.scalars(select(OutboxMessage)))
    assert len(alerts) == 1
    clinician = seeded.get(Staff, patient.named_clinician_id)
    assert clinician is not None and alerts[0].to_phone == clinician.phone
    assert alerts[0].status == "pending"
    text = alerts[0].body
    assert body["reference"] in text and f"/console/escalations/{body['id']}" in text
    for detail in ("chest", patient.given_name, patient.family_name, patient.phone, "emergency"):
        assert detail.lower() not in text.lower()
    assert len(text) <= 160  # one SMS segment

    raised = seeded.scalar(select(AuditEvent).where(AuditEvent.action == "escalation.raise"))
    assert raised is not None and raised.patient_id == patient.id
    assert raised.detail["alerted_staff_ids"] == [clinician.id]


def test_the_same_message_twice_yields_one_escalation(client: TestClient, seeded: Session) -> None:
    first = client.post("/api/v1/escalations", json=_payload(), headers=service_headers())
    again = client.post("/api/v1/escalations", json=_payload(), headers=service_headers())
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert len(list(seeded.scalars(select(Escalation)))) == 1
    assert len(list(seeded.scalars(select(OutboxMessage)))) == 1


def test_unknown_sender_goes_to_the_duty_clinician(client: TestClient, seeded: Session) -> None:
    response = client.post(
        "/api/v1/escalations",
        json=_payload(sender_phone="+447700900555", conversation_id="+447700900555"),
        headers=service_headers(),
    )
    assert response.status_code == 201
    body = response.json()
    assert body["patient_id"] is None
    assert body["sender_role"] == "unknown"
    assert body["assigned_to_id"] == _staff(seeded, "clinician3@example.org").id
    assert body["assignment_reason"] == "duty_clinician_unknown_sender"
    assert len(list(seeded.scalars(select(OutboxMessage)))) == 1


def test_patient_without_named_clinician_goes_to_the_duty_clinician(
    client: TestClient, seeded: Session
) -> None:
    patient = _patient(seeded, "+447700900002")
    patient.named_clinician_id = None
    seeded.commit()
    response = client.post(
        "/api/v1/escalations",
        json=_payload(patient_id=patient.id, sender_phone=None, source_message_id="m-2"),
        headers=service_headers(),
    )
    assert response.json()["patient_id"] == patient.id
    assert response.json()["assigned_to_id"] == _staff(seeded, "clinician3@example.org").id
    assert response.json()["assignment_reason"] == "duty_clinician"


def test_routine_concern_goes_to_the_coordinator_without_an_alert(
    client: TestClient, seeded: Session
) -> None:
    patient = _patient(seeded)
    response = client.post(
        "/api/v1/escalations",
        json=_payload(severity="routine", category="mental_distress", concerns=[]),
        headers=service_headers(),
    )
    assert response.json()["assigned_to_id"] == patient.care_coordinator_id
    assert list(seeded.scalars(select(OutboxMessage))) == []


def test_only_the_action_server_raises_and_only_staff_read(
    client: TestClient, seeded: Session
) -> None:
    staff = login(client, "clinician@example.org")
    assert client.post("/api/v1/escalations", json=_payload()).status_code == 401
    assert client.post("/api/v1/escalations", json=_payload(), headers=staff).status_code == 403
    assert client.get("/api/v1/escalations", headers=service_headers()).status_code == 403
    assert client.get("/api/v1/escalations").status_code == 401


def test_bad_input_is_refused_without_echoing_it(client: TestClient, seeded: Session) -> None:
    response = client.post(
        "/api/v1/escalations",
        json=_payload(severity="apocalyptic", message="secret words"),
        headers=service_headers(),
    )
    assert response.status_code == 422
    assert response.json()["detail"] == "invalid_input"
    assert "secret words" not in response.text and "apocalyptic" not in response.text


def test_open_list_has_the_contract_fields_most_severe_first(
    client: TestClient, seeded: Session
) -> None:
    for index, severity in enumerate(["routine", "urgent", "emergency"]):
        client.post(
            "/api/v1/escalations",
            json=_payload(severity=severity, source_message_id=f"m-{index}"),
            headers=service_headers(),
        )
    response = client.get("/api/v1/escalations?status=open", headers=login(client))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [e["severity"] for e in body["data"]] == ["emergency", "urgent", "routine"]
    for field in ("id", "patient_id", "severity", "category", "assigned_to_id", "created_at"):
        assert field in body["data"][0]
    listed = seeded.scalar(select(AuditEvent).where(AuditEvent.action == "escalation.list"))
    assert listed is not None and len(listed.detail["escalation_ids"]) == 3


def test_staff_move_it_open_acknowledged_resolved_with_notes_and_audit(
    client: TestClient, seeded: Session
) -> None:
    escalation_id = client.post(
        "/api/v1/escalations", json=_payload(), headers=service_headers()
    ).json()["id"]
    clinician = login(client, "clinician@example.org")
    url = f"/api/v1/escalations/{escalation_id}"

    early = client.post(f"{url}/resolve", json={"resolution": "done"}, headers=clinician)
    assert early.status_code == 409 and early.json()["detail"] == "escalation_is_open"

    acked = client.post(f"{url}/acknowledge", headers=clinician)
    assert acked.status_code == 200 and acked.json()["status"] == "acknowledged"
    assert client.post(f"{url}/acknowledge", headers=clinician).status_code == 409

    note = client.post(
        f"{url}/notes", json={"text": "Called patient; ambulance on way"}, headers=clinician
    )
    assert note.status_code == 201

    resolved = client.post(
        f"{url}/resolve", json={"resolution": "Admitted to hospital"}, headers=clinician
    )
    assert resolved.status_code == 200
    detail = client.get(url, headers=clinician).json()
    assert detail["status"] == "resolved"
    assert detail["resolution"] == "Admitted to hospital"
    assert [n["text"] for n in detail["notes"]] == ["Called patient; ambulance on way"]
    assert detail["alerts"][0]["status"] == "pending"

    actions = [
        e.action
        for e in seeded.scalars(select(AuditEvent).order_by(AuditEvent.id))
        if e.action.startswith("escalation.")
    ]
    assert actions == [
        "escalation.raise",
        "escalation.acknowledge",
        "escalation.note",
        "escalation.resolve",
        "escalation.read",
    ]


def test_admin_cannot_close_and_reassignment_is_to_clinical_staff(
    client: TestClient, seeded: Session
) -> None:
    escalation_id = client.post(
        "/api/v1/escalations", json=_payload(), headers=service_headers()
    ).json()["id"]
    url = f"/api/v1/escalations/{escalation_id}"
    admin = login(client, "admin@example.org")
    assert client.post(f"{url}/acknowledge", headers=admin).status_code == 403

    coordinator = login(client)
    admin_id = _staff(seeded, "admin@example.org").id
    refused = client.post(f"{url}/assign", json={"staff_id": admin_id}, headers=coordinator)
    assert refused.status_code == 422
    other = _staff(seeded, "clinician2@example.org").id
    moved = client.post(f"{url}/assign", json={"staff_id": other}, headers=coordinator)
    assert moved.json()["assigned_to_id"] == other
    assert client.get("/api/v1/escalations/999999", headers=coordinator).status_code == 404


class _FlakySMS:
    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.sent: list[tuple[str, str]] = []

    def __call__(self, to: str, body: str) -> str:
        if self.failures > 0:
            self.failures -= 1
            raise ConnectionError("provider unreachable")
        self.sent.append((to, body))
        return f"SM{len(self.sent):032d}"


def test_outbox_retries_with_backoff_until_sent(client: TestClient, seeded: Session) -> None:
    client.post("/api/v1/escalations", json=_payload(), headers=service_headers())
    sms = _FlakySMS(failures=2)
    now = utcnow()
    assert deliver_due(seeded, sms, max_attempts=5, max_backoff_seconds=60, now=now) == (0, 0)
    message = seeded.scalar(select(OutboxMessage))
    assert message is not None and message.attempts == 1 and message.status == "pending"
    assert message.last_error == "ConnectionError: provider unreachable"
    # Not due again until the backoff has passed.
    assert deliver_due(seeded, sms, max_attempts=5, max_backoff_seconds=60, now=now) == (0, 0)
    assert message.attempts == 1
    later = now + timedelta(seconds=6)
    assert deliver_due(seeded, sms, max_attempts=5, max_backoff_seconds=60, now=later) == (0, 0)
    much_later = later + timedelta(seconds=11)
    assert deliver_due(seeded, sms, max_attempts=5, max_backoff_seconds=60, now=much_later) == (
        1,
        0,
    )
    seeded.refresh(message)
    assert message.status == "sent" and message.attempts == 3 and len(sms.sent) == 1
    assert message.provider_id is not None


@pytest.mark.parametrize("phone", ["", "+447700900911"])
def test_outbox_gives_up_visibly(client: TestClient, seeded: Session, phone: str) -> None:
    escalation_id = client.post(
        "/api/v1/escalations", json=_payload(), headers=service_headers()
    ).json()["id"]
    message = seeded.scalar(select(OutboxMessage))
    assert message is not None
    message.to_phone = phone
    seeded.commit()
    sms = _FlakySMS(failures=100)
    moment = utcnow()
    for _ in range(3):
        moment += timedelta(hours=1)
        deliver_due(seeded, sms, max_attempts=3, max_backoff_seconds=60, now=moment)
    seeded.refresh(message)
    assert message.status == "failed"
    alerts = client.get(f"/api/v1/escalations/{escalation_id}", headers=login(client)).json()[
        "alerts"
    ]
    assert alerts[0]["status"] == "failed" and alerts[0]["last_error"]


def test_a_concern_is_never_refused_for_an_unknown_patient_or_odd_sender(
    client: TestClient, seeded: Session
) -> None:
    stale = client.post(
        "/api/v1/escalations",
        json=_payload(patient_id=999999, source_message_id="m-stale"),
        headers=service_headers(),
    )
    assert stale.status_code == 201
    assert stale.json()["patient_id"] == _patient(seeded).id
    odd = client.post(
        "/api/v1/escalations",
        json=_payload(sender_phone="NHSTRUST", source_message_id="m-odd"),
        headers=service_headers(),
    )
    assert odd.status_code == 201
    assert odd.json()["patient_id"] is None
    assert odd.json()["assignment_reason"] == "duty_clinician_unknown_sender"


@pytest.mark.parametrize("carer_phone", ["+447700900690", "+447700900689"])
def test_a_carer_who_has_not_named_the_patient_reaches_the_duty_clinician(
    client: TestClient, seeded: Session, carer_phone: str
) -> None:
    """Sam cares for two people: the concern goes to the duty clinician, marked as a carer's. Jo's
    consent has lapsed: still raised (never refused), to the duty clinician."""
    response = client.post(
        "/api/v1/escalations",
        json=_payload(
            sender_phone=carer_phone,
            conversation_id=carer_phone,
            source_message_id=f"SM-carer-{carer_phone}",
            sender_role=None,
        ),
        headers=service_headers(),
    )
    assert response.status_code == 201
    body = response.json()
    assert body["patient_id"] is None
    assert body["sender_role"] == "carer"
    assert body["assigned_to_id"] == _staff(seeded, "clinician3@example.org").id
    assert body["assignment_reason"] == "duty_clinician_carer", "a known carer, not unknown"


def test_a_carer_of_one_person_reaches_that_persons_clinician(
    client: TestClient, seeded: Session
) -> None:
    patient = seeded.scalars(
        select(Patient).where(Patient.named_clinician_id.is_not(None)).order_by(Patient.id)
    ).first()
    carer = Carer(given_name="Only", family_name="One", phone="+447700900688")
    seeded.add(carer)
    seeded.flush()
    seeded.add(
        CarerConsent(
            carer_id=carer.id, patient_id=patient.id, relationship_to_patient="son", scopes=[]
        )
    )
    seeded.commit()
    response = client.post(
        "/api/v1/escalations",
        json=_payload(
            sender_phone="+447700900688",
            conversation_id="+447700900688",
            source_message_id="SM-carer-one",
            message="mum fell and cant get up",
        ),
        headers=service_headers(),
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["patient_id"], body["sender_role"]) == (patient.id, "carer")
    assert body["assigned_to_id"] == patient.named_clinician_id


def test_a_patient_texting_as_a_carer_is_not_the_subject_of_their_concern(
    client: TestClient, seeded: Session
) -> None:
    """A patient who said "I'm texting for my mum" and then "mum fell": not filed on their own
    record (the assistant says the sender is a carer); the duty clinician takes it."""
    phone = "+447700900004"
    own = _patient(seeded, phone)
    carer = Carer(given_name="Both", family_name="Roles", phone=phone)
    seeded.add(carer)
    seeded.flush()
    for patient_id in seeded.scalars(select(Patient.id).where(Patient.id != own.id).limit(2)):
        seeded.add(
            CarerConsent(
                carer_id=carer.id, patient_id=patient_id, relationship_to_patient="son", scopes=[]
            )
        )
    seeded.commit()
    response = client.post(
        "/api/v1/escalations",
        json=_payload(
            sender_phone=phone,
            conversation_id=phone,
            source_message_id="SM-patient-as-carer",
            sender_role="carer",
            message="mum fell and cant get up",
        ),
        headers=service_headers(),
    )
    assert response.status_code == 201
    body = response.json()
    assert body["patient_id"] != own.id and body["patient_id"] is None
    assert body["sender_role"] == "carer"
    assert body["assigned_to_id"] == _staff(seeded, "clinician3@example.org").id
