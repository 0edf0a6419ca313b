"""Appointments: answered from the backend, in words that fit a text message."""

import logging
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.clients.backend import Appointment, BackendClient, BackendError
from actions.identity import MONTHS, disclosure_allowed
from actions.session import client_for, identify
from actions.settings import get_settings

logger = logging.getLogger(__name__)


def spoken_time(local: datetime) -> str:
    """'10:30am', '2pm'."""
    hour = local.strftime("%I").lstrip("0")
    return f"{hour}:{local:%M}{local:%p}".lower() if local.minute else f"{hour}{local:%p}".lower()


def describe(appointment: Appointment, timezone: str) -> dict[str, str]:
    """Day, date, time and place in the patient's own clock: 'Tuesday 3 December', '10:30am'."""
    local = appointment.starts_at.astimezone(ZoneInfo(timezone))
    return {
        "day": f"{local:%A} {local.day} {local:%B}",
        "time": spoken_time(local),
        "place": appointment.location,
        "with_whom": appointment.with_whom,
        "kind": appointment.appointment_type,
    }


# Weekday names and short forms people text ("tues", "thurs"); months come from the
# date-of-birth parser's table (actions/identity.py).
WEEKDAYS = {
    "monday": ("monday", "mon"),
    "tuesday": ("tuesday", "tues", "tue"),
    "wednesday": ("wednesday", "wed", "weds"),
    "thursday": ("thursday", "thurs", "thur", "thu"),
    "friday": ("friday", "fri"),
    "saturday": ("saturday", "sat"),
    "sunday": ("sunday", "sun"),
}


def named_appointment(text: str, upcoming: list[Appointment], timezone: str) -> Appointment | None:
    """The one upcoming appointment the message names by month, weekday, day of the month
    ("the 11th") or kind ("the blood test"), if it names exactly one; else None."""
    words = re.sub(r"[^a-z0-9 ]+", " ", text.lower())
    tokens = set(words.split())
    months = {MONTHS[t] for t in tokens if t in MONTHS} - (
        {5} if "may" in tokens and not re.search(r"\b(in|of|on) may\b", words) else set()
    )  # "may I cancel" is not May
    days = {day for day, names in WEEKDAYS.items() if tokens & set(names)}
    dates = {int(d) for d in re.findall(r"\b([1-9]|[12]\d|3[01])(?:st|nd|rd|th)\b", words)}
    kinds = {a.appointment_type.lower() for a in upcoming if a.appointment_type.lower() in words}
    if not (months or days or dates or kinds):
        return None
    matching = []
    for appointment in upcoming:
        local = appointment.starts_at.astimezone(ZoneInfo(timezone))
        if (
            (not months or local.month in months)
            and (not days or f"{local:%A}".lower() in days)
            and (not dates or local.day in dates)
            and (not kinds or appointment.appointment_type.lower() in kinds)
        ):
            matching.append(appointment)
    return matching[0] if len(matching) == 1 else None


def in_hand(appointment: Appointment) -> str:
    """The appointment a form is about, for a digression ("actually when is it again?"):
    'diabetes review on Monday 7 December at 3:15pm'."""
    words = describe(appointment, get_settings().timezone)
    return f"{words['kind']} on {words['day']} at {words['time']}"


async def known_patient(
    dispatcher: CollectingDispatcher, tracker: Tracker, client: BackendClient, *, request: str
) -> tuple[int | None, list[EventType]]:
    """The sender's patient id once they may be told details, else None and the reason said: an
    unknown number, the backend unreachable, or the date-of-birth check still to pass
    (`request` is what to answer once it is)."""
    events: list[EventType] = []
    patient_id = tracker.get_slot("patient_id")
    status = tracker.get_slot("identity_status")
    if status not in ("known", "carer") or (status == "known" and patient_id is None):
        # Not identified yet (or the backend was down at session start): ask again.
        identity = await identify(tracker.sender_id, client)
        events += identity.events
        if identity.status not in ("known", "carer"):
            dispatcher.utter_message(
                response="utter_unknown_number"
                if identity.status == "unknown"
                else "utter_backend_unavailable"
            )
            return None, events
        status, patient_id = identity.status, identity.patient_id
    if status == "known" and _slot_after(tracker, events, "asked_about_someone_else"):
        # They said they text for someone they are not registered to help: nothing about that
        # person, and their own details only once they ask again.
        dispatcher.utter_message(response="utter_carer_not_registered_own")
        return None, [*events, SlotSet("asked_about_someone_else", False)]
    if status == "carer":
        # A carer: the person they help is named by date of birth (the check below asks for it);
        # with nobody they may act for now, nothing is asked and nothing said about anyone.
        caring_for = _slot_after(tracker, events, "carer_caring_for")
        if not caring_for and not _slot_after(tracker, events, "identity_locked"):
            dispatcher.utter_message(response="utter_carer_no_consent")
            return None, events
        client.act_as_carer(int(_slot_after(tracker, events, "carer_id")))
    allowed, gate = disclosure_allowed(dispatcher, tracker, request, just_set=events)
    if not allowed or patient_id is None:
        return None, events + gate
    return int(patient_id), events


def _slot_after(tracker: Tracker, events: list[EventType], name: str) -> Any:
    """A slot's value once `events` (about to be returned) have been applied."""
    for event in reversed(events):
        if event.get("event") == "slot" and event.get("name") == name:
            return event.get("value")
    return tracker.get_slot(name)


async def next_for_patient(
    dispatcher: CollectingDispatcher, tracker: Tracker, client: BackendClient, *, request: str
) -> tuple[int | None, Appointment | None, list[EventType]]:
    """The sender's patient id and next appointment (or the one a reminder they are answering was
    about), saying why when there is none."""
    patient_id, events = await known_patient(dispatcher, tracker, client, request=request)
    if patient_id is None:
        return None, None, events
    reminded = tracker.get_slot("reminder_appointment_id")
    try:
        if reminded is None:
            # "cancel the one in January", "move the blood test": the one the message names,
            # when it names exactly one; otherwise the next (the form then says which it is).
            upcoming = await client.upcoming_appointments(patient_id, limit=10)
            latest = tracker.latest_message
            dob = (latest.get("intent") or {}).get("name") == "give_date_of_birth"
            named = (
                None
                if dob
                else named_appointment(  # "3rd of May 1950" names no appointment
                    latest.get("text") or "", upcoming, get_settings().timezone
                )
            )
            appointment = named or (upcoming[0] if upcoming else None)
        else:
            # A reply to a reminder is about the reminded appointment, which may not be the next.
            upcoming = await client.upcoming_appointments(patient_id, limit=10)
            chosen = [a for a in upcoming if a.id == reminded]
            if not chosen:
                # Cancelled or moved since: say so and change nothing (never the next one).
                dispatcher.utter_message(response="utter_reminded_appointment_gone")
                return None, None, [*events, SlotSet("reminder_appointment_id", None)]
            appointment = chosen[0]
    except BackendError:
        logger.exception("backend unreachable while reading appointments")
        dispatcher.utter_message(response="utter_backend_unavailable")
        return None, None, events
    if appointment is None:
        dispatcher.utter_message(response="utter_no_upcoming_appointment")
    return patient_id, appointment, events


class ActionTellNextAppointment(Action):
    def name(self) -> str:
        return "action_tell_next_appointment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        client = client_for(tracker)
        patient_id, events = await known_patient(dispatcher, tracker, client, request="next")
        if patient_id is None:
            return events
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
        client = client_for(tracker)
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
