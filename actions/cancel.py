"""Cancelling and confirming attendance by text.

Cancel is one form (`cancel_form`): the appointment is named, "Reply 1 to cancel it, or 2 to
keep it", then an optional reason ("0" to skip), then the backend cancels it and frees the slot.
Nothing is cancelled without the "1". When text cannot change the appointment (too close, or
transport or an interpreter arranged) a call back is offered instead, as for rescheduling.
Patients are never asked to text CANCEL or STOP: those are carrier keywords.

Confirming attendance needs no form: it changes nothing anyone arranged."""

import logging
import re

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.appointments import describe, in_hand, next_for_patient
from actions.clients.backend import BackendError, ChangeRefused
from actions.opt_out import record_sms_preference
from actions.reschedule import (
    _intent,
    _words,
    asked_just_before,
    is_no,
    is_yes,
    leaving,
    offer_callback,
    opting_out,
    read_callback_answer,
    request_callback,
)
from actions.session import client_for
from actions.settings import get_settings

logger = logging.getLogger(__name__)

FORM_SLOTS = (
    "cancel_appointment_id",
    "cancel_blocked",
    "cancel_stopped",
    "cancel_confirm",
    "cancel_reason",
    "callback_answer",
)
_REASON_AFTER_YES = re.compile(
    r"^\s*(1|yes|yeah|yep|yup|ok|okay|sure|y|please do|go ahead)\b[\s,.!]*"
    r"((please )?cancel (it|that|the appointment|her appointment|his appointment)( please)?)?",
    re.IGNORECASE,
)
_SKIP = ("0", "skip", "no", "none", "nope", "n a", "na", "no reason", "rather not", "pass")


class ActionCancelStart(Action):
    def name(self) -> str:
        return "action_cancel_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        client = client_for(tracker)
        events: list[EventType] = [SlotSet(name, None) for name in FORM_SLOTS]
        patient_id, appointment, found = await next_for_patient(
            dispatcher, tracker, client, request="cancel"
        )
        events += found
        if patient_id is None or appointment is None:
            return [*events, SlotSet("cancel_stopped", "start_failed")]
        events.append(SlotSet("reminder_appointment_id", None))  # the form names it from here
        events.append(SlotSet("appointment_in_hand", in_hand(appointment)))
        try:
            blocked = await client.change_blocked(appointment.id, patient_id)
        except BackendError:
            logger.exception("backend unreachable while checking an appointment")
            dispatcher.utter_message(response="utter_backend_unavailable")
            return [*events, SlotSet("cancel_stopped", "start_failed")]
        dispatcher.utter_message(
            response="utter_cancel_which", **describe(appointment, get_settings().timezone)
        )
        events.append(SlotSet("cancel_appointment_id", appointment.id))
        if blocked:
            events.append(SlotSet("cancel_blocked", blocked))
        return events


class ActionAskCancelConfirm(Action):
    """ "Reply 1 to cancel it, or 2 to keep it"; asked again as one short line, not two."""

    def name(self) -> str:
        return "action_ask_cancel_confirm"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        again = asked_just_before(
            tracker, domain, ("utter_ask_cancel_confirm", "utter_cancel_confirm_unclear")
        )
        dispatcher.utter_message(
            response="utter_cancel_confirm_unclear" if again else "utter_ask_cancel_confirm"
        )
        return []


class ActionAskCancelCallbackAnswer(Action):
    """The call-back offer when text cannot cancel it (same wording as for rescheduling)."""

    def name(self) -> str:
        return "action_ask_cancel_form_callback_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if asked_just_before(
            tracker, domain, ("utter_ask_callback_answer", "utter_callback_unclear")
        ):
            dispatcher.utter_message(response="utter_callback_unclear")  # asked before: briefly
        else:
            offer_callback(
                dispatcher, tracker.get_slot("cancel_blocked") or "appointment_not_changeable"
            )
        return []


