"""GIFT (Moodle's question/format/gift), import and export.

The reader follows Moodle's qformat_gift: questions are separated by blank lines; lines
starting with ``//`` are comments (Moodle's ``// [id:...]`` and ``// [tag:...]`` give the
idnumber and tags); ``$CATEGORY:`` switches category; ``::title::``; ``[html]``,
``[markdown]``, ``[plain]`` and ``[moodle]`` formats; the answer block ``{...}`` decides the
type: ``{}`` essay (reported as unsupported), ``{#...}`` numerical (``value:tolerance``,
``min..max``, several ``=%w%`` answers, ``~#feedback`` for wrong answers), any ``~``
multiple choice (single if an answer starts with ``=``, otherwise multiple with ``%w%``
weights), ``=a -> b`` matching, ``T``/``TRUE``/``F``/``FALSE`` true/false (``#wrong#right``
feedback), anything else short answer; a text with no answer block is a description
(skipped with a note); an answer block inside the text leaves ``_____`` (missing word).
``#`` starts an answer's feedback, ``####`` the general feedback; ``\\: \\# \\= \\{ \\} \\~
\\\\`` and ``\\n`` are escapes.

GIFT has no ordering type: the exporter leaves ordering questions out with a comment.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import ClassVar

from quizzes.interop.base import (
    ALL_QUESTION_FIELDS,
    BaseExporter,
    BaseImporter,
    FormatError,
    ImportResult,
    question_label,
)
from quizzes.interop.drafts import (
    AcceptedAnswerDraft,
    BankDraft,
    MatchChoiceDraft,
    MatchStemDraft,
    NumericAnswerDraft,
    OptionDraft,
    QuestionDraft,
    validate_payload,
)
from quizzes.interop.metadata import (
    add_topic_path,
    category_path_for,
    is_slug_path,
    join_lead_in,
    metadata_tags,
    read_metadata_tags,
    slugify,
    split_category_path,
    split_lead_in,
)
from quizzes.interop.moodle_xml import is_moodle_grade, snap_to_moodle_grade
from quizzes.interop.sanitize import contains_markup, sanitize_question

IDENTIFIER = "gift"

# -- messages (tests assert these; Moodle's own wording where Moodle has one) -----------

NOT_TEXT = "not a GIFT file: the file is not UTF-8 text"
BRACE_ERROR = "Could not find {...} around answers"
NOT_ENOUGH_ANSWERS = (
    "There is an error in the question. There are not enough answers for this question type"
)
MATCHING_FORMAT = "Matching question answers are improperly formatted"
NO_NUMERICAL_ANSWERS = "No answers found for numerical question"
NOT_NUMBERS = "Error - answers must be numeric"
ESSAY_UNSUPPORTED = "essay question ({}) is not supported; question skipped"
DESCRIPTION_SKIPPED = "description (a text with no answer block) skipped"
CATCH_ALL_AS_FEEDBACK = "catch-all answer '*' imported as the incorrect-answer feedback"
INVALID_GRADES = "Grades ({grades}) do not match grade options - question skipped."
DUPLICATE_ID = "id {id} is used by an earlier question in the file; question skipped"

_WEIGHT = re.compile(r"^%(-?\d+(?:\.\d*)?)%")
_FORMATS = {"html": "html", "markdown": "markdown", "plain": "plain", "moodle": "moodle"}
_ESCAPES = {":": "\x01058", "#": "\x01035", "=": "\x01061", "{": "\x01123", "}": "\x01125",
            "~": "\x01126", "n": "\x01010"}  # fmt: skip
_PLACEHOLDER_CHARS = {v: ("\n" if k == "n" else k) for k, v in _ESCAPES.items()}
_BACKSLASH = "\x01092"
_TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}
_COMMENT_ID = re.compile(r"\[id:\s*((?:\\\]|[^\]])+)\]")
_COMMENT_TAG = re.compile(r"\[tag:\s*((?:\\\]|[^\]])+)\]")
_COMMENT_TOPIC = re.compile(r"\[topic:\s*([^\]]+)\]")


class QuestionError(Exception):
    pass


def escape_pre(text: str) -> str:
    """Moodle's escapedchar_pre: escaped control characters -> placeholders."""
    text = text.replace("\\\\", _BACKSLASH)
    for char, placeholder in _ESCAPES.items():
        text = text.replace("\\" + char, placeholder)
    return text.replace(_BACKSLASH, "\\")


def escape_post(text: str) -> str:
    """Moodle's escapedchar_post: placeholders -> the characters they stand for."""
    for placeholder, char in _PLACEHOLDER_CHARS.items():
        text = text.replace(placeholder, char)
    return text


