"""Appointment changes through the API: who may make them, the limits real services have,
atomic booking (also under concurrent requests), call-back tasks, and the audit trail."""

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from backend.app.errors import Conflict
from backend.app.models import (
    Appointment,
    AuditEvent,
    CallbackTask,
    Carer,
    CarerConsent,
    Patient,
    Slot,
)
from backend.app.schemas.appointments import ActingFor
from backend.app.services import appointments as service
from backend.app.services.access import Requester
from tests.backend.conftest import login, service_headers


def _changeable(session: Session) -> Appointment:
    """An upcoming appointment that text may change (far enough ahead, nothing arranged), whose
    patient has passed the date-of-birth check."""
    soon = datetime.now(UTC) + timedelta(hours=30)
    appointment = session.scalars(
        select(Appointment)
        .where(
            Appointment.status.in_(("booked", "confirmed")),
            Appointment.starts_at > soon,
            Appointment.needs_transport.is_(False),
            Appointment.needs_interpreter.is_(False),
        )
        .order_by(Appointment.id)
    ).first()
    session.get(Patient, appointment.patient_id).identity_confirmed_at = datetime.now(UTC)
    session.commit()
    return appointment


def _as_patient(appointment: Appointment) -> dict[str, object]:
    return {"kind": "patient", "id": appointment.patient_id, "channel": "sms"}


def _held_slot(session: Session, appointment: Appointment) -> Slot | None:
    return session.scalar(select(Slot).where(Slot.appointment_id == appointment.id))


def test_reschedule_offers_free_slots_books_one_and_releases_the_old(
    client: TestClient, seeded: Session
) -> None:
    appointment = _changeable(seeded)
    old_slot = _held_slot(seeded, appointment)
    assert old_slot is not None, "the seed gives every upcoming appointment its slot"
    offered = client.get(
        f"/api/v1/appointments/{appointment.id}/alternatives",
        params={"as_kind": "patient", "as_id": appointment.patient_id},
        headers=service_headers(),
    )
    assert offered.status_code == 200, offered.text
    slots = offered.json()["data"]
    assert 1 <= len(slots) <= 3 and offered.json()["count"] >= len(slots)
    assert all(s["appointment_type"] == appointment.appointment_type for s in slots)
    starts = [s["starts_at"] for s in slots]
    assert starts == sorted(starts)
    more = client.get(
        f"/api/v1/appointments/{appointment.id}/alternatives",
        params={"as_kind": "patient", "as_id": appointment.patient_id, "offset": 3},
        headers=service_headers(),
    ).json()["data"]
    assert not {s["id"] for s in more} & {s["id"] for s in slots}, "'other times' are new ones"

    chosen = slots[1] if len(slots) > 1 else slots[0]
    booked = client.post(
        f"/api/v1/appointments/{appointment.id}/reschedule",
        json={"slot_id": chosen["id"], "acting_for": _as_patient(appointment)},
        headers=service_headers(),
    )
    assert booked.status_code == 200, booked.text
    assert booked.json()["starts_at"] == chosen["starts_at"]
    assert booked.json()["status"] == "booked"
    seeded.expire_all()
    assert seeded.get(Slot, chosen["id"]).appointment_id == appointment.id
    assert seeded.get(Slot, old_slot.id).appointment_id is None, "the old slot is free again"
    event = seeded.scalars(
        select(AuditEvent).where(AuditEvent.action == "appointment.reschedule")
    ).one()
    assert (event.actor_type, event.actor_id) == ("patient", str(appointment.patient_id))
    assert event.detail["channel"] == "sms" and event.detail["slot_id"] == chosen["id"]


