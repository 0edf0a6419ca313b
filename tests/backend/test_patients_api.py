from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.app.models import Appointment, AuditEvent, Patient
from tests.backend.conftest import PASSWORD, login, service_headers


def test_login_with_wrong_password_is_refused(client: TestClient, seeded: Session) -> None:
    response = client.post(
        "/api/v1/auth/token", data={"username": "coordinator@example.org", "password": "nope"}
    )
    assert response.status_code == 401
    assert response.json() == {"detail": "incorrect_email_or_password"}


def test_login_is_case_insensitive_on_email(client: TestClient, seeded: Session) -> None:
    response = client.post(
        "/api/v1/auth/token", data={"username": "Clinician@Example.org", "password": PASSWORD}
    )
    assert response.status_code == 200
    me = client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {response.json()['access_token']}"}
    )
    assert me.json()["role"] == "clinician"


def test_patients_need_a_token(client: TestClient, seeded: Session) -> None:
    assert client.get("/api/v1/patients").status_code == 401
    bad = client.get("/api/v1/patients", headers={"Authorization": "Bearer forged"})
    assert bad.status_code == 401
    assert bad.json() == {"detail": "invalid_token"}


def test_staff_list_patients_with_contract_fields_and_audit(
    client: TestClient, seeded: Session
) -> None:
    response = client.get("/api/v1/patients?limit=500", headers=login(client))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 60 == len(body["data"])
    first = body["data"][0]
    assert {"id", "phone", "named_clinician_id", "nhs_number", "risk_tier"} <= first.keys()
    events = seeded.scalars(select(AuditEvent).where(AuditEvent.action == "patient.list")).all()
    assert len(events) == 1 and events[0].actor_type == "staff"
    assert len(events[0].detail["patient_ids"]) == 60


def test_mine_filters_to_my_caseload(client: TestClient, seeded: Session) -> None:
    body = client.get("/api/v1/patients?mine=true&limit=500", headers=login(client)).json()
    me = client.get("/api/v1/auth/me", headers=login(client)).json()
    assert 0 < body["count"] < 60
    for patient in body["data"]:
        assert me["id"] in (patient["care_coordinator_id"], patient["named_clinician_id"])


def test_service_token_cannot_list_caseload(client: TestClient, seeded: Session) -> None:
    response = client.get("/api/v1/patients", headers=service_headers())
    assert response.status_code == 403
    assert response.json() == {"detail": "role_not_allowed"}


def test_unknown_patient_is_404_json(client: TestClient, seeded: Session) -> None:
    response = client.get("/api/v1/patients/999999", headers=login(client))
    assert response.status_code == 404
    assert response.json() == {"detail": "patient_not_found"}


def test_lookup_by_phone_is_for_the_service_only(client: TestClient, seeded: Session) -> None:
    staff = client.post(
        "/api/v1/patients/lookup", json={"phone": "+447700900001"}, headers=login(client)
    )
    assert staff.status_code == 403
    found = client.post(
        "/api/v1/patients/lookup", json={"phone": "07700 900001"}, headers=service_headers()
    )
    assert found.status_code == 200
    patient = seeded.scalar(select(Patient).where(Patient.phone == "+447700900001"))
    assert found.json()["id"] == patient.id
    assert found.json()["given_name"] == patient.given_name
    assert "nhs_number" not in found.json() and "date_of_birth" not in found.json()


def test_lookup_of_unknown_number_discloses_nothing_and_is_audited(
    client: TestClient, seeded: Session
) -> None:
    response = client.post(
        "/api/v1/patients/lookup", json={"phone": "+447700900555"}, headers=service_headers()
    )
    assert response.status_code == 404
    assert response.json() == {"detail": "patient_not_found"}
    event = seeded.scalar(select(AuditEvent).where(AuditEvent.action == "patient.lookup_by_phone"))
    assert event is not None and event.detail == {"found": False} and event.actor_type == "service"


