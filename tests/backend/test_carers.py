"""Carers by text: a carer's phone is recognised without naming anyone; the carer names the
person they help by that person's date of birth; only then, and only within a current consent,
does the backend let the assistant read or change that person's appointments for them."""

from datetime import UTC, date, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.app.models import (
    Appointment,
    AuditEvent,
    CallbackTask,
    Carer,
    CarerConsent,
    Patient,
)
from tests.backend.conftest import login, service_headers

PHONE = "+447700900691"


def _patients_with_appointments(session: Session, count: int) -> list[Patient]:
    later = datetime.now(UTC) + timedelta(hours=30)
    ids = session.scalars(
        select(Appointment.patient_id)
        .where(Appointment.status.in_(("booked", "confirmed")), Appointment.starts_at > later)
        .distinct()
        .order_by(Appointment.patient_id)
    ).all()
    patients = [session.get(Patient, i) for i in ids]
    # Distinct birthdays, so a date names exactly one of them.
    chosen: list[Patient] = []
    for patient in patients:
        if all(p.date_of_birth != patient.date_of_birth for p in chosen):
            chosen.append(patient)
        if len(chosen) == count:
            return chosen
    raise AssertionError("the seed has too few patients with appointments")


def _carer_for(session: Session, *patients: Patient, **consent: object) -> Carer:
    carer = Carer(given_name="Ann", family_name="Carer", phone=PHONE)
    session.add(carer)
    session.flush()
    for patient in patients:
        session.add(
            CarerConsent(
                carer_id=carer.id,
                patient_id=patient.id,
                relationship_to_patient="daughter",
                scopes=consent.get("scopes", ["appointments.read", "appointments.change"]),
                expires_at=consent.get("expires_at"),
            )
        )
    session.commit()
    return carer


def _check(client: TestClient, born: date, phone: str = PHONE) -> dict[str, object]:
    response = client.post(
        "/api/v1/carers/confirm-identity",
        json={"phone": phone, "date_of_birth": born.isoformat()},
        headers=service_headers(),
    )
    assert response.status_code == 200, response.text
    return response.json()


def _appointments_as(client: TestClient, carer: Carer, patient: Patient) -> int:
    return client.get(
        f"/api/v1/patients/{patient.id}/appointments",
        params={"upcoming": "true", "as_kind": "carer", "as_id": carer.id, "channel": "sms"},
        headers=service_headers(),
    ).status_code


def test_a_carers_phone_is_recognised_without_naming_anyone(
    client: TestClient, seeded: Session
) -> None:
    first, second = _patients_with_appointments(seeded, 2)
    carer = _carer_for(seeded, first, second)
    response = client.post(
        "/api/v1/carers/lookup", json={"phone": PHONE}, headers=service_headers()
    )
    assert response.status_code == 200
    assert response.json() == {
        "id": carer.id,
        "given_name": "Ann",
        "caring_for": 2,
        "identity_locked": False,
    }
    for patient in (first, second):
        assert patient.given_name not in response.text and patient.family_name not in response.text
    unknown = client.post(
        "/api/v1/carers/lookup", json={"phone": "+447700900111"}, headers=service_headers()
    )
    assert unknown.status_code == 404
    assert client.post("/api/v1/carers/lookup", json={"phone": PHONE}).status_code == 401


def test_the_date_of_birth_names_the_patient_and_opens_only_their_record(
    client: TestClient, seeded: Session
) -> None:
    first, second = _patients_with_appointments(seeded, 2)
    carer = _carer_for(seeded, first, second)
    assert _appointments_as(client, carer, first) == 403, "nothing before the check"

    result = _check(client, first.date_of_birth)
    assert result == {
        "result": "confirmed",
        "attempts_left": 3,
        "patient_id": first.id,
        "patient_given_name": first.given_name,
    }
    assert _appointments_as(client, carer, first) == 200
    assert _appointments_as(client, carer, second) == 403, "the other person needs their own"
    assert _check(client, second.date_of_birth)["patient_id"] == second.id
    assert _appointments_as(client, carer, second) == 200

    events = seeded.scalars(
        select(AuditEvent).where(AuditEvent.action == "carer.identity_confirm")
    ).all()
    assert [e.detail["result"] for e in events] == ["confirmed", "confirmed"]
    assert all(first.date_of_birth.isoformat() not in str(e.detail) for e in events)


def test_someone_elses_birthday_is_a_wrong_answer_and_three_lock_the_phone(
    client: TestClient, seeded: Session
) -> None:
    cared_for, stranger = _patients_with_appointments(seeded, 2)
    carer = _carer_for(seeded, cared_for)
    first = _check(client, stranger.date_of_birth)
    assert first == {
        "result": "mismatch",
        "attempts_left": 2,
        "patient_id": None,
        "patient_given_name": None,
    }
    assert _check(client, date(1901, 1, 1))["result"] == "mismatch"
    assert _check(client, date(1902, 2, 2)) == {
        "result": "locked",
        "attempts_left": 0,
        "patient_id": None,
        "patient_given_name": None,
    }
    # Locked: even the right answer opens nothing now, and the coordinator has a task.
    assert _check(client, cared_for.date_of_birth)["result"] == "locked"
    assert _appointments_as(client, carer, cared_for) == 403
    task = seeded.scalars(
        select(CallbackTask).where(
            CallbackTask.patient_id == cared_for.id, CallbackTask.reason == "identity_locked"
        )
    ).one()
    assert task.assigned_to_id == cared_for.care_coordinator_id and task.status == "open"

    # Staff, having checked by phone, unlock; the carer then answers again (an answer from
    # before the lock no longer counts).
    unlocked = client.post(f"/api/v1/carers/{carer.id}/identity/unlock", headers=login(client))
    assert unlocked.status_code == 204
    seeded.expire_all()
    assert seeded.get(CallbackTask, task.id).status == "done"
    assert _appointments_as(client, carer, cared_for) == 403
    assert _check(client, cared_for.date_of_birth)["result"] == "confirmed"
    assert _appointments_as(client, carer, cared_for) == 200