def test_a_taken_slot_cannot_be_booked_and_nothing_changes(
    client: TestClient, seeded: Session
) -> None:
    appointment = _changeable(seeded)
    other = seeded.scalars(
        select(Appointment).where(
            Appointment.id != appointment.id,
            Appointment.appointment_type == appointment.appointment_type,
            Appointment.status.in_(("booked", "confirmed")),
        )
    ).first()
    their_slot = _held_slot(seeded, other)
    before = appointment.starts_at
    response = client.post(
        f"/api/v1/appointments/{appointment.id}/reschedule",
        json={"slot_id": their_slot.id, "acting_for": _as_patient(appointment)},
        headers=service_headers(),
    )
    assert response.status_code in (409, 404)
    seeded.expire_all()
    assert seeded.get(Appointment, appointment.id).starts_at == before
    assert _held_slot(seeded, appointment) is not None, "still holds its own slot"
    assert seeded.get(Slot, their_slot.id).appointment_id == other.id


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"starts_in_hours": 3}, "change_within_window"),
        ({"needs_transport": True}, "change_needs_transport"),
        ({"needs_interpreter": True}, "change_needs_interpreter"),
        ({"status": "cancelled"}, "appointment_not_changeable"),
    ],
)
def test_limits_send_the_change_to_a_person(
    client: TestClient, seeded: Session, change: dict[str, object], reason: str
) -> None:
    appointment = _changeable(seeded)
    if "starts_in_hours" in change:
        appointment.starts_at = datetime.now(UTC) + timedelta(
            hours=float(change["starts_in_hours"])
        )
        appointment.ends_at = appointment.starts_at + timedelta(minutes=20)
    for key in ("needs_transport", "needs_interpreter", "status"):
        if key in change:
            setattr(appointment, key, change[key])
    seeded.commit()
    acting = _as_patient(appointment)
    params = {"as_kind": "patient", "as_id": appointment.patient_id}
    for response in (
        client.get(
            f"/api/v1/appointments/{appointment.id}/alternatives",
            params=params,
            headers=service_headers(),
        ),
        client.post(
            f"/api/v1/appointments/{appointment.id}/cancel",
            json={"acting_for": acting},
            headers=service_headers(),
        ),
    ):
        assert response.status_code == 409
        assert response.json() == {"detail": reason}
    detail = client.get(
        f"/api/v1/appointments/{appointment.id}", params=params, headers=service_headers()
    ).json()
    assert detail["change_blocked"] == reason
    callback = client.post(
        "/api/v1/callback-tasks",
        json={
            "patient_id": appointment.patient_id,
            "appointment_id": appointment.id,
            "reason": "change_within_window" if reason == "appointment_not_changeable" else reason,
            "acting_for": acting,
        },
        headers=service_headers(),
    )
    assert callback.status_code == 201, callback.text
    patient = seeded.get(Patient, appointment.patient_id)
    assert callback.json()["assigned_to_id"] == patient.care_coordinator_id
    assert callback.json()["status"] == "open"
    listed = client.get("/api/v1/callback-tasks?status=open", headers=login(client)).json()
    assert callback.json()["id"] in [t["id"] for t in listed["data"]]


def test_cancel_and_confirm(client: TestClient, seeded: Session) -> None:
    appointment = _changeable(seeded)
    acting = _as_patient(appointment)
    confirmed = client.post(
        f"/api/v1/appointments/{appointment.id}/confirm",
        json={"acting_for": acting},
        headers=service_headers(),
    )
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    slot = _held_slot(seeded, appointment)
    cancelled = client.post(
        f"/api/v1/appointments/{appointment.id}/cancel",
        json={"acting_for": acting, "reason": "feeling better"},
        headers=service_headers(),
    )
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["cancel_reason"] == "feeling better"
    seeded.expire_all()
    assert seeded.get(Slot, slot.id).appointment_id is None, "a cancelled slot is free again"
    again = client.post(
        f"/api/v1/appointments/{appointment.id}/confirm",
        json={"acting_for": acting},
        headers=service_headers(),
    )
    assert again.status_code == 409
    actions = seeded.scalars(
        select(AuditEvent.action).where(AuditEvent.patient_id == appointment.patient_id)
    ).all()
    assert {"appointment.confirm", "appointment.cancel"} <= set(actions)


def _carer_with(session: Session, appointment: Appointment, **consent: object) -> Carer:
    carer = Carer(given_name="Test", family_name="Carer", phone="+447700900698")
    session.add(carer)
    session.flush()
    session.add(
        CarerConsent(
            carer_id=carer.id,
            patient_id=appointment.patient_id,
            relationship_to_patient="daughter",
            scopes=consent.get("scopes", ["appointments.read", "appointments.change"]),
            expires_at=consent.get("expires_at"),
            revoked_at=consent.get("revoked_at"),
            # The carer named the patient by date of birth (services/carers.py) unless told not.
            identity_confirmed_at=consent.get("identity_confirmed_at", datetime.now(UTC)),
        )
    )
    session.commit()
    return carer