class ValidateCancelForm(FormValidationAction):
    def name(self) -> str:
        return "validate_cancel_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        if tracker.get_slot("cancel_stopped"):
            return []
        if tracker.get_slot("cancel_blocked"):
            return ["callback_answer"]
        return ["cancel_confirm", "cancel_reason"]

    async def validate_cancel_confirm(
        self,
        slot_value: object,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, object]:
        text = _words(str(slot_value))
        if _intent(tracker) == "ask_next_appointment":
            dispatcher.utter_message(response="utter_reschedule_digression_when")
            return {"cancel_confirm": None}
        if leaving(text, tracker, dispatcher) or is_no(text) or text.startswith("keep"):
            return {
                "cancel_confirm": None,
                "cancel_stopped": "opt_out" if opting_out(tracker) else "kept",
            }
        if is_yes(text):
            # "yes cancel it, she's away that week": the reason is given already.
            reason = _REASON_AFTER_YES.sub("", str(slot_value)).strip(" ,.;:-!")
            if len(reason.split()) >= 3:
                return {"cancel_confirm": "yes", "cancel_reason": reason[:300]}
            return {"cancel_confirm": "yes"}
        return {"cancel_confirm": None}  # asked again: "Reply 1 to cancel it, or 2 to keep it"

    async def validate_cancel_reason(
        self,
        slot_value: object,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, object]:
        text = str(slot_value or "").strip()
        if _words(text) in _SKIP:
            return {"cancel_reason": "-"}
        return {"cancel_reason": text[:300]}

    async def validate_callback_answer(
        self,
        slot_value: object,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, object]:
        return read_callback_answer(slot_value, tracker, dispatcher)


class ActionCancelFinish(Action):
    def name(self) -> str:
        return "action_cancel_finish"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        reset = [SlotSet(name, None) for name in FORM_SLOTS]
        stopped = tracker.get_slot("cancel_stopped")
        patient_id = tracker.get_slot("patient_id")
        appointment_id = tracker.get_slot("cancel_appointment_id")
        if stopped == "start_failed":
            return reset
        if stopped == "opt_out":
            await record_sms_preference(dispatcher, tracker, opted_out=True)
            return reset
        if stopped or (
            not tracker.get_slot("cancel_blocked") and tracker.get_slot("cancel_confirm") != "yes"
        ):
            dispatcher.utter_message(response="utter_cancel_kept")
            return reset
        if tracker.get_slot("cancel_blocked"):
            if tracker.get_slot("callback_answer") != "yes":
                dispatcher.utter_message(response="utter_cancel_kept")
                return reset
            await request_callback(
                dispatcher, tracker, tracker.get_slot("cancel_blocked"), appointment_id
            )
            return reset
        reason = tracker.get_slot("cancel_reason")
        try:
            await client_for(tracker).cancel(
                int(appointment_id), int(patient_id), None if reason in (None, "-") else reason
            )
        except ChangeRefused as refused:
            dispatcher.utter_message(response=f"utter_cannot_change_by_text_{refused.reason}")
            return reset
        except BackendError:
            logger.exception("backend unreachable while cancelling")
            dispatcher.utter_message(response="utter_booking_unknown")
            return reset
        dispatcher.utter_message(response="utter_cancelled")
        return reset


class ActionConfirmAttendance(Action):
    def name(self) -> str:
        return "action_confirm_attendance"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        client = client_for(tracker)
        patient_id, appointment, events = await next_for_patient(
            dispatcher, tracker, client, request="confirm"
        )
        if patient_id is None or appointment is None:
            return events
        # A reminder being answered is answered once (kept while the identity check runs).
        events.append(SlotSet("reminder_appointment_id", None))
        try:
            await client.confirm(appointment.id, patient_id)
        except ChangeRefused:
            dispatcher.utter_message(response="utter_cannot_confirm")
            return events
        except BackendError:
            logger.exception("backend unreachable while confirming")
            dispatcher.utter_message(response="utter_backend_unavailable")
            return events
        dispatcher.utter_message(
            response="utter_attendance_confirmed", **describe(appointment, get_settings().timezone)
        )
        return events
