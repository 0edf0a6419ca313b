"""Decision-aid sessions through the API: an aid read whole by the action server; a session
requested by a coordinator (invitation texted), resumed, saved step by step, completed with its
SURE scores and summary; decisional conflict highlighted to the care coordinator; access as for
questionnaires; every access audited."""

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.app.models import AuditEvent, CallbackTask, OutboxMessage, Patient
from tests.backend.conftest import login, service_headers

SURE_YES = {"sure_of_myself": 1, "understand": 1, "risk_benefit": 1, "encouragement": 1}


def _patient(session: Session, phone: str = "+447700900021") -> Patient:
    patient = session.scalar(select(Patient).where(Patient.phone == phone))
    assert patient is not None
    patient.identity_confirmed_at = datetime.now(UTC)
    session.commit()
    return patient


def _as(patient: Patient) -> dict[str, object]:
    return {"kind": "patient", "id": patient.id, "channel": "sms"}


def test_the_action_server_reads_an_aid_whole(client: TestClient, seeded: Session) -> None:
    listed = client.get("/api/v1/decision-aids", headers=service_headers()).json()
    assert {"knee_osteoarthritis", "care_after_hospital"} <= {a["id"] for a in listed["data"]}
    knee = client.get("/api/v1/decision-aids/knee_osteoarthritis", headers=service_headers())
    assert knee.status_code == 200, knee.text
    body = knee.json()
    assert body["denominator"] == 100 and "carry_on_as_now" in [o["id"] for o in body["options"]]
    assert len(body["ask_3_questions"]) == 3 and "clinical review" in body["status"]
    missing = client.get("/api/v1/decision-aids/nope", headers=service_headers())
    assert missing.status_code == 404 and missing.json()["detail"] == "decision_aid_not_found"
    assert client.get("/api/v1/decision-aids").status_code == 401


def test_requested_resumed_saved_and_completed_with_a_summary(
    client: TestClient, seeded: Session
) -> None:
    patient = _patient(seeded)
    requested = client.post(
        f"/api/v1/patients/{patient.id}/decision-aid-sessions/request",
        json={"aid_id": "knee_osteoarthritis"},
        headers=login(client),
    )
    assert requested.status_code == 201, requested.text
    [sms] = seeded.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "decision_aid_invitation")
    ).all()
    assert "Reply 'choices'" in sms.body and sms.to_phone == patient.phone

    # The patient replies 'choices': the requested one is resumed, no aid named.
    started = client.post(
        f"/api/v1/patients/{patient.id}/decision-aid-sessions",
        json={"acting_for": _as(patient)},
        headers=service_headers(),
    )
    assert started.status_code == 200, started.text
    session_id = started.json()["id"]
    assert session_id == requested.json()["id"] and started.json()["status"] == "in_progress"

    saved = client.post(
        f"/api/v1/decision-aid-sessions/{session_id}/progress",
        json={"sure_before": {**SURE_YES, "sure_of_myself": 0, "understand": 0},
              "progress": {"step": "options", "index": 1}, "acting_for": _as(patient)},
        headers=service_headers(),
    )  # fmt: skip
    assert saved.status_code == 200, saved.text
    # Days later, where they left off.
    again = client.post(
        f"/api/v1/patients/{patient.id}/decision-aid-sessions",
        json={"acting_for": _as(patient)},
        headers=service_headers(),
    ).json()
    assert again["id"] == session_id and again["progress"] == {"step": "options", "index": 1}

    client.post(
        f"/api/v1/decision-aid-sessions/{session_id}/progress",
        json={"values": ["Avoiding an operation and its risks"], "leaning": "exercise",
              "sure_after": SURE_YES, "acting_for": _as(patient),
              "progress": {"step": "done", "questions": ["how long is the wait?"]}},
        headers=service_headers(),
    )  # fmt: skip
    done = client.post(
        f"/api/v1/decision-aid-sessions/{session_id}/complete",
        json={"acting_for": _as(patient)},
        headers=service_headers(),
    ).json()
    assert done["status"] == "completed"
    assert (done["sure_before_score"], done["sure_after_score"]) == (2, 4)
    assert done["conflict_flagged"] is False
    assert "Leaning towards: Exercise, weight loss and pain relief" in done["summary"]
    assert "Avoiding an operation" in done["summary"] and "2 before, 4 after" in done["summary"]
    assert "Your questions: how long is the wait?" in done["summary"]
    assert "?." not in done["summary"]
    assert not seeded.scalars(
        select(CallbackTask).where(CallbackTask.patient_id == patient.id)
    ).all()

    listed = client.get(
        f"/api/v1/patients/{patient.id}/decision-aid-sessions", headers=login(client)
    ).json()
    assert listed["data"][0]["id"] == session_id
    actions = set(
        seeded.scalars(select(AuditEvent.action).where(AuditEvent.patient_id == patient.id))
    )
    assert {"decision_aid_session.request", "decision_aid_session.start",
            "decision_aid_session.progress", "decision_aid_session.complete",
            "decision_aid_session.list"} <= actions  # fmt: skip


