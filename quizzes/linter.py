"""Item linter: NBME item-writing rules checked on one plain-data question.

Pure on purpose (no Django import): educators run it on their own banks, from the command
line (``python -m quizzes.linter PATH``) or from tests, and the import and review screens
call the same functions. docs/content-guide.md lists the rules, thresholds and severities.

A finding is an *error* when the item breaks a rule the bank must keep (a published item
with an unexcepted error fails tests/content), a *warning* when it is a style point that a
reviewer should look at. An item can record a reasoned exception to a rule
(``lint_exceptions: [{"rule": ..., "reason": ...}]``); the finding is then still reported,
with ``excepted=True`` and the reason, so reviews can see what was waived and why.
"""

from __future__ import annotations

import argparse
import math
import re
import statistics
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from quizzes.interop.drafts import (
    BLOOM_LEVELS,
    CHOICE_TYPES,
    DraftFormatError,
    OptionDraft,
    QuestionDraft,
)

Severity = Literal["error", "warning"]
ERROR: Severity = "error"
WARNING: Severity = "warning"

# -- rule ids (what lint_exceptions name) -----------------------------------------------

RULE_CLOSED_LEAD_IN = "closed-lead-in"
RULE_ALL_NONE_OF_THE_ABOVE = "all-none-of-the-above"
RULE_COMBINATION_OPTION = "combination-option"
RULE_NEGATIVE_LEAD_IN = "negative-lead-in"
RULE_LONGEST_KEY = "longest-key"
RULE_ABSOLUTE_TERMS = "absolute-terms-in-distractors"
RULE_ONE_KEY = "one-key"
RULE_DUPLICATE_OPTIONS = "duplicate-options"
RULE_EXPLANATION = "explanation"
RULE_OPTION_FEEDBACK = "option-feedback"
RULE_FIVE_OPTIONS = "five-options"
RULE_OBJECTIVE = "objective"
RULE_BLOOM = "bloom"
RULE_SOURCE = "source"
RULE_INVALID_EXCEPTION = "invalid-lint-exception"
RULE_DUPLICATE_ID = "duplicate-id"  # a bank-level rule: lint_bank reports it

RULE_SEVERITY: dict[str, Severity] = {
    RULE_CLOSED_LEAD_IN: ERROR,
    RULE_ALL_NONE_OF_THE_ABOVE: ERROR,
    RULE_COMBINATION_OPTION: ERROR,
    RULE_NEGATIVE_LEAD_IN: ERROR,
    RULE_LONGEST_KEY: ERROR,
    RULE_ABSOLUTE_TERMS: ERROR,
    RULE_ONE_KEY: ERROR,
    RULE_DUPLICATE_OPTIONS: ERROR,
    RULE_EXPLANATION: ERROR,
    RULE_OPTION_FEEDBACK: WARNING,
    RULE_FIVE_OPTIONS: WARNING,
    # An item without an objective is invisible to the blueprint (coverage per objective),
    # and a Bloom level outside BLOOM_LEVELS breaks the cognitive-level reports: errors.
    RULE_OBJECTIVE: ERROR,
    RULE_BLOOM: ERROR,
    # Provenance matters for review, but an educator's own original item may have no
    # citable source yet: a warning, which the valvuloplasty bank's tests tighten.
    RULE_SOURCE: WARNING,
    RULE_INVALID_EXCEPTION: WARNING,
    RULE_DUPLICATE_ID: ERROR,
}
ALL_RULES = tuple(RULE_SEVERITY)

# -- messages (constants and templates; tests assert them) ------------------------------

