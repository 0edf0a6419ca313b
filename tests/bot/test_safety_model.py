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


@pytest.mark.parametrize(
    "text",
    [
        "bit wheezy at night lately, not bad at all, can i get my asthma reviewed sometime",
        "Thanks for the reminder about my review. I ran out of my insulin. Nothing to worry about",
    ],
)
def test_a_calm_sounding_message_keeps_the_lexicon_flag(model: SafetyModel, text: str) -> None:
    """The model never lowers a flag, however calm the rest of the message reads."""
    rules = load_rules()
    found = rules.detect(text)
    assert found["severity"] == "urgent", found
    assert SEVERITY_RANK[combine(found, text, model, rules)["severity"]] >= SEVERITY_RANK["urgent"]
