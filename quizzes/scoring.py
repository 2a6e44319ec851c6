"""Scoring a learner's answer to one question, with partial credit; no Django import.

``score_answer(question, answer)`` takes a QuestionDraft and an answer in the API v1 shape
of its type, written with the AUTHOR's ids (delivery maps the learner's opaque ids to
author ids before the call and maps the ids in the result back). ``validate_answer``
raises the same AnswerError without scoring; delivery calls it before recording.
docs/scoring.md is the reference; the rules, briefly:

Answer shapes (exactly one key; a missing key, an extra key or a wrong JSON type is
``answer_shape``):
    single {"option": id}; multiple {"options": [ids]}; true_false {"value": bool};
    short_answer {"text": str}; numerical {"value": int | float} (a bool or a numeric
    string is rejected, not coerced); matching {"pairs": {stem id: choice id | null}};
    ordering {"order": [ids]}.

Rules (fraction always in [0, 1]):
* single: the chosen option's fraction, clipped to [0, 1].
* multiple: the sum of the chosen options' fractions, clipped to [0, 1] (Moodle's
  multichoice rule: negative fractions penalise wrong picks). An empty list is allowed
  and scores 0.
* true_false: the fraction of the option ("true"/"false") matching the value.
* short_answer: the learner's text and each accepted answer are normalised (NFKC, casefold
  unless case_sensitive, whitespace trimmed and runs collapsed to one space, one trailing
  full stop dropped); the best fraction among accepted answers that match wins, clipped
  to [0, 1]. ``*`` in an accepted answer matches any run of characters, ``\\*`` a literal
  asterisk (Moodle's shortanswer wildcard). A text that normalises to "" matches nothing.
  Over 500 characters (before normalisation) is ``text_too_long``.
* numerical: the best fraction among answers with
  ``|value - answer.value| <= tolerance + 1e-9 * max(1, |answer.value|)``, clipped to
  [0, 1]. The unit is shown with the item, not typed or graded. (Moodle takes the first
  matching answer for short_answer and numerical; we take the best, ties to the first.)
* matching: stems matched to their key choice / number of stems. A stem left out (or
  null) counts as wrong; a choice may be used by several stems.
* ordering: Moodle qtype_ordering "relative to the next item (excluding last)": the number
  of adjacent pairs (a, b) of the answer that are adjacent in the key, divided by n - 1.
  The answer must be a permutation of every step.
* outcome: "correct" when fraction >= 1 - 1e-6, "incorrect" when fraction <= 1e-6,
  "partial" otherwise; a fraction within 1e-6 of 1 or 0 is reported as exactly 1.0 or 0.0.
  1e-6 is Moodle's threshold (question_state::graded_state_for_fraction) and the tolerance
  drafts.validate_payload allows on fraction sums (3 x 0.3333333 is a full-credit answer).

Feedback: the item-level feedback (chosen options, the matched accepted/numeric answer,
the stems answered wrong, the steps out of place), then the question's combined feedback
for the outcome; empty strings are left out.

A question whose type is not one of drafts.QUESTION_TYPES raises a plain ValueError (a
broken bank, not a bad answer). Scoring assumes the question passes
drafts.validate_payload.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, Final, Literal

from quizzes.interop.drafts import QuestionDraft

# -- error codes (stable: the API returns them, integrations match on them) -------------

ANSWER_SHAPE = "answer_shape"  # not an object, missing/extra key, wrong JSON type
UNKNOWN_ID = "unknown_id"  # an option, stem, choice or step id the question does not have
DUPLICATE_ID = "duplicate_id"  # the same id twice in a multiple selection or an ordering
INCOMPLETE_ORDER = "incomplete_order"  # an ordering that leaves steps out
TEXT_TOO_LONG = "text_too_long"  # a short answer over MAX_TEXT_LENGTH characters
NOT_FINITE = "not_finite"  # NaN, an infinity, or an integer too large for a float

ERROR_CODES = (ANSWER_SHAPE, UNKNOWN_ID, DUPLICATE_ID, INCOMPLETE_ORDER, TEXT_TOO_LONG, NOT_FINITE)

MAX_TEXT_LENGTH = 500
OUTCOME_TOLERANCE = 1e-6  # Moodle's graded_state_for_fraction; drafts' fraction-sum tolerance
NUMERIC_RELATIVE_EPSILON = 1e-9  # absorbs float error at exactly +-tolerance

Outcome = Literal["correct", "partial", "incorrect"]
CORRECT: Final = "correct"
PARTIAL: Final = "partial"
INCORRECT: Final = "incorrect"

# Kinds of id an AnswerError can name (the same words as quizzes.presentation).
OPTION, STEM, CHOICE, STEP = "option", "stem", "choice", "step"

# The one key of each type's answer object.
ANSWER_KEYS = {
    "single": "option",
    "multiple": "options",
    "true_false": "value",
    "short_answer": "text",
    "numerical": "value",
    "matching": "pairs",
    "ordering": "order",
}


class AnswerError(ValueError):
    """An answer that cannot be scored; ``code`` is one of ERROR_CODES.

    ``field`` is the answer key at fault (None when the answer itself is not an object);
    ``kind`` and ``ids`` name the offending author ids (unknown, duplicated or missing) so
    that delivery can map them back to the learner's ids: the message names author ids,
    which can give the key away ("s1", "s2", ...) and must not reach a learner as is.
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        field: str | None = None,
        kind: str | None = None,
        ids: Sequence[str] = (),
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.kind = kind
        self.ids = tuple(ids)


