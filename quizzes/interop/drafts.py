"""Plain-data questions: the shape every format reads and writes.

Framework-free on purpose (no Django import): the bank fixtures, the JSON format, the
Moodle XML, GIFT and QTI parsers and the item linter all work on these dataclasses, and
the database layer converts them to and from QuestionRevision rows.

The dict form (``question_to_dict`` / ``question_from_dict``) is the project's own lossless
JSON format, the one ``fixtures/`` uses; docs/content-guide.md documents it field by field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

FORMAT_ID = "quizzes-bank/1"

QUESTION_TYPES = (
    "single",
    "multiple",
    "true_false",
    "short_answer",
    "numerical",
    "matching",
    "ordering",
)
CHOICE_TYPES = ("single", "multiple", "true_false")
BLOOM_LEVELS = ("remember", "understand", "apply", "analyse", "evaluate", "create")
STATUSES = ("draft", "in_review", "published", "retired")
TEXT_FORMATS = ("plain", "html", "markdown")

# An educator's difficulty rating becomes the IRT prior's difficulty b (logits); the
# discrimination prior is a = 1. Calibration from live responses replaces both later.
DIFFICULTY_TO_B = {
    "very_easy": -2.0,
    "easy": -1.0,
    "medium": 0.0,
    "hard": 1.0,
    "very_hard": 2.0,
}
DEFAULT_DISCRIMINATION = 1.0


@dataclass
class OptionDraft:
    """A choice of a single, multiple or true/false question."""

    id: str
    text: str
    fraction: float = 0.0
    feedback: str = ""


@dataclass
class AcceptedAnswerDraft:
    """An accepted (or partially credited) text of a short-answer question."""

    text: str
    fraction: float = 1.0
    feedback: str = ""


@dataclass
class NumericAnswerDraft:
    """A credited value of a numerical question: correct when |answer - value| <= tolerance."""

    value: float
    tolerance: float = 0.0
    fraction: float = 1.0
    feedback: str = ""


@dataclass
class MatchStemDraft:
    """A left-hand prompt of a matching question."""

    id: str
    text: str
    feedback: str = ""


@dataclass
class MatchChoiceDraft:
    """A right-hand choice of a matching question (extra choices are distractors)."""

    id: str
    text: str


@dataclass
class StepDraft:
    """An element of an ordering question; a question lists them in the correct order."""

    id: str
    text: str
    feedback: str = ""


@dataclass
class IrtDraft:
    a: float
    b: float
    c: float = 0.0
    provenance: str = "prior"  # "prior" (educator rating) or "calibrated:<n responses>"


@dataclass
class FileDraft:
    """An embedded file (an image in a stem), kept base64-encoded as Moodle does."""

    name: str
    data: str  # base64
    path: str = "/"


@dataclass
class LintExceptionDraft:
    """A recorded exception to one item-linter rule, with the reviewer's reason."""

    rule: str
    reason: str


@dataclass
class CombinedFeedbackDraft:
    """Feedback by outcome, for types whose answers are not a list of options."""

    correct: str = ""
    partial: str = ""
    incorrect: str = ""

    def is_empty(self) -> bool:
        return not (self.correct or self.partial or self.incorrect)


@dataclass
class QuestionDraft:
    id: str  # stable external id (Moodle idnumber, QTI identifier, fixtures' BV-...)
    type: str
    stem: str
    lead_in: str = ""
    title: str = ""
    text_format: str = "plain"
    options: list[OptionDraft] = field(default_factory=list)
    accepted: list[AcceptedAnswerDraft] = field(default_factory=list)
    case_sensitive: bool = False
    answers: list[NumericAnswerDraft] = field(default_factory=list)
    unit: str = ""
    stems: list[MatchStemDraft] = field(default_factory=list)
    choices: list[MatchChoiceDraft] = field(default_factory=list)
    pairs: dict[str, str] = field(default_factory=dict)
    steps: list[StepDraft] = field(default_factory=list)
    explanation: str = ""
    feedback: CombinedFeedbackDraft = field(default_factory=CombinedFeedbackDraft)
    topic: str = ""  # slug path, "risks/complications"
    objectives: list[str] = field(default_factory=list)
    bloom: str = ""
    source: str = ""
    fact_refs: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    difficulty: str = "medium"
    irt: IrtDraft | None = None
    status: str = "published"
    negative_lead_in: bool = False  # a deliberate NOT/EXCEPT lead-in, marked as such
    lint_exceptions: list[LintExceptionDraft] = field(default_factory=list)
    files: list[FileDraft] = field(default_factory=list)

    @property
    def order(self) -> list[str]:
        return [step.id for step in self.steps]

    def irt_prior(self) -> IrtDraft:
        """The IRT parameters to use before calibration: the stored ones, else the prior."""
        if self.irt is not None:
            return self.irt
        b = DIFFICULTY_TO_B.get(self.difficulty, 0.0)
        return IrtDraft(a=DEFAULT_DISCRIMINATION, b=b, c=guessing_prior(self), provenance="prior")


