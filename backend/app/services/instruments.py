"""Questionnaires as data (`data/instruments/`): loading them with clear errors, and scoring them
as each instrument says.

The activation questionnaire follows the PAM-13's structure: 13 items on a four-point agreement
scale plus "not applicable"; at least `min_answered` items answered on the scale; the raw score
is the mean of the answered items times the number of items, rounded, then converted with the
instrument's table to 0-100; the level (1-4) comes from configurable cut-points (commonly
47.0 / 55.1 / 67.0). The shipped file is a demonstration (the project's own wording and a made-up
straight-line conversion): the PAM-13's wording and conversion are licensed, and a deploying
organisation supplies its own file (`PAM_INSTRUMENT_PATH`). The SURE test is four yes/no items;
three or fewer "yes" flags decisional conflict."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

NOT_APPLICABLE = "not_applicable"


class InstrumentError(ValueError):
    """An instrument file that cannot be used, and why."""


class NotEnoughAnswers(ValueError):
    """Fewer items answered on the scale than the instrument needs for a score."""


@dataclass(frozen=True)
class Item:
    id: str
    text: str
    why: str


@dataclass(frozen=True)
class Instrument:
    id: str
    name: str
    kind: str  # PAM | SURE
    demonstration: bool
    source: str
    review_by: str
    items: tuple[Item, ...]
    scale: dict[int, str]
    synonyms: dict[str, int | str]  # reply text -> scale value, or NOT_APPLICABLE
    min_answered: int
    conversion: dict[int, float]
    conflict_at_or_below: int | None
    not_applicable_reply: int | None


@dataclass(frozen=True)
class Score:
    answered: int
    raw: int
    score: float
    level: int | None  # PAM level 1-4; None for instruments without levels
    flagged: bool = False  # SURE: decisional conflict


def _need(data: dict[str, Any], key: str, path: Path) -> Any:
    if key not in data or data[key] in (None, ""):
        raise InstrumentError(f"{path.name}: '{key}' is missing")
    return data[key]


def load(path: Path) -> Instrument:
    """Read and check an instrument file; InstrumentError says what is wrong with it."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InstrumentError(f"{path}: cannot be read ({exc.__class__.__name__})") from exc
    if not isinstance(data, dict):
        raise InstrumentError(f"{path.name}: not a mapping")
    kind = str(_need(data, "instrument", path))
    items = tuple(
        Item(str(_need(i, "id", path)), str(_need(i, "text", path)), str(i.get("why", "")))
        for i in _need(data, "items", path)
    )
    if len({i.id for i in items}) != len(items):
        raise InstrumentError(f"{path.name}: item ids repeat")
    scale = {int(s["value"]): str(s["label"]) for s in _need(data, "scale", path)}
    synonyms: dict[str, int | str] = {}
    for entry in data["scale"]:
        for word in [entry["label"], *entry.get("synonyms", [])]:
            synonyms[str(word).lower()] = int(entry["value"])
    not_applicable = data.get("not_applicable") or {}
    for word in [not_applicable.get("label", ""), *not_applicable.get("synonyms", [])]:
        if word:
            synonyms[str(word).lower()] = NOT_APPLICABLE
    conversion = {
        int(k): float(v) for k, v in (data.get("conversion") or {}).get("table", {}).items()
    }
    min_answered = int(_need(data, "min_answered", path))
    if not 1 <= min_answered <= len(items):
        raise InstrumentError(f"{path.name}: min_answered must be between 1 and the item count")
    if kind == "PAM":
        low, high = min(scale) * len(items), max(scale) * len(items)
        missing = [raw for raw in range(low, high + 1) if raw not in conversion]
        if missing:
            raise InstrumentError(f"{path.name}: the conversion table lacks raw scores {missing}")
    return Instrument(
        id=str(_need(data, "id", path)),
        name=str(_need(data, "name", path)),
        kind=kind,
        demonstration=bool(data.get("demonstration", False)),
        source=str(_need(data, "source", path)),
        review_by=str(_need(data, "review_by", path)),
        items=items,
        scale=scale,
        synonyms=synonyms,
        min_answered=min_answered,
        conversion=conversion,
        conflict_at_or_below=data.get("conflict_at_or_below"),
        not_applicable_reply=not_applicable.get("reply"),
    )


def cutpoints(text: str) -> tuple[float, float, float]:
    """'47.0,55.1,67.0' -> (47.0, 55.1, 67.0), rising."""
    values = tuple(float(v) for v in text.split(","))
    if len(values) != 3 or not values[0] < values[1] < values[2]:
        raise InstrumentError("PAM_LEVEL_CUTPOINTS needs three rising numbers, e.g. 47.0,55.1,67.0")
    return values  # type: ignore[return-value]


def level(score: float, cuts: tuple[float, float, float]) -> int:
    """Level 1 at or below the first cut-point, 2 at or below the second, 3 at or below the
    third, else 4."""
    return 1 + sum(score > cut for cut in cuts)


def score(
    instrument: Instrument,
    answers: dict[str, int | str | None],
    cuts: tuple[float, float, float] | None = None,
) -> Score:
    """Score answers keyed by item id (a scale value, NOT_APPLICABLE, or None for skipped)."""
    unknown = set(answers) - {i.id for i in instrument.items}
    if unknown:
        raise InstrumentError(f"answers for items the instrument does not have: {sorted(unknown)}")
    values = [v for v in answers.values() if isinstance(v, int) and v in instrument.scale]
    if len(values) < instrument.min_answered:
        raise NotEnoughAnswers(
            f"{len(values)} answered; {instrument.id} needs {instrument.min_answered}"
        )
    if instrument.kind == "SURE":
        total = sum(values)
        limit = instrument.conflict_at_or_below
        return Score(len(values), total, float(total), None, limit is not None and total <= limit)
    # Prorated to all items, rounded half up (Python's round() would take 45.5 to 46 but 44.5 to
    # 44): the same answers always give the same raw score.
    raw = int(sum(values) / len(values) * len(instrument.items) + 0.5)
    activation = instrument.conversion[raw]
    return Score(len(values), raw, activation, level(activation, cuts) if cuts else None)
