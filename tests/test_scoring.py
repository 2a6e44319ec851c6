"""quizzes.scoring: table-driven rows per question type, invalid answers, properties.

Pure Python (no database): runs with ``-p no:django --noconftest`` as well as under the
Django plugin.
"""

from __future__ import annotations

import math
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quizzes import scoring
from quizzes.interop.drafts import (
    AcceptedAnswerDraft,
    CombinedFeedbackDraft,
    MatchChoiceDraft,
    MatchStemDraft,
    NumericAnswerDraft,
    OptionDraft,
    QuestionDraft,
    StepDraft,
    validate_payload,
)
from quizzes.scoring import (
    ANSWER_SHAPE,
    DUPLICATE_ID,
    INCOMPLETE_ORDER,
    NOT_FINITE,
    TEXT_TOO_LONG,
    UNKNOWN_ID,
    AnswerError,
    ScoreResult,
    correct_answer,
    normalise_text,
    result_for_irt,
    score_answer,
    validate_answer,
    wildcard_match,
)

COMBINED = CombinedFeedbackDraft(correct="Well done.", partial="Partly.", incorrect="Not quite.")


def _question(qid: str, kind: str, **fields: Any) -> QuestionDraft:
    fields.setdefault("feedback", COMBINED)
    question = QuestionDraft(id=qid, type=kind, stem=f"Stem of {qid}", **fields)
    assert validate_payload(question) == [], qid
    return question


SINGLE = _question(
    "SINGLE",
    "single",
    options=[
        OptionDraft("A", "Balloon mitral valvotomy", 1.0, "fb-A"),
        OptionDraft("B", "Surgical replacement", 0.5, "fb-B"),
        OptionDraft("C", "Medical therapy", 0.0, ""),
        OptionDraft("D", "Discharge", -0.5, "fb-D"),
    ],
)
MULTIPLE = _question(
    "MULTIPLE",
    "multiple",
    options=[
        OptionDraft("A", "Commissural fusion", 0.5, "fb-A"),
        OptionDraft("B", "Pliable leaflets", 0.5, "fb-B"),
        OptionDraft("C", "Left atrial thrombus", -0.5, "fb-C"),
        OptionDraft("D", "Severe MR", -1.0, "fb-D"),
        OptionDraft("E", "Sinus rhythm", 0.0, ""),
    ],
)
# Moodle's 33.33333% grade: three of them are a full-credit answer (within 1e-6).
THIRDS = _question(
    "THIRDS",
    "multiple",
    options=[
        OptionDraft("A", "a", 0.3333333),
        OptionDraft("B", "b", 0.3333333),
        OptionDraft("C", "c", 0.3333333),
        OptionDraft("D", "d", -1.0),
    ],
)
TRUE_FALSE = _question(
    "TF",
    "true_false",
    options=[
        OptionDraft("true", "True", 1.0, "fb-true"),
        OptionDraft("false", "False", 0.0, "fb-false"),
    ],
)
TRUE_FALSE_FALSE = _question(
    "TF-F",
    "true_false",
    options=[OptionDraft("true", "True", 0.0), OptionDraft("false", "False", 1.0)],
)
SHORT = _question(
    "SHORT",
    "short_answer",
    accepted=[
        AcceptedAnswerDraft("Mitral stenosis", 1.0, "fb-ms"),
        AcceptedAnswerDraft("MS", 1.0),
        AcceptedAnswerDraft("mitral*", 0.5, "fb-mitral"),
        AcceptedAnswerDraft("aortic stenosis", -0.5, "fb-as"),
    ],
)
SHORT_WILDCARD = _question(
    "SHORT-W",
    "short_answer",
    accepted=[
        AcceptedAnswerDraft("Wilkins score * 8", 1.0),
        AcceptedAnswerDraft("5\\*3", 1.0, "fb-literal-star"),
        AcceptedAnswerDraft("*", 0.0, "fb-catch-all"),
    ],
)
SHORT_ONLY_WILDCARDS = _question(
    "SHORT-WW",
    "short_answer",
    accepted=[AcceptedAnswerDraft("left atri*", 1.0), AcceptedAnswerDraft("LA", 0.5)],
)
SHORT_CASE = _question(
    "SHORT-CS",
    "short_answer",
    case_sensitive=True,
    accepted=[AcceptedAnswerDraft("pH", 1.0), AcceptedAnswerDraft("PH", 0.25)],
)
NUMERICAL = _question(
    "NUM",
    "numerical",
    unit="cm²",
    answers=[
        NumericAnswerDraft(2.5, 0.1, 1.0, "fb-exact"),
        NumericAnswerDraft(2.5, 0.5, 0.5, "fb-close"),
    ],
)
NUMERICAL_EXACT = _question(
    "NUM-0",
    "numerical",
    answers=[NumericAnswerDraft(0.0, 0.0, 1.0), NumericAnswerDraft(1e12, 0.0, 1.0)],
)
MATCHING = _question(
    "MATCH",
    "matching",
    stems=[
        MatchStemDraft("s1", "Wilkins score", "fb-s1"),
        MatchStemDraft("s2", "Mitral valve area", "fb-s2"),
        MatchStemDraft("s3", "Gradient", ""),
        MatchStemDraft("s4", "Pulmonary pressure", "fb-s4"),
    ],
    choices=[
        MatchChoiceDraft("c1", "points"),
        MatchChoiceDraft("c2", "cm²"),
        MatchChoiceDraft("c3", "mmHg"),
        MatchChoiceDraft("c4", "seconds"),
    ],
    pairs={"s1": "c1", "s2": "c2", "s3": "c3", "s4": "c3"},  # c3 used twice, c4 a distractor
)
ORDERING = _question(
    "ORDER",
    "ordering",
    steps=[
        StepDraft("a", "Transseptal puncture", "fb-a"),
        StepDraft("b", "Heparin", "fb-b"),
        StepDraft("c", "Balloon across the valve", ""),
        StepDraft("d", "Inflate", "fb-d"),
        StepDraft("e", "Reassess gradient", "fb-e"),
    ],
)
ORDERING_TWO = _question(
    "ORDER-2", "ordering", steps=[StepDraft("x", "first"), StepDraft("y", "second")]
)