MSG_CLOSED_LEAD_IN = "the lead-in must be a closed question ending in '?'"
MSG_ALL_NONE_OF_THE_ABOVE = "option {option_id} is an 'all/none of the above' option"
MSG_COMBINATION_OPTION = "option {option_id} combines other options"
MSG_NEGATIVE_LEAD_IN = (
    "the lead-in is negative ({word}); rephrase it, or set negative_lead_in if deliberate"
)
MSG_LONGEST_KEY = "the key ({key_length} chars) is conspicuously longer than the distractors"
MSG_ABSOLUTE_TERMS = "absolute terms only in distractors: {terms}"
MSG_ONE_KEY = "a single-best-answer item needs exactly one option with fraction 1, others 0"
MSG_DUPLICATE_OPTIONS = "options {option_ids} have the same text"
MSG_EXPLANATION = "the explanation is missing or shorter than {minimum} characters"
MSG_OPTION_FEEDBACK = "options without feedback: {option_ids}"
MSG_FIVE_OPTIONS = "a single-best-answer item should have five options (has {count})"
MSG_OBJECTIVE = "the item cites no learning objective"
MSG_BLOOM = "bloom must be one of: " + ", ".join(BLOOM_LEVELS)
MSG_SOURCE = "the item names no source"
MSG_INVALID_EXCEPTION = (
    "lint exception for '{rule}' is ignored: it needs a known rule id and a non-empty reason"
)
MSG_DUPLICATE_ID = "the id is used by {count} items"

# -- thresholds --------------------------------------------------------------------------

# The key is "conspicuously longer" when it is more than LONGEST_KEY_MEAN_RATIO times the
# mean distractor length AND beats the longest distractor by LONGEST_KEY_MARGIN_RATIO and
# by at least LONGEST_KEY_MIN_EXTRA characters. The mean alone would flag a key that is
# merely as long as one long distractor, which gives nothing away; the absolute floor keeps
# short-option items ("PMBC" among "MVR", "BAV") quiet.
LONGEST_KEY_MEAN_RATIO = 1.5
LONGEST_KEY_MARGIN_RATIO = 1.25
LONGEST_KEY_MIN_EXTRA = 10
EXPLANATION_MIN_CHARS = 40
NBME_OPTION_COUNT = 5

# Negative lead-ins, three ways. Capitalised NOT/EXCEPT/LEAST/FALSE anywhere (the NBME
# convention for marking them). Words that make any question negative, in any case ("at
# least" and "false-positive" are not). A lower-case "not"/"n't" only in the main clause
# ("Which of the following is not ...?"): "... explains why the rate has not fallen?" asks
# a positive question about a negative fact.
_NEGATIVE_CAPITALS = re.compile(r"\b(NOT|EXCEPT|LEAST|FALSE)\b")
_NEGATIVE_WORDS = re.compile(
    r"\b(except|(?<!at )least|false(?![-\w])|incorrect|untrue)\b", flags=re.IGNORECASE
)
_SUBORDINATOR = (
    r"why|when|whenever|if|because|after|before|that|who|whom|whose|where|although|though|"
    r"despite|unless|since|while|once|until"
)
_NEGATIVE_MAIN_CLAUSE = re.compile(
    r"^\s*(?:which|what|who)\b"
    rf"(?:(?!\b(?:{_SUBORDINATOR})\b)[^,;?])*?"
    r"\b((?:is|are|was|were|would|does|do|did|should|could|can|will|might|may|must|has|have)"
    r"(?:\s+not\b|n't\b)|cannot\b)",
    flags=re.IGNORECASE,
)
_ALL_NONE_OF_THE_ABOVE = re.compile(
    r"\b(all|none|both|neither)\s+of\s+(the\s+)?(above|these|preceding|foregoing)\b",
    flags=re.IGNORECASE,
)
# Two option letters joined by a conjunction or list separator: "A and B", "A, B and C",
# "Both A and C", "A or D", "A + B". Case-sensitive: option labels are capitals.
_LETTER_PAIR = re.compile(
    r"(?<![\w-])([A-Z])(?:\s*,\s*|\s+(?:and|or|nor|plus)\s+|\s*[&+/]\s*)([A-Z])(?![\w-])"
)
_STARTS_WITH_NEITHER = re.compile(r"^\s*neither\b", flags=re.IGNORECASE)
# "only if / only when ..." restricts a claim rather than making it absolute.
_ABSOLUTE_TERMS = re.compile(
    r"\b(always|never|all|none|must|completely|invariably|only(?!\s+(?:if|when|after|once|until)\b))\b",
    flags=re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.?!])\s+")


@dataclass(frozen=True)
class Finding:
    """One rule broken by one item."""

    rule: str
    message: str
    severity: Severity
    excepted: bool = False
    exception_reason: str = ""  # the reviewer's reason, when excepted

    @property
    def is_blocking(self) -> bool:
        """An unexcepted error: what keeps an item from being published."""
        return self.severity == ERROR and not self.excepted


