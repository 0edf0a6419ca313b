"""The safety policy: whatever the conversation is doing, a message the safety detector flagged is
answered first. It predicts, deterministically and above every other policy:

    safety intent -> the reply for it (a domain response: 999 / 111 / crisis lines)
                  -> action_raise_safety_concern -> listen

With a form or questionnaire in progress, before listening: after an emergency, urgent or
mental-health concern the form is closed (`action_deactivate_loop`, then "nothing has been
changed"): nobody should be asked to pick a time after "call 999", and their next "ok" answers
the safety reply, not the form. After a routine concern the form asks its question again.

It looks only at the latest message's intent and the actions taken since, so it holds when the
rest of the conversation is unusual: a form in progress, a session whose start failed because
the action server was down, an unknown number. The rules in data/rules/safety.yml say the same
for training."""

from typing import Any

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_DEACTIVATE_LOOP_NAME, ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

REPLIES = {
    "safety_emergency": "utter_safety_emergency",
    "safety_urgent": "utter_safety_urgent",
    "safety_mental_health": "utter_safety_mental_health",
    "safety_routine": "utter_safety_routine",
}
RAISE = "action_raise_safety_concern"
# Said after a form was closed by a concern: nothing was changed; they can start again. A
# questionnaire says its answers are kept and how to carry on.
PAUSED = "utter_flow_closed_for_safety"
PAUSED_BY_FORM = {
    "questionnaire_form": "utter_questionnaire_closed_for_safety",
    "decision_aid_form": "utter_decision_aid_closed_for_safety",
}
# Above RulePolicy (6): safety wins over a form, a rule or a story.
SAFETY_PRIORITY = 7


def next_safety_action(tracker: DialogueStateTracker) -> str | None:
    """The next step of the safety sequence for the latest message, or None if there is none."""
    reply = REPLIES.get(tracker.latest_message.intent.get("name") if tracker.latest_message else "")
    if reply is None:
        return None
    done: list[str] = []
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            break
        if isinstance(event, ActionExecuted) and event.action_name:
            done.append(event.action_name)
    if reply not in done:
        return reply
    if RAISE not in done:
        return RAISE
    if ACTION_DEACTIVATE_LOOP_NAME in done:
        paused = PAUSED_BY_FORM.get(_last_form(tracker) or "", PAUSED)
        if paused not in done:
            return paused
    loop = tracker.active_loop_name
    if loop and loop not in done:
        if reply == REPLIES["safety_routine"]:
            # A routine concern: the form asks its question again and carries on.
            return loop
        # After 999, 111 or a crisis line nobody should be asked to pick a time, and their next
        # "ok" answers the safety reply, not the form: the flow is closed, and they are told.
        if ACTION_DEACTIVATE_LOOP_NAME not in done:
            return ACTION_DEACTIVATE_LOOP_NAME
    return ACTION_LISTEN_NAME


def _last_form(tracker: DialogueStateTracker) -> str | None:
    """The form most recently active (the one just closed)."""
    for event in reversed(tracker.events):
        if isinstance(event, ActiveLoop) and event.name:
            return event.name
    return None


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=False
)
class SafetyPolicy(Policy):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"priority": SAFETY_PRIORITY}

    def train(
        self, training_trackers: list[TrackerWithCachedStates], domain: Domain, **kwargs: Any
    ) -> Resource:
        return self._resource  # nothing to learn

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        action = next_safety_action(tracker)
        if action is not None:
            probabilities[domain.index_for_action(action)] = 1.0
        return self._prediction(probabilities)