C, P, W = "correct", "partial", "incorrect"  # W: wrong

# (question, answer, expected fraction, expected outcome)
SCORE_ROWS: list[tuple[QuestionDraft, dict[str, Any], float, str]] = [
    # single: the chosen option's fraction, negative clipped to 0
    (SINGLE, {"option": "A"}, 1.0, C),
    (SINGLE, {"option": "B"}, 0.5, P),
    (SINGLE, {"option": "C"}, 0.0, W),
    (SINGLE, {"option": "D"}, 0.0, W),
    # multiple: sum of the chosen fractions, clipped to [0, 1]
    (MULTIPLE, {"options": ["A", "B"]}, 1.0, C),
    (MULTIPLE, {"options": ["B", "A"]}, 1.0, C),
    (MULTIPLE, {"options": ["A", "B", "E"]}, 1.0, C),
    (MULTIPLE, {"options": ["A"]}, 0.5, P),
    (MULTIPLE, {"options": ["A", "B", "C"]}, 0.5, P),
    (MULTIPLE, {"options": ["A", "C"]}, 0.0, W),
    (MULTIPLE, {"options": ["A", "D"]}, 0.0, W),  # -0.5 clipped to 0
    (MULTIPLE, {"options": ["A", "B", "C", "D", "E"]}, 0.0, W),  # ticking everything
    (MULTIPLE, {"options": ["E"]}, 0.0, W),
    (MULTIPLE, {"options": []}, 0.0, W),  # empty selection: allowed, 0
    (THIRDS, {"options": ["A", "B", "C"]}, 1.0, C),  # 0.9999999 is full credit
    (THIRDS, {"options": ["A", "B"]}, 0.6666666, P),
    # true_false: the fraction of the option matching the value
    (TRUE_FALSE, {"value": True}, 1.0, C),
    (TRUE_FALSE, {"value": False}, 0.0, W),
    (TRUE_FALSE_FALSE, {"value": False}, 1.0, C),
    (TRUE_FALSE_FALSE, {"value": True}, 0.0, W),
    # short_answer: normalised exact match, best fraction, wildcard, negative clipped
    (SHORT, {"text": "Mitral stenosis"}, 1.0, C),
    (SHORT, {"text": "  MITRAL   stenosis. "}, 1.0, C),  # case, spaces, full stop
    (SHORT, {"text": "mitral\u00a0stenosis"}, 1.0, C),  # NBSP (NFKC) is a space
    (SHORT, {"text": "ｍｉｔｒａｌ stenosis"}, 1.0, C),  # full-width letters (NFKC)
    (SHORT, {"text": "ms"}, 1.0, C),
    (SHORT, {"text": "mitral stenosis.."}, 0.5, P),  # one full stop only; "mitral*" still
    (SHORT, {"text": "mitral regurgitation"}, 0.5, P),  # wildcard, partial
    (SHORT, {"text": "Mitral"}, 0.5, P),  # "*" also matches the empty run
    (SHORT, {"text": "mitralstenosis"}, 0.5, P),
    (SHORT, {"text": "a mitral stenosis"}, 0.0, W),  # no implicit leading wildcard
    (SHORT, {"text": "aortic stenosis"}, 0.0, W),  # -0.5 clipped
    (SHORT, {"text": ""}, 0.0, W),
    (SHORT, {"text": "   "}, 0.0, W),
    (SHORT_WILDCARD, {"text": "Wilkins score of 8"}, 1.0, C),
    (SHORT_WILDCARD, {"text": "wilkins score = 8"}, 1.0, C),
    (SHORT_WILDCARD, {"text": "Wilkins score 8"}, 0.0, W),  # "score * 8" needs two spaces
    (SHORT_WILDCARD, {"text": "Wilkins score  8"}, 0.0, W),  # ... which collapse to one
    (SHORT_WILDCARD, {"text": "5*3"}, 1.0, C),  # \* is a literal asterisk
    (SHORT_WILDCARD, {"text": "5x3"}, 0.0, W),
    (SHORT_WILDCARD, {"text": "anything"}, 0.0, W),  # catch-all "*" at 0
    (SHORT_CASE, {"text": "pH"}, 1.0, C),
    (SHORT_CASE, {"text": "PH"}, 0.25, P),
    (SHORT_CASE, {"text": "ph"}, 0.0, W),
    (SHORT_CASE, {"text": " pH. "}, 1.0, C),
    # numerical: best fraction within tolerance, boundaries inclusive
    (NUMERICAL, {"value": 2.5}, 1.0, C),
    (NUMERICAL, {"value": 2.6}, 1.0, C),  # exactly +tolerance (2.6 - 2.5 > 0.1 in floats)
    (NUMERICAL, {"value": 2.4}, 1.0, C),  # exactly -tolerance
    (NUMERICAL, {"value": 2.6000001}, 0.5, P),
    (NUMERICAL, {"value": 3}, 0.5, P),  # int; exactly +0.5
    (NUMERICAL, {"value": 2.0}, 0.5, P),  # exactly -0.5
    (NUMERICAL, {"value": 3.0000001}, 0.0, W),
    (NUMERICAL, {"value": 1.9999999}, 0.0, W),
    (NUMERICAL, {"value": -2.5}, 0.0, W),
    (NUMERICAL_EXACT, {"value": 0}, 1.0, C),
    (NUMERICAL_EXACT, {"value": -0.0}, 1.0, C),
    (NUMERICAL_EXACT, {"value": 1e-10}, 1.0, C),  # within the 1e-9 float epsilon
    (NUMERICAL_EXACT, {"value": 1e-8}, 0.0, W),
    (NUMERICAL_EXACT, {"value": 10**12 + 999}, 1.0, C),  # relative epsilon: 1e-9 * 1e12
    (NUMERICAL_EXACT, {"value": 10**12 + 1001}, 0.0, W),
    (NUMERICAL_EXACT, {"value": 1e308}, 0.0, W),
    # matching: share of stems matched; unanswered stems are wrong
    (MATCHING, {"pairs": {"s1": "c1", "s2": "c2", "s3": "c3", "s4": "c3"}}, 1.0, C),
    (MATCHING, {"pairs": {"s1": "c1", "s2": "c2", "s3": "c3", "s4": "c4"}}, 0.75, P),
    (MATCHING, {"pairs": {"s1": "c1", "s2": "c2"}}, 0.5, P),  # two left unanswered
    (MATCHING, {"pairs": {"s1": "c1", "s2": None, "s3": None}}, 0.25, P),  # null = unanswered
    (MATCHING, {"pairs": {"s1": "c2", "s2": "c1", "s3": "c4", "s4": "c4"}}, 0.0, W),
    (MATCHING, {"pairs": {}}, 0.0, W),
    # ordering: adjacent pairs shared with the key / (n - 1)
    (ORDERING, {"order": ["a", "b", "c", "d", "e"]}, 1.0, C),
    (ORDERING, {"order": ["e", "d", "c", "b", "a"]}, 0.0, W),  # reversed
    (ORDERING, {"order": ["a", "b", "d", "c", "e"]}, 0.25, P),  # one swap in the middle
    (ORDERING, {"order": ["b", "a", "c", "d", "e"]}, 0.5, P),  # first two swapped
    (ORDERING, {"order": ["a", "b", "c", "e", "d"]}, 0.5, P),  # last two swapped
    (ORDERING, {"order": ["e", "a", "b", "c", "d"]}, 0.75, P),  # last moved to the front
    (ORDERING, {"order": ["c", "d", "e", "a", "b"]}, 0.75, P),  # rotated
    (ORDERING, {"order": ["a", "c", "e", "b", "d"]}, 0.0, W),
    (ORDERING_TWO, {"order": ["x", "y"]}, 1.0, C),
    (ORDERING_TWO, {"order": ["y", "x"]}, 0.0, W),
]