# -- helpers -----------------------------------------------------------------------------


def _normalise(text: str) -> str:
    return " ".join(text.split()).casefold()


def effective_lead_in(question: QuestionDraft) -> str:
    """The lead-in field, or the stem's last sentence when the item has no lead-in."""
    if question.lead_in.strip():
        return question.lead_in.strip()
    sentences = [s for s in _SENTENCE_END.split(question.stem.strip()) if s.strip()]
    return sentences[-1].strip() if sentences else ""


def _is_key(option: OptionDraft) -> bool:
    return option.fraction > 0


def _is_full_key(option: OptionDraft) -> bool:
    return math.isclose(option.fraction, 1.0, abs_tol=1e-6)


def _option_labels(options: Sequence[OptionDraft]) -> set[str]:
    """The letters a learner sees (A, B, ...) plus single-capital ids the item uses."""
    labels = {chr(ord("A") + index) for index in range(len(options))}
    labels |= {o.id for o in options if len(o.id) == 1 and o.id.isupper()}
    return labels


# -- rules -------------------------------------------------------------------------------


def _check_closed_lead_in(question: QuestionDraft) -> list[tuple[str, str]]:
    if effective_lead_in(question).endswith("?"):
        return []
    return [(RULE_CLOSED_LEAD_IN, MSG_CLOSED_LEAD_IN)]


def _check_negative_lead_in(question: QuestionDraft) -> list[tuple[str, str]]:
    if question.negative_lead_in:
        return []
    # Only the lead-in: a vignette's "he does not smoke" is not a negative question.
    lead_in = effective_lead_in(question)
    match = (
        _NEGATIVE_CAPITALS.search(lead_in)
        or _NEGATIVE_WORDS.search(lead_in)
        or _NEGATIVE_MAIN_CLAUSE.search(lead_in)
    )
    if match is None:
        return []
    word = match.group(1)
    return [(RULE_NEGATIVE_LEAD_IN, MSG_NEGATIVE_LEAD_IN.format(word=word))]


def _check_all_none_of_the_above(question: QuestionDraft) -> list[tuple[str, str]]:
    return [
        (RULE_ALL_NONE_OF_THE_ABOVE, MSG_ALL_NONE_OF_THE_ABOVE.format(option_id=option.id))
        for option in question.options
        if _ALL_NONE_OF_THE_ABOVE.search(option.text)
    ]


def _check_combination_options(question: QuestionDraft) -> list[tuple[str, str]]:
    labels = _option_labels(question.options)
    findings: list[tuple[str, str]] = []
    for option in question.options:
        pairs = _LETTER_PAIR.findall(option.text)
        refers = any(first in labels and second in labels for first, second in pairs)
        if refers or _STARTS_WITH_NEITHER.search(option.text):
            findings.append(
                (RULE_COMBINATION_OPTION, MSG_COMBINATION_OPTION.format(option_id=option.id))
            )
    return findings


def _check_one_key(question: QuestionDraft) -> list[tuple[str, str]]:
    keys = [o for o in question.options if _is_full_key(o)]
    others_zero = all(
        math.isclose(o.fraction, 0.0, abs_tol=1e-6) for o in question.options if not _is_full_key(o)
    )
    if len(keys) == 1 and others_zero:
        return []
    return [(RULE_ONE_KEY, MSG_ONE_KEY)]


def _check_longest_key(question: QuestionDraft) -> list[tuple[str, str]]:
    keys = [o for o in question.options if _is_full_key(o)]
    distractors = [o for o in question.options if not _is_full_key(o)]
    if len(keys) != 1 or not distractors:
        return []  # one-key reports the malformed item
    key_length = len(" ".join(keys[0].text.split()))
    lengths = [len(" ".join(o.text.split())) for o in distractors]
    longest = max(lengths)
    conspicuous = (
        key_length > LONGEST_KEY_MEAN_RATIO * statistics.fmean(lengths)
        and key_length > LONGEST_KEY_MARGIN_RATIO * longest
        and key_length - longest >= LONGEST_KEY_MIN_EXTRA
    )
    if not conspicuous:
        return []
    return [(RULE_LONGEST_KEY, MSG_LONGEST_KEY.format(key_length=key_length))]


