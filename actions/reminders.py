"""A reply to an appointment reminder ("Reply 1 to confirm you'll come or 2 to change it").

A bare number outside any conversation is read against the latest reminder the backend sent to
this phone (within `REMINDER_REPLY_HOURS`): `reminder_reply` becomes "confirm" or "change" and
the rules in data/rules/reminders.yml hand over to confirming or to the reschedule form, which
check the sender as usual. It is "unclear", and the sender told what they can ask, when there is
no recent reminder, when it was someone else's, when the assistant has said anything since the
reminder went (the number answers that instead, e.g. a form a safety reply closed), or when two
appointments were reminded. Never a guess that changes anything."""

import logging
import re
from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.clients.backend import BackendClient, BackendError

logger = logging.getLogger(__name__)

_ANSWERS = {"1": "confirm", "one": "confirm", "2": "change", "two": "change"}


def reminder_answer(text: str) -> str | None:
    """'1', '1.', '1 please', 'one' -> confirm; '2' ... -> change; anything else None."""
    words = re.sub(r"[^a-z0-9 ]", " ", text.lower()).split()
    words = [w for w in words if w not in {"please", "pls", "thanks", "thank", "you", "ok", "x"}]
    return _ANSWERS.get(words[0]) if len(words) == 1 else None


def _spoken_since(tracker: Tracker, moment: datetime) -> bool:
    """Whether the assistant has said anything since `moment`: then a bare number answers that
    (a form closed by a safety reply, say), not the reminder."""
    after = moment.timestamp()
    return any(
        e.get("event") == "bot" and (e.get("timestamp") or 0) > after for e in tracker.events
    )


class ActionReadReminderReply(Action):
    def name(self) -> str:
        return "action_read_reminder_reply"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        unclear = [SlotSet("reminder_reply", "unclear"), SlotSet("reminder_appointment_id", None)]
        answer = reminder_answer(tracker.latest_message.get("text") or "")
        reminded = None
        if answer is not None and tracker.get_slot("identity_status") == "known":
            try:
                reminded = await BackendClient().latest_reminder(tracker.sender_id)
            except BackendError:
                logger.exception("backend unreachable while reading a reminder reply")
                dispatcher.utter_message(response="utter_backend_unavailable")
                return unclear
        if reminded == "several":
            dispatcher.utter_message(response="utter_reminder_reply_ambiguous")
            return unclear
        if answer is None and not re.search(r"\d", tracker.latest_message.get("text") or ""):
            # Words, not a number ("thanks, see you tuesday"): not a reminder reply at all.
            dispatcher.utter_message(response="utter_default")
            return unclear
        if (
            answer is None
            or not isinstance(reminded, tuple)
            or reminded[1] != tracker.get_slot("patient_id")
            or _spoken_since(tracker, reminded[2])
        ):
            dispatcher.utter_message(response="utter_number_without_context")
            return unclear
        return [SlotSet("reminder_reply", answer), SlotSet("reminder_appointment_id", reminded[0])]
