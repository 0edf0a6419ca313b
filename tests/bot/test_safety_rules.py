"""The safety rules engine against labelled sets kept as data, and its context rules one by one."""

from pathlib import Path

import pytest

from bot.nlu.safety_rules import SEVERITY_RANK, load_rules, normalise

EVAL = Path(__file__).resolve().parents[2] / "data" / "safety" / "eval"


def labelled(name: str) -> list[tuple[str, str, str]]:
    rows = []
    for line in (EVAL / name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            severity, category, text = line.split("\t")
            rows.append((severity, category, text))
    return rows


# Tuning rows where the detector errs on the safe side (a flag on a calm message) and a rule to
# fix it would risk missing real concerns. Each is a known false alarm, kept visible here.
ACCEPTED_OVERCALLS = {
    # "never had one since" is in another clause; clearing across clauses could hide a new fit.
    "had a fit at 17 after a night out, never had one since, do i need to tell DVLA",
    # Laughter does not clear a symptom: someone in danger may still joke.
    "cant breathe \U0001f602\U0001f602 the dogs wearing a jumper",
    # A general question; a rule to clear "would ... always" questions could clear real alarms.
    "would anaphylaxis always show up as a rash?",
    # A denial more than five words before "hurt myself": a wider negation window would clear
    # real concerns ("not sure but I think he's having a stroke").
    "I'll be honest, I'm not in that dark place where I'd hurt myself, I just miss my husband",
    # A hypothetical reaches six words forward: further on, a concern is read as real ("should I
    # ring 111, what would I do if ... he's collapsed" must not be cleared).
    "How would I know if Mum was getting one of those water infections that make you muddled?",
}


def tuning_rows() -> list[tuple[str, str, str]]:
    return [row for path in sorted(EVAL.glob("tuning*.tsv")) for row in labelled(path.name)]


@pytest.mark.parametrize(("severity", "category", "text"), tuning_rows())
def test_tuning_examples_get_the_safe_answer(severity: str, category: str, text: str) -> None:
    """Every row the lexicon was tuned on: an emergency is an emergency, an urgent concern is
    flagged at least urgent, a calm message raises no alarm, and a suicide or self-harm mention is
    never cleared. (The held-out set is measured by `make bench-safety`, never tuned to pass.)"""
    result = load_rules().detect(text)
    got = SEVERITY_RANK[result["severity"]]
    if severity == "emergency":
        assert result["severity"] == "emergency", result
    elif severity == "urgent":
        assert got >= SEVERITY_RANK["urgent"], result
    elif text not in ACCEPTED_OVERCALLS:
        assert got < SEVERITY_RANK["urgent"], result
    if category == "suicide_self_harm":
        assert "suicide_self_harm" in [c["category"] for c in result["concerns"]], result


def test_every_category_is_in_the_lexicon() -> None:
    categories = {e.category for e in load_rules().entries}
    assert categories == {
        "suicide_self_harm",
        "chest_pain",
        "stroke",
        "breathing",
        "collapse",
        "fall",
        "bleeding",
        "seizure",
        "allergic_reaction",
        "overdose_medication",
        "safeguarding",
        "carer_crisis",
        "confusion",
        "mental_distress",
    }


def test_output_matches_the_contract() -> None:
    result = load_rules().detect("crushing pain in my chest")
    assert result["severity"] == "emergency"
    [concern] = result["concerns"]
    assert concern == {
        "category": "chest_pain",
        "severity": "emergency",
        "text": "crushing pain in my chest",
        "experiencer": "patient",
        "negated": False,
        "source": "lexicon",
    }
    assert result["severity"] == max(
        (c["severity"] for c in result["concerns"]), key=SEVERITY_RANK.__getitem__
    )


@pytest.mark.parametrize(
    "text", ["I'm not suicidal", "i would never kill myself", "what if I wanted to kill myself"]
)
def test_negation_never_silently_clears_suicide(text: str) -> None:
    result = load_rules().detect(text)
    assert result["severity"] == "routine"
    assert result["concerns"][0]["category"] == "suicide_self_harm"


def test_negation_is_marked_and_lowers_other_concerns() -> None:
    result = load_rules().detect("no chest pain today")
    assert result["severity"] == "none"
    assert result["concerns"][0]["negated"] is True


def test_a_carer_report_is_about_someone_else() -> None:
    [concern] = load_rules().detect("mum fell and can't get up")["concerns"]
    assert concern["experiencer"] == "other"
    assert concern["category"] == "fall"


def test_a_later_clause_is_not_negated_by_an_earlier_one() -> None:
    assert (
        load_rules().detect("I'm not sure what happened, he collapsed")["severity"] == "emergency"
    )


@pytest.mark.parametrize(
    "text", ["I'm dying for a cuppa", "this weather is killing me", "I nearly died laughing"]
)
def test_idioms_are_not_concerns(text: str) -> None:
    assert load_rules().detect(text)["severity"] == "none"


def test_empty_and_odd_input() -> None:
    rules = load_rules()
    assert rules.detect("")["severity"] == "none"
    assert rules.detect("🙂🙂🙂")["severity"] == "none"
    assert rules.detect("x" * 5000)["severity"] == "none"
    assert normalise("I CAN’T breathe!!") == "i cant breathe"


def test_concern_text_is_in_the_writers_own_words() -> None:
    result = load_rules().detect("Dad's COLLAPSED, he won't wake up!")
    assert [c["text"] for c in result["concerns"]] == ["won't wake up"]
    shouted = load_rules().detect("I CAN’T BREATHE")
    assert [c["text"] for c in shouted["concerns"]] == ["CAN’T BREATHE"]


def test_the_quick_search_finds_exactly_what_the_word_bounded_pattern_finds() -> None:
    """`_Entry.finditer` drops the leading word boundary for speed and checks it by hand; on every
    tuning row (and words that hide a pattern inside them) it must give the same matches."""
    rules = load_rules()
    texts = [normalise(text) for _, _, text in tuning_rows()]
    texts += ["unconscious", "preoverdose overdose", "afall fall", "xcant breathe cant breathe"]
    for entry in rules.entries:
        for text in texts:
            expected = [(m.start(), m.end()) for m in entry.pattern.finditer(text)]
            assert [(m.start(), m.end()) for m in entry.finditer(text)] == expected, (
                entry.pattern.pattern,
                text,
            )


def test_a_pattern_never_matches_across_clauses() -> None:
    """Clauses are searched joined by new lines; a concern split by a full stop is two clauses."""
    rules = load_rules()
    assert rules.detect("i can not breathe")["severity"] == "emergency"
    assert rules.detect("i can. not breathe")["severity"] == "none"


def test_a_positive_screening_answer_is_a_disclosure_not_a_hypothetical() -> None:
    rules = load_rules()
    asked = "the questionnaire asks about being better off dead, what does it mean"
    answered = (
        "on the questionnaire I put nearly every day for the question about being better off dead"
    )
    assert rules.detect(asked)["severity"] in ("none", "routine")
    assert rules.detect(answered)["severity"] == "urgent"
    # The answer and the question in different sentences of one message (held-out X).
    split = "Q5 answer: nearly every day. (the one about being better off dead)"
    assert rules.detect(split)["severity"] == "urgent"
    # A denial still holds: suicide is never cleared below routine, and is not raised.
    denied = "Q4: nearly every day. Q9 (being better off dead): not at all"
    assert rules.detect(denied)["severity"] == "routine"
    # A positive answer after the question belongs to other questions.
    others = "I put 'not at all' for the one about being better off dead, the rest 'several days'"
    assert rules.detect(others)["severity"] == "routine"


@pytest.mark.parametrize(
    "text",
    [
        # Found by a safety review: context triggers and idioms that once cleared these.
        "my son aged 4 is struggling to breathe and his lips are going blue",
        "her face has dropped and her speech has gone completely",
        "i have my scan in march and i am bleeding heavily",
        "he was seizure free and now hes been shaking on the floor for 10 minutes",
        "her oxygen sats are in the 80s and her lips are going blue",
        "im doing first aid on my dad he is not breathing",
        "i was writing in my diary and now i cant breathe",
        "the 111 lady asked about his breathing he cant breathe",
        "is that normal he cant breathe and his lips are blue",
        "my husband collapsed onto the bed",
        "mum collapsed in a heap in the kitchen",
        "i have taken my whole prescription of 56 tablets",
        "watched casualty and then my dad collapsed",
        # Found by the second review: hypotheticals reaching too far, history, idioms.
        "should i call an ambulance shes not breathing",
        "how long will the ambulance be hes not breathing",
        "can i have an ambulance my dad has collapsed",
        "sorry to bother you if you get a min my dad has collapsed",
        "it feels as if my chest is being crushed",
        "not sure if its serious my chest is crushing",
        "im in my sixties and having chest pain and sweating",
        "Dad has collapsed in the summer house",
        "his sats are in the eighties and his lips are blue",
        "Her last fit was 5 minutes ago and she's having another one",
        "my chest is killing me",
        "banged his head and keeps falling asleep",
        "had a stroke last year face drooping again today",
    ],
)
def test_context_words_never_clear_an_emergency_happening_now(text: str) -> None:
    assert load_rules().detect(text)["severity"] == "emergency"


@pytest.mark.parametrize(
    "pattern", [r"chest\s+pain", r"[^a]bc", r"^pain", r"(?<=my )chest", r"(x)?"]
)
def test_the_lexicon_refuses_patterns_the_fast_search_cannot_honour(pattern: str) -> None:
    from bot.nlu.safety_rules import SafetyRules

    lexicon = {
        "concerns": [{"category": "chest_pain", "severity": "urgent", "patterns": [pattern]}],
        "context": {"negation_window": 5, "negation": [], "hypothetical": [], "historical": []},
        "idioms": [],
        "spellings": {},
    }
    with pytest.raises(ValueError):
        SafetyRules(lexicon)


@pytest.mark.parametrize(
    "text",
    [
        # Found by the second review: a denial or "used to" that is really a comparison.
        "I haven't had chest pain like this in years",
        "im not used to being this breathless",
        "he had fits as a child and he's fitting now on the floor",
    ],
)
def test_a_comparison_with_the_past_is_not_a_denial(text: str) -> None:
    assert SEVERITY_RANK[load_rules().detect(text)["severity"]] >= SEVERITY_RANK["urgent"]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("chest (pain|ache)", ("chest ",)),
        ("(cant|cannot) breathe", (" breathe",)),
        (r"(\w+ ){0,3}falls?", ("fall",)),
        ("(overdose|tablets)", ("overdose", "tablets")),
        ("(a|)b", ("b",)),
        (r"\d+ tablets", (" tablets",)),
        (r"(\w+ )?", ()),
    ],
)
def test_required_literals(pattern: str, expected: tuple[str, ...]) -> None:
    from bot.nlu.safety_rules import required_literals

    assert required_literals(pattern) == expected


