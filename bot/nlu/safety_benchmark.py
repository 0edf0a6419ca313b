"""Print the safety detector's figures on the project's labelled sets.

Run: `make bench-safety`. Flag recall: emergency and urgent messages flagged at least urgent.
Emergency recall: emergencies flagged emergency. Precision and false-alarm rate count a flag as
urgent or emergency; a false alarm is a flag on a message labelled routine or none. p95 is the
time per message of the whole detector (lexicon and model).

The model is trained here on the tuning and training files only, exactly as `rasa train` does.
Validation sets A, I and K (`validation_*.tsv`), with F, G and H before they joined training,
chose the model's thresholds; the current blind set is `heldout_*.tsv` and the targets apply to
it (README, "Tests and figures", has every round's first measurement). "lexicon" lines show the
rules alone, for comparison. `data/safety/eval/LABELLING.md` says how each set was made and used."""

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.nlu.safety_model import SafetyModel, combine, read_rows, training_rows
from bot.nlu.safety_rules import SEVERITY_RANK, load_rules

EVAL = Path(__file__).resolve().parents[2] / "data" / "safety" / "eval"
TARGETS = {"flag_recall": 0.98, "emergency_recall": 0.95, "false_alarm_rate": 0.05, "p95_ms": 5.0}

Detector = Callable[[str], dict[str, Any]]


def figures(rows: list[tuple[str, str, str]], detect: Detector) -> dict[str, float]:
    timings, predicted = [], []
    for _, _, text in rows:
        start = time.perf_counter()
        predicted.append(detect(text)["severity"])
        timings.append((time.perf_counter() - start) * 1000)
    flagged = [SEVERITY_RANK[p] >= SEVERITY_RANK["urgent"] for p in predicted]
    serious = [SEVERITY_RANK[s] >= SEVERITY_RANK["urgent"] for s, _, _ in rows]
    tp = sum(f and s for f, s in zip(flagged, serious, strict=True))
    emergencies = [p for (s, _, _), p in zip(rows, predicted, strict=True) if s == "emergency"]
    calm = sum(not s for s in serious)
    false_alarms = sum(f and not s for f, s in zip(flagged, serious, strict=True))
    return {
        "messages": len(rows),
        "flag_recall": tp / max(1, sum(serious)),
        "emergency_recall": sum(p == "emergency" for p in emergencies) / max(1, len(emergencies)),
        "precision": tp / max(1, sum(flagged)),
        "false_alarm_rate": false_alarms / max(1, calm),
        "p95_ms": statistics.quantiles(timings, n=20)[-1] if len(timings) > 1 else timings[0],
    }


def meets(f: dict[str, float]) -> bool:
    return (
        f["flag_recall"] >= TARGETS["flag_recall"]
        and f["emergency_recall"] >= TARGETS["emergency_recall"]
        and f["false_alarm_rate"] <= TARGETS["false_alarm_rate"]
        and f["p95_ms"] <= TARGETS["p95_ms"]
    )


def main() -> int:
    rules = load_rules()
    model = SafetyModel.fit(training_rows(EVAL))
    detectors: dict[str, Detector] = {
        "lexicon": rules.detect,
        "detector": lambda text: combine(rules.detect(text), text, model, rules),
    }
    validation = {path.stem: read_rows(path) for path in sorted(EVAL.glob("validation*.tsv"))}
    held_out = {path.stem: read_rows(path) for path in sorted(EVAL.glob("heldout*.tsv"))}
    sets = {"training": training_rows(EVAL), **validation, **held_out}
    if held_out:
        sets["held-out"] = [row for rows in held_out.values() for row in rows]
    else:
        print("no held-out set (data/safety/eval/heldout_*.tsv): write a new blind one first")
    print(
        f"targets on held-out: flag_recall>={TARGETS['flag_recall']} "
        f"emergency_recall>={TARGETS['emergency_recall']} "
        f"false_alarm_rate<={TARGETS['false_alarm_rate']} p95<={TARGETS['p95_ms']}ms"
    )
    for detector_name, detect in detectors.items():
        for name, rows in sets.items():
            f = figures(rows, detect)
            print(
                f"{detector_name:<8} {name:<12} n={f['messages']:<4} "
                f"flag_recall={f['flag_recall']:.3f} "
                f"emergency_recall={f['emergency_recall']:.3f} precision={f['precision']:.3f} "
                f"false_alarm_rate={f['false_alarm_rate']:.3f} p95={f['p95_ms']:.2f}ms "
                f"targets_met={'yes' if meets(f) else 'NO'}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