@pytest.mark.parametrize(
    ("question", "answer", "fraction", "outcome"),
    SCORE_ROWS,
    ids=[f"{q.id}-{a}" for q, a, _, _ in SCORE_ROWS],
)
def test_score(question: QuestionDraft, answer: dict[str, Any], fraction: float, outcome: str):
    validate_answer(question, answer)
    result = score_answer(question, answer)
    assert result.fraction == pytest.approx(fraction, abs=1e-9)
    assert result.outcome == outcome
    assert result_for_irt(result) == result.fraction


def test_outcome_snaps_the_fraction_to_exactly_1_and_0():
    assert score_answer(THIRDS, {"options": ["A", "B", "C"]}).fraction == 1.0
    assert score_answer(MULTIPLE, {"options": ["A", "D"]}).fraction == 0.0


# (question, answer, expected feedback: item-level first, then combined for the outcome)
FEEDBACK_ROWS: list[tuple[QuestionDraft, dict[str, Any], list[str]]] = [
    (SINGLE, {"option": "A"}, ["fb-A", "Well done."]),
    (SINGLE, {"option": "B"}, ["fb-B", "Partly."]),
    (SINGLE, {"option": "C"}, ["Not quite."]),  # empty option feedback left out
    (MULTIPLE, {"options": ["C", "A"]}, ["fb-A", "fb-C", "Not quite."]),  # author order
    (MULTIPLE, {"options": []}, ["Not quite."]),
    (THIRDS, {"options": ["A"]}, ["Partly."]),
    (TRUE_FALSE, {"value": False}, ["fb-false", "Not quite."]),
    (SHORT, {"text": "mitral stenosis"}, ["fb-ms", "Well done."]),  # best match, not "mitral*"
    (SHORT, {"text": "mitral valve"}, ["fb-mitral", "Partly."]),
    (SHORT, {"text": "aortic stenosis"}, ["fb-as", "Not quite."]),
    (SHORT, {"text": "tricuspid"}, ["Not quite."]),
    (SHORT_WILDCARD, {"text": "anything"}, ["fb-catch-all", "Not quite."]),
    (SHORT_WILDCARD, {"text": ""}, ["Not quite."]),  # blank matches nothing, not even "*"
    (NUMERICAL, {"value": 2.55}, ["fb-exact", "Well done."]),
    (NUMERICAL, {"value": 2.8}, ["fb-close", "Partly."]),
    (NUMERICAL, {"value": 9}, ["Not quite."]),
    (MATCHING, {"pairs": {"s1": "c1", "s3": "c4"}}, ["fb-s2", "fb-s4", "Partly."]),
    (MATCHING, {"pairs": {"s1": "c1", "s2": "c2", "s3": "c3", "s4": "c3"}}, ["Well done."]),
    # out of place: the step is followed by something else than in the key
    (ORDERING, {"order": ["a", "b", "d", "c", "e"]}, ["fb-b", "fb-d", "Partly."]),
    (ORDERING, {"order": ["a", "b", "c", "e", "d"]}, ["fb-e", "fb-d", "Partly."]),
    (ORDERING, {"order": ["a", "b", "c", "d", "e"]}, ["Well done."]),
]