def test_not_sure_afterwards_is_highlighted_to_the_coordinator(
    client: TestClient, seeded: Session
) -> None:
    patient = _patient(seeded, "+447700900022")
    started = client.post(
        f"/api/v1/patients/{patient.id}/decision-aid-sessions",
        json={"aid_id": "care_after_hospital", "acting_for": _as(patient)},
        headers=service_headers(),
    ).json()
    client.post(
        f"/api/v1/decision-aid-sessions/{started['id']}/progress",
        json={"sure_after": {**SURE_YES, "encouragement": 0}, "leaning": "unsure",
              "acting_for": _as(patient)},
        headers=service_headers(),
    )  # fmt: skip
    done = client.post(
        f"/api/v1/decision-aid-sessions/{started['id']}/complete",
        json={"acting_for": _as(patient)},
        headers=service_headers(),
    ).json()
    assert done["conflict_flagged"] is True and done["sure_after_score"] == 3
    [task] = seeded.scalars(select(CallbackTask).where(CallbackTask.patient_id == patient.id)).all()
    assert (
        task.reason == "decisional_conflict" and task.assigned_to_id == patient.care_coordinator_id
    )
    assert "3/4" in (task.note or "")


def test_bad_input_and_other_people_are_refused_clearly(
    client: TestClient, seeded: Session
) -> None:
    patient = _patient(seeded, "+447700900024")
    other = _patient(seeded, "+447700900025")
    none_waiting = client.post(
        f"/api/v1/patients/{patient.id}/decision-aid-sessions",
        json={"acting_for": _as(patient)},
        headers=service_headers(),
    )
    assert none_waiting.status_code == 409
    assert none_waiting.json()["detail"] == "choose_decision_aid"
    started = client.post(
        f"/api/v1/patients/{patient.id}/decision-aid-sessions",
        json={"aid_id": "knee_osteoarthritis", "acting_for": _as(patient)},
        headers=service_headers(),
    ).json()
    url = f"/api/v1/decision-aid-sessions/{started['id']}/progress"
    for bad in ({"leaning": "amputation"}, {"sure_before": {"sure_of_myself": 7}},
                {"sure_after": {"made_up": 1}}, {}):  # fmt: skip
        response = client.post(
            url, json={**bad, "acting_for": _as(patient)}, headers=service_headers()
        )
        assert response.status_code in (400, 422), (bad, response.text)
        assert "Traceback" not in response.text
    # Someone else's session, and no token at all.
    refused = client.post(url, json={"leaning": "exercise", "acting_for": _as(other)},
                          headers=service_headers())  # fmt: skip
    assert refused.status_code == 403
    assert client.post(url, json={"leaning": "exercise"}).status_code == 401


def test_an_invitation_held_for_the_morning_is_not_sent_once_it_is_done(
    client: TestClient, seeded: Session
) -> None:
    # The second phone-simulator trial: a held invitation would still have gone at 08:00.
    from backend.app.services.outbox import deliver_due

    patient = _patient(seeded, "+447700900026")
    requested = client.post(
        f"/api/v1/patients/{patient.id}/decision-aid-sessions/request",
        json={"aid_id": "knee_osteoarthritis"},
        headers=login(client),
    ).json()
    client.post(
        f"/api/v1/decision-aid-sessions/{requested['id']}/complete",
        json={"acting_for": _as(patient)},
        headers=service_headers(),
    )  # not started: still "requested", so completing it is refused
    client.post(
        f"/api/v1/patients/{patient.id}/decision-aid-sessions",
        json={"acting_for": _as(patient)},
        headers=service_headers(),
    )
    done = client.post(
        f"/api/v1/decision-aid-sessions/{requested['id']}/complete",
        json={"acting_for": _as(patient)},
        headers=service_headers(),
    )
    assert done.status_code == 200 and done.json()["status"] == "completed"
    sent: list[str] = []
    deliver_due(seeded, lambda to, body: sent.append(to) or "SM1", max_attempts=3,
                max_backoff_seconds=5)  # fmt: skip
    [invitation] = seeded.scalars(
        select(OutboxMessage).where(OutboxMessage.to_phone == patient.phone)
    ).all()
    assert patient.phone not in sent
    assert invitation.status == "failed" and "already done" in (invitation.last_error or "")
