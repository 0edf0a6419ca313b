"""Rescheduling by text: offer up to three free slots as numbered choices, confirm, then book.

The conversation is one form (`reschedule_form`). `action_reschedule_start` finds the patient's
next appointment and asks the backend for alternatives; the form then asks for a choice and a
confirmation, or, when the backend says the appointment cannot be changed by text (too close,
transport or an interpreter arranged, no free times), offers a call back. Nothing is booked
without an explicit "1" (or yes) to the confirmation. The backend decides who gets a slot: if
someone else took it meanwhile, the patient is told and nothing changes.

Replies are understood loosely, as people text: "2", "2nd", "the second one", "option 2",
"Tuesday" (when only one offer is on a Tuesday), "4" or "other times" for more, and "never mind"
to stop. Safety intents never fill these slots (domain `not_intent`), and the safety policy
answers a concern whatever the form is doing."""

import logging
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.appointments import WEEKDAYS, describe, in_hand, next_for_patient, spoken_time
from actions.clients.backend import BackendError, ChangeRefused, Slot
from actions.opt_out import means_sms_preference, record_sms_preference
from actions.session import client_for
from actions.settings import get_settings

logger = logging.getLogger(__name__)

PAGE = 3
FORM_SLOTS = (
    "reschedule_appointment_id",
    "reschedule_offers",
    "reschedule_offset",
    "reschedule_blocked",
    "reschedule_stopped",
    "reschedule_slot_id",
    "reschedule_choice",
    "reschedule_confirm",
    "callback_answer",
)
_ORDINALS = {
    "1": 0, "1st": 0, "first": 0, "one": 0,
    "2": 1, "2nd": 1, "second": 1, "two": 1,
    "3": 2, "3rd": 2, "third": 2, "three": 2,
}  # fmt: skip
_MORE = re.compile(
    r"^(4|four|4th|other|others|other times?|more|more times|different times?|later"
    r"|none of (them|those)|something else|another day)( please| pls)?$"
)
# Leaving, in any words: Twilio acts on a bare STOP or CANCEL itself (an opt-out from every
# message), so the prompts offer "0" instead and never ask for a keyword.
_STOP = re.compile(
    r"^0$|\b(never ?mind|nevermind|leave it|forget it|dont bother|don'?t bother|keep it|"
    r"no thanks|no thank you|not now|changed my mind|stop|quit|bye|goodbye)\b"
)
# A confirmation must be unmistakable: the whole reply, from a short list.
_YES = re.compile(
    r"^(1|yes|yes please|yes book it|yeah|yep|yup|ok|okay|ok book it|book it|go ahead|sure|y|"
    r"confirm|confirmed|please do|that's fine|thats fine|perfect|lovely)( thanks| thank you)?$"
)
_NO = re.compile(
    r"^(2|no|nope|nah|n|another|another time|another one|different time|a different time|"
    r"other|something else)( please| thanks)?$"
)
# A longer reply counts when it starts with a plain yes (or no) and says nothing against it:
# "yes cancel it, I'm away that week" is a yes; "yes but not that one" is not. A no only ever
# keeps things as they are, so "no, not that one" is a no.
_YES_START = re.compile(r"^(1|yes|yeah|yep|yup|ok|okay|sure|y|confirm|please do|go ahead)\b")
_NO_START = re.compile(r"^(2|no|nope|nah|n)\b")
_DOUBT = re.compile(r"\b(not|no|dont|don't|but|wait|which|wrong|other|another|instead|what)\b")


def is_yes(text: str) -> bool:
    return bool(_YES.match(text)) or (
        bool(_YES_START.match(text)) and not _DOUBT.search(text) and "?" not in text
    )


def is_no(text: str) -> bool:
    return bool(_NO.match(text)) or bool(_NO_START.match(text))


_LEAVING_INTENTS = ("request_human", "goodbye", "opt_out")


def _words(text: str | None) -> str:
    return re.sub(r"[^a-z0-9' ]+", " ", (text or "").lower()).strip()


def _label(slot: dict[str, Any], timezone: str) -> str:
    local = datetime.fromisoformat(slot["starts_at"]).astimezone(ZoneInfo(timezone))
    return f"{local:%a} {local.day} {local:%b} {spoken_time(local)}, {slot['with_whom']}"