@pytest.mark.parametrize(
    ("question", "answer", "feedback"),
    FEEDBACK_ROWS,
    ids=[f"{q.id}-{a}" for q, a, _ in FEEDBACK_ROWS],
)
def test_feedback(question: QuestionDraft, answer: dict[str, Any], feedback: list[str]):
    assert score_answer(question, answer).feedback == feedback


def test_no_combined_feedback_when_the_question_has_none():
    question = _question(
        "PLAIN",
        "single",
        feedback=CombinedFeedbackDraft(),
        options=[OptionDraft("A", "a", 1.0), OptionDraft("B", "b", 0.0)],
    )
    assert score_answer(question, {"option": "A"}).feedback == []


KEY_ROWS: list[tuple[QuestionDraft, dict[str, Any]]] = [
    (SINGLE, {"option": "A"}),
    (MULTIPLE, {"options": ["A", "B"]}),
    (THIRDS, {"options": ["A", "B", "C"]}),
    (TRUE_FALSE, {"value": True}),
    (TRUE_FALSE_FALSE, {"value": False}),
    (SHORT, {"text": "Mitral stenosis", "accepted": ["Mitral stenosis", "MS"]}),
    # the first full-credit answer without a wildcard is shown; "\*" shown as "*"
    (SHORT_WILDCARD, {"text": "5*3", "accepted": ["Wilkins score * 8", "5\\*3"]}),
    (SHORT_ONLY_WILDCARDS, {"text": "left atri*", "accepted": ["left atri*"]}),
    (SHORT_CASE, {"text": "pH", "accepted": ["pH"]}),
    (NUMERICAL, {"value": 2.5, "tolerance": 0.1, "unit": "cm²"}),
    (MATCHING, {"pairs": {"s1": "c1", "s2": "c2", "s3": "c3", "s4": "c3"}}),
    (ORDERING, {"order": ["a", "b", "c", "d", "e"]}),
]