def test_no_text_matches_a_pattern_without_one_of_its_required_strings() -> None:
    """The substring gate in front of every search may skip an entry only when it cannot match."""
    rules = load_rules()
    texts = [normalise(text) for _, _, text in tuning_rows()]
    texts += ["od on pills", "ive od", "fell", "kms", "cant breathe"]
    gated = [entry for entry in rules.entries if entry.gate]
    assert len(gated) > 0.9 * len(rules.entries)
    for entry in gated:
        for text in texts:
            if entry.pattern.search(text):
                assert any(literal in text for literal in entry.gate), (entry.pattern, text)


@pytest.mark.parametrize(
    ("text", "severity"),
    [
        # An age is history; a clock time is not ("at 14 30" is what "14:30" normalises to).
        ("had one seizure at 19 after a night out, never had another since", "none"),
        ("my dad had a heart attack at the age of 60 so can I have a cholesterol check", "none"),
        ("she had a seizure at 14:30 and she's still drowsy", "emergency"),
        ("mum was found collapsed at 80 years old she lives alone", "emergency"),
        # "again" is a recurrence: it undoes a historical reading, not a hypothetical one.
        ("had a stroke years ago and my face is drooping again", "emergency"),
        ("If I get chest pain again after the stent, do I ring 999 or the surgery?", "none"),
        # A story or programme about someone is not a disclosure.
        ("watched a programme about a man who collapsed at a marathon", "none"),
    ],
)
def test_age_recurrence_and_stories(text: str, severity: str) -> None:
    assert load_rules().detect(text)["severity"] == severity


