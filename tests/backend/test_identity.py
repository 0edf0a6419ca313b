"""The date-of-birth check: confirmed, a wrong answer, locked after the limit (with a call back
for the coordinator), reconfirmation after the configured time, and audit without the date."""

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.app.models import AuditEvent, CallbackTask, Patient
from backend.app.models.base import utcnow
from tests.backend.conftest import login, service_headers

PHONE = "+447700900008"


def _lookup(client: TestClient) -> dict:
    response = client.post(
        "/api/v1/patients/lookup", json={"phone": PHONE}, headers=service_headers()
    )
    assert response.status_code == 200
    return response.json()


def _answer(client: TestClient, dob: str) -> dict:
    response = client.post(
        "/api/v1/patients/confirm-identity",
        json={"phone": PHONE, "date_of_birth": dob},
        headers=service_headers(),
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_the_right_date_confirms_and_lasts_until_the_reconfirm_time(
    client: TestClient, seeded: Session
) -> None:
    patient = seeded.scalar(select(Patient).where(Patient.phone == PHONE))
    assert _lookup(client)["identity_confirmed"] is False
    assert _answer(client, patient.date_of_birth.isoformat()) == {
        "result": "confirmed",
        "attempts_left": 3,
    }
    assert _lookup(client)["identity_confirmed"] is True
    seeded.expire_all()
    patient = seeded.get(Patient, patient.id)
    patient.identity_confirmed_at = utcnow() - timedelta(days=181)
    seeded.commit()
    assert _lookup(client)["identity_confirmed"] is False, "asked again after 180 days"
    events = seeded.scalars(select(AuditEvent).where(AuditEvent.action == "identity.confirm")).all()
    assert events and all(patient.date_of_birth.isoformat() not in str(e.detail) for e in events)


def test_three_wrong_answers_lock_it_and_raise_a_call_back(
    client: TestClient, seeded: Session
) -> None:
    patient = seeded.scalar(select(Patient).where(Patient.phone == PHONE))
    wrong = (patient.date_of_birth - timedelta(days=1)).isoformat()
    assert _answer(client, wrong) == {"result": "mismatch", "attempts_left": 2}
    assert _answer(client, wrong) == {"result": "mismatch", "attempts_left": 1}
    assert _answer(client, wrong) == {"result": "locked", "attempts_left": 0}
    # Now even the right date does not unlock it by text.
    assert _answer(client, patient.date_of_birth.isoformat())["result"] == "locked"
    assert _lookup(client)["identity_locked"] is True
    task = seeded.scalars(
        select(CallbackTask).where(CallbackTask.reason == "identity_locked")
    ).one()
    assert task.patient_id == patient.id and task.assigned_to_id == patient.care_coordinator_id


def test_only_the_action_server_may_ask(client: TestClient, seeded: Session) -> None:
    body = {"phone": PHONE, "date_of_birth": "1950-01-01"}
    assert client.post("/api/v1/patients/confirm-identity", json=body).status_code == 401
    staff = client.post("/api/v1/patients/confirm-identity", json=body, headers=login(client))
    assert staff.status_code == 403
    bad = client.post(
        "/api/v1/patients/confirm-identity",
        json={"phone": PHONE, "date_of_birth": "31/02/1950"},
        headers=service_headers(),
    )
    assert bad.status_code == 422 and "31/02/1950" not in bad.text


def test_staff_unlock_a_locked_check(client: TestClient, seeded: Session) -> None:
    patient = seeded.scalar(select(Patient).where(Patient.phone == PHONE))
    wrong = (patient.date_of_birth - timedelta(days=1)).isoformat()
    for _ in range(3):
        _answer(client, wrong)
    assert _lookup(client)["identity_locked"] is True
    admin = client.post(
        f"/api/v1/patients/{patient.id}/identity/unlock", headers=login(client, "admin@example.org")
    )
    assert admin.status_code == 403
    done = client.post(f"/api/v1/patients/{patient.id}/identity/unlock", headers=login(client))
    assert done.status_code == 204
    assert _lookup(client)["identity_locked"] is False
    assert _answer(client, patient.date_of_birth.isoformat())["result"] == "confirmed"
    task = seeded.scalars(
        select(CallbackTask).where(CallbackTask.reason == "identity_locked")
    ).one()
    assert task.status == "done"