def test_a_lapsed_consent_opens_nothing_and_costs_no_attempt(
    client: TestClient, seeded: Session
) -> None:
    (patient,) = _patients_with_appointments(seeded, 1)
    carer = _carer_for(seeded, patient, expires_at=datetime.now(UTC) - timedelta(days=1))
    assert _check(client, patient.date_of_birth) == {
        "result": "no_consent",
        "attempts_left": 3,
        "patient_id": None,
        "patient_given_name": None,
    }
    assert _appointments_as(client, carer, patient) == 403
    seeded.expire_all()
    assert seeded.get(Carer, carer.id).identity_failures == 0


def test_only_coordinators_and_clinicians_unlock_a_carer(
    client: TestClient, seeded: Session
) -> None:
    (patient,) = _patients_with_appointments(seeded, 1)
    carer = _carer_for(seeded, patient)
    path = f"/api/v1/carers/{carer.id}/identity/unlock"
    assert client.post(path, headers=service_headers()).status_code in (401, 403)
    assert client.post(path, headers=login(client, "admin@example.org")).status_code == 403
    assert (
        client.post("/api/v1/carers/99999/identity/unlock", headers=login(client)).status_code
        == 404
    )


def test_the_seed_has_a_carer_for_two_people_and_one_whose_consent_lapsed(
    client: TestClient, seeded: Session
) -> None:
    from backend.app.seed import demo_carers

    (sam, sams), (jo, jos) = demo_carers()
    assert len(sams) == 2 and sam.consent_current and not jo.consent_current
    assert _check(client, sams[1].date_of_birth, phone=sam.phone)["patient_given_name"] == (
        sams[1].given_name
    )
    assert _check(client, jos[0].date_of_birth, phone=jo.phone)["result"] == "no_consent"


def test_knowing_one_birthday_buys_no_extra_guesses_at_another(
    client: TestClient, seeded: Session
) -> None:
    """Found by review: a success used to wipe the failures, so someone who knew one person's
    birthday could guess another's for ever."""
    first, second = _patients_with_appointments(seeded, 2)
    _carer_for(seeded, first, second)
    assert _check(client, date(1901, 1, 1))["result"] == "mismatch"
    assert _check(client, first.date_of_birth)["result"] == "confirmed"
    assert _check(client, date(1902, 2, 2))["attempts_left"] == 1
    assert _check(client, first.date_of_birth)["result"] == "confirmed"
    assert _check(client, date(1903, 3, 3))["result"] == "locked"


def test_twins_are_not_a_wrong_answer(client: TestClient, seeded: Session) -> None:
    first, second = _patients_with_appointments(seeded, 2)
    second.date_of_birth = first.date_of_birth
    seeded.commit()
    carer = _carer_for(seeded, first, second)
    for _ in range(4):
        assert _check(client, first.date_of_birth) == {
            "result": "ambiguous",
            "attempts_left": 3,
            "patient_id": None,
            "patient_given_name": None,
        }
    assert _appointments_as(client, carer, first) == 403


def test_one_phone_one_lock(client: TestClient, seeded: Session) -> None:
    """A phone that is both a patient's and a carer's: a lock on either holds for both."""
    (cared_for,) = _patients_with_appointments(seeded, 1)
    own = seeded.scalars(select(Patient).where(Patient.id != cared_for.id)).first()
    carer = _carer_for(seeded, cared_for)
    carer.phone = own.phone
    own.identity_locked_at = datetime.now(UTC)
    seeded.commit()
    assert _check(client, cared_for.date_of_birth, phone=own.phone)["result"] == "locked"
    lookup = client.post(
        "/api/v1/carers/lookup", json={"phone": own.phone}, headers=service_headers()
    )
    assert lookup.json()["identity_locked"] is True

    own.identity_locked_at = None
    own.identity_confirmed_at = datetime.now(UTC)
    carer.identity_locked_at = datetime.now(UTC)
    seeded.commit()
    as_patient = client.post(
        "/api/v1/patients/confirm-identity",
        json={"phone": own.phone, "date_of_birth": own.date_of_birth.isoformat()},
        headers=service_headers(),
    )
    assert as_patient.json()["result"] == "locked"
    own_appointments = client.get(
        f"/api/v1/patients/{own.id}/appointments",
        params={"as_kind": "patient", "as_id": own.id},
        headers=service_headers(),
    )
    assert own_appointments.status_code == 403