@pytest.mark.parametrize(
    ("consent", "refusal"),
    [
        ({}, None),
        ({"scopes": ["appointments.read"]}, "consent_required"),
        ({"expires_at": datetime.now(UTC) - timedelta(days=1)}, "consent_required"),
        ({"revoked_at": datetime.now(UTC) - timedelta(days=1)}, "consent_required"),
        ({"expires_at": datetime.now(UTC) + timedelta(days=30)}, None),
        ({"identity_confirmed_at": None}, "identity_unconfirmed"),
        (
            {"identity_confirmed_at": datetime.now(UTC) - timedelta(days=400)},
            "identity_unconfirmed",
        ),
    ],
)
def test_a_carer_acts_only_within_current_consent(
    client: TestClient, seeded: Session, consent: dict[str, object], refusal: str | None
) -> None:
    appointment = _changeable(seeded)
    carer = _carer_with(seeded, appointment, **consent)
    response = client.post(
        f"/api/v1/appointments/{appointment.id}/confirm",
        json={"acting_for": {"kind": "carer", "id": carer.id, "channel": "webchat"}},
        headers=service_headers(),
    )
    if refusal is None:
        assert response.status_code == 200
        event = seeded.scalars(
            select(AuditEvent).where(AuditEvent.action == "appointment.confirm")
        ).one()
        assert (event.actor_type, event.actor_id) == ("carer", str(carer.id))
        assert event.detail["channel"] == "webchat"
    else:
        assert response.status_code == 403
        assert response.json() == {"detail": refusal}
        refused = seeded.scalars(
            select(AuditEvent).where(AuditEvent.action == "access.refused")
        ).one()
        assert refused.actor_id == str(carer.id) and refused.patient_id == appointment.patient_id
        seeded.expire_all()
        assert seeded.get(Appointment, appointment.id).status == appointment.status


def test_a_carer_without_consent_learns_nothing(client: TestClient, seeded: Session) -> None:
    appointment = _changeable(seeded)
    stranger = Carer(given_name="No", family_name="Consent", phone="+447700900697")
    seeded.add(stranger)
    seeded.commit()
    params = {"as_kind": "carer", "as_id": stranger.id}
    for path in (
        f"/api/v1/appointments/{appointment.id}",
        f"/api/v1/appointments/{appointment.id}/alternatives",
        f"/api/v1/patients/{appointment.patient_id}/appointments",
    ):
        response = client.get(path, params=params, headers=service_headers())
        assert response.status_code == 403, path
        assert appointment.location not in response.text


def test_a_patient_cannot_touch_someone_elses_appointment(
    client: TestClient, seeded: Session
) -> None:
    appointment = _changeable(seeded)
    other_patient = seeded.scalar(select(Patient.id).where(Patient.id != appointment.patient_id))
    response = client.post(
        f"/api/v1/appointments/{appointment.id}/cancel",
        json={"acting_for": {"kind": "patient", "id": other_patient}},
        headers=service_headers(),
    )
    assert response.status_code == 403
    no_one = client.post(
        f"/api/v1/appointments/{appointment.id}/cancel", json={}, headers=service_headers()
    )
    assert no_one.status_code == 403 and no_one.json() == {"detail": "acting_for_required"}
    assert client.post(f"/api/v1/appointments/{appointment.id}/cancel", json={}).status_code == 401


def test_staff_roles(client: TestClient, seeded: Session) -> None:
    appointment = _changeable(seeded)
    admin = client.post(
        f"/api/v1/appointments/{appointment.id}/confirm",
        json={},
        headers=login(client, "admin@example.org"),
    )
    assert admin.status_code == 403
    coordinator = client.post(
        f"/api/v1/appointments/{appointment.id}/confirm", json={}, headers=login(client)
    )
    assert coordinator.status_code == 200


def test_concurrent_bookings_of_one_slot_give_it_to_exactly_one(engine: Engine) -> None:
    """Real transactions on the test database (PostgreSQL in CI): several patients try for the
    same free slot at once; exactly one gets it, the others are told it is taken."""
    start = datetime.now(UTC) + timedelta(days=10)
    with Session(engine) as s:
        patients = [
            Patient(
                nhs_number=f"99{i:08d}",
                given_name="Race",
                family_name=f"Test{i}",
                date_of_birth=date(1950, 1, 1),
                phone=f"+4477009005{i:02d}",
                identity_confirmed_at=datetime.now(UTC),
            )
            for i in range(4)
        ]
        s.add_all(patients)
        s.flush()
        appointments = [
            Appointment(
                patient_id=p.id,
                starts_at=start + timedelta(days=1),
                ends_at=start + timedelta(days=1, minutes=20),
                location="Riverside",
                with_whom="Dr Race",
                appointment_type="race test",
                status="booked",
            )
            for p in patients
        ]
        target = Slot(
            starts_at=start,
            ends_at=start + timedelta(minutes=20),
            with_whom="Dr Race",
            location="Riverside",
            appointment_type="race test",
        )
        s.add_all([*appointments, target])
        s.commit()
        pairs = [(a.id, a.patient_id) for a in appointments]
        patient_ids = [p.id for p in patients]
        slot_id = target.id
    barrier = threading.Barrier(len(pairs))
    results: list[str] = []

    def book(appointment_id: int, patient_id: int) -> None:
        with Session(engine) as s:
            requester = Requester(
                "service", "action-server", "service", ActingFor(kind="patient", id=patient_id)
            )
            barrier.wait()
            try:
                service.reschedule(s, appointment_id, requester, slot_id=slot_id)
                results.append("booked")
            except Conflict as exc:
                results.append(exc.detail)

    try:
        threads = [threading.Thread(target=book, args=pair) for pair in pairs]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert sorted(results) == ["booked"] + ["slot_taken"] * (len(pairs) - 1), results
        with Session(engine) as s:
            slot = s.get(Slot, slot_id)
            winner = s.get(Appointment, slot.appointment_id)
            assert winner.starts_at == slot.starts_at
            losers = s.scalars(
                select(Appointment).where(
                    Appointment.patient_id.in_(patient_ids), Appointment.id != winner.id
                )
            ).all()
            assert all(a.starts_at == start + timedelta(days=1) for a in losers)
    finally:
        with Session(engine) as s:
            s.execute(delete(AuditEvent).where(AuditEvent.patient_id.in_(patient_ids)))
            s.execute(delete(Slot).where(Slot.id == slot_id))
            s.execute(delete(Appointment).where(Appointment.patient_id.in_(patient_ids)))
            s.execute(delete(Patient).where(Patient.id.in_(patient_ids)))
            s.commit()


