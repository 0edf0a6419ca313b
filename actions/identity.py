"""The date-of-birth check before details are disclosed by text (backend/app/services/identity.py
keeps the state: confirmed until `IDENTITY_RECONFIRM_DAYS`, locked after a few wrong answers).

Every action that discloses or changes appointment details calls `disclosure_allowed` first. If
the sender has not confirmed recently, it asks for the date of birth and remembers what they
asked for; `action_confirm_identity` checks the answer with the backend and then answers the
original question (or, for a change, asks them to send it again).

A carer (actions/carers.py) answers with the date of birth of the person they help: that both
names the person and checks the carer knows them (backend/app/services/carers.py)."""

import logging
import re
from datetime import date
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.clients.backend import BackendClient, BackendError

logger = logging.getLogger(__name__)

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
            ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
            ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}  # fmt: skip
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))


def parse_date_of_birth(text: str, today: date | None = None) -> date | None:
    """A date as people text it, day first (UK): 12/03/1948, 12-3-48, 12.03.1948, 12 March 1948,
    12th of March 1948, March 12 1948, 1948-03-12. None when it is not a real past date."""
    today = today or date.today()
    words = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", text.lower())
    words = re.sub(r"\bof\b|,", " ", words)
    found = None
    if m := re.search(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b", words):
        found = (int(m[1]), int(m[2]), int(m[3]))
    elif m := re.search(r"\b(\d{1,2})\s*[/.\- ]\s*(\d{1,2})\s*[/.\- ]\s*(\d{2}|\d{4})\b", words):
        found = (int(m[3]), int(m[2]), int(m[1]))
    elif m := re.search(
        rf"\b(\d{{1,2}})\s*[-/ ]\s*({_MONTH})\.?\s*[-/ ]\s*(\d{{2}}|\d{{4}})\b", words
    ):
        found = (int(m[3]), MONTHS[m[2]], int(m[1]))
    elif m := re.search(rf"\b({_MONTH})\.?\s+(\d{{1,2}})\s+(\d{{2}}|\d{{4}})\b", words):
        found = (int(m[3]), MONTHS[m[1]], int(m[2]))
    if found is None:
        return None
    year, month, day = found
    if year < 100:
        return None  # "5/6/25": 1925 or 2025? Asked again for the full year, at no cost.
    try:
        born = date(year, month, day)
    except ValueError:
        return None
    return born if date(1900, 1, 1) <= born <= today else None


def disclosure_allowed(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    request: str,
    just_set: list[EventType] | None = None,
) -> tuple[bool, list[EventType]]:
    """Whether details may be disclosed now; if not, the question has been asked (or the lock
    explained) and `request` remembered. `just_set`: slot events this action is about to return
    (an identification made a moment ago), which the tracker does not show yet."""
    for event in just_set or []:
        if event.get("event") == "slot":
            tracker.slots[event["name"]] = event["value"]
    carer = tracker.get_slot("identity_status") == "carer"
    if tracker.get_slot("identity_locked"):  # a lock wins over an earlier confirmation
        dispatcher.utter_message(
            response="utter_carer_identity_locked" if carer else "utter_identity_locked"
        )
        return False, []
    if tracker.get_slot("identity_confirmed") and tracker.get_slot("patient_id") is not None:
        return True, []
    dispatcher.utter_message(
        response="utter_carer_ask_date_of_birth" if carer else "utter_ask_date_of_birth"
    )
    return False, [SlotSet("pending_request", request)]


class ActionConfirmIdentity(Action):
    def name(self) -> str:
        return "action_confirm_identity"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        status = tracker.get_slot("identity_status")
        if status not in ("known", "carer"):
            dispatcher.utter_message(response="utter_unknown_number")
            return []
        if tracker.get_slot("identity_confirmed") and not tracker.get_slot("pending_request"):
            # Nobody asked: a date in passing ("my bloods were on 12/03") is not an answer, and
            # must not count against them.
            dispatcher.utter_message(response="utter_default")
            return []
        born = parse_date_of_birth(tracker.latest_message.get("text") or "")
        if born is None:
            dispatcher.utter_message(response="utter_date_of_birth_unclear")
            return []
        if status == "carer":
            return await _confirm_carer(born, dispatcher, tracker, domain)
        try:
            result, left = await BackendClient().confirm_identity(
                tracker.sender_id, born.isoformat()
            )
        except BackendError:
            logger.exception("backend unreachable during the identity check")
            dispatcher.utter_message(response="utter_backend_unavailable")
            return []
        if result == "mismatch":
            dispatcher.utter_message(response="utter_date_of_birth_mismatch", attempts_left=left)
            return [SlotSet("identity_confirmed", False)]
        if result == "locked":
            dispatcher.utter_message(response="utter_identity_locked")
            return [
                SlotSet("identity_locked", True),
                SlotSet("identity_confirmed", False),
                SlotSet("pending_request", None),
            ]
        if result != "confirmed":
            dispatcher.utter_message(response="utter_unknown_number")
            return []
        events: list[EventType] = [
            SlotSet("identity_confirmed", True),
            SlotSet("pending_request", None),
        ]
        tracker.slots["identity_confirmed"] = True  # for the answer given below
        return events + await _answer_pending(
            tracker.get_slot("pending_request"), dispatcher, tracker, domain
        )


async def _confirm_carer(
    born: date, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
) -> list[EventType]:
    """A carer's answer names the person they help (backend/app/services/carers.py)."""
    try:
        check = await BackendClient().confirm_carer_identity(tracker.sender_id, born.isoformat())
    except BackendError:
        logger.exception("backend unreachable during a carer's identity check")
        dispatcher.utter_message(response="utter_backend_unavailable")
        return []
    if check.result == "mismatch":
        dispatcher.utter_message(
            response="utter_carer_date_of_birth_mismatch", attempts_left=check.attempts_left
        )
        return []
    if check.result == "locked":
        dispatcher.utter_message(response="utter_carer_identity_locked")
        return [
            SlotSet("identity_locked", True),
            SlotSet("identity_confirmed", False),
            SlotSet("patient_id", None),
            SlotSet("pending_request", None),
        ]
    if check.result == "ambiguous":
        dispatcher.utter_message(response="utter_carer_date_of_birth_ambiguous")
        return []
    if check.result != "confirmed" or check.patient_id is None:
        dispatcher.utter_message(response="utter_carer_no_consent")
        return [SlotSet("carer_caring_for", 0), SlotSet("pending_request", None)]
    request = tracker.get_slot("pending_request")
    name = check.patient_given_name
    events: list[EventType] = [
        SlotSet("patient_id", check.patient_id),
        SlotSet("patient_first_name", name),
        SlotSet("identity_confirmed", True),
        SlotSet("pending_request", None),
    ]
    for event in events:  # for the answer given below
        tracker.slots[event["name"]] = event["value"]
    if request is None:
        dispatcher.utter_message(response="utter_carer_ready", patient_first_name=name)
        return events
    already = len(dispatcher.messages)
    events += await _answer_pending(request, dispatcher, tracker, domain, carer=True)
    for message in dispatcher.messages[already:]:
        # Rasa fills responses from the slots as they were before this action: name the person
        # the carer has just chosen explicitly.
        message.setdefault("patient_first_name", name)
    return events


async def _answer_pending(
    request: str | None,
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    domain: DomainDict,
    *,
    carer: bool = False,
) -> list[EventType]:
    from actions.appointments import ActionTellAppointmentDetails, ActionTellNextAppointment
    from actions.cancel import ActionConfirmAttendance

    answers: dict[str, Any] = {
        "next": ActionTellNextAppointment,
        "details": ActionTellAppointmentDetails,
        "confirm": ActionConfirmAttendance,
    }
    from actions.cancel import ActionCancelStart
    from actions.decision_aid import ActionDecisionAidStart
    from actions.questionnaire import ActionQuestionnaireStart
    from actions.reschedule import ActionRescheduleStart

    # A change is a conversation of its own: its start is run here and its form follows at once
    # (as the rules in data/rules/appointments.yml do when it is asked for directly).
    changes: dict[str, tuple[Any, str]] = {
        "reschedule": (ActionRescheduleStart, "reschedule_form"),
        "cancel": (ActionCancelStart, "cancel_form"),
        "questionnaire": (ActionQuestionnaireStart, "questionnaire_form"),
        "decision_aid": (ActionDecisionAidStart, "decision_aid_form"),
    }
    if request in answers or request in changes:
        dispatcher.utter_message(
            response="utter_carer_identity_confirmed" if carer else "utter_identity_confirmed"
        )
    if request in answers:
        return list(await answers[request]().run(dispatcher, tracker, domain))
    if request in changes:
        start, form = changes[request]
        events = list(await start().run(dispatcher, tracker, domain))
        return [*events, FollowupAction(form)]
    dispatcher.utter_message(
        response="utter_carer_identity_confirmed_what_next"
        if carer
        else "utter_identity_confirmed_what_next"
    )
    return []