def _as_offer(slot: Slot) -> dict[str, Any]:
    return {
        "id": slot.id,
        "starts_at": slot.starts_at.isoformat(),
        "with_whom": slot.with_whom,
        "location": slot.location,
    }


def pick(text: str, offers: list[dict[str, Any]], timezone: str) -> int | None:
    """Which offer a reply means, or None when it is not clear ("not the Tuesday one" is not
    clear: the person is asked again rather than guessed at)."""
    words = _words(text)
    if re.search(r"\b(not|dont|don't|no)\b", words):
        return None
    words = re.sub(r"\b(option|number) ", "", words)
    words = re.sub(r"^(the|its|it's) ", "", words)
    tokens = words.split(" ") if words else []
    # A number or ordinal first ("2", "2nd please", "the second one"); "one" only on its own,
    # since "the one on Friday" names a day.
    first = tokens[0] if tokens else ""
    if first in _ORDINALS and (first != "one" or len(tokens) == 1):
        return _ORDINALS[first] if _ORDINALS[first] < len(offers) else None
    days = [d for d, names in WEEKDAYS.items() if any(n in tokens for n in names)]
    if len(days) == 1:
        matching = [
            i
            for i, offer in enumerate(offers)
            if datetime.fromisoformat(offer["starts_at"])
            .astimezone(ZoneInfo(timezone))
            .strftime("%A")
            .lower()
            == days[0]
        ]
        if len(matching) == 1:
            return matching[0]
    return None


class ActionRescheduleStart(Action):
    """Find the appointment to move and the times it could move to."""

    def name(self) -> str:
        return "action_reschedule_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        client = client_for(tracker)
        events: list[EventType] = [SlotSet(name, None) for name in FORM_SLOTS]
        patient_id, appointment, found = await next_for_patient(
            dispatcher, tracker, client, request="reschedule"
        )
        events += found
        if patient_id is None or appointment is None:
            return [*events, SlotSet("reschedule_stopped", "start_failed")]
        # A reminder being answered is answered by starting (kept while the identity check runs).
        events.append(SlotSet("reminder_appointment_id", None))
        events.append(SlotSet("reschedule_appointment_id", appointment.id))
        events.append(SlotSet("appointment_in_hand", in_hand(appointment)))
        try:
            slots = await client.alternatives(appointment.id, patient_id)
        except ChangeRefused as refused:
            return [*events, SlotSet("reschedule_blocked", refused.reason)]
        except BackendError:
            logger.exception("backend unreachable while offering slots")
            dispatcher.utter_message(response="utter_backend_unavailable")
            return [*events, SlotSet("reschedule_stopped", "start_failed")]
        if not slots:
            return [*events, SlotSet("reschedule_blocked", "no_slots")]
        when = describe(appointment, get_settings().timezone)
        dispatcher.utter_message(
            response="utter_reschedule_current",
            current=f"{when['day']} at {when['time']}",
            kind=when["kind"],
        )
        return [
            *events,
            SlotSet("reschedule_offers", [_as_offer(s) for s in slots]),
            SlotSet("reschedule_offset", 0),
        ]


class ActionAskRescheduleChoice(Action):
    def name(self) -> str:
        return "action_ask_reschedule_choice"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        offers = tracker.get_slot("reschedule_offers") or []
        timezone = get_settings().timezone
        options = "\n".join(f"{i + 1} {_label(o, timezone)}" for i, o in enumerate(offers))
        dispatcher.utter_message(
            response="utter_ask_reschedule_choice",
            options=options,
            numbers=" or ".join(
                [", ".join(str(i + 1) for i in range(len(offers) - 1)), str(len(offers))]
            )
            if len(offers) > 1
            else "1",
        )
        return []


class ActionAskRescheduleConfirm(Action):
    def name(self) -> str:
        return "action_ask_reschedule_confirm"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        chosen = _chosen(tracker)
        if chosen is not None:
            dispatcher.utter_message(
                response="utter_ask_reschedule_confirm",
                choice=_label(chosen, get_settings().timezone),
                place=chosen["location"],
            )
        return []


class ActionAskCallbackAnswer(Action):
    def name(self) -> str:
        return "action_ask_callback_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if asked_just_before(
            tracker, domain, ("utter_ask_callback_answer", "utter_callback_unclear")
        ):
            dispatcher.utter_message(response="utter_callback_unclear")  # asked before: briefly
        else:
            offer_callback(dispatcher, tracker.get_slot("reschedule_blocked") or "no_slots")
        return []


