"""Questionnaires through the API: started and resumed where they were left, answered item by
item, scored by the instrument on completion and found through the contract's
`GET /api/v1/patients/{id}/assessments`; access as for appointments; a coordinator's request
texts an invitation (never to an opted-out patient); every access audited."""

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.app.models import AuditEvent, OutboxMessage, Patient
from backend.app.services.assessments import instrument
from tests.backend.conftest import login, service_headers

PAM = instrument("PAM")


def _patient(session: Session, phone: str = "+447700900020") -> Patient:
    patient = session.scalar(select(Patient).where(Patient.phone == phone))
    assert patient is not None
    patient.identity_confirmed_at = datetime.now(UTC)  # passed the date-of-birth check
    session.commit()
    return patient


def _as(patient: Patient) -> dict[str, object]:
    return {"kind": "patient", "id": patient.id, "channel": "sms"}


def test_a_questionnaire_by_text_is_resumed_scored_and_listed(
    client: TestClient, seeded: Session
) -> None:
    patient = _patient(seeded)
    start = client.post(
        f"/api/v1/patients/{patient.id}/assessments",
        json={"instrument": "PAM", "acting_for": _as(patient)},
        headers=service_headers(),
    )
    assert start.status_code == 200, start.text
    assessment = start.json()
    assert assessment["status"] == "in_progress" and assessment["demonstration"] is True
    for item in PAM.items[:6]:
        answered = client.post(
            f"/api/v1/assessments/{assessment['id']}/answers",
            json={"item_id": item.id, "value": 3, "acting_for": _as(patient)},
            headers=service_headers(),
        )
        assert answered.status_code == 200, answered.text

    # Days later: the same one, where it was left.
    again = client.post(
        f"/api/v1/patients/{patient.id}/assessments",
        json={"instrument": "PAM", "acting_for": _as(patient)},
        headers=service_headers(),
    ).json()
    assert again["id"] == assessment["id"] and len(again["answers"]) == 6

    early = client.post(
        f"/api/v1/assessments/{assessment['id']}/complete",
        json={"acting_for": _as(patient)},
        headers=service_headers(),
    )
    assert early.status_code == 409 and early.json() == {"detail": "not_enough_answers"}
    for item, value in zip(PAM.items[6:], (3, 3, 3, 3, "not_applicable", None, 3), strict=True):
        client.post(
            f"/api/v1/assessments/{assessment['id']}/answers",
            json={"item_id": item.id, "value": value, "acting_for": _as(patient)},
            headers=service_headers(),
        )
    done = client.post(
        f"/api/v1/assessments/{assessment['id']}/complete",
        json={"acting_for": _as(patient)},
        headers=service_headers(),
    ).json()
    # Eleven answered "agree" (3): 3 x 13 = 39 -> 66.7 on the demonstration table -> level 3.
    assert (done["status"], done["raw"], done["score"], done["level"]) == ("completed", 39, 66.7, 3)

    listed = client.get(f"/api/v1/patients/{patient.id}/assessments", headers=login(client)).json()
    assert listed["count"] == 1
    row = listed["data"][0]
    assert (row["instrument"], row["score"], row["level"]) == ("PAM", 66.7, 3)
    assert row["completed_at"] is not None
    actions = set(
        seeded.scalars(select(AuditEvent.action).where(AuditEvent.patient_id == patient.id)).all()
    )
    assert {"assessment.start", "assessment.answer", "assessment.complete"} <= actions
    assert "assessment.list" in actions


def test_bad_answers_are_refused_clearly(client: TestClient, seeded: Session) -> None:
    patient = _patient(seeded)
    started = client.post(
        f"/api/v1/patients/{patient.id}/assessments",
        json={"instrument": "SURE", "acting_for": _as(patient)},
        headers=service_headers(),
    ).json()
    path = f"/api/v1/assessments/{started['id']}/answers"
    unknown = client.post(
        path, json={"item_id": "nope", "value": 1, "acting_for": _as(patient)},
        headers=service_headers(),
    )  # fmt: skip
    assert unknown.status_code == 422 and "unknown_item" in unknown.text
    out_of_range = client.post(
        path, json={"item_id": "understand", "value": 7, "acting_for": _as(patient)},
        headers=service_headers(),
    )  # fmt: skip
    assert out_of_range.status_code == 422 and "Traceback" not in out_of_range.text