@pytest.mark.parametrize(("question", "key"), KEY_ROWS, ids=[q.id for q, _ in KEY_ROWS])
def test_correct_answer(question: QuestionDraft, key: dict[str, Any]):
    assert correct_answer(question) == key
    # whatever the answer, the result carries the same key
    some_answer = _answer_from_key(question, key)
    assert score_answer(question, some_answer).correct_answer == key
    assert score_answer(question, some_answer).outcome == "correct"


def _answer_from_key(question: QuestionDraft, key: dict[str, Any]) -> dict[str, Any]:
    """The answer-shaped part of a key (short_answer and numerical keys carry more)."""
    field = scoring.ANSWER_KEYS[question.type]
    return {field: key[field]}


# (question, answer, code, a fragment of the message)
INVALID_ROWS: list[tuple[QuestionDraft, Any, str, str]] = [
    # shape, every type
    (SINGLE, None, ANSWER_SHAPE, "must be an object"),
    (SINGLE, ["A"], ANSWER_SHAPE, 'must be an object {"option": ...}, got a list'),
    (SINGLE, {}, ANSWER_SHAPE, 'needs the key "option"'),
    (SINGLE, {"options": ["A"]}, ANSWER_SHAPE, "unexpected key.*options"),
    (SINGLE, {"option": "A", "confidence": 3}, ANSWER_SHAPE, "unexpected key.*confidence"),
    (SINGLE, {"option": 1}, ANSWER_SHAPE, "option id .*got a number"),
    (SINGLE, {"option": None}, ANSWER_SHAPE, "got null"),
    (SINGLE, {"option": "Z"}, UNKNOWN_ID, "unknown option id 'Z'"),
    (SINGLE, {"option": "a"}, UNKNOWN_ID, "unknown option id 'a'"),  # ids are exact
    (MULTIPLE, {"options": "A"}, ANSWER_SHAPE, "list of option ids, got a string"),
    (MULTIPLE, {"options": {"A": True}}, ANSWER_SHAPE, "got an object"),
    (MULTIPLE, {"options": ["A", 2]}, ANSWER_SHAPE, "found a number"),
    (MULTIPLE, {"options": ["A", "Z", "Y"]}, UNKNOWN_ID, "unknown option id.*'Z', 'Y'"),
    (MULTIPLE, {"options": ["A", "B", "A"]}, DUPLICATE_ID, "more than once.*'A'"),
    (MULTIPLE, {"option": "A"}, ANSWER_SHAPE, "unexpected key.*option"),
    (TRUE_FALSE, {"value": "true"}, ANSWER_SHAPE, "true or false, got a string"),
    (TRUE_FALSE, {"value": 1}, ANSWER_SHAPE, "true or false, got a number"),
    (TRUE_FALSE, {"value": None}, ANSWER_SHAPE, "got null"),
    (TRUE_FALSE, {"option": "true"}, ANSWER_SHAPE, "unexpected key"),
    (SHORT, {"text": 5}, ANSWER_SHAPE, '"text" must be a string, got a number'),
    (SHORT, {"text": ["MS"]}, ANSWER_SHAPE, "got a list"),
    (SHORT, {"value": "MS"}, ANSWER_SHAPE, "unexpected key"),
    (SHORT, {"text": "x" * 501}, TEXT_TOO_LONG, "501 characters.*limit is 500"),
    (NUMERICAL, {"value": "2.5"}, ANSWER_SHAPE, "JSON number, not a string"),
    (NUMERICAL, {"value": "2.5 cm²"}, ANSWER_SHAPE, "not a string"),
    (NUMERICAL, {"value": True}, ANSWER_SHAPE, "must be a number, got a boolean"),
    (NUMERICAL, {"value": None}, ANSWER_SHAPE, "got null"),
    (NUMERICAL, {"value": [2.5]}, ANSWER_SHAPE, "got a list"),
    (NUMERICAL, {"value": math.nan}, NOT_FINITE, "finite"),
    (NUMERICAL, {"value": math.inf}, NOT_FINITE, "finite"),
    (NUMERICAL, {"value": -math.inf}, NOT_FINITE, "finite"),
    (NUMERICAL, {"value": 10**400}, NOT_FINITE, "finite"),
    (NUMERICAL, {"value": 2.5, "unit": "cm²"}, ANSWER_SHAPE, "unexpected key.*unit"),
    (MATCHING, {"pairs": [["s1", "c1"]]}, ANSWER_SHAPE, "must be an object mapping"),
    (MATCHING, {"pairs": {"s1": 1}}, ANSWER_SHAPE, "stem 's1' has a number"),
    (MATCHING, {"pairs": {"s1": "c1", "s9": "c1"}}, UNKNOWN_ID, "unknown stem id.*'s9'"),
    (MATCHING, {"pairs": {"c1": "s1"}}, UNKNOWN_ID, "unknown stem id.*'c1'"),
    (MATCHING, {"pairs": {"s1": "c9"}}, UNKNOWN_ID, "unknown choice id.*'c9'"),
    (ORDERING, {"order": "abcde"}, ANSWER_SHAPE, "list of step ids, got a string"),
    (ORDERING, {"order": ["a", "b", None, "d", "e"]}, ANSWER_SHAPE, "found null"),
    (ORDERING, {"order": ["a", "b", "c", "d", "z"]}, UNKNOWN_ID, "unknown step id.*'z'"),
    (ORDERING, {"order": ["a", "b", "c", "d", "e", "a"]}, DUPLICATE_ID, "more than once.*'a'"),
    (ORDERING, {"order": ["a", "a", "c", "d", "e"]}, DUPLICATE_ID, "more than once.*'a'"),
    (ORDERING, {"order": ["a", "b", "c"]}, INCOMPLETE_ORDER, "missing 2 of 5: 'd', 'e'"),
    (ORDERING, {"order": []}, INCOMPLETE_ORDER, "every step once"),
]