@pytest.mark.parametrize(
    "text",
    [
        # Numbers that are not ages, and context that only looks like history or a story.
        "started bleeding heavily at 16 weeks pregnant",
        "had crushing chest pain at 20 past 3 and it is still there",
        "my son was at play with friends and collapsed",
        "my dad had a heart attack and it runs in the family",
        "I've taken the lot, they're all gone now",
    ],
)
def test_history_and_story_triggers_stay_narrow(text: str) -> None:
    assert SEVERITY_RANK[load_rules().detect(text)["severity"]] >= SEVERITY_RANK["urgent"]


@pytest.mark.parametrize(
    "text",
    [
        # Found by the third safety review (of the age, recurrence, healing and story rules).
        "should i ring 999 he has collapsed again",
        "do i need to call 999 my chest pain is back again",
        "she's showing signs of a stroke again her face has dropped",
        "she had an episode where she stopped breathing and went blue",
        "sats were at 88 and she is struggling to breathe",
        "I had a heart attack at 52 and I have crushing chest pain",
        "her speech has completely gone and her face has dropped",
        "the wound was healing fine until it started bleeding and wont stop",
        "dad collapsed when he was 10 minutes into his walk and isnt waking up",
        "I watched a programme about strokes and my husband's face is drooping",
        "I have never had another pain like this crushing chest pain",
        "gave him 10 puffs of his blue inhaler and he is not breathing any better",
        "he's been seizure free 2 years and has had a fit that wont stop",
        "had a stent 6 mths ago and I have crushing chest pain and sweating",
        "I cant keep myself safe tonight",
    ],
)
def test_third_review_emergencies(text: str) -> None:
    assert load_rules().detect(text)["severity"] == "emergency"