def test_nobody_else_may_answer_or_read(client: TestClient, seeded: Session) -> None:
    patient = _patient(seeded)
    other = _patient(seeded, "+447700900021")
    refused = client.post(
        f"/api/v1/patients/{patient.id}/assessments",
        json={"instrument": "PAM", "acting_for": _as(other)},
        headers=service_headers(),
    )
    assert refused.status_code == 403
    unchecked = seeded.scalar(select(Patient).where(Patient.phone == "+447700900022"))
    assert unchecked is not None and unchecked.identity_confirmed_at is None
    before_check = client.get(
        f"/api/v1/patients/{unchecked.id}/assessments",
        params={"as_kind": "patient", "as_id": unchecked.id},
        headers=service_headers(),
    )
    assert before_check.status_code == 403 and before_check.json() == {
        "detail": "identity_unconfirmed"
    }
    assert client.get(f"/api/v1/patients/{patient.id}/assessments").status_code == 401
    manager = client.get(
        f"/api/v1/patients/{patient.id}/assessments", headers=login(client, "admin@example.org")
    )
    assert manager.status_code == 403, "scores are for clinical staff"


def test_a_coordinator_requests_one_and_the_invitation_goes_by_text(
    client: TestClient, seeded: Session
) -> None:
    patient = _patient(seeded)
    response = client.post(
        f"/api/v1/patients/{patient.id}/assessments/request",
        json={"instrument": "PAM"},
        headers=login(client),
    )
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "requested"
    [sms] = seeded.scalars(
        select(OutboxMessage).where(
            OutboxMessage.kind == "assessment_invitation", OutboxMessage.to_phone == patient.phone
        )
    ).all()
    assert sms.status == "pending" and "Reply 'ready'" in sms.body and len(sms.body) <= 160
    # The patient then starts it by text: the requested one, not a second.
    started = client.post(
        f"/api/v1/patients/{patient.id}/assessments",
        json={"instrument": "PAM", "acting_for": _as(patient)},
        headers=service_headers(),
    ).json()
    assert started["id"] == response.json()["id"] and started["status"] == "in_progress"

    opted_out = _patient(seeded, "+447700900023")
    opted_out.sms_opt_out = True
    seeded.commit()
    client.post(
        f"/api/v1/patients/{opted_out.id}/assessments/request",
        json={"instrument": "PAM"},
        headers=login(client),
    )
    [kept] = seeded.scalars(
        select(OutboxMessage).where(OutboxMessage.to_phone == opted_out.phone)
    ).all()
    assert kept.status == "failed" and "opted out" in (kept.last_error or "")
    assert (
        client.post(
            f"/api/v1/patients/{patient.id}/assessments/request",
            json={"instrument": "PAM"},
            headers=login(client, "admin@example.org"),
        ).status_code
        == 403
    )


def test_the_action_server_reads_the_configured_instrument_to_ask_it(
    client: TestClient, seeded: Session
) -> None:
    response = client.get("/api/v1/instruments/PAM", headers=service_headers())
    assert response.status_code == 200, response.text
    body = response.json()
    assert [i["id"] for i in body["items"]] == [i.id for i in PAM.items]
    assert [p["value"] for p in body["scale"]] == [1, 2, 3, 4]
    assert body["not_applicable_reply"] == 5 and body["min_answered"] == 10
    assert body["synonyms"]["agree strongly"] == 4
    assert body["synonyms"]["n/a"] == "not_applicable"
    assert body["demonstration"] is True and body["review_by"]
    sure = client.get("/api/v1/instruments/SURE", headers=service_headers()).json()
    assert len(sure["items"]) == 4 and sure["conflict_at_or_below"] == 3

    assert client.get("/api/v1/instruments/PAM").status_code == 401
    unknown = client.get("/api/v1/instruments/PHQ9", headers=service_headers())
    assert unknown.status_code == 422 and "Traceback" not in unknown.text
