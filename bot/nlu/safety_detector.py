"""Rasa NLU component: adds the `safety` property to every parse result (DESIGN.md contract),
and makes a concern the message's intent, so that the safety rules win over everything else.

Two signals: the rules in `bot.nlu.safety_rules` (lexicon as data, context rules), and a small
model (`bot.nlu.safety_model`) trained with the assistant from the labelled messages in
`data/safety/eval/`, which can only raise a severity. It runs last among the classifiers: the
intent DIET chose stays in `intent_ranking`, below the safety intent.

Only this component decides a safety intent. The safety intents have a few NLU examples so that
the domain validates; if DIET ever puts one first when the rules found nothing, it is replaced by
DIET's best other intent."""

import hashlib
import logging
from pathlib import Path
from typing import Any

import joblib
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu import safety_model
from bot.nlu.safety_model import (
    EMERGENCY_THRESHOLD,
    FLAG_THRESHOLD,
    SafetyModel,
    combine,
    training_rows,
)
from bot.nlu.safety_rules import load_rules

logger = logging.getLogger(__name__)
MODEL_FILE = "safety_model.joblib"

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


def _apply(message: Message, safety: dict[str, Any], fallback_threshold: float) -> None:
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
        # DIET's next guess, unless it is too unsure to act on (the FallbackClassifier's rule).
        fallback = {INTENT_NAME_KEY: FALLBACK, PREDICTED_CONFIDENCE_KEY: 1.0}
        sure = ranking and ranking[0].get(PREDICTED_CONFIDENCE_KEY, 0.0) >= fallback_threshold
        replacement = ranking[0] if sure else fallback
        message.set(INTENT, replacement, add_to_output=True)
        message.set(INTENT_RANKING, ranking, add_to_output=True)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class SafetyDetector(GraphComponent):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "flag_threshold": FLAG_THRESHOLD,
            "emergency_threshold": EMERGENCY_THRESHOLD,
            # Keep equal to the FallbackClassifier's threshold in config.yml.
            "fallback_threshold": 0.4,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: SafetyModel | None = None,
    ) -> None:
        self._config = config
        self._storage = model_storage
        self._resource = resource
        self._model = model

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "SafetyDetector":
        return cls(config, model_storage, resource)

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """The model is trained from files Rasa does not know about: retrain when they change."""
        digest = hashlib.sha256()
        for path in [Path(safety_model.__file__), *safety_model.training_files()]:
            digest.update(path.read_bytes())
        return digest.hexdigest()

    def train(self, training_data: TrainingData) -> Resource:
        """Fit the second signal on the labelled tuning messages (not Rasa's NLU examples)."""
        self._model = SafetyModel.fit(
            training_rows(),
            flag_threshold=self._config["flag_threshold"],
            emergency_threshold=self._config["emergency_threshold"],
        )
        with self._storage.write_to(self._resource) as directory:
            joblib.dump(self._model, directory / MODEL_FILE)
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "SafetyDetector":
        try:
            with model_storage.read_from(resource) as directory:
                model = joblib.load(directory / MODEL_FILE)
        except (ValueError, FileNotFoundError):
            # Never silently: the lexicon still runs, but the second signal is missing.
            logger.error("safety model missing from the trained assistant; lexicon only")
            model = None
        return cls(config, model_storage, resource, model)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        rules = load_rules()
        for message in messages:
            text = message.get(TEXT) or ""
            safety = combine(rules.detect(text), text, self._model, rules)
            message.set(SAFETY, safety, add_to_output=True)
            if text:
                _apply(message, safety, self._config["fallback_threshold"])
        return messages