def guessing_prior(question: QuestionDraft) -> float:
    """c = 1 / number of options for single-answer choice types, 0 where guessing is negligible.

    A multiple-response item is scored with partial credit, so blind guessing earns little
    full credit; its prior c is 1 / 2**n (every subset equally likely), capped at 1/4.
    """
    if question.type in ("single", "true_false") and question.options:
        return round(1.0 / len(question.options), 4)
    if question.type == "multiple" and question.options:
        return round(min(0.25, 1.0 / 2 ** len(question.options)), 4)
    return 0.0


# -- validation ------------------------------------------------------------------------


def _close(x: float, y: float) -> bool:
    return math.isclose(x, y, abs_tol=1e-6)


def _check_fraction(value: Any, where: str, errors: list[str]) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        errors.append(f"{where}: fraction must be a number")
    elif not -1.0 <= value <= 1.0:
        errors.append(f"{where}: fraction {value} is outside [-1, 1]")


def _check_ids(ids: list[str], what: str, errors: list[str]) -> None:
    if any(not isinstance(i, str) or not i.strip() for i in ids):
        errors.append(f"every {what} needs a non-empty id")
    elif len(set(ids)) != len(ids):
        errors.append(f"{what} ids must be unique")


def validate_payload(question: QuestionDraft) -> list[str]:
    """Structural errors of a question's type-specific payload; [] when it is valid.

    These are the rules a question must satisfy to be served and scored at all (the item
    linter's style rules are separate). The models call this from ``clean()``.
    """
    errors: list[str] = []
    kind = question.type
    if kind not in QUESTION_TYPES:
        return [f"type must be one of {', '.join(QUESTION_TYPES)}"]
    if not (question.stem or "").strip():
        errors.append("stem must not be empty")

    unused = {
        "options": bool(question.options) and kind not in CHOICE_TYPES,
        "accepted": bool(question.accepted) and kind != "short_answer",
        "answers": bool(question.answers) and kind != "numerical",
        "stems": bool(question.stems) and kind != "matching",
        "choices": bool(question.choices) and kind != "matching",
        "pairs": bool(question.pairs) and kind != "matching",
        "steps": bool(question.steps) and kind != "ordering",
    }
    for name, present in unused.items():
        if present:
            errors.append(f"{name} is not used by a {kind} question")

    if kind in CHOICE_TYPES:
        _validate_choices(question, errors)
    elif kind == "short_answer":
        if not question.accepted:
            errors.append("a short_answer question needs at least one accepted answer")
        for index, accepted in enumerate(question.accepted):
            if not accepted.text.strip():
                errors.append(f"accepted[{index}]: text must not be empty")
            _check_fraction(accepted.fraction, f"accepted[{index}]", errors)
        if question.accepted and not any(_close(a.fraction, 1.0) for a in question.accepted):
            errors.append("a short_answer question needs an accepted answer with fraction 1")
    elif kind == "numerical":
        if not question.answers:
            errors.append("a numerical question needs at least one answer")
        for index, answer in enumerate(question.answers):
            value_ok = isinstance(answer.value, int | float) and not isinstance(answer.value, bool)
            if not value_ok or not math.isfinite(answer.value):
                errors.append(f"answers[{index}]: value must be a finite number")
            tol_ok = isinstance(answer.tolerance, int | float) and not isinstance(
                answer.tolerance, bool
            )
            if not tol_ok or not math.isfinite(answer.tolerance) or answer.tolerance < 0:
                errors.append(f"answers[{index}]: tolerance must be a number >= 0")
            _check_fraction(answer.fraction, f"answers[{index}]", errors)
        if question.answers and not any(_close(a.fraction, 1.0) for a in question.answers):
            errors.append("a numerical question needs an answer with fraction 1")
    elif kind == "matching":
        stem_ids = [s.id for s in question.stems]
        choice_ids = [c.id for c in question.choices]
        if len(question.stems) < 2:
            errors.append("a matching question needs at least two stems")
        _check_ids(stem_ids, "stem", errors)
        _check_ids(choice_ids, "choice", errors)
        if set(question.pairs) != set(stem_ids):
            errors.append("pairs must give exactly one choice for every stem")
        unknown = sorted(set(question.pairs.values()) - set(choice_ids))
        if unknown:
            errors.append(f"pairs name unknown choices: {', '.join(unknown)}")
    elif kind == "ordering":
        if len(question.steps) < 2:
            errors.append("an ordering question needs at least two steps")
        _check_ids([s.id for s in question.steps], "step", errors)
    return errors


