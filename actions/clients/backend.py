"""The one client for the caseload backend: async, typed, explicit timeouts, errors raised."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from actions.settings import ActionSettings, get_settings


class BackendError(Exception):
    """The backend answered with an error or not at all."""


class BackendUnavailable(BackendError):
    """The backend could not be reached or timed out."""


@dataclass(frozen=True)
class PatientIdentity:
    id: int
    given_name: str
    named_clinician_id: int | None
    # The date-of-birth check (backend/app/services/identity.py).
    identity_confirmed: bool = False
    identity_locked: bool = False


@dataclass(frozen=True)
class CarerIdentity:
    """A registered carer's phone: how many people they may act for, never who."""

    id: int
    given_name: str
    caring_for: int
    identity_locked: bool = False


@dataclass(frozen=True)
class CarerCheck:
    """The backend's verdict on the date of birth a carer gave for the person they help."""

    result: str  # confirmed | mismatch | locked | unknown | no_consent
    attempts_left: int
    patient_id: int | None = None
    patient_given_name: str | None = None


@dataclass(frozen=True)
class Appointment:
    id: int
    starts_at: datetime
    ends_at: datetime
    location: str
    with_whom: str
    appointment_type: str
    status: str


@dataclass(frozen=True)
class Slot:
    id: int
    starts_at: datetime
    with_whom: str
    location: str


@dataclass(frozen=True)
class Questionnaire:
    """An instrument as the backend serves it (`GET /api/v1/instruments/{kind}`)."""

    kind: str
    name: str
    min_answered: int
    items: tuple[tuple[str, str, str], ...]  # (id, text, why), in order
    scale: tuple[tuple[int, str], ...]  # (value, label)
    not_applicable_reply: int | None
    synonyms: dict[str, int | str]


@dataclass(frozen=True)
class Assessment:
    id: int
    status: str
    answers: dict[str, int | str | None]
    level: int | None = None
    score: float | None = None
    flagged: bool = False
    instrument: str = ""
    completed_at: datetime | None = None


class ChangeRefused(BackendError):
    """The backend will not make this change by text: `reason` is its stable detail
    (`slot_taken`, `change_within_window`, `change_needs_transport`, ...)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_time(value: str) -> datetime:
    """ISO 8601 with a zone; Python 3.10's fromisoformat does not read a trailing 'Z'."""
    parsed = datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)
    if parsed.tzinfo is None:
        raise ValueError("time without a zone")
    return parsed


