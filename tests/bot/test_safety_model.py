"""The detector's second signal: trained on the labelled rows, it only ever raises a severity."""

import pytest

from bot.nlu.safety_model import SafetyModel, combine, training_rows
from bot.nlu.safety_rules import SEVERITY_RANK, load_rules


@pytest.fixture(scope="module")
def model() -> SafetyModel:
    return SafetyModel.fit(training_rows())


def detect(model: SafetyModel, text: str) -> dict:
    rules = load_rules()
    return combine(rules.detect(text), text, model, rules)


def test_catches_a_phrasing_the_lexicon_has_never_met(model: SafetyModel) -> None:
    text = "my grandad has gone a funny colour and wont talk to me"
    assert load_rules().detect(text)["severity"] == "none"
    result = detect(model, text)
    assert result["severity"] == "emergency"
    [concern] = result["concerns"]
    assert concern["source"] == "model" and concern["text"] == text
    assert concern["experiencer"] == "other"


@pytest.mark.parametrize(
    "text",
    [
        "can i book a blood test",
        "please move my appointment to Friday",
        "strongly agree",
        "the wasp sting on my arm is itchy",
    ],
)
def test_stays_quiet_on_ordinary_messages(model: SafetyModel, text: str) -> None:
    assert detect(model, text)["severity"] in ("none", "routine")


@pytest.mark.parametrize(
    "text",
    [
        "I'm not suicidal, just fed up",
        "crushing pain in my chest",
        "been feeling a bit low lately",
        "dad fell yesterday and his knee is swollen",
    ],
)
def test_never_lowers_what_the_lexicon_found(model: SafetyModel, text: str) -> None:
    lexicon = load_rules().detect(text)
    combined = detect(model, text)
    assert SEVERITY_RANK[combined["severity"]] >= SEVERITY_RANK[lexicon["severity"]]
    assert {c["category"] for c in lexicon["concerns"]} <= {
        c["category"] for c in combined["concerns"]
    }


def test_a_denied_suicide_mention_is_still_kept(model: SafetyModel) -> None:
    result = detect(model, "I would never kill myself, the kids need me")
    assert "suicide_self_harm" in [c["category"] for c in result["concerns"]]


def test_without_a_model_the_lexicon_stands() -> None:
    rules = load_rules()
    text = "my grandad has gone a funny colour and wont talk to me"
    assert combine(rules.detect(text), text, None, rules) == rules.detect(text)


def test_thresholds_come_from_the_caller() -> None:
    strict = SafetyModel.fit(training_rows(), flag_threshold=1.01, emergency_threshold=1.01)
    assert strict.predict("my grandad has gone a funny colour and wont talk to me") is None


def test_direct_scoring_equals_scikit_learn(model: SafetyModel) -> None:
    """`predict` scores without scikit-learn's per-call overhead; it must give the same
    probabilities and the same category as `predict_proba` and `predict` on every training row."""
    import numpy as np

    from bot.nlu.safety_rules import normalise

    texts = [normalise(text) for _, _, text in training_rows()][::3]
    for text in [t for t in texts if t]:
        features = model.vectoriser.transform([text])
        expected = model.severity.predict_proba(features)[0]
        got = model.probabilities(text)
        assert np.allclose([got[c] for c in model.severity.classes_], expected, atol=1e-9), text
        categories = model._probabilities(model.category, model._weights(text))
        assert max(categories, key=categories.__getitem__) == model.category.predict(features)[0]
    # The look-up tables built on first use stay out of the saved model.
    assert "_parts" in model.__dict__
    assert "_parts" not in model.__getstate__()


class _SureItIsCalm(SafetyModel):
    """The real model's rules for combining, with the probabilities fixed."""

    def __init__(self, calm: float) -> None:
        super().__init__(vectoriser=None, severity=None, category=None, calm_threshold=0.8)
        self.calm = calm

    def _weights(self, clean: str) -> list:
        return [clean] if clean else []

    def _probabilities(self, classifier: object, features: list) -> dict[str, float]:
        rest = (1 - self.calm) / 2
        return {"calm": self.calm, "urgent": rest, "emergency": rest}


