"""Carers texting about the person they help ("I'm texting for my mum": `identify_as_carer`).

A registered carer's phone is recognised at session start (actions/session.py); a patient who is
also someone's carer says so with this intent. Nobody is named to the phone until the carer has
named the person by that person's date of birth (actions/identity.py, then the backend's
services/carers.py), and the backend then lets the assistant act for the carer only within the
consent that person gave. Anyone else gets no patient data."""

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.clients.backend import BackendClient, BackendError
from actions.session import as_carer

logger = logging.getLogger(__name__)


class ActionIdentifyCarer(Action):
    def name(self) -> str:
        return "action_identify_carer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        try:
            carer = await BackendClient().find_carer_by_phone(tracker.sender_id)
        except BackendError:
            logger.exception("backend unreachable while identifying a carer")
            dispatcher.utter_message(response="utter_backend_unavailable")
            return []
        if carer is None:
            # Not registered as anyone's carer: say how that is set up. A patient stays
            # themselves, but their next request is checked first: "cancel her appointment"
            # must not quietly cancel their own (actions/appointments.py, known_patient).
            dispatcher.utter_message(response="utter_carer_not_registered")
            return [SlotSet("asked_about_someone_else", True)]
        events = as_carer(carer)
        if carer.identity_locked:
            dispatcher.utter_message(response="utter_carer_identity_locked")
        elif carer.caring_for == 0:
            dispatcher.utter_message(response="utter_carer_no_consent")
        else:
            # Asking again also lets a carer of two people switch from one to the other.
            dispatcher.utter_message(response="utter_carer_ask_date_of_birth")
        return events
