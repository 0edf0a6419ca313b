"""Session start: find out who is texting before anything is disclosed."""

import logging
from dataclasses import dataclass
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.clients.backend import BackendClient, BackendError, CarerIdentity

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Identity:
    """Who the sender is: a known patient, an unknown number, or not known for now because the
    backend could not be asked ("unavailable"); `events` set the matching slots."""

    status: str  # known | carer | unknown | unavailable
    patient_id: int | None
    events: list[EventType]


def client_for(tracker: Tracker) -> BackendClient:
    """A backend client that says whom the assistant acts for: the carer texting, when it is a
    carer (every call about a patient's appointments, reads and changes alike), else the patient."""
    client = BackendClient()
    carer_id = tracker.get_slot("carer_id")
    if tracker.get_slot("identity_status") == "carer" and carer_id is not None:
        client.act_as_carer(int(carer_id))
    return client


def as_carer(carer: CarerIdentity) -> list[EventType]:
    """A registered carer's phone: nobody chosen yet (they name the person by date of birth)."""
    return [
        SlotSet("identity_status", "carer"),
        SlotSet("carer_id", carer.id),
        SlotSet("carer_caring_for", carer.caring_for),
        SlotSet("patient_id", None),
        SlotSet("patient_first_name", None),
        SlotSet("identity_confirmed", False),
        SlotSet("identity_locked", carer.identity_locked),
        SlotSet("pending_request", None),
        SlotSet("reminder_appointment_id", None),  # reminders go to patients, not carers
    ]


async def identify(sender_id: str, client: BackendClient | None = None) -> Identity:
    """A patient's phone first (a patient who is also a carer says so: `identify_as_carer`),
    then a carer's."""
    client = client or BackendClient()
    try:
        patient = await client.find_patient_by_phone(sender_id)
        carer = None if patient else await client.find_carer_by_phone(sender_id)
    except BackendError:
        logger.exception("backend unreachable while identifying a sender")
        return Identity("unavailable", None, [SlotSet("identity_status", "unavailable")])
    if carer is not None:
        return Identity("carer", None, as_carer(carer))
    if patient is None:
        return Identity(
            "unknown",
            None,
            [
                SlotSet("identity_status", "unknown"),
                SlotSet("carer_id", None),
                SlotSet("patient_id", None),
                SlotSet("patient_first_name", None),
                SlotSet("identity_confirmed", False),
            ],
        )
    return Identity(
        "known",
        patient.id,
        [
            SlotSet("identity_status", "known"),
            SlotSet("carer_id", None),
            SlotSet("asked_about_someone_else", False),
            SlotSet("patient_id", patient.id),
            SlotSet("patient_first_name", patient.given_name),
            SlotSet("identity_confirmed", patient.identity_confirmed),
            SlotSet("identity_locked", patient.identity_locked),
        ],
    )


class ActionSessionStart(Action):
    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        events: list[EventType] = [SessionStarted()]
        identity = await identify(tracker.sender_id)
        events.extend(identity.events)
        if tracker.get_slot("safety_concern_open"):
            # A concern stays open across sessions until staff close it.
            events.append(SlotSet("safety_concern_open", True))
        # An unknown number is told so by whatever it asks for (actions/appointments.py); saying it
        # here as well sent the same text twice in reply to a first message.
        events.append(ActionExecuted("action_listen"))
        return events
