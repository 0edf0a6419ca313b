"""Rasa NLU component: adds the `safety` property to every parse result (DESIGN.md contract).

The rules are in `bot.nlu.safety_rules` (lexicon as data); this wraps them for the pipeline. It
trains nothing, so it is cheap to keep in every model."""

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.safety_rules import load_rules

SAFETY = "safety"


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
            message.set(SAFETY, rules.detect(message.get(TEXT) or ""), add_to_output=True)
        return messages
