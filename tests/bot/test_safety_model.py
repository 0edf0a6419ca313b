"""The detector's second signal: trained on the labelled rows, it raises severities and never clears
anything; the most it may do downwards is make a sure-calm urgent lexicon flag routine."""

from dataclasses import replace

import pytest

from bot.nlu.safety_model import NEVER_LOWERED, SafetyModel, combine, training_rows
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
def test_real_concerns_keep_what_the_lexicon_found(model: SafetyModel, text: str) -> None:
    lexicon = load_rules().detect(text)
    combined = detect(model, text)
    assert SEVERITY_RANK[combined["severity"]] >= SEVERITY_RANK[lexicon["severity"]]
    assert {c["category"] for c in lexicon["concerns"]} <= {
        c["category"] for c in combined["concerns"]
    }


def test_a_sure_calm_urgent_flag_becomes_routine_and_is_still_raised(model: SafetyModel) -> None:
    """With the calm threshold at 0 the model is 'sure' every message is calm: every urgent flag
    it may lower becomes routine (kept, marked, still escalated for review), nothing else moves."""
    eager = replace(model, calm_threshold=0.0)
    text = "dad fell yesterday and his knee is swollen"
    assert load_rules().detect(text)["severity"] == "urgent"
    result = detect(eager, text)
    assert result["severity"] == "routine"
    [concern] = [c for c in result["concerns"] if c["category"] == "fall"]
    assert concern["severity"] == "routine" and concern["source"] == "lexicon_lowered"
    # At the real threshold the same message stays urgent.
    assert detect(model, text)["severity"] == "urgent"


@pytest.mark.parametrize(
    "text, category",
    [
        ("everyone would be better off without me", "suicide_self_harm"),
        ("my carer takes my pension and shouts at me", "safeguarding"),
        ("needing my gtn spray more often than usual this week", "chest_pain"),
        ("my face went droopy for ten minutes earlier, fine now", "stroke"),
        ("more breathless than usual walking to the shop", "breathing"),
        ("took my blood pressure tablets twice this morning", "overdose_medication"),
        ("her lips are a bit swollen since the new tablet", "allergic_reaction"),
        ("he had a fit this morning, over now", "seizure"),
    ],
)
def test_never_lowers_protected_categories(model: SafetyModel, text: str, category: str) -> None:
    assert category in NEVER_LOWERED
    rules = load_rules()
    lexicon = rules.detect(text)
    assert lexicon["severity"] == "urgent"
    assert category in {c["category"] for c in lexicon["concerns"]}
    eager = replace(model, calm_threshold=0.0)
    assert combine(lexicon, text, eager, rules)["severity"] == "urgent"


def test_never_lowers_an_emergency(model: SafetyModel) -> None:
    eager = replace(model, calm_threshold=0.0)
    for text in ("mum has collapsed and wont wake up", "i cant breathe"):
        assert load_rules().detect(text)["severity"] == "emergency"
        assert detect(eager, text)["severity"] == "emergency"


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
