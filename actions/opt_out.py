"""Opting out of texts, and back in.

Twilio acts on the carrier keywords itself (STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT stop
every message to that number; START, YES, UNSTOP resume) and sends its own confirmation, so for
those the assistant records the choice in the backend and says nothing. Free text ("please stop
texting me") is recorded the same way and answered in plain words. The assistant never asks
anyone to text a keyword. The backend's outbox then sends nothing to an opted-out patient
(reminders, invitations); a person who texts in still gets an answer to what they asked."""

import logging
import re

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.clients.backend import BackendClient, BackendError

logger = logging.getLogger(__name__)

STOP_KEYWORDS = {"stop", "stopall", "unsubscribe", "cancel", "end", "quit"}
START_KEYWORDS = {"start", "yes", "unstop"}


def _bare(text: str | None) -> str:
    return re.sub(r"[^a-z]", "", (text or "").lower())


async def record_sms_preference(
    dispatcher: CollectingDispatcher, tracker: Tracker, *, opted_out: bool
) -> None:
    """Record the latest message's opt-out (or back in), answering only free text."""
    keywords = STOP_KEYWORDS if opted_out else START_KEYWORDS
    keyword = _bare(tracker.latest_message.get("text")) in keywords
    try:
        await BackendClient().set_sms_preference(
            tracker.sender_id, opted_out=opted_out, source="keyword" if keyword else "free_text"
        )
    except BackendError:
        logger.exception("backend unreachable while recording an SMS preference")
        dispatcher.utter_message(response="utter_sms_preference_not_saved")
        return
    if not keyword:  # Twilio answers its own keywords
        dispatcher.utter_message(response="utter_opted_out" if opted_out else "utter_opted_in")


class ActionOptOut(Action):
    def name(self) -> str:
        return "action_opt_out"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        await record_sms_preference(dispatcher, tracker, opted_out=True)
        return []


class ActionOptIn(Action):
    def name(self) -> str:
        return "action_opt_in"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        await record_sms_preference(dispatcher, tracker, opted_out=False)
        return []