def _absolute_terms(text: str) -> set[str]:
    # "None of the above" is its own rule; don't report it twice.
    text = _ALL_NONE_OF_THE_ABOVE.sub("", text)
    return {match.casefold() for match in _ABSOLUTE_TERMS.findall(text)}


def _check_absolute_terms(question: QuestionDraft) -> list[tuple[str, str]]:
    keys = [o for o in question.options if _is_key(o)]
    distractors = [o for o in question.options if not _is_key(o)]
    if not keys:
        return []
    # The testwise cue is "absolute wording marks a wrong answer"; a key that is absolute
    # too breaks the cue, so only flag when no key uses such a term.
    if any(_absolute_terms(o.text) for o in keys):
        return []
    in_distractors = set[str]().union(*(_absolute_terms(o.text) for o in distractors))
    if not in_distractors:
        return []
    terms = ", ".join(sorted(in_distractors))
    return [(RULE_ABSOLUTE_TERMS, MSG_ABSOLUTE_TERMS.format(terms=terms))]


def _duplicates(items: Iterable[tuple[str, str]]) -> list[list[str]]:
    """Groups of ids whose texts are equal ignoring case and whitespace."""
    by_text: dict[str, list[str]] = {}
    for item_id, text in items:
        by_text.setdefault(_normalise(text), []).append(item_id)
    return [ids for ids in by_text.values() if len(ids) > 1]


def _check_duplicates(question: QuestionDraft) -> list[tuple[str, str]]:
    groups = _duplicates((o.id, o.text) for o in question.options)
    groups += _duplicates((c.id, c.text) for c in question.choices)
    groups += _duplicates((s.id, s.text) for s in question.steps)
    return [
        (RULE_DUPLICATE_OPTIONS, MSG_DUPLICATE_OPTIONS.format(option_ids=", ".join(ids)))
        for ids in groups
    ]


def _check_explanation(question: QuestionDraft) -> list[tuple[str, str]]:
    if len(question.explanation.strip()) >= EXPLANATION_MIN_CHARS:
        return []
    return [(RULE_EXPLANATION, MSG_EXPLANATION.format(minimum=EXPLANATION_MIN_CHARS))]


def _check_option_feedback(question: QuestionDraft) -> list[tuple[str, str]]:
    missing = [o.id for o in question.options if not o.feedback.strip()]
    if not missing:
        return []
    return [(RULE_OPTION_FEEDBACK, MSG_OPTION_FEEDBACK.format(option_ids=", ".join(missing)))]


def _check_five_options(question: QuestionDraft) -> list[tuple[str, str]]:
    count = len(question.options)
    if count == NBME_OPTION_COUNT:
        return []
    return [(RULE_FIVE_OPTIONS, MSG_FIVE_OPTIONS.format(count=count))]


def _check_metadata(question: QuestionDraft) -> list[tuple[str, str]]:
    findings: list[tuple[str, str]] = []
    if not any(objective.strip() for objective in question.objectives):
        findings.append((RULE_OBJECTIVE, MSG_OBJECTIVE))
    if question.bloom not in BLOOM_LEVELS:
        findings.append((RULE_BLOOM, MSG_BLOOM))
    if not question.source.strip():
        findings.append((RULE_SOURCE, MSG_SOURCE))
    return findings


def _raw_findings(question: QuestionDraft) -> list[tuple[str, str]]:
    """(rule, message) pairs of every rule that applies to the item's type."""
    kind = question.type
    found: list[tuple[str, str]] = []
    if kind in ("single", "multiple"):
        found += _check_closed_lead_in(question)
        found += _check_negative_lead_in(question)
        found += _check_all_none_of_the_above(question)
        found += _check_combination_options(question)
        found += _check_absolute_terms(question)
    if kind == "single":
        found += _check_one_key(question)
        found += _check_longest_key(question)
        found += _check_five_options(question)
    found += _check_duplicates(question)
    if kind in CHOICE_TYPES:
        found += _check_option_feedback(question)
    found += _check_explanation(question)
    found += _check_metadata(question)
    return found