def test_bad_input_gets_clear_error_without_echo(client: TestClient, seeded: Session) -> None:
    response = client.post(
        "/api/v1/patients/lookup", json={"phone": "not a number"}, headers=service_headers()
    )
    assert response.status_code == 422
    assert response.json()["detail"] == "invalid_input"
    assert "not a number" not in response.text


def test_upcoming_appointments_soonest_first_excluding_cancelled_and_past(
    client: TestClient, seeded: Session
) -> None:
    patient = seeded.scalar(select(Patient).where(Patient.phone == "+447700900002"))
    now = datetime.now(UTC)
    patient.identity_confirmed_at = now  # the date-of-birth check passed
    soon = Appointment(
        patient_id=patient.id,
        starts_at=now + timedelta(hours=2),
        ends_at=now + timedelta(hours=2, minutes=20),
        location="Riverside Surgery",
        with_whom="Dr Test",
        appointment_type="review",
        status="cancelled",
    )
    seeded.add(soon)
    seeded.commit()
    unnamed = client.get(
        f"/api/v1/patients/{patient.id}/appointments?upcoming=true", headers=service_headers()
    )
    assert unnamed.status_code == 403, "the action server must say whom it acts for"
    assert unnamed.json() == {"detail": "acting_for_required"}
    response = client.get(
        f"/api/v1/patients/{patient.id}/appointments?upcoming=true&as_kind=patient&as_id={patient.id}",
        headers=service_headers(),
    )
    assert response.status_code == 200
    data = response.json()["data"]
    assert data, "seed gives every patient at least one upcoming appointment"
    starts = [datetime.fromisoformat(a["starts_at"]) for a in data]
    assert starts == sorted(starts)
    assert all(s > now for s in starts)
    assert all(a["status"] in ("booked", "confirmed") for a in data)
    assert soon.id not in [a["id"] for a in data]
    all_rows = client.get(
        f"/api/v1/patients/{patient.id}/appointments", headers=login(client)
    ).json()
    assert all_rows["count"] > len(data)
    assert {"id", "starts_at", "status"} <= all_rows["data"][0].keys()


def test_errors_never_leak_a_stack_trace(client: TestClient, seeded: Session, monkeypatch) -> None:
    from backend.app.services import patients as service

    def boom(**_: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(service, "get_patient", boom)
    response = client.get("/api/v1/patients/1", headers=login(client))
    assert response.status_code == 500
    assert response.json() == {"detail": "internal_error"}
    assert "secret internals" not in response.text


def test_opt_out_is_recorded_and_every_sender_respects_it(
    client: TestClient, seeded: Session
) -> None:
    from backend.app.services.outbox import enqueue_sms

    patient = seeded.scalar(select(Patient).where(Patient.phone == "+447700900003"))
    body = {"phone": "07700 900003", "opted_out": True, "source": "free_text"}
    assert client.post("/api/v1/patients/sms-preference", json=body).status_code == 401
    staff = client.post("/api/v1/patients/sms-preference", json=body, headers=login(client))
    assert staff.status_code == 403
    response = client.post("/api/v1/patients/sms-preference", json=body, headers=service_headers())
    assert response.status_code == 200 and response.json() == {"recorded": True}
    seeded.expire_all()
    assert seeded.get(Patient, patient.id).sms_opt_out is True
    event = seeded.scalars(
        select(AuditEvent).where(AuditEvent.action == "patient.sms_opt_out")
    ).one()
    assert event.patient_id == patient.id and "phone" not in event.detail
    message = enqueue_sms(seeded, kind="appointment_reminder", to_phone=patient.phone, body="hello")
    assert message.status == "failed" and "opted out" in message.last_error
    back = client.post(
        "/api/v1/patients/sms-preference",
        json={**body, "opted_out": False, "source": "keyword"},
        headers=service_headers(),
    )
    assert back.json() == {"recorded": True}
    seeded.expire_all()
    assert seeded.get(Patient, patient.id).sms_opt_out is False
    unknown = client.post(
        "/api/v1/patients/sms-preference",
        json={"phone": "+447700900998", "opted_out": True},
        headers=service_headers(),
    )
    assert unknown.json() == {"recorded": False}