def test_every_refused_change_is_audited(client: TestClient, seeded: Session) -> None:
    appointment = _changeable(seeded)
    appointment.needs_transport = True
    seeded.commit()
    response = client.post(
        f"/api/v1/appointments/{appointment.id}/cancel",
        json={"acting_for": _as_patient(appointment)},
        headers=service_headers(),
    )
    assert response.status_code == 409
    event = seeded.scalars(
        select(AuditEvent).where(AuditEvent.action == "appointment.change_refused")
    ).one()
    assert event.detail["reason"] == "change_needs_transport"
    assert event.patient_id == appointment.patient_id
    missing = client.get(
        "/api/v1/appointments/999999",
        params={"as_kind": "patient", "as_id": appointment.patient_id},
        headers=service_headers(),
    )
    assert missing.status_code == 403, "no hint whether an id exists"
    assert seeded.scalars(select(AuditEvent).where(AuditEvent.action == "access.refused")).all()


def test_staff_can_make_the_change_text_cannot(client: TestClient, seeded: Session) -> None:
    """The coordinator who takes the call back can move an appointment with transport booked."""
    appointment = _changeable(seeded)
    appointment.needs_transport = True
    seeded.commit()
    offered = client.get(
        f"/api/v1/appointments/{appointment.id}/alternatives", headers=login(client)
    )
    assert offered.status_code == 200 and offered.json()["data"]
    moved = client.post(
        f"/api/v1/appointments/{appointment.id}/reschedule",
        json={"slot_id": offered.json()["data"][0]["id"]},
        headers=login(client),
    )
    assert moved.status_code == 200


def test_a_call_back_only_for_someone_the_assistant_acts_for(
    client: TestClient, seeded: Session
) -> None:
    appointment = _changeable(seeded)
    other = seeded.scalar(select(Patient.id).where(Patient.id != appointment.patient_id))
    response = client.post(
        "/api/v1/callback-tasks",
        json={"patient_id": other, "reason": "requested", "acting_for": _as_patient(appointment)},
        headers=service_headers(),
    )
    assert response.status_code == 403
    assert not seeded.scalars(select(CallbackTask)).all()
    wrong_appointment = client.post(
        "/api/v1/callback-tasks",
        json={
            "patient_id": other,
            "appointment_id": appointment.id,
            "reason": "requested",
            "acting_for": {"kind": "patient", "id": other},
        },
        headers=service_headers(),
    )
    assert wrong_appointment.status_code == 403


def test_a_patient_who_has_not_passed_the_identity_check_learns_nothing(
    client: TestClient, seeded: Session
) -> None:
    appointment = _changeable(seeded)
    seeded.get(Patient, appointment.patient_id).identity_confirmed_at = None
    seeded.commit()
    for response in (
        client.get(
            f"/api/v1/patients/{appointment.patient_id}/appointments",
            params={"as_kind": "patient", "as_id": appointment.patient_id},
            headers=service_headers(),
        ),
        client.post(
            f"/api/v1/appointments/{appointment.id}/confirm",
            json={"acting_for": _as_patient(appointment)},
            headers=service_headers(),
        ),
    ):
        assert response.status_code == 403
        assert response.json() == {"detail": "identity_unconfirmed"}
        assert appointment.location not in response.text
