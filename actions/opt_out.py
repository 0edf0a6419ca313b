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


# Free text changes the texts only when it says it is about them: "dont know" or "I don't want
# to do this" said in the middle of a questionnaire is not an opt-out, whatever the intent
# classifier guessed (the first questionnaire trial found both opting people out).
_ABOUT_TEXTS = re.compile(
    r"\b(texts?|texting|texted|txts?|messages?|messaging|sms|reminders?|contact(ing)? me|"
    r"my number|opt(ing)? ?(out|in|back)|unsubscribe|mailing|list)\b",
    re.IGNORECASE,
)


def _bare(text: str | None) -> str:
    return re.sub(r"[^a-z]", "", (text or "").lower())


def means_sms_preference(text: str | None, *, opted_out: bool = True) -> bool:
    """Whether a message really asks to stop (or restart) texts: a carrier keyword on its own, or
    words about texts or messages."""
    keywords = STOP_KEYWORDS if opted_out else START_KEYWORDS
    return _bare(text) in keywords or bool(_ABOUT_TEXTS.search(text or ""))


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
    if not means_sms_preference(text, opted_out=opted_out):
        dispatcher.utter_message(response="utter_sms_preference_unclear")
        return
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
