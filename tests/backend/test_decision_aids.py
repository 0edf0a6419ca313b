"""Every shipped decision aid meets what a machine can check of the IPDAS qualifying criteria and
the SMS rules; a broken file is refused with the reason."""

from pathlib import Path

import pytest
import yaml

from backend.app.services.decision_aids import FOLDER, DecisionAidError, load, load_all


def test_the_shipped_decision_aids_load_and_are_marked_for_clinical_review() -> None:
    aids = load_all()
    assert set(aids) == {"knee_osteoarthritis", "care_after_hospital"}
    for aid in aids.values():
        assert "needs clinical review" in aid.data["status"]
        assert aid.data["denominator"] == 100
        assert len(aid.options) >= 3
        assert aid.data["ask_3_questions"][0] == "What are my options?"


def test_doing_nothing_different_is_an_option_where_it_is_one() -> None:
    knee = load_all()["knee_osteoarthritis"]
    assert any(o["id"] == "carry_on_as_now" for o in knee.options)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda d: d.pop("decision"), "'decision' is missing"),
        (lambda d: d["options"][0]["downsides"].pop(), "equal number"),
        (lambda d: d["options"][0]["probabilities"][0].update(people=140), "out of 100"),
        (lambda d: d["options"][0].update(summary="x" * 301), "at most 300"),
        (lambda d: d["options"][0].update(summary="Text STOP to leave"), "carrier keyword"),
        (lambda d: d["options"][0].update(summary="It’s fine"), "GSM-7"),
        (lambda d: d.update(status="final"), "clinical review"),
        (lambda d: d.update(options=d["options"][:1]), "at least two options"),
    ],
)
def test_a_broken_decision_aid_is_refused_with_the_reason(
    tmp_path: Path, change: object, reason: str
) -> None:
    data = yaml.safe_load((FOLDER / "knee_osteoarthritis.yml").read_text(encoding="utf-8"))
    change(data)  # type: ignore[operator]
    broken = tmp_path / "knee_osteoarthritis.yml"
    broken.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DecisionAidError, match=reason):
        load(broken)
