"""How the detector's finding becomes the message's intent, so the safety rules win."""

from rasa.shared.nlu.training_data.message import Message

from bot.nlu.safety_detector import _apply, safety_intent

EMERGENCY = {
    "severity": "emergency",
    "concerns": [{"category": "chest_pain", "severity": "emergency"}],
}
NONE = {"severity": "none", "concerns": []}


def message(*ranking: tuple[str, float]) -> Message:
    rows = [{"name": name, "confidence": confidence} for name, confidence in ranking]
    return Message(data={"text": "x", "intent": rows[0], "intent_ranking": rows})


def test_a_concern_becomes_the_intent_and_diets_guess_stays_below() -> None:
    m = message(("ask_next_appointment", 0.9), ("greet", 0.1))
    _apply(m, EMERGENCY, 0.4)
    assert m.get("intent") == {"name": "safety_emergency", "confidence": 1.0}
    assert [r["name"] for r in m.get("intent_ranking")] == [
        "safety_emergency",
        "ask_next_appointment",
        "greet",
    ]


def test_diet_alone_never_decides_a_safety_intent() -> None:
    confident = message(("safety_urgent", 0.7), ("ask_next_appointment", 0.6))
    _apply(confident, NONE, 0.4)
    assert confident.get("intent")["name"] == "ask_next_appointment"
    unsure = message(("safety_urgent", 0.9), ("greet", 0.05))
    _apply(unsure, NONE, 0.4)
    assert unsure.get("intent")["name"] == "nlu_fallback"


def test_urgent_mental_health_gets_the_crisis_lines_intent() -> None:
    urgent = {
        "severity": "urgent",
        "concerns": [
            {"category": "fall", "severity": "urgent"},
            {"category": "suicide_self_harm", "severity": "urgent"},
        ],
    }
    assert safety_intent(urgent) == "safety_mental_health"
    assert safety_intent(
        {"severity": "urgent", "concerns": [{"category": "fall", "severity": "urgent"}]}
    ) == ("safety_urgent")
    assert safety_intent({"severity": "routine", "concerns": []}) == "safety_routine"
    assert safety_intent(NONE) is None