def escape_gift(text: str) -> str:
    """Moodle's repchar: escape the control characters, newlines as \\n."""
    out = text.replace("\\", "\\\\")
    for char in "#=~{}:":
        out = out.replace(char, "\\" + char)
    return out.replace("\r", "").replace("\n", "\\n")


@dataclass
class _Text:
    text: str
    format: str  # "html", "markdown", "plain", "moodle"


def _with_format(text: str, default: str) -> _Text:
    """Moodle's parse_text_with_format: an optional leading [format]."""
    text = text.strip()
    fmt = default
    if text.startswith("["):
        end = text.find("]")
        name = text[1:end] if end > 0 else ""
        if name in _FORMATS:
            fmt, text = _FORMATS[name], text[end + 1 :]
    return _Text(escape_post(text).strip(), fmt)


def _comment(answer: str, default: str) -> tuple[_Text, _Text]:
    """Moodle's commentparser: "answer#feedback"."""
    text, _, feedback = answer.partition("#")
    return _with_format(text, default), _with_format(feedback, default)


def _weight(answer: str) -> tuple[float | None, str]:
    match = _WEIGHT.match(answer)
    if not match:
        return None, answer
    return float(match.group(1)) / 100.0, answer[match.end() :]


def _split_answers(text: str, separator: str) -> list[str]:
    parts = text.split(separator)
    if parts and not parts[0].strip():
        parts = parts[1:]
    return [p.strip() for p in parts]


def _number(text: str) -> float | None:
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _option_id(index: int) -> str:
    return chr(ord("A") + index) if index < 26 else f"A{index}"


@dataclass
class _Block:
    line: int
    lines: list[str] = field(default_factory=list)


def _blocks(text: str) -> list[_Block]:
    blocks: list[_Block] = []
    current: _Block | None = None
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if not line:
            if current is not None:
                blocks.append(current)
                current = None
            continue
        if current is None:
            current = _Block(line=number)
        current.lines.append(line)
    if current is not None:
        blocks.append(current)
    return blocks


