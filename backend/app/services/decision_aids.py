"""Decision aids as data (`data/decision_aids/*.yml`), checked against the IPDAS qualifying
criteria as far as a machine can: the condition and the decision stated; at least two options;
benefits and downsides of each in equal number; probabilities as whole numbers out of one shared
denominator; what living with each is like; sources; production and review dates; and a status
that says the content needs clinical review. Everything sent by text fits an SMS (GSM-7, at most
300 characters) and never asks anyone to text a carrier keyword. `load` says what is wrong."""

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from backend.app.core.config import REPO_ROOT

FOLDER = REPO_ROOT / "data" / "decision_aids"
GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
SMS_LIMIT = 300
_ASKS_FOR_KEYWORD = re.compile(
    r"\b(text|reply|send|txt)\s+['\"]?(stop|cancel|end|quit|unsubscribe|start|help)\b", re.I
)


class DecisionAidError(ValueError):
    """A decision-aid file that cannot be used, and why."""


@dataclass(frozen=True)
class DecisionAid:
    id: str
    title: str
    decision: str
    options: tuple[dict[str, Any], ...]
    data: dict[str, Any]


def _sms(text: Any, where: str) -> str:
    value = str(text or "").strip()
    if not value:
        raise DecisionAidError(f"{where} is empty")
    if len(value) > SMS_LIMIT:
        raise DecisionAidError(f"{where} is {len(value)} characters (at most {SMS_LIMIT})")
    odd = set(value) - GSM7
    if odd:
        raise DecisionAidError(f"{where} has characters outside GSM-7: {sorted(odd)}")
    if _ASKS_FOR_KEYWORD.search(value):
        raise DecisionAidError(f"{where} asks for a carrier keyword")
    return value


def load(path: Path) -> DecisionAid:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DecisionAidError(f"{path}: cannot be read ({exc.__class__.__name__})") from exc
    name = path.stem
    for key in ("id", "title", "condition", "decision", "status", "produced", "review_by",
                "authors", "sources", "denominator", "options", "values_question",
                "values_options", "ask_3_questions"):  # fmt: skip
        if not data.get(key):
            raise DecisionAidError(f"{name}: '{key}' is missing")
    if data["id"] != name:
        raise DecisionAidError(f"{name}: id '{data['id']}' differs from the file name")
    if "clinical review" not in str(data["status"]).lower():
        raise DecisionAidError(f"{name}: the status must say it needs clinical review")
    produced, review_by = data["produced"], data["review_by"]
    if not (isinstance(produced, date) and isinstance(review_by, date) and produced < review_by):
        raise DecisionAidError(f"{name}: produced and review_by must be dates, in that order")
    if len(data["sources"]) < 2:
        raise DecisionAidError(f"{name}: at least two sources")
    denominator = int(data["denominator"])
    options = data["options"]
    if len(options) < 2:
        raise DecisionAidError(f"{name}: a decision needs at least two options")
    for option in options:
        where = f"{name}/{option.get('id')}"
        for key in ("summary", "living_with_it"):
            _sms(option.get(key), f"{where}.{key}")
        benefits, downsides = option.get("benefits") or [], option.get("downsides") or []
        if not benefits or len(benefits) != len(downsides):
            raise DecisionAidError(f"{where}: benefits and downsides must be given in equal number")
        for text in [*benefits, *downsides]:
            _sms(text, f"{where} benefit/downside")
        for chance in option.get("probabilities") or []:
            people = chance.get("people")
            if not isinstance(people, int) or not 0 <= people <= denominator:
                raise DecisionAidError(
                    f"{where}: probabilities are whole numbers out of {denominator}"
                )
            _sms(chance.get("outcome"), f"{where} outcome")
        if not option.get("probabilities"):
            raise DecisionAidError(f"{where}: no probabilities")
    _sms(data["values_question"], f"{name}.values_question")
    for text in [*data["values_options"], *data["ask_3_questions"], data["decision"]]:
        _sms(text, f"{name} text")
    return DecisionAid(data["id"], data["title"], data["decision"], tuple(options), data)


def load_all(folder: Path = FOLDER) -> dict[str, DecisionAid]:
    return {aid.id: aid for aid in (load(p) for p in sorted(folder.glob("*.yml")))}