@pytest.mark.parametrize(
    "text",
    [
        "they changed to 10 instead of 1 and she has had ten times her dose of warfarin",
        "I slipped up with her dose and gave her double",
        "Dad got lost driving home today on a route hes done for 20 years",
        "mum put the kettle in the fridge, totally out of character, she was fine this morning",
        "she told a story about her uncle touching her",
    ],
)
def test_third_review_urgent(text: str) -> None:
    assert SEVERITY_RANK[load_rules().detect(text)["severity"]] >= SEVERITY_RANK["urgent"]


@pytest.mark.parametrize(
    "text",
    [
        "had a fit at 17 and it has never come back",
        "dad had a heart attack at 55 and has been fine since",
        "should i worry if he has a fit again",
        "pharmacy changed the pack to 56 instead of 28",
        "the rash has completely gone now",
    ],
)
def test_third_review_calm_stays_calm(text: str) -> None:
    assert load_rules().detect(text)["severity"] == "none"


# Held-out O, retired after it was measured: its misses and false alarms, and the readings a
# careless version of each new rule would have cleared.
@pytest.mark.parametrize(
    ("text", "severity"),
    [
        ("I took what was left of the box with my codeine about an hour ago", "emergency"),
        ("lol well the paracetamol didnt work as fast as i thought. been 3 hrs", "emergency"),
        ("took the rest of the box of co codamol", "emergency"),
        ("Q3 took 20 paracetamol", "emergency"),
        ("q9 yes im thinking of ending it tonight", "emergency"),
        ("is it normal to feel a bit breathless and my lips are going blue", "emergency"),
        ("our dog had a fit and knocked mum over and she is not breathing", "emergency"),
        ("someone has collapsed outside the surgery please help", "emergency"),
        ("she stopped cutting but tonight she has cut deep again", "emergency"),
        ("read in the paper about sepsis and now my son is floppy with a rash", "emergency"),
        ("dark joke incoming but if a bus hit me tomorrow id honestly be relieved", "urgent"),
        ("what is the point in me being here anymore. I am just a burden on my daughter", "urgent"),
        (
            "the man from the agency keeps asking for my bank card, the change never comes back",
            "urgent",
        ),
        ("ran out of my clozapine 3 days ago, the pharmacy couldn't get it in", "urgent"),
        ("is it normal to be bleeding this much after a smear", "urgent"),
        ("the dog had a fit and mum has had a stroke", "urgent"),
        ("my cat had a seizure and now i want to end it all", "urgent"),
        ("hes stopped self harming thank god, been 6 months now", "routine"),
        ("Q9 thoughts you'd be better off dead or of hurting yourself: not at all", "routine"),
        ("our dog had a seizure last week, vet has sorted it", "none"),
        ("my hamster had a fit last night and died bless him", "none"),
        ("someone took an overdose on EastEnders tonight, glad it's only telly", "none"),
        ("Read in the paper about a lad who collapsed at football", "none"),
        ("the hospital car park is bleeding us dry haha", "none"),
        ("Is it normal to get a bit breathless when running? Just started couch to 5k", "none"),
        ("what number do I ring out of hours if I'm ever in crisis?", "none"),
        ("I have had a stroke in 2019 so can I have the flu jab", "none"),
    ],
)
def test_held_out_o_round(text: str, severity: str) -> None:
    assert load_rules().detect(text)["severity"] == severity


