"""Questionnaires as data, scored as each instrument says: worked examples for the activation
questionnaire (a demonstration instrument with the PAM-13's structure) and the SURE test."""

from pathlib import Path

import pytest
import yaml

from backend.app.core.config import REPO_ROOT, get_settings
from backend.app.services.instruments import (
    NOT_APPLICABLE,
    InstrumentError,
    NotEnoughAnswers,
    cutpoints,
    level,
    load,
    score,
)

PAM = load(get_settings().pam_instrument_path)
SURE = load(REPO_ROOT / "data" / "instruments" / "sure.yml")
CUTS = cutpoints(get_settings().pam_level_cutpoints)


def answers(*values: int | str | None) -> dict[str, int | str | None]:
    return {item.id: value for item, value in zip(PAM.items, values, strict=True)}


def test_the_shipped_activation_questionnaire_is_a_labelled_demonstration() -> None:
    assert PAM.kind == "PAM" and PAM.demonstration is True
    assert len(PAM.items) == 13 and PAM.min_answered == 10
    assert PAM.scale == {1: "Disagree strongly", 2: "Disagree", 3: "Agree", 4: "Agree strongly"}
    text = (REPO_ROOT / "data" / "instruments" / "pam_demo.yml").read_text()
    assert "NOT the PAM-13" in text and "not for clinical use" in text.lower()
    assert all(len(item.text) <= 160 and item.why for item in PAM.items), "one SMS each"


@pytest.mark.parametrize(
    ("values", "raw", "activation", "expected_level"),
    [
        ((3,) * 13, 39, 66.7, 3),  # agree with everything
        ((4,) * 13, 52, 100.0, 4),
        ((1,) * 13, 13, 0.0, 1),
        ((2,) * 13, 26, 33.3, 1),
        # Ten answered (mean 3.5), three not applicable: 3.5 x 13 = 45.5, rounded up to 46.
        ((4, 4, 4, 4, 4, 3, 3, 3, 3, 3) + (NOT_APPLICABLE,) * 3, 46, 84.6, 4),
        # Mean 2.6 over ten, one skipped and two not applicable: 33.8 -> 34.
        ((3, 3, 3, 3, 3, 3, 2, 2, 2, 2, None, NOT_APPLICABLE, NOT_APPLICABLE), 34, 53.8, 2),
    ],
)
def test_activation_worked_examples(
    values: tuple, raw: int, activation: float, expected_level: int
) -> None:
    result = score(PAM, answers(*values), CUTS)
    assert (result.raw, result.score, result.level) == (raw, activation, expected_level)


def test_too_few_answers_are_not_scored() -> None:
    with pytest.raises(NotEnoughAnswers):
        score(PAM, answers(*(3,) * 9, NOT_APPLICABLE, NOT_APPLICABLE, None, None), CUTS)
    with pytest.raises(InstrumentError):
        score(PAM, {"not_an_item": 3}, CUTS)


@pytest.mark.parametrize(
    ("activation", "expected"),
    [(0.0, 1), (47.0, 1), (47.1, 2), (55.1, 2), (55.2, 3), (67.0, 3), (67.1, 4), (100.0, 4)],
)
def test_level_cut_points(activation: float, expected: int) -> None:
    assert level(activation, CUTS) == expected


def test_cut_points_are_configuration_and_checked() -> None:
    assert CUTS == (47.0, 55.1, 67.0)
    assert level(50.0, cutpoints("40,50,60")) == 2
    for bad in ("47,55", "60,50,70", "a,b,c"):
        with pytest.raises((InstrumentError, ValueError)):
            cutpoints(bad)


def test_free_text_answers_are_in_the_data() -> None:
    assert PAM.synonyms["agree strongly"] == 4 and PAM.synonyms["yes definitely"] == 4
    assert PAM.synonyms["strongly disagree"] == 1 and PAM.synonyms["n/a"] == NOT_APPLICABLE
    assert PAM.not_applicable_reply == 5


@pytest.mark.parametrize(
    ("values", "total", "flagged"),
    [((1, 1, 1, 1), 4, False), ((1, 1, 1, 0), 3, True), ((0, 0, 0, 0), 0, True)],
)
def test_sure_worked_examples(values: tuple[int, ...], total: int, flagged: bool) -> None:
    result = score(SURE, {item.id: v for item, v in zip(SURE.items, values, strict=True)})
    assert (result.score, result.flagged, result.level) == (total, flagged, None)


def test_sure_needs_all_four() -> None:
    with pytest.raises(NotEnoughAnswers):
        score(SURE, {item.id: 1 for item in SURE.items[:3]})


def test_a_licensed_file_with_the_same_structure_is_used_as_given(tmp_path: Path) -> None:
    data = yaml.safe_load((REPO_ROOT / "data" / "instruments" / "pam_demo.yml").read_text())
    data.update(id="pam13_licensed", demonstration=False)
    data["conversion"] = {"table": {raw: float(raw) for raw in range(13, 53)}}
    licensed = tmp_path / "pam13.yml"
    licensed.write_text(yaml.safe_dump(data))
    instrument = load(licensed)
    assert instrument.demonstration is False
    assert score(instrument, {i.id: 3 for i in instrument.items}, CUTS).score == 39.0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("items"), "'items' is missing"),
        (lambda d: d["conversion"]["table"].pop(30), "lacks raw scores [30]"),
        (lambda d: d.update(min_answered=20), "min_answered"),
    ],
)
def test_a_broken_instrument_file_is_refused_with_a_reason(
    tmp_path: Path, change: object, message: str
) -> None:
    data = yaml.safe_load((REPO_ROOT / "data" / "instruments" / "pam_demo.yml").read_text())
    change(data)  # type: ignore[operator]
    broken = tmp_path / "broken.yml"
    broken.write_text(yaml.safe_dump(data))
    with pytest.raises(InstrumentError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load(broken)