@pytest.mark.parametrize(
    ("question", "answer", "code", "message"),
    INVALID_ROWS,
    ids=[f"{q.id}-{code}-{i}" for i, (q, _, code, _) in enumerate(INVALID_ROWS)],
)
def test_invalid_answer(question: QuestionDraft, answer: Any, code: str, message: str):
    with pytest.raises(AnswerError, match=message) as raised:
        validate_answer(question, answer)
    assert raised.value.code == code
    with pytest.raises(AnswerError, match=message) as raised:
        score_answer(question, answer)
    assert raised.value.code == code
    assert isinstance(raised.value, ValueError)
    assert raised.value.code in scoring.ERROR_CODES


def test_text_of_exactly_500_characters_is_accepted():
    validate_answer(SHORT, {"text": "x" * 500})


def test_answer_error_names_the_field_and_the_ids_for_delivery_to_map_back():
    with pytest.raises(AnswerError) as raised:
        validate_answer(ORDERING, {"order": ["a", "c"]})
    error = raised.value
    assert (error.field, error.kind, error.ids) == ("order", "step", ("b", "d", "e"))
    with pytest.raises(AnswerError) as raised:
        validate_answer(MATCHING, {"pairs": {"s1": "c7"}})
    assert (raised.value.field, raised.value.kind, raised.value.ids) == ("pairs", "choice", ("c7",))
    with pytest.raises(AnswerError) as raised:
        validate_answer(SINGLE, {"option": "A", "extra": 1})
    assert raised.value.field == "extra"


