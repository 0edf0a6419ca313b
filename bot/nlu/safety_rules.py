"""The safety detector's rules engine: lexicon matching plus context rules (negation, hypothetical,
historical, experiencer), in the manner of NegEx/ConText. Pure Python over a lexicon kept as data
(`data/safety/lexicon.yml`), so it can be tested and benchmarked on its own; the Rasa NLU component
wraps it and adds the `safety` property to every parse.

Clinical safety first: a negated, hypothetical or historical mention lowers a concern to `none`,
except a suicide or self-harm mention, which never drops below `routine`."""

import re
import sre_constants
import sre_parse
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

LEXICON = Path(__file__).resolve().parents[2] / "data" / "safety" / "lexicon.yml"
SEVERITY_RANK = {"none": 0, "routine": 1, "urgent": 2, "emergency": 3}
NEVER_CLEARED = {"suicide_self_harm"}
_CLAUSE_BREAK = re.compile(r"[.!?;,\n]+|\bbut\b", re.IGNORECASE)


_APOSTROPHES = {"'", "\u2019"}


def normalise_with_offsets(text: str) -> tuple[str, list[int]]:
    """Lower case, apostrophes dropped ("can't" -> "cant"), anything else that is not a-z or 0-9
    turned into one space; with, for each character kept, where it came from in `text`, so a match
    can be shown in the writer's own words."""
    chars: list[str] = []
    offsets: list[int] = []
    for index, char in enumerate(text):
        if char in _APOSTROPHES:
            continue
        lower = char.lower()
        if "a" <= lower <= "z" or "0" <= lower <= "9":
            chars.append(lower)
            offsets.append(index)
        elif chars and chars[-1] != " ":
            chars.append(" ")
            offsets.append(index)
    if chars and chars[-1] == " ":
        chars.pop()
        offsets.pop()
    return "".join(chars), offsets


def normalise(text: str) -> str:
    return normalise_with_offsets(text)[0]


def _words(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"\b(?:{pattern})\b")


@dataclass(frozen=True)
class Concern:
    category: str
    severity: str
    text: str
    experiencer: str  # "patient" (the writer) or "other"
    negated: bool
    hypothetical: bool = False
    historical: bool = False


# Concern patterns run over clauses joined by new lines, and without their leading word boundary
# (see `_Entry` and `SafetyRules._matches`). These constructs would cross a clause, or break the
# hand-made boundary check, so the lexicon may not use them.
_UNSAFE_IN_CONCERNS = re.compile(r"\\[sSWDB]|\[\^|(?<!\\)[\^$]|\(\?<=")


def _check_concern_pattern(pattern: str) -> None:
    if _UNSAFE_IN_CONCERNS.search(pattern) or re.fullmatch(pattern, "") is not None:
        raise ValueError(
            f"lexicon concern pattern not allowed (see _UNSAFE_IN_CONCERNS): {pattern}"
        )
    if not re.match(r"[(\w]", pattern):
        raise ValueError(f"lexicon concern pattern must start with a word or a group: {pattern}")


def required_literals(pattern: str) -> tuple[str, ...]:
    """Strings of which every match of `pattern` contains at least one ("chest (pain|ache)" ->
    ("chest ",)), or () when none can be worked out. A text holding none of them cannot match,
    so the detector skips the regex search: a plain substring test costs far less."""
    return tuple(sorted(_required(sre_parse.parse(pattern)) or ()))


def _required(items: Any) -> set[str] | None:
    candidates: list[set[str]] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            candidates.append({"".join(run)})
            run.clear()

    for op, av in items:
        if op is sre_constants.LITERAL:
            run.append(chr(av))
            continue
        flush()
        found: set[str] | None = None
        if op is sre_constants.SUBPATTERN:
            found = _required(av[-1])
        elif op is sre_constants.BRANCH:
            branches = [_required(branch) for branch in av[1]]
            if all(branches):
                found = set().union(*branches)  # type: ignore[arg-type]
        elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT) and av[0] >= 1:
            found = _required(av[2])
        if found:
            candidates.append(found)
    flush()
    # The most selective candidate: the one whose shortest string is longest.
    return max(candidates, key=lambda c: min(map(len, c)), default=None)


@dataclass(frozen=True)
class _Entry:
    category: str
    severity: str
    pattern: re.Pattern[str]
    # The same without its leading word boundary: Python's engine then skips quickly to the
    # characters a match can start with (about twice as fast); `_matches` checks the boundary.
    fast: re.Pattern[str]
    # A match needs one of these in the text (`required_literals`); () means always search.
    gate: tuple[str, ...] = ()

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """The matches `pattern.finditer` would give, found with `fast`."""
        position = 0
        while (match := self.fast.search(text, position)) is not None:
            start = match.start()
            if start > 0 and text[start - 1].isalnum():
                position = start + 1  # began inside a word: look again from the next character
                continue
            yield match
            position = max(match.end(), start + 1)