def _lexicon_then(model: SafetyModel, text: str) -> tuple[dict, dict]:
    rules = load_rules()
    found = rules.detect(text)
    return found, combine(found, text, model, rules)


def test_a_sure_calm_model_lowers_a_broad_urgent_flag_to_routine_for_review() -> None:
    text = "a bit wheezy in the mornings lately, not bad at all, can my inhalers be reviewed"
    found, result = _lexicon_then(_SureItIsCalm(0.95), text)
    assert found["severity"] == "urgent"
    assert result["severity"] == "routine"
    assert all(c["severity"] == "routine" for c in result["concerns"])
    assert any(c.get("lowered") for c in result["concerns"])
    # Not sure enough: the flag stands.
    assert _lexicon_then(_SureItIsCalm(0.5), text)[1]["severity"] == "urgent"


@pytest.mark.parametrize(
    "text",
    [
        "i have been thinking about ending my life again lately, no plan though",  # suicide
        "my partner takes all my wages and checks my phone every single night",  # safeguarding
        "crushing pain in my chest going down my left arm and I feel sick",  # emergency
        "had a fall last night",  # too short to trust the model
        "my peak flow is down to half of my normal since this cold",  # a specific pattern
        "I think I had a mini stroke yesterday, could someone ring me",  # never lowered
    ],
)
def test_never_lowers_suicide_safeguarding_an_emergency_or_a_short_text(text: str) -> None:
    found, result = _lexicon_then(_SureItIsCalm(0.999), text)
    assert SEVERITY_RANK[found["severity"]] >= SEVERITY_RANK["urgent"], found
    assert result == found


def test_the_real_model_lowers_a_calm_message_only_when_switched_on(model: SafetyModel) -> None:
    text = "bit wheezy at night lately, not bad at all, can i get my asthma reviewed sometime"
    found, result = _lexicon_then(model, text)
    assert found["severity"] == "urgent"
    assert result["severity"] == "urgent"  # off by default
    model.calm_threshold = 0.8
    try:
        assert _lexicon_then(model, text)[1]["severity"] == "routine"
    finally:
        model.calm_threshold = None


@pytest.mark.parametrize(
    "concern",
    [
        "I think I had a mini stroke yesterday",
        "I ran out of my insulin",
        "I have missed three days of my warfarin",
        "my peak flow is down to half",
        "the neighbours are poisoning me",
        "I cant carry on",
        "my dad slipped in the bath this morning and cant get up",
    ],
)
def test_polite_wording_around_a_concern_does_not_lower_it(
    model: SafetyModel, concern: str
) -> None:
    """Found by a safety review: admin wording made the whole message read as calm."""
    text = (
        "Thank you for the reminder about my appointment next Tuesday, all fine there. "
        f"{concern}. Nothing to worry about, thanks"
    )
    model.calm_threshold = 0.8
    try:
        found, result = _lexicon_then(model, text)
    finally:
        model.calm_threshold = None
    assert SEVERITY_RANK[found["severity"]] >= SEVERITY_RANK["urgent"], found
    assert result["severity"] == found["severity"], result


def test_a_calm_mention_does_not_speak_for_a_worrying_one_later(model: SafetyModel) -> None:
    """Found by the second safety review: only the longest mention's clause used to be checked."""
    text = (
        "Thanks so much for the reminder about my review, I had a fall in the garden last month "
        "and all fine now thank you. Mum fell today and is very pale"
    )
    model.calm_threshold = 0.8
    try:
        found, result = _lexicon_then(model, text)
    finally:
        model.calm_threshold = None
    assert SEVERITY_RANK[found["severity"]] >= SEVERITY_RANK["urgent"], found
    assert result["severity"] == found["severity"], result