def test_a_question_of_an_unknown_type_is_not_an_answer_error():
    broken = QuestionDraft(id="X", type="essay", stem="Discuss.")
    with pytest.raises(ValueError, match="cannot score a question of type 'essay'") as raised:
        score_answer(broken, {"text": "..."})
    assert not isinstance(raised.value, AnswerError)


def test_score_result_is_frozen():
    result = score_answer(SINGLE, {"option": "A"})
    assert isinstance(result, ScoreResult)
    with pytest.raises(AttributeError):
        result.fraction = 0.5  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "case_sensitive", "normalised"),
    [
        ("  Mitral   Stenosis. ", False, "mitral stenosis"),
        ("Mitral Stenosis.", True, "Mitral Stenosis"),
        ("etc..", False, "etc."),
        ("a .", False, "a"),
        ("Straße", False, "strasse"),
        ("ﬁbrosis", False, "fibrosis"),  # NFKC ligature
        ("\tline\nbreak\u2003em", False, "line break em"),
        (".", False, ""),
    ],
)
def test_normalise_text(text: str, case_sensitive: bool, normalised: str):
    assert normalise_text(text, case_sensitive=case_sensitive) == normalised


@pytest.mark.parametrize(
    ("pattern", "text", "matches"),
    [
        ("abc", "abc", True),
        ("abc", "abcd", False),
        ("a*c", "ac", True),
        ("a*c", "abbbc", True),
        ("a*c", "abbbcd", False),
        ("*c", "c", True),
        ("a*", "a", True),
        ("*", "", True),
        ("a**b", "axb", True),  # a run of stars is one wildcard
        ("a*b*a", "aba", True),
        ("a*b*a", "ab", False),  # head and tail must not overlap
        ("a*a", "a", False),
        ("a\\*b", "a*b", True),
        ("a\\*b", "axb", False),
        ("a\\**", "a*xyz", True),
        ("a.c", "abc", False),  # no regex syntax
        ("*a*a*a*a*a*a*a*a*a*a*b", "a" * 400, False),  # no catastrophic backtracking
    ],
)
def test_wildcard_match(pattern: str, text: str, matches: bool):
    assert wildcard_match(pattern, text) is matches


def test_scoring_imports_no_django():
    code = (
        "import sys\n"
        "import quizzes.scoring\n"
        "sys.exit(any(name.split('.')[0] == 'django' for name in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], check=False)
    assert done.returncode == 0


# -- properties -------------------------------------------------------------------------

_fractions = st.floats(min_value=-1.0, max_value=1.0, allow_nan=False)
_ids = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=6)


@st.composite
def _choice_question(draw: st.DrawFn) -> tuple[QuestionDraft, dict[str, Any]]:
    kind = draw(st.sampled_from(["single", "multiple", "true_false"]))
    if kind == "true_false":
        right = draw(st.booleans())
        options = [
            OptionDraft("true", "True", 1.0 if right else 0.0),
            OptionDraft("false", "False", 0.0 if right else 1.0),
        ]
        answer: dict[str, Any] = {"value": draw(st.booleans())}
    else:
        ids = draw(st.lists(_ids, min_size=2, max_size=7, unique=True))
        if kind == "single":
            right_index = draw(st.integers(0, len(ids) - 1))
            fractions = [
                1.0 if i == right_index else draw(_fractions.filter(lambda f: f < 0.99))
                for i in range(len(ids))
            ]
            answer = {"option": draw(st.sampled_from(ids))}
        else:
            correct = draw(st.lists(st.booleans(), min_size=len(ids), max_size=len(ids)))
            if not any(correct):
                correct[0] = True
            weights = [draw(st.floats(0.01, 1.0)) if c else 0.0 for c in correct]
            total = sum(weights)
            fractions = [
                weight / total if right else draw(st.floats(-1.0, 0.0))
                for weight, right in zip(weights, correct, strict=True)
            ]
            chosen = draw(st.lists(st.sampled_from(ids), unique=True))
            answer = {"options": chosen}
        options = [OptionDraft(i, f"text {i}", f) for i, f in zip(ids, fractions, strict=True)]
    return QuestionDraft(id="H", type=kind, stem="s", options=options), answer


_accepted_text = st.text(
    alphabet=st.one_of(st.characters(), st.sampled_from("* .\\Ab")),
    min_size=1,
    max_size=40,
).filter(lambda t: t.strip() and normalise_text(t))