# Held-out P, retired after it was measured: its misses and false alarms, and readings a
# careless version of each new rule would have cleared.
@pytest.mark.parametrize(
    ("text", "severity"),
    [
        ("wish the good lord would take me im no use to anybody now", "urgent"),
        ("dad keeps saying he's had enough and asking me to take him to Switzerland", "urgent"),
        ("I'm going in for my operation on Thursday and there is nobody to have him", "urgent"),
        ("knackered and puffed just getting up the stairs now, never used to be", "urgent"),
        ("went arse over tit off the trailer this morning, wrist's up like a balloon", "urgent"),
        ("bitten by summat, leg's swelling and red, creeping up past me knee", "urgent"),
        ("GTN used 3 times this week, normally once a month", "urgent"),
        ("I'm bipolar and I can feel myself going up, no sleep for 2 nights", "urgent"),
        ("he was knocked out tonight and is confused", "urgent"),
        ("he took all his tablets an hour ago and wont wake up", "emergency"),
        ("i am frightened he will die, he has collapsed and isnt breathing", "emergency"),
        ("family history of heart disease and I have crushing chest pain now", "emergency"),
        ("fine for 20 years and now crushing chest pain", "emergency"),
        (
            "the question regarding chest pain, yes I have crushing chest pain right now",
            "emergency",
        ),
        ("Last seizure was 2019 but hes fitting now and wont stop", "emergency"),
        ("she took all her tablets fine and then took the whole box", "emergency"),
        ("dad died of a heart attack at 60 and now I have crushing chest pain", "emergency"),
        ("dad died of a heart attack at 60 and mum has collapsed and isnt breathing", "emergency"),
        ("grandad died of a stroke in 1990 and dad's face has dropped", "emergency"),
        ("fine for 20 years and his face has dropped", "emergency"),
        ("family history of stroke and his face is drooping", "emergency"),
        ("Dear Sir, I note the question regarding falls. I have had no falls this year.", "none"),
        ("he took all his tablets fine today, no missed doses", "none"),
        ("for the family history bit, his dad died of a heart attack at 60", "none"),
        ("knocked out cold boxing at 19, fine for 20 year since", "none"),
        ("my Libre sensor fell off in the shower, can I get an extra one", "none"),
        ("Last seizure was 2019 and the DVLA gave me my licence back", "none"),
    ],
)
def test_held_out_p_round(text: str, severity: str) -> None:
    assert load_rules().detect(text)["severity"] == severity
