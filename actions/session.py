"""Session start: find out who is texting before anything is disclosed."""

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.clients.backend import BackendClient, BackendError

logger = logging.getLogger(__name__)


async def identify(sender_id: str, client: BackendClient | None = None) -> list[EventType]:
    """Slots saying who the sender is: a known patient, an unknown number, or unknown for now
    because the backend could not be asked."""
    try:
        patient = await (client or BackendClient()).find_patient_by_phone(sender_id)
    except BackendError:
        logger.exception("backend unreachable while identifying a sender")
        return [SlotSet("identity_status", "unavailable")]
    if patient is None:
        return [
            SlotSet("identity_status", "unknown"),
            SlotSet("patient_id", None),
            SlotSet("patient_first_name", None),
        ]
    return [
        SlotSet("identity_status", "known"),
        SlotSet("patient_id", patient.id),
        SlotSet("patient_first_name", patient.given_name),
    ]


class ActionSessionStart(Action):
    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        events: list[EventType] = [SessionStarted()]
        events.extend(await identify(tracker.sender_id))
        if any(e.get("name") == "identity_status" and e.get("value") == "unknown" for e in events):
            dispatcher.utter_message(response="utter_unknown_number")
        events.append(ActionExecuted("action_listen"))
        return events