class GiftImporter(BaseImporter):
    identifier = IDENTIFIER
    label = "GIFT"
    extensions = (".gift", ".txt")

    def parse(self, data: bytes, *, filename: str = "") -> ImportResult:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise FormatError(NOT_TEXT) from error
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        result = ImportResult()
        topic = ""
        seen_ids: set[str] = set()
        position = 0
        for block in _blocks(text):
            comments = "\n".join(line for line in block.lines if line.startswith("//"))
            body_lines = [" " if line.startswith("//") else line for line in block.lines]
            body = "\n".join(body_lines).strip()
            if not body:
                continue
            body = escape_pre(body)
            if body.startswith("$CATEGORY:"):
                topic = self._category(body[len("$CATEGORY:") :].strip(), comments, result)
                continue
            position += 1
            idnumber, tags = _comment_metadata(comments)
            title, body = _title(body)
            label = idnumber or title or f"#{position}"
            try:
                question = self._question(body, result, label, block.line)
            except QuestionError as error:
                result.error(str(error), question=label, line=block.line)
                continue
            if question is None:
                continue
            question.id = idnumber or f"{IDENTIFIER}-{position}"
            if question.id in seen_ids:
                result.error(DUPLICATE_ID.format(id=question.id), question=label, line=block.line)
                continue
            seen_ids.add(question.id)
            question.title = "" if title == question.id else title  # the exporter's fallback
            question.topic = topic
            meta = read_metadata_tags(tags)
            for problem in meta.problems:
                result.warn(problem, question=label, line=block.line)
            meta.apply_to(question)
            if meta.lead_in:
                question.stem, question.lead_in = split_lead_in(question.stem)
            if meta.unit and question.type == "numerical":
                question.unit = meta.unit
            if meta.case_sensitive and question.type == "short_answer":
                question.case_sensitive = True
            sanitize_question(question)
            problems = validate_payload(question)
            if problems:
                for problem in problems:
                    result.error(problem, question=label, line=block.line)
                continue
            result.bank.questions.append(question)
        return result

    def _category(self, path: str, comments: str, result: ImportResult) -> str:
        names = split_category_path(escape_post(path))
        declared = _COMMENT_TOPIC.search(comments)
        slugs = [slugify(name) or "topic" for name in names]
        if declared:
            topic_path = declared.group(1).strip()
            if is_slug_path(topic_path) and len(topic_path.split("/")) == len(names):
                slugs = topic_path.split("/")
        if not slugs:
            return ""
        add_topic_path(result.bank.topics, slugs, names)
        return "/".join(slugs)

    def _question(
        self, body: str, result: ImportResult, label: str, line: int
    ) -> QuestionDraft | None:
        start, finish = body.find("{"), body.find("}")
        if start == -1 and finish == -1:
            result.warn(DESCRIPTION_SKIPPED, question=label, line=line)
            return None
        if start == -1 or finish == -1 or finish < start:
            raise QuestionError(BRACE_ERROR)
        answer_text = body[start + 1 : finish].strip()
        if body.endswith("}"):
            question_text = body[:start] + body[finish + 1 :]
        else:
            question_text = body[:start] + "_____" + body[finish + 1 :]
        text = _with_format(question_text, "moodle")
        general_feedback = ""
        separator = answer_text.rfind("####")
        if separator != -1:
            general_feedback = answer_text[separator + 4 :]
            answer_text = answer_text[:separator].strip()
        fmt = text.format
        if not answer_text:
            result.warn(ESSAY_UNSUPPORTED.format("{}"), question=label, line=line)
            return None
        if answer_text.startswith("#"):
            question = self._numerical(answer_text[1:], fmt)
        elif "~" in answer_text:
            question = self._multichoice(answer_text, fmt)
        elif "=" in answer_text and "->" in answer_text:
            question = self._matching(answer_text, fmt)
        else:
            check = answer_text.split("#", 1)[0].strip() if "#" in answer_text else answer_text
            if check in _TRUE_FALSE:
                question = self._true_false(answer_text, fmt)
            else:
                question = self._short_answer(answer_text, fmt)
        catch_all = question.feedback.incorrect
        question.stem = text.text
        question.explanation = _with_format(general_feedback, fmt).text
        texts = [question.stem, question.explanation, *(o.text for o in question.options)]
        if fmt == "moodle":
            fmt = "html" if any(contains_markup(t) for t in texts) else "plain"
        question.text_format = fmt
        if catch_all:
            result.warn(CATCH_ALL_AS_FEEDBACK, question=label, line=line)
        return question

    def _check_grades(self, fractions: list[float]) -> None:
        invalid = [f for f in fractions if not is_moodle_grade(f)]
        if invalid:
            grades = ",".join(f"{f:g}" for f in invalid)
            raise QuestionError(INVALID_GRADES.format(grades=grades))

    def _multichoice(self, answer_text: str, fmt: str) -> QuestionDraft:
        single = "=" in answer_text
        answers = _split_answers(answer_text.replace("=", "~="), "~")
        if len(answers) < 2:
            raise QuestionError(NOT_ENOUGH_ANSWERS)
        options = []
        for index, answer in enumerate(answers):
            if answer.startswith("="):
                fraction: float | None = 1.0
                answer = answer[1:]
            else:
                fraction, answer = _weight(answer)
            text, feedback = _comment(answer, fmt)
            options.append(
                OptionDraft(
                    id=_option_id(index),
                    text=text.text,
                    fraction=fraction or 0.0,
                    feedback=feedback.text,
                )
            )
        self._check_grades([o.fraction for o in options])
        return QuestionDraft(
            id="", type="single" if single else "multiple", stem="", options=options
        )

    def _matching(self, answer_text: str, fmt: str) -> QuestionDraft:
        answers = _split_answers(answer_text, "=")
        if len(answers) < 2:
            raise QuestionError(NOT_ENOUGH_ANSWERS)
        question = QuestionDraft(id="", type="matching", stem="")
        choice_ids: dict[str, str] = {}
        for answer in answers:
            if "->" not in answer:
                raise QuestionError(MATCHING_FORMAT)
            prompt, _, target = answer.partition("->")
            prompt_text = _with_format(prompt, fmt).text
            choice = escape_post(target).strip()
            if choice not in choice_ids:
                choice_ids[choice] = f"C{len(choice_ids) + 1}"
                question.choices.append(MatchChoiceDraft(id=choice_ids[choice], text=choice))
            if prompt_text:
                stem_id = f"S{len(question.stems) + 1}"
                question.stems.append(MatchStemDraft(id=stem_id, text=prompt_text))
                question.pairs[stem_id] = choice_ids[choice]
        return question

    def _true_false(self, answer_text: str, fmt: str) -> QuestionDraft:
        parts = answer_text.split("#", 2)
        correct = _TRUE_FALSE[parts[0].strip()]
        wrong_feedback = _with_format(parts[1], fmt).text if len(parts) > 1 else ""
        right_feedback = _with_format(parts[2], fmt).text if len(parts) > 2 else ""
        true = OptionDraft(id="true", text="True", fraction=1.0 if correct else 0.0)
        false = OptionDraft(id="false", text="False", fraction=0.0 if correct else 1.0)
        (true if correct else false).feedback = right_feedback
        (false if correct else true).feedback = wrong_feedback
        return QuestionDraft(id="", type="true_false", stem="", options=[true, false])

    def _short_answer(self, answer_text: str, fmt: str) -> QuestionDraft:
        answers = _split_answers(answer_text, "=")
        if not answers:
            raise QuestionError(NOT_ENOUGH_ANSWERS)
        question = QuestionDraft(id="", type="short_answer", stem="")
        for answer in answers:
            fraction, answer = _weight(answer)
            text, feedback = _comment(answer, fmt)
            weight = 1.0 if fraction is None else fraction
            if text.text == "*" and weight == 0:
                question.feedback.incorrect = feedback.text
                continue
            question.accepted.append(
                AcceptedAnswerDraft(text=text.text, fraction=weight, feedback=feedback.text)
            )
        self._check_grades([a.fraction for a in question.accepted])
        return question

    def _numerical(self, answer_text: str, fmt: str) -> QuestionDraft:
        wrong_feedback = ""
        tilde = answer_text.find("~")
        if tilde != -1:
            wrong_feedback = answer_text[tilde + 1 :]
            answer_text = answer_text[:tilde]
        answers = _split_answers(answer_text, "=")
        if not answers:
            raise QuestionError(NO_NUMERICAL_ANSWERS)
        question = QuestionDraft(id="", type="numerical", stem="")
        for answer in answers:
            fraction, answer = _weight(answer)
            text, feedback = _comment(answer, fmt)
            value_text = text.text
            if ".." in value_text[1:]:
                low_text, _, high_text = value_text.partition("..")
                low, high = _number(low_text), _number(high_text)
                if low is None or high is None:
                    raise QuestionError(NOT_NUMBERS)
                value, tolerance = (low + high) / 2, (high - low) / 2
            elif ":" in value_text[1:]:
                value_part, _, tolerance_part = value_text.partition(":")
                value_or_none, tolerance_or_none = _number(value_part), _number(tolerance_part)
                if value_or_none is None or tolerance_or_none is None:
                    raise QuestionError(NOT_NUMBERS)
                value, tolerance = value_or_none, abs(tolerance_or_none)
            else:
                value_or_none = _number(value_text)
                if value_or_none is None:
                    raise QuestionError(NOT_NUMBERS)
                value, tolerance = value_or_none, 0.0
            question.answers.append(
                NumericAnswerDraft(
                    value=value,
                    tolerance=tolerance,
                    fraction=1.0 if fraction is None else fraction,
                    feedback=feedback.text,
                )
            )
        if wrong_feedback:
            _, feedback = _comment(wrong_feedback, fmt)
            question.feedback.incorrect = feedback.text
        self._check_grades([a.fraction for a in question.answers])
        return question