def asked_just_before(tracker: Tracker, domain: DomainDict, responses: tuple[str, ...]) -> bool:
    """Whether one of these responses was the last thing the assistant said before the latest
    message (so the question is being asked again). Neither `requested_slot` nor the last action
    can tell: the form sets the slot before the first asking too, and runs its ask action inside
    itself."""
    said = {
        variant.get("text")
        for name in responses
        for variant in (domain.get("responses") or {}).get(name, [])
    }
    events = list(tracker.events)
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=-1)
    for event in reversed(events[:last_user]):
        if event.get("event") == "bot":
            text = event.get("text")
            return text in said or any(
                _same_response(text, template) for template in said if template
            )
    return False


def _same_response(text: str | None, template: str) -> bool:
    """A rendered response against its template ("{patient_first_name}'s ..." filled in)."""
    if not text:
        return False
    pattern = re.escape(template)
    pattern = re.sub(r"\\\{[a-z_]+\\\}", ".+?", pattern)
    return re.fullmatch(pattern, text, re.DOTALL) is not None


def _intent(tracker: Tracker) -> str | None:
    return (tracker.latest_message.get("intent") or {}).get("name")


def leaving(text: str, tracker: Tracker, dispatcher: CollectingDispatcher) -> bool:
    """Whether the reply means "stop this": "0", "never mind", "bye", or asking for a person
    (who is then told how to reach one)."""
    intent = _intent(tracker)
    if intent == "request_human":
        dispatcher.utter_message(response="utter_request_human")
    return intent in _LEAVING_INTENTS or bool(_STOP.search(text))


def opting_out(tracker: Tracker) -> bool:
    """The reply left the form by opting out of texts ("stop", "please stop texting me")."""
    return _intent(tracker) == "opt_out" and means_sms_preference(
        tracker.latest_message.get("text")
    )


def offer_callback(dispatcher: CollectingDispatcher, reason: str) -> None:
    """Why text cannot make this change, and the call-back offer (both forms ask it)."""
    dispatcher.utter_message(response=f"utter_cannot_change_by_text_{reason}")
    dispatcher.utter_message(response="utter_ask_callback_answer")


def read_callback_answer(
    value: Any, tracker: Tracker, dispatcher: CollectingDispatcher
) -> dict[str, Any]:
    """The reply to the call-back offer: "yes", "no", or asked again."""
    text = _words(str(value))
    if _intent(tracker) == "ask_next_appointment":
        # A digression: answer it; the offer is then asked again, briefly.
        dispatcher.utter_message(response="utter_reschedule_digression_when")
        return {"callback_answer": None}
    if leaving(text, tracker, dispatcher) or is_no(text):
        return {"callback_answer": "no"}
    if is_yes(text):
        return {"callback_answer": "yes"}
    return {"callback_answer": None}  # asked again, briefly (the ask actions)


def _chosen(tracker: Tracker) -> dict[str, Any] | None:
    slot_id = tracker.get_slot("reschedule_slot_id")
    return next(
        (o for o in tracker.get_slot("reschedule_offers") or [] if o["id"] == slot_id), None
    )