@dataclass(frozen=True)
class ScoreResult:
    """The score of one answer; ids in ``correct_answer`` are the author's."""

    fraction: float  # in [0, 1]
    outcome: Outcome
    feedback: list[str]  # item-level feedback, then the combined feedback for the outcome
    correct_answer: dict[str, Any]  # the key in the type's answer shape, author ids


# -- public API -------------------------------------------------------------------------


def validate_answer(question: QuestionDraft, answer: Mapping[str, Any]) -> None:
    """Raise AnswerError if ``answer`` is not a valid answer to ``question``; score nothing.

    The annotation is the contract; the value is checked at run time all the same (it is
    request JSON), so a list or null is an ``answer_shape`` error, not a crash.
    """
    _read(question, answer)


def score_answer(question: QuestionDraft, answer: Mapping[str, Any]) -> ScoreResult:
    """Score ``answer`` (author ids, API v1 shape); raises AnswerError for a bad answer."""
    parsed = _read(question, answer)
    kind = question.type
    if kind in ("single", "multiple", "true_false"):
        raw, feedback = _score_choices(question, parsed)
    elif kind == "short_answer":
        raw, feedback = _score_short_answer(question, parsed)
    elif kind == "numerical":
        raw, feedback = _score_numerical(question, parsed)
    elif kind == "matching":
        raw, feedback = _score_matching(question, parsed)
    else:
        raw, feedback = _score_ordering(question, parsed)
    fraction, outcome = _grade(raw)
    combined = getattr(question.feedback, outcome)
    if combined:
        feedback.append(combined)
    return ScoreResult(
        fraction=fraction,
        outcome=outcome,
        feedback=feedback,
        correct_answer=correct_answer(question),
    )


def correct_answer(question: QuestionDraft) -> dict[str, Any]:
    """The key, in the answer shape of the question's type, with author ids.

    short_answer adds "accepted" (every full-credit accepted answer as authored, wildcards
    included) and numerical adds "tolerance" and "unit"; the rest is a valid answer.
    """
    kind = _checked_type(question)
    if kind == "single":
        best = _first_best(question.options, lambda o: o.fraction)
        return {"option": best.id if best else None}
    if kind == "multiple":
        return {"options": [o.id for o in question.options if o.fraction > 0]}
    if kind == "true_false":
        best = _first_best(question.options, lambda o: o.fraction)
        return {"value": best is not None and best.id == "true"}
    if kind == "short_answer":
        return _short_answer_key(question)
    if kind == "numerical":
        numeric = _first_best(question.answers, lambda a: a.fraction)
        if numeric is None:
            return {"value": None, "tolerance": None, "unit": question.unit}
        return {"value": numeric.value, "tolerance": numeric.tolerance, "unit": question.unit}
    if kind == "matching":
        return {
            "pairs": {s.id: question.pairs[s.id] for s in question.stems if s.id in question.pairs}
        }
    return {"order": list(question.order)}