@st.composite
def _short_answer_question(draw: st.DrawFn) -> tuple[QuestionDraft, dict[str, Any]]:
    texts = draw(st.lists(_accepted_text, min_size=1, max_size=4))
    fractions = [1.0] + [draw(_fractions) for _ in texts[1:]]
    order = draw(st.permutations(range(len(texts))))
    accepted = [AcceptedAnswerDraft(texts[i], fractions[i]) for i in order]
    question = QuestionDraft(
        id="H",
        type="short_answer",
        stem="s",
        accepted=accepted,
        case_sensitive=draw(st.booleans()),
    )
    text = draw(st.one_of(st.text(max_size=60), st.sampled_from(texts)))
    return question, {"text": text}


_finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@st.composite
def _numerical_question(draw: st.DrawFn) -> tuple[QuestionDraft, dict[str, Any]]:
    count = draw(st.integers(1, 3))
    answers = [
        NumericAnswerDraft(
            value=draw(_finite),
            tolerance=draw(st.floats(0.0, 100.0)),
            fraction=1.0 if i == 0 else draw(_fractions),
        )
        for i in range(count)
    ]
    value = draw(
        st.one_of(
            st.floats(allow_nan=False, allow_infinity=False),
            st.integers(-(10**20), 10**20),
            st.sampled_from([a.value + a.tolerance for a in answers]),
            st.sampled_from([a.value - a.tolerance for a in answers]),
        )
    )
    question = QuestionDraft(id="H", type="numerical", stem="s", answers=answers, unit="mg")
    return question, {"value": value}


@st.composite
def _matching_question(draw: st.DrawFn) -> tuple[QuestionDraft, dict[str, Any]]:
    stems = draw(st.lists(_ids, min_size=2, max_size=6, unique=True))
    choices = draw(st.lists(_ids, min_size=1, max_size=7, unique=True))
    pairs = {s: draw(st.sampled_from(choices)) for s in stems}
    answered = draw(st.lists(st.sampled_from(stems), unique=True))
    answer = {"pairs": {s: draw(st.one_of(st.none(), st.sampled_from(choices))) for s in answered}}
    question = QuestionDraft(
        id="H",
        type="matching",
        stem="s",
        stems=[MatchStemDraft(s, f"stem {s}") for s in stems],
        choices=[MatchChoiceDraft(c, f"choice {c}") for c in choices],
        pairs=pairs,
    )
    return question, answer


@st.composite
def _ordering_question(draw: st.DrawFn) -> tuple[QuestionDraft, dict[str, Any]]:
    ids = draw(st.lists(_ids, min_size=2, max_size=8, unique=True))
    question = QuestionDraft(
        id="H", type="ordering", stem="s", steps=[StepDraft(i, f"step {i}") for i in ids]
    )
    return question, {"order": draw(st.permutations(ids))}


_questions_and_answers = st.one_of(
    _choice_question(),
    _short_answer_question(),
    _numerical_question(),
    _matching_question(),
    _ordering_question(),
)


@settings(max_examples=400)
@given(_questions_and_answers)
def test_fraction_is_within_0_and_1_and_agrees_with_the_outcome(
    case: tuple[QuestionDraft, dict[str, Any]],
):
    question, answer = case
    assert validate_payload(question) == []
    result = score_answer(question, answer)
    assert 0.0 <= result.fraction <= 1.0
    expected = {1.0: "correct", 0.0: "incorrect"}.get(result.fraction, "partial")
    assert result.outcome == expected
    assert result.correct_answer == correct_answer(question)


@settings(max_examples=400)
@given(_questions_and_answers)
def test_the_key_always_scores_1(case: tuple[QuestionDraft, dict[str, Any]]):
    question, _ = case
    key_answer = _answer_from_key(question, correct_answer(question))
    validate_answer(question, key_answer)
    result = score_answer(question, key_answer)
    assert (result.fraction, result.outcome) == (1.0, "correct")


@given(_ordering_question())
def test_every_permutation_of_an_ordering_scores_within_0_and_1(
    case: tuple[QuestionDraft, dict[str, Any]],
):
    question, answer = case
    fraction = score_answer(question, answer).fraction
    assert 0.0 <= fraction <= 1.0
    steps = len(question.steps)
    # a whole number of the n - 1 adjacent pairs
    assert fraction * (steps - 1) == pytest.approx(round(fraction * (steps - 1)))
    if answer["order"] == question.order:
        assert fraction == 1.0
    if answer["order"] == question.order[::-1]:
        assert fraction == 0.0