def _comment_metadata(comments: str) -> tuple[str, list[str]]:
    """Moodle's extract_idnumber_and_tags_from_comment."""
    match = _COMMENT_ID.search(comments)
    idnumber = match.group(1).replace("\\]", "]").strip() if match else ""
    tags = [t.replace("\\]", "]").strip() for t in _COMMENT_TAG.findall(comments)]
    return idnumber, tags


def _title(body: str) -> tuple[str, str]:
    if not body.startswith("::"):
        return "", body
    rest = body[2:]
    end = rest.find("::")
    if end == -1:
        return "", rest
    return escape_post(rest[:end]).strip(), rest[end + 2 :].strip()


# -- export ----------------------------------------------------------------------------


def _weight_text(fraction: float) -> str:
    return f"%{fraction * 100:.10g}%"


class GiftExporter(BaseExporter):
    identifier = IDENTIFIER
    label = "GIFT"
    extension = ".gift"
    media_type = "text/plain; charset=utf-8"
    types = ("single", "multiple", "true_false", "short_answer", "numerical", "matching")
    # No element ids (positional on import), no true/false option texts, no embedded
    # files, no combined feedback (except the incorrect-answer feedback of numerical and
    # short-answer questions, GIFT's catch-all answer), no matching-stem feedback.
    carries: ClassVar[frozenset[str]] = ALL_QUESTION_FIELDS - {
        "element_ids",
        "element_feedback",
        "true_false_text",
        "files",
        "feedback",
    }

    def written_fraction(self, fraction: float) -> float:
        return snap_to_moodle_grade(fraction)

    def render(self, bank: BankDraft) -> bytes:
        chunks: list[str] = []
        current_topic: str | None = None
        for question in bank.questions:
            reason = self.unsupported(question)
            if reason:
                chunks.append(f"// {question_label(question)}: {reason}; not exported\n")
                continue
            if question.topic != current_topic:
                current_topic = question.topic
                path = category_path_for(question.topic, bank.topics) if question.topic else ""
                chunks.append(f"// [topic:{question.topic}]\n$CATEGORY: {path or '$course$/top'}\n")
            chunks.append(self._question(question))
        return "\n".join(chunks).encode("utf-8")

    def _question(self, q: QuestionDraft) -> str:
        lines = [f"// question: {q.id}  name: {_comment_safe(q.title)}"]
        meta = [f"[id:{q.id.replace(']', chr(92) + ']')}]"]
        meta += [
            f"[tag:{tag.replace(']', chr(92) + ']')}]"
            for tag in metadata_tags(q, with_unit_and_case=True)
        ]
        lines.append("// " + " ".join(meta))
        fmt = q.text_format if q.text_format in ("html", "markdown", "plain") else "plain"
        head = f"::{escape_gift(q.title or q.id)}::[{fmt}]{escape_gift(join_lead_in(q))}"
        answers = getattr(self, f"_answers_{q.type}")(q)
        if q.explanation:
            answers.append(f"####{escape_gift(q.explanation)}")
        lines.append(head + "{")
        lines += [f"\t{answer}" for answer in answers]
        lines.append("}")
        return "\n".join(lines) + "\n"

    def _answers_single(self, q: QuestionDraft) -> list[str]:
        out = []
        for option in q.options:
            fraction = snap_to_moodle_grade(option.fraction)
            if math.isclose(fraction, 1.0):
                mark = "="
            elif fraction == 0:
                mark = "~"
            else:
                mark = "~" + _weight_text(fraction)
            out.append(mark + _answer_with_feedback(option.text, option.feedback))
        return out

    def _answers_multiple(self, q: QuestionDraft) -> list[str]:
        return [
            "~"
            + _weight_text(snap_to_moodle_grade(option.fraction))
            + _answer_with_feedback(option.text, option.feedback)
            for option in q.options
        ]

    def _answers_true_false(self, q: QuestionDraft) -> list[str]:
        by_id = {o.id: o for o in q.options}
        true, false = by_id.get("true"), by_id.get("false")
        correct = true is not None and true.fraction > 0.5
        right = (true if correct else false) or OptionDraft(id="", text="")
        wrong = (false if correct else true) or OptionDraft(id="", text="")
        head = "TRUE" if correct else "FALSE"
        if right.feedback or wrong.feedback:
            head += f"#{escape_gift(wrong.feedback)}#{escape_gift(right.feedback)}"
        return [head]

    def _answers_short_answer(self, q: QuestionDraft) -> list[str]:
        out = []
        for accepted in q.accepted:
            fraction = snap_to_moodle_grade(accepted.fraction)
            weight = "" if math.isclose(fraction, 1.0) else _weight_text(fraction)
            out.append("=" + weight + _answer_with_feedback(accepted.text, accepted.feedback))
        if q.feedback.incorrect:
            out.append("=%0%*#" + escape_gift(q.feedback.incorrect))
        return out

    def _answers_numerical(self, q: QuestionDraft) -> list[str]:
        out = ["#"]
        for answer in q.answers:
            fraction = snap_to_moodle_grade(answer.fraction)
            weight = "" if math.isclose(fraction, 1.0) else _weight_text(fraction)
            value = f"{answer.value!r}:{answer.tolerance!r}"
            out.append("=" + weight + value + _feedback(answer.feedback))
        if q.feedback.incorrect:
            out.append("~#" + escape_gift(q.feedback.incorrect))
        # "{#" must open the block: the first "answer" is the marker itself.
        return [out[0] + out[1], *out[2:]] if len(out) > 1 else out

    def _answers_matching(self, q: QuestionDraft) -> list[str]:
        choices = {c.id: c.text for c in q.choices}
        used = set(q.pairs.values())
        out = [
            f"={escape_gift(stem.text)} -> {escape_gift(choices.get(q.pairs.get(stem.id, ''), ''))}"
            for stem in q.stems
        ]
        out += [f"= -> {escape_gift(c.text)}" for c in q.choices if c.id not in used]
        return out


def _feedback(feedback: str) -> str:
    return f"#{escape_gift(feedback)}" if feedback else ""


def _answer_with_feedback(text: str, feedback: str) -> str:
    return escape_gift(text) + _feedback(feedback)


def _comment_safe(text: str) -> str:
    return text.replace("\n", " ")