class SafetyRules:
    def __init__(self, lexicon: dict[str, Any]) -> None:
        for group in lexicon["concerns"]:
            for pattern in group["patterns"]:
                _check_concern_pattern(pattern)
        self.entries = [
            _Entry(
                group["category"],
                group["severity"],
                _words(p),
                re.compile(rf"(?:{p})\b"),
                required_literals(p),
            )
            for group in lexicon["concerns"]
            for p in group["patterns"]
        ]
        # Which entries each required string lets through (`required_literals`): a message's
        # present strings pick the few entries worth a regex search.
        self.always = [i for i, entry in enumerate(self.entries) if not entry.gate]
        self.gated: dict[str, list[int]] = {}
        for i, entry in enumerate(self.entries):
            for literal in entry.gate:
                self.gated.setdefault(literal, []).append(i)
        context = lexicon["context"]
        self.negation_window = int(context["negation_window"])
        self.negation = [_words(p) for p in context["negation"]]
        self.post_negation = [_words(p) for p in context.get("post_negation", [])]
        self.pseudo_negation = [_words(p) for p in context.get("pseudo_negation", [])]
        answer = context.get("answer_negation")
        self.answer_negation = re.compile(rf"^\s*(?:{answer})\s*$") if answer else None
        self.hypothetical = [_words(p) for p in context["hypothetical"]]
        # A hypothetical reaches only this many words forward, and never past a new subject
        # ("should I call an ambulance, she's not breathing"); some "if"s are not hypotheticals.
        self.hypothetical_window = int(context.get("hypothetical_window", 1000))
        self.scope_break = [_words(p) for p in context.get("scope_break", [])]
        self.not_hypothetical = [_words(p) for p in context.get("not_hypothetical", [])]
        self.conditional = [_words(p) for p in context.get("conditional", [])]
        self.positive_answer = [_words(p) for p in context.get("positive_answer", [])]
        self.current = [_words(p) for p in context.get("current", [])]
        self.recurrence = [_words(p) for p in context.get("recurrence", [])]
        self.historical = [_words(p) for p in context["historical"]]
        self.other = [_words(p) for p in context["other_experiencer"]]
        self.idioms = [_words(p) for p in lexicon["idioms"]]
        self.spellings: dict[str, str] = {
            k.lower(): v.lower() for k, v in (lexicon.get("spellings") or {}).items()
        }

    def _respell(self, clause: str, offsets: list[int]) -> tuple[str, list[int]]:
        """Text-speak and common misspellings to standard words ("rn" -> "right now"), each new
        character pointing at the original word."""
        if not self.spellings:
            return clause, offsets
        chars: list[str] = []
        where: list[int] = []
        start = 0
        for word in clause.split(" "):
            end = start + len(word)
            new = self.spellings.get(word, word)
            if chars:
                chars.append(" ")
                where.append(offsets[start - 1])
            chars.extend(new)
            where.extend(
                offsets[start] if i < len(new) - 1 else offsets[end - 1] for i in range(len(new))
            )
            start = end + 1
        return "".join(chars), where

    def _prepare(self, raw: str) -> tuple[str, list[int]]:
        """A clause normalised, respelled and with its idioms blanked out, keeping every other
        character where it was (offsets point into `raw`)."""
        clause, offsets = self._respell(*normalise_with_offsets(raw))
        for idiom in self.idioms:
            clause = idiom.sub(lambda m: " " * len(m.group(0)), clause)
        return clause, offsets

    def _matches(self, clauses: list[str]) -> list[list[tuple[_Entry, re.Match[str]]]]:
        """Every lexicon match, per clause. The clauses are searched as one text joined by new
        lines, which no pattern can cross (normalised text holds only a-z, 0-9 and spaces, and
        `.` stops at a new line): one search per pattern per message instead of per clause."""
        joined = "\n".join(clauses)
        starts = [0]
        for clause in clauses[:-1]:
            starts.append(starts[-1] + len(clause) + 1)
        found: list[list[tuple[_Entry, re.Match[str]]]] = [[] for _ in clauses]
        # Only entries with a required string in the text can match (about one in twenty).
        candidates = set(self.always)
        for literal, indexes in self.gated.items():
            if literal in joined:
                candidates.update(indexes)
        for i in sorted(candidates):
            entry = self.entries[i]
            for match in entry.finditer(joined):
                index = bisect_right(starts, match.start()) - 1
                found[index].append((entry, match))
        return found

    def _clause_concerns(
        self,
        raw: str,
        clause: str,
        offsets: list[int],
        at: int,
        matches: list[tuple[_Entry, re.Match[str]]],
        answered: bool,
    ) -> list[Concern]:
        if not matches:
            return []  # most clauses: no context to work out
        found: dict[tuple[str, int], Concern] = {}
        other = any(p.search(clause) for p in self.other)
        now = any(p.search(clause) for p in self.current)
        recurring = now or any(p.search(clause) for p in self.recurrence)
        historical = not recurring and any(p.search(clause) for p in self.historical)
        # `answered`: a positive answer to a screening question in this clause or the one before
        # (see `detect`) makes a mention a disclosure, not a hypothetical.
        for entry, match in matches:
            begin, finish = match.start() - at, match.end() - at
            before = clause[:begin]
            window = " ".join(before.split()[-self.negation_window :])
            for pseudo in self.pseudo_negation:
                window = pseudo.sub(" ", window)
            after = " ".join(clause[finish:].split()[:3])
            negated = (
                any(p.search(window) for p in self.negation)
                or any(p.search(after) for p in self.post_negation)
                or bool(self.answer_negation and self.answer_negation.match(clause[finish:]))
            )
            hypothetical = (
                not answered and not now and self._in_hypothetical(before, recurring=recurring)
            )
            severity = entry.severity
            if negated or hypothetical or historical:
                severity = "routine" if entry.category in NEVER_CLEARED else "none"
            key = (entry.category, begin)
            concern = Concern(
                category=entry.category,
                severity=severity,
                text=raw[offsets[begin] : offsets[finish - 1] + 1],
                experiencer="other" if other else "patient",
                negated=negated,
                hypothetical=hypothetical,
                historical=historical,
            )
            current = found.get(key)
            if current is None or SEVERITY_RANK[severity] > SEVERITY_RANK[current.severity]:
                found[key] = concern
        return list(found.values())

    def _in_hypothetical(self, before: str, *, recurring: bool = False) -> bool:
        """Whether a hypothetical trigger governs a concern that starts after `before`: a trigger
        within `hypothetical_window` words, with no new subject in between. In a clause about a
        recurrence only a true conditional counts ("should I ring 999, he's collapsed again")."""
        for pattern in self.not_hypothetical:
            before = pattern.sub(lambda m: " " * len(m.group(0)), before)
        for trigger in self.conditional if recurring else self.hypothetical:
            for match in trigger.finditer(before):
                between = before[match.end() :]
                if len(between.split()) > self.hypothetical_window:
                    continue
                if not any(p.search(between) for p in self.scope_break):
                    return True
        return False

    def _is_answer_no(self, raw_clause: str) -> bool:
        clause = normalise(raw_clause)
        return bool(clause) and clause in ("no", "none", "nope", "nah", "n", "never", "0")

    @staticmethod
    def _negate(concern: Concern) -> Concern:
        severity = "routine" if concern.category in NEVER_CLEARED else "none"
        return replace(concern, severity=severity, negated=True)

    def mentions_someone_else(self, text: str) -> bool:
        clean = normalise(text)
        return any(p.search(clean) for p in self.other)

    def detect(self, text: str) -> dict[str, Any]:
        """The contract's `safety` property: overall severity and the concerns behind it."""
        concerns: list[Concern] = []
        previous: list[Concern] = []
        raw_clauses = _CLAUSE_BREAK.split(text or "")
        prepared = [self._prepare(raw) for raw in raw_clauses]
        matches = self._matches([clause for clause, _ in prepared])
        # "I put 'nearly every day' for the question about being better off dead", or "Q5:
        # nearly every day. (the one about being better off dead)": a positive answer counts for
        # its own clause and the next, not the one before ("I put 'not at all' for the one about
        # being better off dead, the others were 'several days'").
        answers = [any(p.search(clause) for p in self.positive_answer) for clause, _ in prepared]
        at = 0
        for index, (raw_clause, (clause, offsets), clause_matches) in enumerate(
            zip(raw_clauses, prepared, matches, strict=True)
        ):
            start, at = at, at + len(clause) + 1
            if previous and self._is_answer_no(raw_clause):
                # "any bleeding? no": the answer negates the question just before it.
                concerns = concerns[: -len(previous)] + [self._negate(c) for c in previous]
                previous = []
                continue
            previous = self._clause_concerns(
                raw_clause,
                clause,
                offsets,
                start,
                clause_matches,
                answers[index] or (index > 0 and answers[index - 1]),
            )
            concerns.extend(previous)
        # One concern per category: the most severe mention.
        best: dict[str, Concern] = {}
        for concern in concerns:
            held = best.get(concern.category)
            # The most severe mention; on a tie, the longest (it says the most).
            if held is None or _rank(concern) > _rank(held):
                best[concern.category] = concern
        # Red flags add up: two distinct urgent concerns in one message are treated as an
        # emergency (e.g. a head injury and now drowsy; heavy bleeding and feeling faint).
        urgent = [c for c in best.values() if c.severity == "urgent"]
        if len(urgent) >= 2 and not any(c.severity == "emergency" for c in best.values()):
            for c in urgent:
                best[c.category] = replace(c, severity="emergency")
        kept = sorted(best.values(), key=lambda c: -SEVERITY_RANK[c.severity])
        severity = kept[0].severity if kept else "none"
        return {
            "severity": severity,
            "concerns": [
                {
                    **{
                        k: v
                        for k, v in asdict(c).items()
                        if k in ("category", "severity", "text", "experiencer", "negated")
                    },
                    "source": "lexicon",
                }
                for c in kept
                if c.severity != "none" or c.negated
            ],
        }


def _rank(concern: Concern) -> tuple[int, int]:
    return SEVERITY_RANK[concern.severity], len(concern.text)


@lru_cache
def load_rules(path: Path = LEXICON) -> SafetyRules:
    return SafetyRules(yaml.safe_load(path.read_text(encoding="utf-8")))
