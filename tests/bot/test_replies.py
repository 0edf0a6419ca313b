"""Every reply in the domain keeps DESIGN.md's SMS rules: GSM-7 only, at most two segments once
its placeholders are filled with realistic values, and never asks anyone to text a carrier
keyword (STOP, CANCEL, END, QUIT, UNSUBSCRIBE, START, HELP: Twilio acts on those itself)."""

import re
from pathlib import Path

import pytest
import yaml

from tests.bot.test_safety_replies import CARRIER_KEYWORDS, GSM7, TWO_SEGMENTS

REPO = Path(__file__).resolve().parents[2]
RESPONSES = {
    f"{path.stem}:{name}": variant["text"]
    for path in sorted((REPO / "bot" / "domain").glob("*.yml"))
    for name, variants in (
        yaml.safe_load(path.read_text(encoding="utf-8")).get("responses") or {}
    ).items()
    for variant in variants
}
# Realistic worst cases for each placeholder.
FILLS = {
    "options": "\n".join(f"{i} Wed 30 Dec 12:45pm, Dr Amira Patel (GP partner)" for i in (1, 2, 3)),
    "numbers": "1, 2 or 3",
    "choice": "Wed 30 Dec 12:45pm, Dr Amira Patel (GP partner)",
    "place": "Northgate Health Centre, Room 4",
    "with_whom": "Dr Amira Patel (GP partner)",
    "kind": "heart failure review",
    "day": "Wednesday 30 December",
    "time": "12:45pm",
    "current": "Wednesday 30 December at 12:45pm",
}


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_every_reply_fits_sms_and_asks_for_no_carrier_keyword(name: str) -> None:
    text = RESPONSES[name]
    filled = re.sub(r"\{(\w+)\}", lambda m: FILLS.get(m.group(1), "x" * 20), text)
    assert set(filled) <= GSM7, set(filled) - GSM7
    assert len(filled) <= TWO_SEGMENTS, len(filled)
    for keyword in CARRIER_KEYWORDS:
        asks = rf"\b(text|reply|send|type)( us| back| with)?\s+['\"]?{keyword}\b"
        assert not re.search(asks, text, re.IGNORECASE), keyword