def _validate_choices(question: QuestionDraft, errors: list[str]) -> None:
    kind = question.type
    options = question.options
    _check_ids([o.id for o in options], "option", errors)
    for index, option in enumerate(options):
        if not (option.text or "").strip():
            errors.append(f"options[{index}]: text must not be empty")
        _check_fraction(option.fraction, f"options[{index}]", errors)
    fractions = [o.fraction for o in options if isinstance(o.fraction, int | float)]
    if kind == "true_false":
        if sorted(o.id for o in options) != ["false", "true"]:
            errors.append('a true_false question has exactly the options "true" and "false"')
        elif sorted(fractions) != [0.0, 1.0]:
            errors.append("a true_false question has one option with fraction 1, the other 0")
    elif kind == "single":
        if len(options) < 2:
            errors.append("a single question needs at least two options")
        if sum(1 for f in fractions if _close(f, 1.0)) != 1:
            errors.append("a single question needs exactly one option with fraction 1")
    elif kind == "multiple":
        if len(options) < 2:
            errors.append("a multiple question needs at least two options")
        positive = sum(f for f in fractions if f > 0)
        if not _close(positive, 1.0):
            errors.append(
                f"the positive fractions of a multiple question must add up to 1 (got {positive:g})"
            )


# -- dict form (the JSON format) -------------------------------------------------------


def _clean(mapping: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if v not in ("", None, [], {})}


def question_to_dict(question: QuestionDraft) -> dict[str, Any]:
    """The JSON form: only the fields a question uses, in a stable, reviewable order."""
    data: dict[str, Any] = {
        "id": question.id,
        "type": question.type,
        "status": question.status,
        "title": question.title,
        "topic": question.topic,
        "objectives": list(question.objectives),
        "bloom": question.bloom,
        "difficulty": question.difficulty,
        "source": question.source,
        "fact_refs": list(question.fact_refs),
        "tags": list(question.tags),
        "text_format": "" if question.text_format == "plain" else question.text_format,
        "stem": question.stem,
        "lead_in": question.lead_in,
        "negative_lead_in": question.negative_lead_in or None,
    }
    if question.options:
        data["options"] = [
            _clean({"id": o.id, "text": o.text, "fraction": o.fraction, "feedback": o.feedback})
            for o in question.options
        ]
    if question.accepted:
        data["accepted"] = [
            {"text": a.text, "fraction": a.fraction} | _clean({"feedback": a.feedback})
            for a in question.accepted
        ]
        data["case_sensitive"] = question.case_sensitive or None
    if question.answers:
        data["answers"] = [
            {"value": a.value, "tolerance": a.tolerance, "fraction": a.fraction}
            | _clean({"feedback": a.feedback})
            for a in question.answers
        ]
        data["unit"] = question.unit
    if question.stems or question.choices:
        data["stems"] = [
            _clean({"id": s.id, "text": s.text, "feedback": s.feedback}) for s in question.stems
        ]
        data["choices"] = [{"id": c.id, "text": c.text} for c in question.choices]
        data["pairs"] = dict(question.pairs)
    if question.steps:
        data["steps"] = [
            _clean({"id": s.id, "text": s.text, "feedback": s.feedback}) for s in question.steps
        ]
    data["explanation"] = question.explanation
    data["feedback"] = _clean(
        {
            "correct": question.feedback.correct,
            "partial": question.feedback.partial,
            "incorrect": question.feedback.incorrect,
        }
    )
    if question.irt is not None:
        data["irt"] = {
            "a": question.irt.a,
            "b": question.irt.b,
            "c": question.irt.c,
            "provenance": question.irt.provenance,
        }
    data["lint_exceptions"] = [
        {"rule": e.rule, "reason": e.reason} for e in question.lint_exceptions
    ]
    data["files"] = [{"name": f.name, "path": f.path, "data": f.data} for f in question.files]
    return _clean(data)


