"""Rasa NLU component: adds the `safety` property to every parse result (DESIGN.md contract),
and makes a concern the message's intent, so that the safety rules win over everything else.

The rules are in `bot.nlu.safety_rules` (lexicon as data); this wraps them for the pipeline. It
trains nothing, so it is cheap to keep in every model. It runs last among the classifiers: the
intent DIET chose stays in `intent_ranking`, below the safety intent.

Only this component decides a safety intent. The safety intents have a few NLU examples so that
the domain validates; if DIET ever puts one first when the rules found nothing, it is replaced by
DIET's best other intent."""

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.safety_rules import load_rules

SAFETY = "safety"
SAFETY_INTENTS = ("safety_emergency", "safety_urgent", "safety_mental_health", "safety_routine")
MENTAL_HEALTH = {"suicide_self_harm", "mental_distress"}
INTENT_RANKING = "intent_ranking"
FALLBACK = "nlu_fallback"


def safety_intent(safety: dict[str, Any]) -> str | None:
    """The intent a safety result stands for: emergency first; urgent mental-health concerns get
    the crisis lines; anything else flagged is urgent or routine."""
    severity = safety["severity"]
    if severity == "emergency":
        return "safety_emergency"
    if severity == "urgent":
        urgent = [c["category"] for c in safety["concerns"] if c["severity"] == "urgent"]
        return "safety_mental_health" if MENTAL_HEALTH & set(urgent) else "safety_urgent"
    if severity == "routine":
        return "safety_routine"
    return None


def _apply(message: Message, safety: dict[str, Any]) -> None:
    ranking = [
        r
        for r in (message.get(INTENT_RANKING) or [])
        if r.get(INTENT_NAME_KEY) not in SAFETY_INTENTS
    ]
    chosen = safety_intent(safety)
    if chosen is not None:
        top = {INTENT_NAME_KEY: chosen, PREDICTED_CONFIDENCE_KEY: 1.0}
        message.set(INTENT, top, add_to_output=True)
        message.set(INTENT_RANKING, [top, *ranking], add_to_output=True)
        return
    current = message.get(INTENT) or {}
    if current.get(INTENT_NAME_KEY) in SAFETY_INTENTS:
        replacement = (
            ranking[0] if ranking else {INTENT_NAME_KEY: FALLBACK, PREDICTED_CONFIDENCE_KEY: 1.0}
        )
        message.set(INTENT, replacement, add_to_output=True)
        message.set(INTENT_RANKING, ranking, add_to_output=True)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class SafetyDetector(GraphComponent):
    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "SafetyDetector":
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        rules = load_rules()
        for message in messages:
            safety = rules.detect(message.get(TEXT) or "")
            message.set(SAFETY, safety, add_to_output=True)
            if message.get(TEXT):
                _apply(message, safety)
        return messages