class ValidateRescheduleForm(FormValidationAction):
    def name(self) -> str:
        return "validate_reschedule_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        if tracker.get_slot("reschedule_stopped"):
            return []  # the form ends; action_reschedule_finish says why
        if tracker.get_slot("reschedule_blocked"):
            return ["callback_answer"]
        return ["reschedule_choice", "reschedule_confirm"]

    async def validate_reschedule_choice(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        text = _words(slot_value)
        offers = tracker.get_slot("reschedule_offers") or []
        if leaving(text, tracker, dispatcher):
            return {
                "reschedule_choice": None,
                "reschedule_stopped": "opt_out" if opting_out(tracker) else "said_no",
            }
        if _intent(tracker) == "ask_next_appointment":
            # A digression: answer it, then ask again.
            dispatcher.utter_message(response="utter_reschedule_digression_when")
            return {"reschedule_choice": None}
        if _MORE.match(text):
            return await self._more(dispatcher, tracker)
        index = pick(text, offers, get_settings().timezone)
        if index is None:
            dispatcher.utter_message(response="utter_reschedule_choice_unclear")
            return {"reschedule_choice": None}
        return {"reschedule_choice": str(index + 1), "reschedule_slot_id": offers[index]["id"]}

    async def _more(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
        offset = int(tracker.get_slot("reschedule_offset") or 0) + PAGE
        try:
            slots = await client_for(tracker).alternatives(
                int(tracker.get_slot("reschedule_appointment_id")),
                int(tracker.get_slot("patient_id")),
                offset=offset,
            )
        except ChangeRefused as refused:
            return {"reschedule_choice": None, "reschedule_blocked": refused.reason}
        except BackendError:
            logger.exception("backend unreachable while offering more slots")
            dispatcher.utter_message(response="utter_backend_unavailable")
            return {"reschedule_choice": None, "reschedule_stopped": "start_failed"}
        if not slots:
            dispatcher.utter_message(response="utter_reschedule_no_more_times")
            return {"reschedule_choice": None}
        return {
            "reschedule_choice": None,
            "reschedule_offers": [_as_offer(s) for s in slots],
            "reschedule_offset": offset,
        }

    async def validate_reschedule_confirm(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        text = _words(slot_value)
        if leaving(text, tracker, dispatcher):
            return {
                "reschedule_confirm": None,
                "reschedule_stopped": "opt_out" if opting_out(tracker) else "said_no",
            }
        if _intent(tracker) == "ask_next_appointment":
            dispatcher.utter_message(response="utter_reschedule_digression_when")
            return {"reschedule_confirm": None}
        if is_yes(text):
            return {"reschedule_confirm": "yes"}
        if is_no(text):
            # Choose again from the same times.
            return {
                "reschedule_confirm": None,
                "reschedule_choice": None,
                "reschedule_slot_id": None,
            }
        return {"reschedule_confirm": None}  # asked again: the choice and "Reply 1 to book it"

    async def validate_callback_answer(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        return read_callback_answer(slot_value, tracker, dispatcher)


async def request_callback(
    dispatcher: CollectingDispatcher, tracker: Tracker, reason: str, appointment_id: object
) -> None:
    """Ask the backend for a call back from the care coordinator, and say so."""
    try:
        await client_for(tracker).request_callback(
            int(tracker.get_slot("patient_id")),
            int(appointment_id) if appointment_id else None,
            reason if reason.startswith("change_") else "requested",
        )
    except BackendError:
        logger.exception("backend unreachable while requesting a call back")
        dispatcher.utter_message(response="utter_backend_unavailable")
        return
    dispatcher.utter_message(response="utter_callback_requested")


class ActionRescheduleFinish(Action):
    """Book the confirmed slot, or request the call back, or say nothing changed."""

    def name(self) -> str:
        return "action_reschedule_finish"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        reset = [SlotSet(name, None) for name in FORM_SLOTS]
        stopped = tracker.get_slot("reschedule_stopped")
        patient_id = tracker.get_slot("patient_id")
        appointment_id = tracker.get_slot("reschedule_appointment_id")
        client = client_for(tracker)
        if stopped == "start_failed":
            return reset
        if stopped == "opt_out":
            await record_sms_preference(dispatcher, tracker, opted_out=True)
            return reset
        if stopped == "said_no":
            dispatcher.utter_message(response="utter_reschedule_left_as_is")
            return reset
        if tracker.get_slot("reschedule_blocked"):
            if tracker.get_slot("callback_answer") != "yes":
                dispatcher.utter_message(response="utter_reschedule_left_as_is")
                return reset
            await request_callback(
                dispatcher, tracker, tracker.get_slot("reschedule_blocked"), appointment_id
            )
            return reset
        chosen = _chosen(tracker)
        if tracker.get_slot("reschedule_confirm") != "yes" or chosen is None:
            dispatcher.utter_message(response="utter_reschedule_left_as_is")
            return reset
        try:
            await client.reschedule(int(appointment_id), int(patient_id), int(chosen["id"]))
        except ChangeRefused as refused:
            # Say why (taken meanwhile, or now too close to change by text), never just "OK".
            dispatcher.utter_message(
                response="utter_slot_taken"
                if refused.reason == "slot_taken"
                else f"utter_cannot_change_by_text_{refused.reason}"
            )
            return reset
        except BackendError:
            logger.exception("backend unreachable while booking")
            dispatcher.utter_message(response="utter_booking_unknown")
            return reset
        dispatcher.utter_message(
            response="utter_rescheduled",
            choice=_label(chosen, get_settings().timezone),
            place=chosen["location"],
        )
        return reset