class DraftFormatError(ValueError):
    """A dict that cannot be read as a question; the message names the field."""


_KNOWN_KEYS = {
    "id", "type", "status", "title", "topic", "objectives", "bloom", "difficulty", "source",
    "fact_refs", "tags", "text_format", "stem", "lead_in", "negative_lead_in", "options",
    "accepted", "case_sensitive", "answers", "unit", "stems", "choices", "pairs", "steps",
    "explanation", "feedback", "irt", "lint_exceptions", "files",
}  # fmt: skip


def _list_of(data: dict[str, Any], key: str, where: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise DraftFormatError(f"{where}: {key} must be a list")
    return value


def _str(data: dict[str, Any], key: str, where: str, default: str = "") -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        raise DraftFormatError(f"{where}: {key} must be a string")
    return value


def _num(data: dict[str, Any], key: str, where: str, default: float = 0.0) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DraftFormatError(f"{where}: {key} must be a number")
    return float(value)


def _obj(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise DraftFormatError(f"{where} must be an object")
    return value


def question_from_dict(data: Any) -> QuestionDraft:
    """Read the JSON form; raises DraftFormatError naming the field that is wrong."""
    data = _obj(data, "question")
    qid = data.get("id")
    if not isinstance(qid, str) or not qid.strip():
        raise DraftFormatError("question: id must be a non-empty string")
    where = f"question {qid}"
    unknown = sorted(set(data) - _KNOWN_KEYS)
    if unknown:
        raise DraftFormatError(f"{where}: unknown field(s) {', '.join(unknown)}")
    pairs = _obj(data.get("pairs", {}), f"{where}: pairs")
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in pairs.items()):
        raise DraftFormatError(f"{where}: pairs must map stem ids to choice ids")
    feedback = _obj(data.get("feedback", {}), f"{where}: feedback")
    irt = data.get("irt")
    for key in ("objectives", "fact_refs", "tags"):
        if not all(isinstance(v, str) for v in _list_of(data, key, where)):
            raise DraftFormatError(f"{where}: {key} must be a list of strings")
    return QuestionDraft(
        id=qid,
        type=_str(data, "type", where),
        status=_str(data, "status", where, "published"),
        title=_str(data, "title", where),
        topic=_str(data, "topic", where),
        objectives=list(data.get("objectives", [])),
        bloom=_str(data, "bloom", where),
        difficulty=_str(data, "difficulty", where, "medium"),
        source=_str(data, "source", where),
        fact_refs=list(data.get("fact_refs", [])),
        tags=list(data.get("tags", [])),
        text_format=_str(data, "text_format", where, "plain") or "plain",
        stem=_str(data, "stem", where),
        lead_in=_str(data, "lead_in", where),
        negative_lead_in=bool(data.get("negative_lead_in", False)),
        options=[
            OptionDraft(
                id=_str(o, "id", f"{where} option"),
                text=_str(o, "text", f"{where} option"),
                fraction=_num(o, "fraction", f"{where} option"),
                feedback=_str(o, "feedback", f"{where} option"),
            )
            for o in (_obj(x, f"{where}: option") for x in _list_of(data, "options", where))
        ],
        accepted=[
            AcceptedAnswerDraft(
                text=_str(a, "text", f"{where} accepted"),
                fraction=_num(a, "fraction", f"{where} accepted", 1.0),
                feedback=_str(a, "feedback", f"{where} accepted"),
            )
            for a in (_obj(x, f"{where}: accepted") for x in _list_of(data, "accepted", where))
        ],
        case_sensitive=bool(data.get("case_sensitive", False)),
        answers=[
            NumericAnswerDraft(
                value=_num(a, "value", f"{where} answer"),
                tolerance=_num(a, "tolerance", f"{where} answer"),
                fraction=_num(a, "fraction", f"{where} answer", 1.0),
                feedback=_str(a, "feedback", f"{where} answer"),
            )
            for a in (_obj(x, f"{where}: answer") for x in _list_of(data, "answers", where))
        ],
        unit=_str(data, "unit", where),
        stems=[
            MatchStemDraft(
                id=_str(s, "id", f"{where} stem"),
                text=_str(s, "text", f"{where} stem"),
                feedback=_str(s, "feedback", f"{where} stem"),
            )
            for s in (_obj(x, f"{where}: stem") for x in _list_of(data, "stems", where))
        ],
        choices=[
            MatchChoiceDraft(
                id=_str(c, "id", f"{where} choice"), text=_str(c, "text", f"{where} choice")
            )
            for c in (_obj(x, f"{where}: choice") for x in _list_of(data, "choices", where))
        ],
        pairs=dict(pairs),
        steps=[
            StepDraft(
                id=_str(s, "id", f"{where} step"),
                text=_str(s, "text", f"{where} step"),
                feedback=_str(s, "feedback", f"{where} step"),
            )
            for s in (_obj(x, f"{where}: step") for x in _list_of(data, "steps", where))
        ],
        explanation=_str(data, "explanation", where),
        feedback=CombinedFeedbackDraft(
            correct=_str(feedback, "correct", f"{where} feedback"),
            partial=_str(feedback, "partial", f"{where} feedback"),
            incorrect=_str(feedback, "incorrect", f"{where} feedback"),
        ),
        irt=None
        if irt is None
        else IrtDraft(
            a=_num(_obj(irt, f"{where}: irt"), "a", f"{where} irt"),
            b=_num(irt, "b", f"{where} irt"),
            c=_num(irt, "c", f"{where} irt"),
            provenance=_str(irt, "provenance", f"{where} irt", "prior"),
        ),
        lint_exceptions=[
            LintExceptionDraft(
                rule=_str(e, "rule", f"{where} lint"), reason=_str(e, "reason", f"{where} lint")
            )
            for e in (
                _obj(x, f"{where}: lint exception")
                for x in _list_of(data, "lint_exceptions", where)
            )
        ],
        files=[
            FileDraft(
                name=_str(f, "name", f"{where} file"),
                data=_str(f, "data", f"{where} file"),
                path=_str(f, "path", f"{where} file", "/"),
            )
            for f in (_obj(x, f"{where}: file") for x in _list_of(data, "files", where))
        ],
    )


@dataclass
class TopicDraft:
    slug: str
    title: str
    children: list[TopicDraft] = field(default_factory=list)


@dataclass
class ObjectiveDraft:
    id: str
    text: str
    topic: str = ""
    bloom: str = ""
    source: str = ""


@dataclass
class BankDraft:
    """A bank as plain data: what an importer produces and an exporter consumes."""

    title: str = ""
    description: str = ""
    topics: list[TopicDraft] = field(default_factory=list)
    objectives: list[ObjectiveDraft] = field(default_factory=list)
    questions: list[QuestionDraft] = field(default_factory=list)


def topic_paths(topics: list[TopicDraft], prefix: str = "") -> list[str]:
    """Every topic's slug path ("risks", "risks/complications"), parents before children."""
    paths: list[str] = []
    for topic in topics:
        path = f"{prefix}{topic.slug}"
        paths.append(path)
        paths.extend(topic_paths(topic.children, prefix=f"{path}/"))
    return paths
