"""Opting out of texts, and back in.

Twilio acts on the carrier keywords itself (STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT stop
every message to that number; START, YES, UNSTOP resume) and sends its own confirmation, so for
those the assistant records the choice in the backend and says nothing. Free text ("please stop
texting me") is recorded the same way and answered in plain words. The assistant never asks
anyone to text a keyword. The backend's outbox then sends nothing to an opted-out patient
(reminders, invitations); a person who texts in still gets an answer to what they asked."""

import asyncio
import logging
import re
import time

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import safety
from actions.outbox import Pending

logger = logging.getLogger(__name__)

STOP_KEYWORDS = {"stop", "stopall", "unsubscribe", "cancel", "end", "quit"}
START_KEYWORDS = {"start", "yes", "unstop"}


def _bare(text: str | None) -> str:
    return re.sub(r"[^a-z]", "", (text or "").lower())


async def record_sms_preference(
    dispatcher: CollectingDispatcher, tracker: Tracker, *, opted_out: bool
) -> None:
    """Record the latest message's opt-out (or back in), answering only free text. The choice is
    written to the action server's durable outbox first (actions/outbox.py, with escalations) and
    then sent to the backend, retried until it has it: an opt-out is never lost because the
    backend was down when it came."""
    text = tracker.latest_message.get("text")
    keywords = STOP_KEYWORDS if opted_out else START_KEYWORDS
    keyword = _bare(text) in keywords
    payload = {
        "kind": "sms_preference",
        "phone": tracker.sender_id,
        "opted_out": opted_out,
        "source": "keyword" if keyword else "free_text",
    }
    message_id = tracker.latest_message.get("message_id") or f"{time.time():.6f}"
    key = f"sms-preference:{tracker.sender_id}:{message_id}"
    box = safety.outbox()
    if await asyncio.to_thread(box.put, key, payload):
        if not await box.deliver(Pending(key, payload, 0), safety.deliver_to_backend):
            logger.warning("SMS preference kept in the outbox until the backend has it")
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
