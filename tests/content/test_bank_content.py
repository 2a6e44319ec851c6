"""Acceptance tests of the valvuloplasty bank (fixtures/valvuloplasty/), no database.

They read the fixtures the way ``manage.py load_bank`` does (quizzes.interop.json) and check
the blueprint (coverage of objectives, topics, types and Bloom levels), the shape and
completeness of every item, the item linter, and a few accuracy guards that keep the
corrections of the source text (factsheet section 3) from being taught back. Each failure
lists the offending item ids so the writers can fix them.

docs/content-guide.md holds a generated table of counts; ``test_guide_counts_table_is_current``
keeps it in step with the fixtures and prints the replacement table when it is not.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from quizzes import linter
from quizzes.interop.drafts import (
    BLOOM_LEVELS,
    CHOICE_TYPES,
    DIFFICULTY_TO_B,
    QUESTION_TYPES,
    BankDraft,
    QuestionDraft,
    question_from_dict,
    topic_paths,
    validate_payload,
)
from quizzes.interop.json import read_bank_dir

ROOT = Path(__file__).resolve().parents[2]
BANK_DIR = ROOT / "fixtures" / "valvuloplasty"
GUIDE = ROOT / "docs" / "content-guide.md"

MIN_PUBLISHED_ITEMS = 150
MIN_ITEMS_PER_OBJECTIVE = 3
MIN_ITEMS_PER_ROOT_TOPIC = 20
MIN_ITEMS_PER_NON_SINGLE_TYPE = 10
MIN_SINGLE_SHARE = 0.60
MIN_APPLY_ANALYSE_SHARE = 0.40
REQUIRED_BLOOM_LEVELS = ("remember", "understand", "apply", "analyse")
VIGNETTE_MIN_CHARS = 120  # the shortest fact-sheet example vignette (item 2) has ~200
ITEM_ID = re.compile(r"^BV-(\d{3}|[A-Z]{3}-\d{3})$")
# A source cites the source text's sentences S1..S12, a fact-sheet section (an objective id
# such as M4, or a correction C1..C15) or a register entry (R1..R62, R33b ...).
SOURCE_CITATION = re.compile(r"\b(S(1[0-2]|[1-9])|C(1[0-5]|[1-9])|[MIRAP]\d{1,2}[a-d]?)\b")

GUIDE_BEGIN = "<!-- BEGIN GENERATED COUNTS: tests/content/test_bank_content.py -->"
GUIDE_END = "<!-- END GENERATED COUNTS -->"


@pytest.fixture(scope="module")
def bank() -> BankDraft:
    return read_bank_dir(BANK_DIR)


@pytest.fixture(scope="module")
def published(bank: BankDraft) -> list[QuestionDraft]:
    return [q for q in bank.questions if q.status == "published"]


def root_topic(question: QuestionDraft) -> str:
    return question.topic.split("/", 1)[0]


def listing(problems: list[str]) -> str:
    return f"{len(problems)} problem(s):\n" + "\n".join(problems)


# -- blueprint ------------------------------------------------------------------------------


def test_published_item_count(published: list[QuestionDraft]) -> None:
    count = len(published)
    assert count >= MIN_PUBLISHED_ITEMS, f"{count} published items, {MIN_PUBLISHED_ITEMS} needed"


def test_every_objective_is_cited_by_three_items(
    bank: BankDraft, published: list[QuestionDraft]
) -> None:
    assert len(bank.objectives) == 30
    cited = Counter(objective for q in published for objective in set(q.objectives))
    short = [
        f"{o.id}: {cited[o.id]} item(s)"
        for o in bank.objectives
        if cited[o.id] < MIN_ITEMS_PER_OBJECTIVE
    ]
    assert not short, listing(short)


def test_every_root_topic_has_twenty_items(bank: BankDraft, published: list[QuestionDraft]) -> None:
    counts = Counter(root_topic(q) for q in published)
    short = [
        f"{t.slug}: {counts[t.slug]} item(s)"
        for t in bank.topics
        if counts[t.slug] < MIN_ITEMS_PER_ROOT_TOPIC
    ]
    assert [t.slug for t in bank.topics] == [
        "mechanism",
        "indications",
        "risks",
        "alternatives",
        "advantages-selection",
    ]
    assert not short, listing(short)


def test_type_mix(published: list[QuestionDraft]) -> None:
    counts = Counter(q.type for q in published)
    short = [
        f"{kind}: {counts[kind]} item(s)"
        for kind in QUESTION_TYPES
        if kind != "single" and counts[kind] < MIN_ITEMS_PER_NON_SINGLE_TYPE
    ]
    assert counts["single"] > 0, "no single-best-answer items"
    assert not short, listing(short)
    share = counts["single"] / len(published)
    assert share >= MIN_SINGLE_SHARE, f"single share {share:.0%} ({counts['single']})"


def test_bloom_mix(published: list[QuestionDraft]) -> None:
    counts = Counter(q.bloom for q in published)
    missing = [level for level in REQUIRED_BLOOM_LEVELS if counts[level] == 0]
    assert not missing, f"no items at Bloom level(s): {', '.join(missing)}"
    higher = counts["apply"] + counts["analyse"]
    share = higher / len(published)
    assert share >= MIN_APPLY_ANALYSE_SHARE, f"apply+analyse share {share:.0%} ({higher})"


# -- every item -----------------------------------------------------------------------------


def test_single_items_are_nbme_shaped(published: list[QuestionDraft]) -> None:
    problems: list[str] = []
    for q in published:
        if q.type != "single":
            continue
        if len(q.options) != linter.NBME_OPTION_COUNT:
            problems.append(f"{q.id}: {len(q.options)} options, not five")
        if len(q.stem.strip()) < VIGNETTE_MIN_CHARS:
            problems.append(f"{q.id}: stem is not a vignette ({len(q.stem.strip())} chars)")
        if not q.lead_in.strip().endswith("?"):
            problems.append(f"{q.id}: lead_in does not end in '?'")
    assert not problems, listing(problems)


def item_problems(question: QuestionDraft, *, bank: BankDraft) -> list[str]:
    """What keeps one item from being complete, each as "<id>: <problem>"."""
    objective_ids = {o.id for o in bank.objectives}
    topics = set(topic_paths(bank.topics))
    q = question
    found = [f"payload: {error}" for error in validate_payload(q)]
    if not q.objectives:
        found.append("no objective")
    found += [f"unknown objective {o}" for o in q.objectives if o not in objective_ids]
    if q.topic not in topics:
        found.append(f"unknown topic {q.topic!r}")
    if q.bloom not in BLOOM_LEVELS:
        found.append(f"bloom {q.bloom!r}")
    if q.difficulty not in DIFFICULTY_TO_B:
        found.append(f"difficulty {q.difficulty!r}")
    if not SOURCE_CITATION.search(q.source):
        found.append(f"source {q.source!r} cites no S1-S12, fact-sheet section or register id")
    if len(q.explanation.strip()) < linter.EXPLANATION_MIN_CHARS:
        found.append("no substantive explanation")
    if q.type in CHOICE_TYPES:
        missing = [o.id for o in q.options if not o.feedback.strip()]
        if missing:
            found.append(f"options without feedback: {', '.join(missing)}")
    if not [tag for tag in q.tags if tag.strip()]:
        found.append("no tags")
    return [f"{q.id}: {problem}" for problem in found]


def test_every_item_is_complete(bank: BankDraft) -> None:
    problems = [p for q in bank.questions for p in item_problems(q, bank=bank)]
    assert not problems, listing(problems)


def test_ids_are_unique_and_well_formed(bank: BankDraft) -> None:
    ids = [q.id for q in bank.questions]
    duplicated = sorted(i for i, n in Counter(ids).items() if n > 1)
    malformed = sorted(i for i in ids if not ITEM_ID.match(i))
    assert not duplicated, f"duplicate ids: {', '.join(duplicated)}"
    assert not malformed, f"ids not matching {ITEM_ID.pattern}: {', '.join(malformed)}"


def test_linter_finds_no_unexcepted_errors(bank: BankDraft) -> None:
    blocking = linter.blocking_by_item(linter.lint_bank(bank.questions))
    problems = [
        f"{item_id}: {f.rule}: {f.message}" for item_id, found in blocking.items() for f in found
    ]
    assert not problems, listing(problems)


# -- accuracy guards (factsheet section 3, corrections C1..C15) ------------------------------
#
# Each guard looks at what an item teaches as true: its key (options with positive credit,
# accepted answers), the statement of a true/false item keyed "true", the pairs of a
# matching item. A distractor may well state a corrected-away claim: that is how the bank
# tests the misconception. Guards skip a text with a negation ("not", "no", "n't") because
# "BAV is not a durable treatment" is the correction, not the error.

NEGATION = re.compile(r"\b(not|no|never|without|rather than|unlike)\b|n't\b", re.IGNORECASE)
MITRAL_OR_PULMONARY = re.compile(
    r"\b(mitral|PMBC|PMC|PTMC|PBMV|pulmonary|BPV|transseptal)\b", re.IGNORECASE
)
AORTIC = re.compile(r"\b(aortic|BAV|TAVR|TAVI)\b", re.IGNORECASE)
MITRAL_OR_PULMONARY_BALLOON = re.compile(
    r"\b(PMBC|PMC|PTMC|PBMV|BPV|mitral balloon|balloon mitral|pulmonary balloon|"
    r"balloon pulmonary|pulmonary valvuloplasty)\b",
    re.IGNORECASE,
)
INFECTION = re.compile(r"\b(infection|infective|endocarditis)\b", re.IGNORECASE)


def taught_texts(question: QuestionDraft) -> list[str]:
    """The statements an item teaches as true (see the section comment)."""
    q = question
    if q.type == "true_false":
        true_keyed = any(o.id == "true" and o.fraction > 0 for o in q.options)
        return [f"{q.stem} {q.lead_in}"] if true_keyed else []
    if q.type in CHOICE_TYPES:
        return [o.text for o in q.options if o.fraction > 0]
    if q.type == "short_answer":
        return [a.text for a in q.accepted if a.fraction > 0]
    if q.type == "matching":
        choices = {c.id: c.text for c in q.choices}
        return [f"{s.text}: {choices.get(q.pairs.get(s.id, ''), '')}" for s in q.stems]
    return []


def teaches(question: QuestionDraft, *patterns: re.Pattern[str]) -> bool:
    """Some un-negated taught statement matches every pattern."""
    return any(
        all(p.search(text) for p in patterns) and not NEGATION.search(text)
        for text in taught_texts(question)
    )


def radial_access_for_mitral_or_pulmonary(q: QuestionDraft) -> bool:
    # C3: the source text's "radial artery" is wrong for PMBC (femoral vein, transseptal,
    # antegrade) and BPV (femoral vein). Only transradial BAV is a (niche) option, so a
    # radial key about an aortic procedure is allowed. The valve may be named in the stem.
    radial = re.compile(r"radial", re.IGNORECASE)
    context = f"{q.stem} {q.lead_in}"
    return any(
        radial.search(text)
        and not AORTIC.search(text)
        and (MITRAL_OR_PULMONARY.search(text) or MITRAL_OR_PULMONARY.search(context))
        for text in taught_texts(q)
    )


def infection_as_major_complication(q: QuestionDraft) -> bool:
    # C8 / R8: infection (endocarditis) is rare after balloon valvuloplasty; the source's
    # "infection" among the main risks is wrong emphasis. A key calling it common, major or
    # leading is an error, and so is an ordering item that ranks it above other complications.
    major = re.compile(
        r"\b(common(est)?|most frequent|frequent|major|main|principal|leading)\b", re.IGNORECASE
    )
    rare = re.compile(r"\b(rare|rarely|uncommon|infrequent)\b", re.IGNORECASE)
    if any(INFECTION.search(t) and major.search(t) and not rare.search(t) for t in taught_texts(q)):
        return True
    # A key of just "Infective endocarditis" to "Which is the most common complication?".
    asks_for_commonest = re.compile(
        r"\b(most (common|frequent)|commonest|major|main|principal|leading)\b", re.IGNORECASE
    )
    lead_in = linter.effective_lead_in(q)
    if asks_for_commonest.search(lead_in) and any(INFECTION.search(t) for t in taught_texts(q)):
        return True
    by_frequency = re.search(r"common|frequen|often|rate|likely", f"{q.stem} {q.lead_in}", re.I)
    if q.type == "ordering" and by_frequency:
        positions = [i for i, s in enumerate(q.steps) if INFECTION.search(s.text)]
        ascending = re.search(r"least\b.*\bmost\b", f"{q.stem} {q.lead_in}", re.IGNORECASE)
        rarest = 0 if ascending else len(q.steps) - 1
        return any(position != rarest for position in positions)
    return False


def mitral_or_pulmonary_balloon_as_bridge(q: QuestionDraft) -> bool:
    # C10, C12: PMBC and BPV are definitive first-line treatments; "bridge", "palliative" or
    # "only when surgery is not an option" is true only of BAV in adult calcific AS.
    fallback = re.compile(
        r"\b(bridge|palliat\w*|inoperable|non-?surgical candidates?|"
        r"surgery is not (an )?(immediate )?option|too high a surgical risk)\b",
        re.IGNORECASE,
    )
    return any(
        MITRAL_OR_PULMONARY_BALLOON.search(t)
        and fallback.search(t)
        and not AORTIC.search(t)
        and not NEGATION.search(t)
        for t in taught_texts(q)
    )


def bav_as_durable_in_calcific_as(q: QuestionDraft) -> bool:
    # C1, C9: in adult calcific AS, BAV gives a modest gain that is lost within 6-12 months
    # in most patients, with no survival benefit. Congenital AS in the young is different
    # (BAV is the mainstay), so keys about children or congenital AS are not checked.
    bav = re.compile(r"\b(BAV|balloon aortic|aortic (balloon )?valvuloplasty)\b", re.IGNORECASE)
    durable = re.compile(
        r"\b(durabl\w*|definitive|long-lasting|lasting relief|cures?|improves? survival|"
        r"survival benefit)\b",
        re.IGNORECASE,
    )
    young = re.compile(r"\b(child\w*|congenital|paediatric|pediatric|infant|young)\b", re.I)
    return any(
        bav.search(t) and durable.search(t) and not young.search(t) and not NEGATION.search(t)
        for t in taught_texts(q)
    )


def tavr_only_for_inoperable(q: QuestionDraft) -> bool:
    # C13: TAVR is used at every level of surgical risk (2020 ACC/AHA: transfemoral TAVI
    # for age > 80, TAVI or SAVR at 65-80), not only for non-surgical candidates.
    tavr = re.compile(r"\b(TAVR|TAVI|transcatheter aortic valve)\b", re.IGNORECASE)
    only_inoperable = re.compile(
        r"\b(only|reserved|restricted|limited)\b.*\b(inoperable|non-?surgical|prohibitive|"
        r"cannot (undergo|have) surgery|unfit for surgery)\b",
        re.IGNORECASE,
    )
    return teaches(q, tavr, only_inoperable)


def leaflets_forced_apart(q: QuestionDraft) -> bool:
    # C5: PMBC and BPV split fused commissures; BAV stretches or cracks calcified cusps.
    # "Forcing the leaflets apart" (S5) is the wrong mechanism.
    forced = re.compile(r"\bforc\w*\s+(the\s+)?(valve['’]?s?\s+)?(leaflets|cusps)\s+apart", re.I)
    return teaches(q, forced)


def pulmonary_stenosis_as_rare(q: QuestionDraft) -> bool:
    # C6: PS is 7-10% of congenital heart disease and BPV is its treatment of choice; the
    # source's "less common" must not be taught as "PS is rare".
    ps = re.compile(r"\b(pulmonary (valve )?stenosis|pulmonic stenosis|PS)\b", re.IGNORECASE)
    rare = re.compile(r"\b(rare|rarely|less common|uncommon)\b", re.IGNORECASE)
    return teaches(q, ps, rare)


@dataclass(frozen=True)
class AccuracyGuard:
    correction: str
    flags: Callable[[QuestionDraft], bool]


ACCURACY_GUARDS = (
    AccuracyGuard("C3 radial access for PMBC/BPV", radial_access_for_mitral_or_pulmonary),
    AccuracyGuard("C8 infection as a major complication", infection_as_major_complication),
    AccuracyGuard("C10/C12 PMBC or BPV as a bridge", mitral_or_pulmonary_balloon_as_bridge),
    AccuracyGuard("C1/C9 BAV as durable in calcific AS", bav_as_durable_in_calcific_as),
    AccuracyGuard("C13 TAVR only for inoperable patients", tavr_only_for_inoperable),
    AccuracyGuard("C5 leaflets forced apart", leaflets_forced_apart),
    AccuracyGuard("C6 pulmonary stenosis as rare", pulmonary_stenosis_as_rare),
)


@pytest.mark.parametrize("guard", ACCURACY_GUARDS, ids=[g.correction for g in ACCURACY_GUARDS])
def test_no_item_teaches_a_corrected_claim(guard: AccuracyGuard, bank: BankDraft) -> None:
    offending = [q.id for q in bank.questions if guard.flags(q)]
    assert not offending, f"{guard.correction}: {', '.join(offending)}"


def _draft(**fields: object) -> QuestionDraft:
    data: dict[str, object] = {"id": "G-1", "type": "single", "stem": "A stem."} | fields
    return question_from_dict(data)


@pytest.mark.parametrize(
    ("guard", "flagged", "allowed"),
    [
        (
            radial_access_for_mitral_or_pulmonary,
            _draft(
                stem="A woman is scheduled for PMBC.",
                options=[{"id": "A", "text": "Radial artery", "fraction": 1}],
            ),
            _draft(
                stem="A man is scheduled for balloon aortic valvuloplasty.",
                options=[{"id": "A", "text": "Transradial BAV in selected centres", "fraction": 1}],
            ),
        ),
        (
            infection_as_major_complication,
            _draft(options=[{"id": "A", "text": "Endocarditis is the commonest", "fraction": 1}]),
            _draft(options=[{"id": "A", "text": "Endocarditis is rare", "fraction": 1}]),
        ),
        (
            infection_as_major_complication,
            _draft(
                lead_in="Which is the most common serious complication of PMBC?",
                options=[{"id": "A", "text": "Infective endocarditis", "fraction": 1}],
            ),
            _draft(
                lead_in="Which complication is known only from isolated case reports?",
                options=[{"id": "A", "text": "Infective endocarditis", "fraction": 1}],
            ),
        ),
        (
            infection_as_major_complication,
            _draft(
                type="ordering",
                lead_in="Order from most to least common.",
                steps=[{"id": "a", "text": "Infection"}, {"id": "b", "text": "Severe MR"}],
            ),
            _draft(
                type="ordering",
                lead_in="Order from most to least common.",
                steps=[{"id": "b", "text": "Severe MR"}, {"id": "a", "text": "Infection"}],
            ),
        ),
        (
            mitral_or_pulmonary_balloon_as_bridge,
            _draft(options=[{"id": "A", "text": "PMBC as a bridge to MVR", "fraction": 1}]),
            _draft(options=[{"id": "A", "text": "BAV as a bridge to TAVR", "fraction": 1}]),
        ),
        (
            bav_as_durable_in_calcific_as,
            _draft(options=[{"id": "A", "text": "BAV gives durable relief", "fraction": 1}]),
            _draft(options=[{"id": "A", "text": "BAV gives no durable relief", "fraction": 1}]),
        ),
        (
            tavr_only_for_inoperable,
            _draft(
                type="true_false",
                stem="TAVR is reserved for inoperable patients.",
                options=[{"id": "true", "fraction": 1}, {"id": "false", "fraction": 0}],
            ),
            _draft(
                type="true_false",
                stem="TAVR is reserved for inoperable patients.",
                options=[{"id": "true", "fraction": 0}, {"id": "false", "fraction": 1}],
            ),
        ),
        (
            leaflets_forced_apart,
            _draft(options=[{"id": "A", "text": "Forcing the leaflets apart", "fraction": 1}]),
            _draft(options=[{"id": "A", "text": "Splitting fused commissures", "fraction": 1}]),
        ),
        (
            pulmonary_stenosis_as_rare,
            _draft(
                type="matching",
                stems=[{"id": "s1", "text": "Pulmonary stenosis"}, {"id": "s2", "text": "MS"}],
                choices=[{"id": "c1", "text": "Rare"}, {"id": "c2", "text": "Rheumatic"}],
                pairs={"s1": "c1", "s2": "c2"},
            ),
            _draft(
                type="matching",
                stems=[{"id": "s1", "text": "Pulmonary stenosis"}, {"id": "s2", "text": "MS"}],
                choices=[{"id": "c1", "text": "Congenital"}, {"id": "c2", "text": "Rheumatic"}],
                pairs={"s1": "c1", "s2": "c2"},
            ),
        ),
    ],
)
def test_accuracy_guard_examples(
    guard: Callable[[QuestionDraft], bool], flagged: QuestionDraft, allowed: QuestionDraft
) -> None:
    """The guards themselves: each flags a taught error and lets the correction through."""
    assert guard(flagged)
    assert not guard(allowed)


# -- docs/content-guide.md ------------------------------------------------------------------


def counts_section(bank: BankDraft) -> str:
    """The generated part of the guide's "Objectives and item counts" (published items)."""
    published = [q for q in bank.questions if q.status == "published"]
    cited = Counter(objective for q in published for objective in set(q.objectives))
    lines = ["| Objective | Topic | Bloom | Items |", "|---|---|---|---:|"]
    lines += [f"| {o.id} | {o.topic} | {o.bloom} | {cited[o.id]} |" for o in bank.objectives]
    by_topic = Counter((root_topic(q), q.type) for q in published)
    lines += ["", "| Topic | " + " | ".join(QUESTION_TYPES) + " | all |"]
    lines.append("|---" + "|---:" * (len(QUESTION_TYPES) + 1) + "|")
    for topic in bank.topics:
        row = [by_topic[(topic.slug, kind)] for kind in QUESTION_TYPES]
        lines.append(f"| {topic.slug} | " + " | ".join(map(str, row)) + f" | {sum(row)} |")
    totals = Counter(q.type for q in published)
    row = [totals[kind] for kind in QUESTION_TYPES]
    lines.append("| **all** | " + " | ".join(map(str, row)) + f" | {sum(row)} |")
    blooms = Counter(q.bloom for q in published)
    lines += ["", "Bloom levels: " + ", ".join(f"{b} {blooms[b]}" for b in BLOOM_LEVELS) + "."]
    return "\n".join(lines)


def test_guide_counts_table_is_current(bank: BankDraft) -> None:
    text = GUIDE.read_text(encoding="utf-8")
    assert "## Objectives and item counts" in text
    start, end = text.index(GUIDE_BEGIN) + len(GUIDE_BEGIN), text.index(GUIDE_END)
    expected = counts_section(bank)
    assert text[start:end].strip() == expected, (
        "docs/content-guide.md's counts are stale; replace the lines between the "
        f"GENERATED COUNTS markers with:\n\n{expected}\n"
    )


def guide_examples() -> list[QuestionDraft]:
    """The JSON item examples of the guide's "Item format" section."""
    text = GUIDE.read_text(encoding="utf-8")
    section = text.split("## Item format", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```json\n(.*?)```", section, flags=re.DOTALL)
    return [question_from_dict(json.loads(block)) for block in blocks]


def test_guide_examples_are_valid_and_cover_every_type() -> None:
    examples = guide_examples()
    assert sorted({q.type for q in examples}) == sorted(QUESTION_TYPES)
    for q in examples:
        assert validate_payload(q) == [], q.id
        assert linter.blocking_findings(linter.lint_question(q)) == [], q.id
