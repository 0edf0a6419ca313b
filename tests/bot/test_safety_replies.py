"""Safety wording is content kept as data; these hold it to the SMS rules in DESIGN.md."""

import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DOMAIN = yaml.safe_load((REPO / "bot" / "domain" / "safety.yml").read_text(encoding="utf-8"))
MEANWHILE = yaml.safe_load((REPO / "data" / "replies" / "safety.yml").read_text(encoding="utf-8"))
# GSM 03.38 basic character set (no extension table): anything else makes an SMS UCS-2.
GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
CARRIER_KEYWORDS = ("STOP", "CANCEL", "END", "QUIT", "UNSUBSCRIBE", "START", "HELP")
TWO_SEGMENTS = 306

REPLIES = {
    name: variant["text"] for name, variants in DOMAIN["responses"].items() for variant in variants
}
ALL_TEXTS = list(REPLIES.values()) + [*MEANWHILE["emergency"].values(), MEANWHILE["default"]]


@pytest.mark.parametrize("text", ALL_TEXTS)
def test_fits_two_gsm7_segments_and_asks_for_no_carrier_keyword(text: str) -> None:
    assert set(text) <= GSM7, set(text) - GSM7
    assert len(text) <= TWO_SEGMENTS
    for keyword in CARRIER_KEYWORDS:
        assert not re.search(rf"\b(text|reply|send)\s+{keyword}\b", text, re.IGNORECASE), keyword


def test_emergency_reply_puts_999_first() -> None:
    text = REPLIES["utter_safety_emergency"]
    assert text.index("999") < 60
    assert "111" not in text


def test_urgent_mental_health_reply_has_every_crisis_line() -> None:
    text = REPLIES["utter_safety_mental_health"]
    for needed in ("111", "option 2", "116 123", "85258", "999"):
        assert needed in text


def test_every_category_has_meanwhile_advice() -> None:
    categories = {
        "suicide_self_harm", "chest_pain", "stroke", "breathing", "collapse", "fall", "bleeding",
        "seizure", "allergic_reaction", "overdose_medication", "safeguarding", "carer_crisis",
        "confusion", "mental_distress",
    }  # fmt: skip
    assert set(MEANWHILE["emergency"]) == categories


def test_a_reassurance_never_sounds_like_closure() -> None:
    text = REPLIES["utter_safety_still_open"]
    assert "still" in text and "999" in text