def result_for_irt(result: ScoreResult) -> float:
    """The score the adaptive engine records for this response.

    The engine's likelihood takes fractional scores (engine/irt.py), so this is the
    fraction itself; it is a named function so that delivery has one place to change the
    rule (e.g. dichotomise at a threshold) without touching scoring.
    """
    return result.fraction


def normalise_text(text: str, *, case_sensitive: bool = False) -> str:
    """The short-answer comparison form: NFKC, casefold (unless case_sensitive), whitespace
    trimmed and collapsed to single spaces, one trailing full stop dropped."""
    text = unicodedata.normalize("NFKC", text)
    if not case_sensitive:
        # NFKC again: casefolding can produce sequences NFKC would compose.
        text = unicodedata.normalize("NFKC", text.casefold())
    text = " ".join(text.split())
    if text.endswith("."):
        text = text[:-1].rstrip()
    return text


def wildcard_match(pattern: str, text: str) -> bool:
    """Moodle's shortanswer wildcard: ``*`` (or a run of them) matches any run of characters,
    ``\\*`` is a literal asterisk; the whole text must match. Both sides already normalised.

    Matched piece by piece with str.find (leftmost fit is optimal for ``*``-only globs), so
    a pattern with many wildcards cannot backtrack catastrophically as a regex could.
    """
    pieces = _wildcard_pieces(pattern)
    if len(pieces) == 1:
        return text == pieces[0]
    head, *middle, tail = pieces
    if len(text) < len(head) + len(tail) or not text.startswith(head) or not text.endswith(tail):
        return False
    position, end = len(head), len(text) - len(tail)
    for piece in middle:
        found = text.find(piece, position, end)
        if found < 0:
            return False
        position = found + len(piece)
    return True


# -- reading (validation) ---------------------------------------------------------------


def _checked_type(question: QuestionDraft) -> str:
    if question.type not in ANSWER_KEYS:
        raise ValueError(f"cannot score a question of type {question.type!r}")
    return question.type


def _read(question: QuestionDraft, answer: Any) -> Any:
    kind = _checked_type(question)
    key = ANSWER_KEYS[kind]
    if not isinstance(answer, Mapping):
        raise AnswerError(
            ANSWER_SHAPE,
            f'a {kind} answer must be an object {{"{key}": ...}}, got {_json_type(answer)}',
        )
    extra = sorted(str(k) for k in answer if k != key)
    if extra:
        raise AnswerError(
            ANSWER_SHAPE,
            f'a {kind} answer has only the key "{key}"; unexpected key(s): {", ".join(extra)}',
            field=extra[0],
        )
    if key not in answer:
        raise AnswerError(ANSWER_SHAPE, f'a {kind} answer needs the key "{key}"', field=key)
    value = answer[key]
    if kind == "single":
        return _read_single(question, value)
    if kind == "multiple":
        return _read_multiple(question, value)
    if kind == "true_false":
        if not isinstance(value, bool):
            raise AnswerError(
                ANSWER_SHAPE,
                f'"value" must be true or false, got {_json_type(value)}',
                field="value",
            )
        return value
    if kind == "short_answer":
        return _read_text(value)
    if kind == "numerical":
        return _read_number(value)
    if kind == "matching":
        return _read_pairs(question, value)
    return _read_order(question, value)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    return type(value).__name__


def _id_list(ids: Sequence[str]) -> str:
    return ", ".join(repr(i) for i in ids)


def _read_single(question: QuestionDraft, value: Any) -> str:
    if not isinstance(value, str):
        raise AnswerError(
            ANSWER_SHAPE,
            f'"option" must be an option id (a string), got {_json_type(value)}',
            field="option",
        )
    if value not in {o.id for o in question.options}:
        raise AnswerError(
            UNKNOWN_ID, f"unknown option id {value!r}", field="option", kind=OPTION, ids=[value]
        )
    return value