class BackendClient:
    """Calls about a patient's appointments say whom the assistant acts for: the patient (the
    default) or, after `act_as_carer`, that carer. The backend checks either way."""

    def __init__(self, settings: ActionSettings | None = None) -> None:
        self._settings = settings or get_settings()
        self._carer_id: int | None = None

    def act_as_carer(self, carer_id: int) -> None:
        self._carer_id = carer_id

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self._settings.backend_url,
            headers={"Authorization": f"Bearer {self._settings.service_token}"},
            timeout=httpx.Timeout(self._settings.backend_timeout_seconds),
        )

    async def _request(self, method: str, path: str, **kwargs: object) -> httpx.Response:
        try:
            async with self._client() as client:
                return await client.request(method, path, **kwargs)  # type: ignore[arg-type]
        except httpx.TransportError as exc:
            raise BackendUnavailable(f"{method} {path}: {exc.__class__.__name__}") from exc

    async def find_patient_by_phone(self, phone: str) -> PatientIdentity | None:
        response = await self._request("POST", "/api/v1/patients/lookup", json={"phone": phone})
        if response.status_code in (404, 422):
            return None
        if response.status_code != 200:
            raise BackendError(f"patient lookup: HTTP {response.status_code}")
        try:
            body = response.json()
            return PatientIdentity(
                id=int(body["id"]),
                given_name=str(body["given_name"]),
                named_clinician_id=body.get("named_clinician_id"),
                identity_confirmed=bool(body.get("identity_confirmed")),
                identity_locked=bool(body.get("identity_locked")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise BackendError(f"patient lookup: unreadable answer ({exc})") from exc

    async def raise_escalation(self, payload: dict[str, object]) -> None:
        """Idempotent on `source_message_id`: 201 new, 200 already recorded."""
        from actions.outbox import Rejected

        response = await self._request("POST", "/api/v1/escalations", json=payload)
        if response.status_code in (200, 201):
            return
        if 400 <= response.status_code < 500 and response.status_code not in (401, 408, 429):
            raise Rejected(f"escalation: HTTP {response.status_code} {response.text[:200]}")
        raise BackendError(f"escalation: HTTP {response.status_code}")

    async def upcoming_appointments(self, patient_id: int, limit: int = 3) -> list[Appointment]:
        """The patient's upcoming appointments, soonest first."""
        response = await self._request(
            "GET",
            f"/api/v1/patients/{patient_id}/appointments",
            params={"upcoming": "true", "limit": limit, **self._as(patient_id)},
        )
        if response.status_code != 200:
            raise BackendError(f"appointments: HTTP {response.status_code}")
        try:
            return [
                Appointment(
                    id=int(row["id"]),
                    starts_at=parse_time(row["starts_at"]),
                    ends_at=parse_time(row["ends_at"]),
                    location=str(row["location"]),
                    with_whom=str(row["with_whom"]),
                    appointment_type=str(row["appointment_type"]),
                    status=str(row["status"]),
                )
                for row in response.json()["data"]
            ]
        except (KeyError, TypeError, ValueError) as exc:
            raise BackendError(f"appointments: unreadable answer ({exc})") from exc

    async def next_appointment(self, patient_id: int) -> Appointment | None:
        upcoming = await self.upcoming_appointments(patient_id, limit=1)
        return upcoming[0] if upcoming else None

    async def appointment_details(self, appointment_id: int, patient_id: int) -> dict[str, str]:
        """Where exactly, how to get there and what to bring (empty strings when not known)."""
        response = await self._request(
            "GET",
            f"/api/v1/appointments/{appointment_id}",
            params=self._as(patient_id),
        )
        if response.status_code != 200:
            raise BackendError(f"appointment: HTTP {response.status_code}")
        try:
            body = response.json()
            return {
                key: str(body.get(key) or "")
                for key in ("address", "directions", "what_to_bring", "location")
            }
        except ValueError as exc:
            raise BackendError(f"appointment: unreadable answer ({exc})") from exc

    def _acting_for(self, patient_id: int) -> dict[str, object]:
        if self._carer_id is not None:
            return {"kind": "carer", "id": self._carer_id, "channel": "sms"}
        return {"kind": "patient", "id": patient_id, "channel": "sms"}

    def _as(self, patient_id: int) -> dict[str, object]:
        """`_acting_for` as query parameters, for reads."""
        who = self._acting_for(patient_id)
        return {"as_kind": who["kind"], "as_id": who["id"], "channel": who["channel"]}

    @staticmethod
    def _refusal(response: httpx.Response, what: str) -> BackendError:
        if response.status_code == 409:
            try:
                return ChangeRefused(str(response.json()["detail"]))
            except (KeyError, ValueError):
                pass
        return BackendError(f"{what}: HTTP {response.status_code}")

    async def alternatives(
        self, appointment_id: int, patient_id: int, *, offset: int = 0, limit: int = 3
    ) -> list[Slot]:
        """Free slots the appointment could move to; ChangeRefused when it cannot move by text."""
        response = await self._request(
            "GET",
            f"/api/v1/appointments/{appointment_id}/alternatives",
            params={**self._as(patient_id), "offset": offset, "limit": limit},
        )
        if response.status_code != 200:
            raise self._refusal(response, "alternatives")
        try:
            return [
                Slot(
                    id=int(row["id"]),
                    starts_at=parse_time(row["starts_at"]),
                    with_whom=str(row["with_whom"]),
                    location=str(row["location"]),
                )
                for row in response.json()["data"]
            ]
        except (KeyError, TypeError, ValueError) as exc:
            raise BackendError(f"alternatives: unreadable answer ({exc})") from exc

    async def reschedule(self, appointment_id: int, patient_id: int, slot_id: int) -> datetime:
        """Book the slot; the new start time. ChangeRefused('slot_taken') if someone got it."""
        response = await self._request(
            "POST",
            f"/api/v1/appointments/{appointment_id}/reschedule",
            json={"slot_id": slot_id, "acting_for": self._acting_for(patient_id)},
        )
        if response.status_code != 200:
            raise self._refusal(response, "reschedule")
        try:
            return parse_time(response.json()["starts_at"])
        except (KeyError, ValueError) as exc:
            raise BackendError(f"reschedule: unreadable answer ({exc})") from exc

    async def request_callback(
        self, patient_id: int, appointment_id: int | None, reason: str
    ) -> None:
        response = await self._request(
            "POST",
            "/api/v1/callback-tasks",
            json={
                "patient_id": patient_id,
                "appointment_id": appointment_id,
                "reason": reason,
                "acting_for": self._acting_for(patient_id),
            },
        )
        if response.status_code != 201:
            raise BackendError(f"callback: HTTP {response.status_code}")

    async def change_blocked(self, appointment_id: int, patient_id: int) -> str | None:
        """Why text cannot change this appointment (the backend's reason), or None."""
        response = await self._request(
            "GET",
            f"/api/v1/appointments/{appointment_id}",
            params=self._as(patient_id),
        )
        if response.status_code != 200:
            raise BackendError(f"appointment: HTTP {response.status_code}")
        try:
            blocked = response.json()["change_blocked"]
        except (KeyError, ValueError) as exc:
            raise BackendError(f"appointment: unreadable answer ({exc})") from exc
        return str(blocked) if blocked else None

    async def cancel(self, appointment_id: int, patient_id: int, reason: str | None) -> None:
        response = await self._request(
            "POST",
            f"/api/v1/appointments/{appointment_id}/cancel",
            json={"reason": reason, "acting_for": self._acting_for(patient_id)},
        )
        if response.status_code != 200:
            raise self._refusal(response, "cancel")

    async def confirm(self, appointment_id: int, patient_id: int) -> None:
        response = await self._request(
            "POST",
            f"/api/v1/appointments/{appointment_id}/confirm",
            json={"acting_for": self._acting_for(patient_id)},
        )
        if response.status_code != 200:
            raise self._refusal(response, "confirm")

    async def set_sms_preference(self, phone: str, *, opted_out: bool, source: str) -> bool:
        """Record an opt-out (or back in) for this phone; whether a patient has that phone."""
        response = await self._request(
            "POST",
            "/api/v1/patients/sms-preference",
            json={"phone": phone, "opted_out": opted_out, "source": source},
        )
        if response.status_code != 200:
            from actions.outbox import Rejected

            if 400 <= response.status_code < 500 and response.status_code not in (401, 408, 429):
                raise Rejected(f"sms preference: HTTP {response.status_code}")
            raise BackendError(f"sms preference: HTTP {response.status_code}")
        return bool(response.json().get("recorded"))

    async def confirm_identity(self, phone: str, date_of_birth: str) -> tuple[str, int]:
        """The backend's verdict on a date of birth (ISO): (result, attempts left)."""
        response = await self._request(
            "POST",
            "/api/v1/patients/confirm-identity",
            json={"phone": phone, "date_of_birth": date_of_birth},
        )
        if response.status_code != 200:
            raise BackendError(f"identity: HTTP {response.status_code}")
        try:
            body = response.json()
            return str(body["result"]), int(body["attempts_left"])
        except (KeyError, TypeError, ValueError) as exc:
            raise BackendError(f"identity: unreadable answer ({exc})") from exc

    async def find_carer_by_phone(self, phone: str) -> CarerIdentity | None:
        response = await self._request("POST", "/api/v1/carers/lookup", json={"phone": phone})
        if response.status_code in (404, 422):
            return None
        if response.status_code != 200:
            raise BackendError(f"carer lookup: HTTP {response.status_code}")
        try:
            body = response.json()
            return CarerIdentity(
                id=int(body["id"]),
                given_name=str(body["given_name"]),
                caring_for=int(body["caring_for"]),
                identity_locked=bool(body.get("identity_locked")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise BackendError(f"carer lookup: unreadable answer ({exc})") from exc

    async def confirm_carer_identity(self, phone: str, date_of_birth: str) -> CarerCheck:
        """Which person this carer helps has that date of birth (ISO), if any."""
        response = await self._request(
            "POST",
            "/api/v1/carers/confirm-identity",
            json={"phone": phone, "date_of_birth": date_of_birth},
        )
        if response.status_code != 200:
            raise BackendError(f"carer identity: HTTP {response.status_code}")
        try:
            body = response.json()
            return CarerCheck(
                result=str(body["result"]),
                attempts_left=int(body["attempts_left"]),
                patient_id=int(body["patient_id"]) if body.get("patient_id") else None,
                patient_given_name=body.get("patient_given_name"),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise BackendError(f"carer identity: unreadable answer ({exc})") from exc

    async def latest_reminder(self, phone: str) -> tuple[int, int, datetime] | str | None:
        """What a bare "1" or "2" answers: (appointment id, patient id, when the reminder was
        sent) for the one appointment reminded recently and still ahead; "several" when more
        than one is; None when none is."""
        response = await self._request("POST", "/api/v1/reminders/latest", json={"phone": phone})
        if response.status_code in (404, 422):
            return None
        if response.status_code == 409:
            return "several"
        if response.status_code != 200:
            raise BackendError(f"latest reminder: HTTP {response.status_code}")
        try:
            body = response.json()
            return (
                int(body["appointment_id"]),
                int(body["patient_id"]),
                parse_time(body["sent_at"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise BackendError(f"latest reminder: unreadable answer ({exc})") from exc

    async def questionnaire(self, kind: str) -> Questionnaire:
        response = await self._request("GET", f"/api/v1/instruments/{kind}")
        if response.status_code != 200:
            raise BackendError(f"instrument: HTTP {response.status_code}")
        try:
            body = response.json()
            return Questionnaire(
                kind=str(body["instrument"]),
                name=str(body["name"]),
                min_answered=int(body["min_answered"]),
                items=tuple((str(i["id"]), str(i["text"]), str(i["why"])) for i in body["items"]),
                scale=tuple((int(p["value"]), str(p["label"])) for p in body["scale"]),
                not_applicable_reply=body.get("not_applicable_reply"),
                synonyms=dict(body["synonyms"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise BackendError(f"instrument: unreadable answer ({exc})") from exc

    @staticmethod
    def _assessment_from(body: dict[str, Any], what: str) -> Assessment:
        try:
            return Assessment(
                id=int(body["id"]),
                status=str(body["status"]),
                answers=dict(body["answers"] or {}),
                level=body.get("level"),
                score=body.get("score"),
                flagged=bool(body.get("flagged")),
                instrument=str(body.get("instrument") or ""),
                completed_at=parse_time(body["completed_at"]) if body.get("completed_at") else None,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise BackendError(f"{what}: unreadable answer ({exc})") from exc

    @staticmethod
    def _assessment(response: httpx.Response, what: str) -> Assessment:
        if response.status_code != 200:
            raise BackendClient._refusal(response, what)
        try:
            body = response.json()
        except ValueError as exc:
            raise BackendError(f"{what}: unreadable answer ({exc})") from exc
        return BackendClient._assessment_from(body, what)

    async def assessments(self, patient_id: int) -> list[Assessment]:
        """The patient's questionnaires, newest first."""
        response = await self._request(
            "GET", f"/api/v1/patients/{patient_id}/assessments", params=self._as(patient_id)
        )
        if response.status_code != 200:
            raise BackendError(f"assessments: HTTP {response.status_code}")
        try:
            rows = response.json()["data"]
        except (KeyError, ValueError) as exc:
            raise BackendError(f"assessments: unreadable answer ({exc})") from exc
        return [self._assessment_from(row, "assessments") for row in rows]

    async def start_assessment(self, patient_id: int, kind: str) -> Assessment:
        """The patient's unfinished one of this kind, where they left it, or a new one."""
        response = await self._request(
            "POST",
            f"/api/v1/patients/{patient_id}/assessments",
            json={"instrument": kind, "acting_for": self._acting_for(patient_id)},
        )
        return self._assessment(response, "start assessment")

    async def answer_item(
        self, assessment_id: int, patient_id: int, item_id: str, value: int | str | None
    ) -> Assessment:
        """One item: a scale value, "not_applicable", or None (skipped)."""
        response = await self._request(
            "POST",
            f"/api/v1/assessments/{assessment_id}/answers",
            json={"item_id": item_id, "value": value, "acting_for": self._acting_for(patient_id)},
        )
        return self._assessment(response, "answer")

    async def complete_assessment(self, assessment_id: int, patient_id: int) -> Assessment:
        """Scored; ChangeRefused('not_enough_answers') when too many were skipped."""
        response = await self._request(
            "POST",
            f"/api/v1/assessments/{assessment_id}/complete",
            json={"acting_for": self._acting_for(patient_id)},
        )
        return self._assessment(response, "complete assessment")

    async def decision_aids(self) -> list[dict[str, Any]]:
        response = await self._request("GET", "/api/v1/decision-aids")
        if response.status_code != 200:
            raise BackendError(f"decision aids: HTTP {response.status_code}")
        try:
            return [dict(row) for row in response.json()["data"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise BackendError(f"decision aids: unreadable answer ({exc})") from exc

    async def decision_aid_sessions(self, patient_id: int) -> list[dict[str, Any]]:
        """The patient's guides, newest first."""
        response = await self._request(
            "GET",
            f"/api/v1/patients/{patient_id}/decision-aid-sessions",
            params=self._as(patient_id),
        )
        if response.status_code != 200:
            raise BackendError(f"decision aid sessions: HTTP {response.status_code}")
        try:
            return [dict(row) for row in response.json()["data"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise BackendError(f"decision aid sessions: unreadable answer ({exc})") from exc

    async def decision_aid(self, aid_id: str) -> dict[str, Any]:
        """The whole aid (its content is data with sources and a review date)."""
        response = await self._request("GET", f"/api/v1/decision-aids/{aid_id}")
        if response.status_code != 200:
            raise BackendError(f"decision aid: HTTP {response.status_code}")
        try:
            return dict(response.json())
        except ValueError as exc:
            raise BackendError(f"decision aid: unreadable answer ({exc})") from exc

    @staticmethod
    def _session(response: httpx.Response, what: str) -> dict[str, Any]:
        if response.status_code != 200:
            raise BackendClient._refusal(response, what)
        try:
            body = dict(response.json())
            int(body["id"])
            return body
        except (KeyError, TypeError, ValueError) as exc:
            raise BackendError(f"{what}: unreadable answer ({exc})") from exc

    async def start_decision_aid(self, patient_id: int, aid_id: str | None) -> dict[str, Any]:
        """The unfinished session (of `aid_id`, or any), or a new one of `aid_id`;
        ChangeRefused('choose_decision_aid') when none is named and none is waiting."""
        response = await self._request(
            "POST",
            f"/api/v1/patients/{patient_id}/decision-aid-sessions",
            json={"aid_id": aid_id, "acting_for": self._acting_for(patient_id)},
        )
        return self._session(response, "start decision aid")

    async def save_decision_aid_progress(
        self, session_id: int, patient_id: int, changes: dict[str, Any]
    ) -> dict[str, Any]:
        response = await self._request(
            "POST",
            f"/api/v1/decision-aid-sessions/{session_id}/progress",
            json={**changes, "acting_for": self._acting_for(patient_id)},
        )
        return self._session(response, "decision aid progress")

    async def complete_decision_aid(self, session_id: int, patient_id: int) -> dict[str, Any]:
        """Scored and summarised: `summary`, `conflict_flagged`."""
        response = await self._request(
            "POST",
            f"/api/v1/decision-aid-sessions/{session_id}/complete",
            json={"acting_for": self._acting_for(patient_id)},
        )
        return self._session(response, "complete decision aid")
