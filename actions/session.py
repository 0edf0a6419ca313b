"""Session start: find out who is texting before anything is disclosed."""

import logging
from dataclasses import dataclass
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.clients.backend import BackendClient, BackendError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Identity:
    """Who the sender is: a known patient, an unknown number, or not known for now because the
    backend could not be asked ("unavailable"); `events` set the matching slots."""

    status: str
    patient_id: int | None
    events: list[EventType]


async def identify(sender_id: str, client: BackendClient | None = None) -> Identity:
    try:
        patient = await (client or BackendClient()).find_patient_by_phone(sender_id)
    except BackendError:
        logger.exception("backend unreachable while identifying a sender")
        return Identity("unavailable", None, [SlotSet("identity_status", "unavailable")])
    if patient is None:
        return Identity(
            "unknown",
            None,
            [
                SlotSet("identity_status", "unknown"),
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
        if identity.status == "unknown":
            dispatcher.utter_message(response="utter_unknown_number")
        events.append(ActionExecuted("action_listen"))
        return events
