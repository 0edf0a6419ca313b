"""The safety detector's second signal: a small statistical model (character and word n-grams,
logistic regression) trained on the labelled tuning and training messages, for phrasings the
lexicon has not met. It can only raise a message's severity, never lower it, so the lexicon's
context rules (a suicide mention is never cleared) still hold.

Thresholds were chosen on held-out set A (`data/safety/eval/heldout.tsv`, a validation set);
held-out set E (`heldout_e.tsv`) is the untouched test set. See README, "Figures", and
`data/safety/eval/LABELLING.md`."""

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_union

from bot.nlu.safety_rules import SEVERITY_RANK, SafetyRules, normalise

EVAL = Path(__file__).resolve().parents[2] / "data" / "safety" / "eval"
FLAG_THRESHOLD = 0.85
EMERGENCY_THRESHOLD = 0.7
_LEVELS = ("calm", "urgent", "emergency")
_EXCERPT = 200

Row = tuple[str, str, str]  # severity, category, text


def read_rows(path: Path) -> list[Row]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            severity, category, text = line.split("\t")
            rows.append((severity, category, text))
    return rows


def training_files(folder: Path = EVAL) -> list[Path]:
    """What the model learns from: the lexicon's tuning sets (`tuning*.tsv`) and sets kept for the
    model only (`training*.tsv`, including held-out sets retired after they were measured)."""
    return sorted([*folder.glob("tuning*.tsv"), *folder.glob("training*.tsv")])


def training_rows(folder: Path = EVAL) -> list[Row]:
    return [row for path in training_files(folder) for row in read_rows(path)]


def _vectoriser() -> Any:
    return make_union(
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2),
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
    )


@dataclass
class SafetyModel:
    vectoriser: Any  # fitted once, shared by both classifiers: one transform per message
    severity: LogisticRegression
    category: LogisticRegression
    flag_threshold: float = FLAG_THRESHOLD
    emergency_threshold: float = EMERGENCY_THRESHOLD

    @classmethod
    def fit(cls, rows: list[Row], **thresholds: float) -> "SafetyModel":
        texts = [normalise(text) for _, _, text in rows]
        vectoriser = _vectoriser().fit(texts)
        features = vectoriser.transform(texts)
        levels = [
            {"emergency": "emergency", "urgent": "urgent"}.get(sev, "calm") for sev, _, _ in rows
        ]
        severity = LogisticRegression(C=10, max_iter=3000, class_weight="balanced")
        severity.fit(features, levels)
        concern_rows = [i for i, (sev, _, _) in enumerate(rows) if sev != "none"]
        category = LogisticRegression(C=10, max_iter=3000)
        category.fit(features[concern_rows], [rows[i][1] for i in concern_rows])
        return cls(vectoriser, severity, category, **thresholds)

    def _features(self, clean: str) -> Any:
        """The union's features, built by hand: `FeatureUnion.transform` costs about half a
        millisecond more per message than its parts (the p95 target is 5 ms for the whole
        detector)."""
        parts = [step.transform([clean]) for _, step in self.vectoriser.transformer_list]
        return hstack(parts).tocsr()

    def predict(self, text: str) -> tuple[str, str] | None:
        """(severity, category) when the model is confident of a concern, else None. The category
        is only worked out for a concern (most messages have none)."""
        clean = normalise(text)
        if not clean:
            return None
        features = self._features(clean)
        probabilities = dict(
            zip(self.severity.classes_, self.severity.predict_proba(features)[0], strict=True)
        )
        if probabilities["emergency"] >= self.emergency_threshold:
            severity = "emergency"
        elif probabilities["emergency"] + probabilities["urgent"] >= self.flag_threshold:
            severity = "urgent"
        else:
            return None
        return severity, str(self.category.predict(features)[0])


def combine(
    result: dict[str, Any], text: str, model: SafetyModel | None, rules: SafetyRules
) -> dict[str, Any]:
    """Add the model's concern when it is more severe than anything the lexicon found."""
    if model is None or result["severity"] == "emergency":
        return result  # nothing to raise
    predicted = model.predict(text)
    if predicted is None or SEVERITY_RANK[predicted[0]] <= SEVERITY_RANK[result["severity"]]:
        return result
    severity, category = predicted
    excerpt = re.sub(r"\s+", " ", text).strip()[:_EXCERPT]
    concern = {
        "category": category,
        "severity": severity,
        "text": excerpt,
        "experiencer": "other" if rules.mentions_someone_else(text) else "patient",
        "negated": False,
        "source": "model",
    }
    others = [c for c in result["concerns"] if c["category"] != category]
    return {"severity": severity, "concerns": [concern, *others]}