def _string_list(value: Any, field: str, what: str) -> list[str]:
    if not isinstance(value, list | tuple):
        raise AnswerError(
            ANSWER_SHAPE,
            f'"{field}" must be a list of {what} ids, got {_json_type(value)}',
            field=field,
        )
    for item in value:
        if not isinstance(item, str):
            raise AnswerError(
                ANSWER_SHAPE,
                f'"{field}" must be a list of {what} ids (strings); found {_json_type(item)}',
                field=field,
            )
    return list(value)


def _check_known_unique(ids: list[str], known: set[str], field: str, kind: str) -> None:
    unknown = list(dict.fromkeys(i for i in ids if i not in known))
    if unknown:
        raise AnswerError(
            UNKNOWN_ID,
            f'unknown {kind} id(s) in "{field}": {_id_list(unknown)}',
            field=field,
            kind=kind,
            ids=unknown,
        )
    counts = Counter(ids)
    repeated = [i for i in dict.fromkeys(ids) if counts[i] > 1]
    if repeated:
        raise AnswerError(
            DUPLICATE_ID,
            f'{kind} id(s) given more than once in "{field}": {_id_list(repeated)}',
            field=field,
            kind=kind,
            ids=repeated,
        )


def _read_multiple(question: QuestionDraft, value: Any) -> list[str]:
    chosen = _string_list(value, "options", OPTION)
    _check_known_unique(chosen, {o.id for o in question.options}, "options", OPTION)
    return chosen


def _read_text(value: Any) -> str:
    if not isinstance(value, str):
        raise AnswerError(
            ANSWER_SHAPE, f'"text" must be a string, got {_json_type(value)}', field="text"
        )
    if len(value) > MAX_TEXT_LENGTH:
        raise AnswerError(
            TEXT_TOO_LONG,
            f'"text" is {len(value)} characters long; the limit is {MAX_TEXT_LENGTH}',
            field="text",
        )
    return value


def _read_number(value: Any) -> float:
    if isinstance(value, str):
        raise AnswerError(
            ANSWER_SHAPE,
            f'"value" must be a JSON number, not a string ({value[:40]!r}); '
            "send the number unquoted, without a unit",
            field="value",
        )
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AnswerError(
            ANSWER_SHAPE, f'"value" must be a number, got {_json_type(value)}', field="value"
        )
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise AnswerError(
            NOT_FINITE, '"value" must be a finite number (not NaN or infinite)', field="value"
        )
    return number


