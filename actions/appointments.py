"""Appointments: answered from the backend, in words that fit a text message."""

import logging
from typing import Any
from zoneinfo import ZoneInfo

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.clients.backend import Appointment, BackendClient, BackendError
from actions.identity import disclosure_allowed
from actions.session import identify
from actions.settings import get_settings

logger = logging.getLogger(__name__)


def describe(appointment: Appointment, timezone: str) -> dict[str, str]:
    """Day, date, time and place in the patient's own clock: 'Tuesday 3 December', '10:30am'."""
    local = appointment.starts_at.astimezone(ZoneInfo(timezone))
    hour = local.strftime("%I").lstrip("0")
    time = f"{hour}:{local:%M}{local:%p}".lower() if local.minute else f"{hour}{local:%p}".lower()
    return {
        "day": f"{local:%A} {local.day} {local:%B}",
        "time": time,
        "place": appointment.location,
        "with_whom": appointment.with_whom,
        "kind": appointment.appointment_type,
    }


class ActionTellNextAppointment(Action):
    def name(self) -> str:
        return "action_tell_next_appointment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        client = BackendClient()
        events: list[EventType] = []
        patient_id = tracker.get_slot("patient_id")
        if tracker.get_slot("identity_status") != "known" or patient_id is None:
            # Not identified yet (or the backend was down at session start): ask again.
            identity = await identify(tracker.sender_id, client)
            events = identity.events
            if identity.status == "unknown":
                dispatcher.utter_message(response="utter_unknown_number")
                return events
            if identity.status == "unavailable":
                dispatcher.utter_message(response="utter_backend_unavailable")
                return events
            patient_id = identity.patient_id
        allowed, gate = disclosure_allowed(dispatcher, tracker, "next", just_set=events)
        if not allowed:
            return events + gate
        try:
            upcoming = await client.upcoming_appointments(int(patient_id), limit=3)
        except BackendError:
            logger.exception("backend unreachable while reading appointments")
            dispatcher.utter_message(response="utter_backend_unavailable")
            return events
        if not upcoming:
            dispatcher.utter_message(response="utter_no_upcoming_appointment")
            return events
        timezone = get_settings().timezone
        dispatcher.utter_message(
            response="utter_next_appointment", **describe(upcoming[0], timezone)
        )
        if len(upcoming) > 1:
            # Several: say which is which, briefly (kind and day), so nobody mixes them up.
            others = "; ".join(
                f"{w['kind']}, {w['day']} at {w['time']}"
                for w in (describe(a, timezone) for a in upcoming[1:])
            )
            dispatcher.utter_message(response="utter_also_upcoming", others=others)
        return events


class ActionTellAppointmentDetails(Action):
    """Where exactly the next appointment is, how to get there and what to bring."""

    def name(self) -> str:
        return "action_tell_appointment_details"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        from actions.cancel import next_for_patient  # one place that finds "the next one"

        client = BackendClient()
        patient_id, appointment, events = await next_for_patient(
            dispatcher, tracker, client, request="details"
        )
        if patient_id is None or appointment is None:
            return events
        try:
            details = await client.appointment_details(appointment.id, patient_id)
        except BackendError:
            logger.exception("backend unreachable while reading appointment details")
            dispatcher.utter_message(response="utter_backend_unavailable")
            return events
        words = describe(appointment, get_settings().timezone)
        dispatcher.utter_message(
            response="utter_appointment_where",
            address=details["address"] or details["location"],
            **words,
        )
        if details["directions"]:
            dispatcher.utter_message(
                response="utter_appointment_directions", directions=details["directions"]
            )
        dispatcher.utter_message(
            response="utter_appointment_bring"
            if details["what_to_bring"]
            else "utter_appointment_bring_usual",
            bring=details["what_to_bring"],
        )
        return events