# -- public API --------------------------------------------------------------------------


def valid_exceptions(question: QuestionDraft) -> dict[str, str]:
    """Rule id -> reason, for the item's exceptions that count (known rule, real reason)."""
    return {
        e.rule: e.reason.strip()
        for e in question.lint_exceptions
        if e.rule in RULE_SEVERITY and e.reason.strip()
    }


def lint_question(question: QuestionDraft) -> list[Finding]:
    """Every finding for one item, excepted ones included (marked excepted=True)."""
    exceptions = valid_exceptions(question)
    findings = [
        Finding(
            rule=rule,
            message=message,
            severity=RULE_SEVERITY[rule],
            excepted=rule in exceptions,
            exception_reason=exceptions.get(rule, ""),
        )
        for rule, message in _raw_findings(question)
    ]
    findings += [
        Finding(
            rule=RULE_INVALID_EXCEPTION,
            message=MSG_INVALID_EXCEPTION.format(rule=e.rule),
            severity=RULE_SEVERITY[RULE_INVALID_EXCEPTION],
        )
        for e in question.lint_exceptions
        if e.rule not in RULE_SEVERITY or not e.reason.strip()
    ]
    return findings


def lint_bank(questions: Iterable[QuestionDraft]) -> dict[str, list[Finding]]:
    """Findings by item id, for the items that have any (plus duplicate-id errors)."""
    questions = list(questions)
    counts: dict[str, int] = {}
    for question in questions:
        counts[question.id] = counts.get(question.id, 0) + 1
    report: dict[str, list[Finding]] = {}
    for question in questions:
        findings = lint_question(question)
        if counts[question.id] > 1:
            message = MSG_DUPLICATE_ID.format(count=counts[question.id])
            findings.append(Finding(RULE_DUPLICATE_ID, message, RULE_SEVERITY[RULE_DUPLICATE_ID]))
        if findings:
            report.setdefault(question.id, []).extend(findings)
    return report


def blocking_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Only the unexcepted errors."""
    return [finding for finding in findings if finding.is_blocking]


def blocking_by_item(report: dict[str, list[Finding]]) -> dict[str, list[Finding]]:
    """A lint_bank report narrowed to the items with unexcepted errors."""
    narrowed = {item_id: blocking_findings(found) for item_id, found in report.items()}
    return {item_id: found for item_id, found in narrowed.items() if found}


# -- command line --------------------------------------------------------------------------


def _load(path: Path) -> list[QuestionDraft]:
    # Imported here so the linter itself stays a pure module with no I/O dependencies.
    from quizzes.interop import json as bank_json

    if path.is_dir():
        return bank_json.read_bank_dir(path).questions
    return bank_json.parse(path.read_bytes()).questions


def format_finding(*, item_id: str, finding: Finding) -> str:
    line = f"{item_id}\t{finding.severity}\t{finding.rule}\t{finding.message}"
    if finding.excepted:
        line += f"\t(excepted: {finding.exception_reason})"
    return line


def main(argv: Sequence[str] | None = None) -> int:
    """Lint a bank directory or JSON file; exit 1 on unexcepted errors, 2 on a bad file."""
    parser = argparse.ArgumentParser(
        prog="python -m quizzes.linter",
        description="Check a question bank (quizzes-bank/1 JSON) against the item-writing rules.",
    )
    parser.add_argument("path", type=Path, help="a bank directory (*.json) or one JSON file")
    parser.add_argument(
        "--errors-only",
        action="store_true",
        help="print only unexcepted errors (hide warnings and excepted findings)",
    )
    args = parser.parse_args(argv)
    try:
        questions = _load(args.path)
    except (OSError, DraftFormatError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    report = lint_bank(questions)
    blocking = blocking_by_item(report)
    shown = blocking if args.errors_only else report
    for item_id, findings in shown.items():
        for finding in findings:
            print(format_finding(item_id=item_id, finding=finding))
    errors = sum(len(found) for found in blocking.values())
    print(
        f"{len(questions)} items, {len(report)} with findings, "
        f"{errors} unexcepted error(s) in {len(blocking)} item(s)",
        file=sys.stderr,
    )
    return 1 if blocking else 0


if __name__ == "__main__":
    sys.exit(main())