def _read_pairs(question: QuestionDraft, value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise AnswerError(
            ANSWER_SHAPE,
            f'"pairs" must be an object mapping stem ids to choice ids, got {_json_type(value)}',
            field="pairs",
        )
    stem_ids = {s.id for s in question.stems}
    choice_ids = {c.id for c in question.choices}
    for stem, choice in value.items():
        if not isinstance(stem, str) or not (choice is None or isinstance(choice, str)):
            raise AnswerError(
                ANSWER_SHAPE,
                f'"pairs" must map stem ids to choice ids (strings) or null; '
                f"stem {stem!r} has {_json_type(choice)}",
                field="pairs",
            )
    unknown_stems = [s for s in value if s not in stem_ids]
    if unknown_stems:
        raise AnswerError(
            UNKNOWN_ID,
            f'unknown stem id(s) in "pairs": {_id_list(unknown_stems)}',
            field="pairs",
            kind=STEM,
            ids=unknown_stems,
        )
    unknown_choices = list(
        dict.fromkeys(c for c in value.values() if c is not None and c not in choice_ids)
    )
    if unknown_choices:
        raise AnswerError(
            UNKNOWN_ID,
            f'unknown choice id(s) in "pairs": {_id_list(unknown_choices)}',
            field="pairs",
            kind=CHOICE,
            ids=unknown_choices,
        )
    return {stem: choice for stem, choice in value.items() if choice is not None}


def _read_order(question: QuestionDraft, value: Any) -> list[str]:
    order = _string_list(value, "order", STEP)
    _check_known_unique(order, set(question.order), "order", STEP)
    missing = [s for s in question.order if s not in set(order)]
    if missing:
        raise AnswerError(
            INCOMPLETE_ORDER,
            f'"order" must list every step once; missing {len(missing)} of '
            f"{len(question.order)}: {_id_list(missing)}",
            field="order",
            kind=STEP,
            ids=missing,
        )
    return order


# -- scoring ----------------------------------------------------------------------------


def _grade(raw: float) -> tuple[float, Outcome]:
    fraction = min(1.0, max(0.0, raw))
    if fraction >= 1.0 - OUTCOME_TOLERANCE:
        return 1.0, CORRECT
    if fraction <= OUTCOME_TOLERANCE:
        return 0.0, INCORRECT
    return fraction, PARTIAL


def _first_best[T](items: Sequence[T], fraction: Any) -> T | None:
    """The first item with the highest fraction (author order breaks ties)."""
    best: T | None = None
    for item in items:
        if best is None or fraction(item) > fraction(best):
            best = item
    return best


def _score_choices(question: QuestionDraft, parsed: Any) -> tuple[float, list[str]]:
    if question.type == "single":
        chosen = {parsed}
    elif question.type == "multiple":
        chosen = set(parsed)
    else:
        chosen = {"true" if parsed else "false"}
    picked = [o for o in question.options if o.id in chosen]  # author order
    raw = sum(o.fraction for o in picked)
    return raw, [o.feedback for o in picked if o.feedback]


def _score_short_answer(question: QuestionDraft, text: str) -> tuple[float, list[str]]:
    normalised = normalise_text(text, case_sensitive=question.case_sensitive)
    if not normalised:
        return 0.0, []
    matches = [
        accepted
        for accepted in question.accepted
        if wildcard_match(
            normalise_text(accepted.text, case_sensitive=question.case_sensitive), normalised
        )
    ]
    best = _first_best(matches, lambda a: a.fraction)
    if best is None:
        return 0.0, []
    return best.fraction, [best.feedback] if best.feedback else []


def _score_numerical(question: QuestionDraft, value: float) -> tuple[float, list[str]]:
    matches = [
        answer
        for answer in question.answers
        if abs(value - answer.value)
        <= answer.tolerance + NUMERIC_RELATIVE_EPSILON * max(1.0, abs(answer.value))
    ]
    best = _first_best(matches, lambda a: a.fraction)
    if best is None:
        return 0.0, []
    return best.fraction, [best.feedback] if best.feedback else []


def _score_matching(question: QuestionDraft, pairs: dict[str, str]) -> tuple[float, list[str]]:
    if not question.stems:
        return 0.0, []
    wrong = [s for s in question.stems if pairs.get(s.id) != question.pairs.get(s.id)]
    right = len(question.stems) - len(wrong)
    return right / len(question.stems), [s.feedback for s in wrong if s.feedback]


def _score_ordering(question: QuestionDraft, order: list[str]) -> tuple[float, list[str]]:
    key = question.order
    key_next = dict(pairwise(key))
    answer_next = dict(pairwise(order))
    if len(key) < 2:
        return (1.0 if order == key else 0.0), []
    right = sum(1 for a, b in answer_next.items() if key_next.get(a) == b)
    # A step is out of place when what follows it (nothing, for the last) differs from the key.
    steps = {s.id: s for s in question.steps}
    misplaced = [steps[a] for a in order if answer_next.get(a) != key_next.get(a)]
    return right / (len(key) - 1), [s.feedback for s in misplaced if s.feedback]


# -- short-answer key -------------------------------------------------------------------

_WILDCARD_RUN = re.compile(r"(?<!\\)\*+")


def _wildcard_pieces(pattern: str) -> list[str]:
    return [piece.replace("\\*", "*") for piece in _WILDCARD_RUN.split(pattern)]


def _short_answer_key(question: QuestionDraft) -> dict[str, Any]:
    full = [a for a in question.accepted if a.fraction >= 1.0 - OUTCOME_TOLERANCE]
    candidates = full or [a for a in [_first_best(question.accepted, lambda a: a.fraction)] if a]
    literal = [a for a in candidates if len(_wildcard_pieces(a.text)) == 1]
    shown = (literal or candidates)[0].text if candidates else ""
    # A wildcard stands for itself in the shown text ("*" matches "*"), so the shown text
    # always scores the key's fraction; only the "\*" escapes are undone.
    return {"text": shown.replace("\\*", "*"), "accepted": [a.text for a in full]}
