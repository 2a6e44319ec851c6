"""Moodle XML (question/format/xml), import and export.

Import: multichoice (single and multiple), truefalse, shortanswer, numerical, matching,
ordering; cloze (multianswer) questions with a single embedded answer become the matching
plain type, others are reported; description questions are skipped with a note; any other
qtype (essay, gapselect, ddwtos, calculated...) is reported as unsupported and the rest of
the file imports. Categories become topics, idnumber becomes the question id, tags carry
the metadata Moodle has no place for (see quizzes.interop.metadata).

Fractions are checked as Moodle checks them: every grade must be one of Moodle's grade
options (question_bank::fraction_options_full), a single-answer multichoice needs a 100%
choice, and the positive grades of a multiple-answer multichoice must add up to 100%.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
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
    CombinedFeedbackDraft,
    FileDraft,
    MatchChoiceDraft,
    MatchStemDraft,
    NumericAnswerDraft,
    OptionDraft,
    QuestionDraft,
    StepDraft,
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
from quizzes.interop.sanitize import contains_markup, sanitize_question
from quizzes.interop.xmlsafe import line_of, parse_xml

IDENTIFIER = "moodle-xml"

# -- messages (tests assert these) -----------------------------------------------------

NOT_MOODLE_XML = "not a Moodle XML file: the root element must be <quiz>"
INVALID_GRADES = "Grades ({grades}) do not match grade options - question '{question}' skipped."
SINGLE_NEEDS_100 = (
    "One of the choices should be 100%, so that it is possible to get a full grade for "
    "this question."
)
GRADES_DO_NOT_ADD_UP = (
    "The positive grades you have chosen do not add up to 100%. Instead, they add up to {total}%"
)
NOT_A_NUMBER = "The answer must be a number, for example -1.234 or 3e8, or '*'."
UNSUPPORTED_QTYPE = "question type {qtype} is not supported; question skipped"
DESCRIPTION_SKIPPED = "description (text-only) question skipped"
CLOZE_INVALID = "Invalid embedded answers (Cloze) question"
CLOZE_NO_SUBQUESTIONS = "The question text must include at least one embedded answer."
CLOZE_TWO_CHOICES = "This type of question requires at least 2 choices"
CLOZE_NO_FULL_MARKS = (
    "One of the answers should have a score of 100% so it is possible to get full marks "
    "for this question."
)
CLOZE_UNSUPPORTED_SUBTYPE = "embedded answer type {subtype} is not supported"
CLOZE_SEVERAL_GAPS = (
    "cloze question with {count} embedded answers cannot be imported as one question; skipped"
)
CLOZE_CONVERTED = "cloze question with one embedded answer imported as a {type} question"
UNITS_DROPPED = "unit(s) {units} dropped: only the base unit (multiplier 1) is kept"
CATCH_ALL_AS_FEEDBACK = "catch-all answer '*' imported as the incorrect-answer feedback"
LEGACY_IMAGE = "legacy <image> field {name} imported as an embedded file shown after the text"
DUPLICATE_ID = "idnumber {id} is used by an earlier question in the file; question skipped"
BAD_BASE64 = "embedded file {name} is not valid base64; file dropped"
TRUEFALSE_ANSWERS = "a truefalse question needs the answers true and false"


class QuestionError(Exception):
    """A question that cannot be imported; the message is Moodle's reason or ours."""


# Moodle's grade options: question_bank::fraction_options_full() in lib/questionlib.php.
_RAW_FRACTIONS = (
    0.9, 0.8333333, 0.8, 0.75, 0.7, 0.6666667, 0.6, 0.5, 0.4, 0.3333333, 0.3, 0.25, 0.2,
    0.1666667, 0.1428571, 0.125, 0.1111111, 0.1, 0.05,
)  # fmt: skip
MOODLE_GRADE_OPTIONS = (0.0, 1.0, -1.0, *_RAW_FRACTIONS, *(-f for f in _RAW_FRACTIONS))


def is_moodle_grade(fraction: float) -> bool:
    """As Moodle's match_grade_options(..., 'error'): within 0.00001 of an option."""
    return any(abs(fraction - option) < 0.00001 for option in MOODLE_GRADE_OPTIONS)


def snap_to_moodle_grade(fraction: float) -> float:
    """The grade option closest to the fraction (what the exporter writes)."""
    return min(MOODLE_GRADE_OPTIONS, key=lambda option: abs(option - fraction))


_FORMAT_TO_TEXT_FORMAT = {"html": "html", "plain_text": "plain", "markdown": "markdown"}
_TEXT_FORMAT_TO_FORMAT = {"html": "html", "plain": "plain_text", "markdown": "markdown"}


def _text_format(moodle_format: str | None, texts: list[str]) -> str:
    if moodle_format in _FORMAT_TO_TEXT_FORMAT:
        return _FORMAT_TO_TEXT_FORMAT[moodle_format]
    # moodle_auto_format (or none given): HTML allowed, newlines kept.
    return "html" if any(contains_markup(t) for t in texts) else "plain"


def _child_text(element: ET.Element | None, path: str = "text") -> str:
    if element is None:
        return ""
    node = element.find(path)
    return (node.text or "").strip() if node is not None else ""


def _text_of(question: ET.Element, name: str) -> str:
    return _child_text(question.find(name))


def _flag(question: ET.Element, name: str, default: bool = False) -> bool:
    node = question.find(name)
    if node is None or node.text is None:
        return default
    return node.text.strip().lower() in ("1", "true", "yes")


def _number(text: str) -> float | None:
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _option_id(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


@dataclass
class _Context:
    result: ImportResult
    label: str
    line: int | None
    files: list[FileDraft]

    def warn(self, message: str) -> None:
        self.result.warn(message, question=self.label, line=self.line)


class MoodleXmlImporter(BaseImporter):
    identifier = IDENTIFIER
    label = "Moodle XML"
    extensions = (".xml",)

    def parse(self, data: bytes, *, filename: str = "") -> ImportResult:
        root = parse_xml(data, what=filename)
        if root.tag != "quiz":
            raise FormatError(NOT_MOODLE_XML)
        result = ImportResult()
        topic = ""
        seen_ids: set[str] = set()
        for position, element in enumerate(root.iter("question"), start=1):
            qtype = (element.get("type") or "").strip()
            line = line_of(element)
            if qtype == "category":
                topic = self._read_category(element, result.bank)
                continue
            title = _text_of(element, "name")
            idnumber = (element.findtext("idnumber") or "").strip()
            label = idnumber or title or f"#{position}"
            context = _Context(result=result, label=label, line=line, files=[])
            try:
                question = self._read_question(element, qtype, context)
            except QuestionError as error:
                result.error(str(error), question=label, line=line)
                continue
            if question is None:
                continue
            question.id = idnumber or f"{IDENTIFIER}-{position}"
            if question.id in seen_ids:
                result.error(DUPLICATE_ID.format(id=question.id), question=label, line=line)
                continue
            seen_ids.add(question.id)
            question.title = "" if title == question.id else title  # the exporter's fallback
            question.topic = question.topic or topic
            question.files = context.files
            sanitize_question(question)
            problems = validate_payload(question)
            if problems:
                for problem in problems:
                    result.error(problem, question=label, line=line)
                continue
            result.bank.questions.append(question)
        return result

    # -- categories --------------------------------------------------------------------

    def _read_category(self, element: ET.Element, bank: BankDraft) -> str:
        path = _text_of(element, "category")
        names = split_category_path(path)
        idnumber = (element.findtext("idnumber") or "").strip()
        if idnumber and is_slug_path(idnumber) and len(idnumber.split("/")) == len(names):
            slugs = idnumber.split("/")
        else:
            slugs = [slugify(name) or "topic" for name in names]
        if not slugs:
            return ""
        add_topic_path(bank.topics, slugs, names)
        return "/".join(slugs)

    # -- questions ---------------------------------------------------------------------

    def _read_question(
        self, element: ET.Element, qtype: str, context: _Context
    ) -> QuestionDraft | None:
        if qtype == "description":
            context.warn(DESCRIPTION_SKIPPED)
            return None
        readers = {
            "multichoice": self._read_multichoice,
            "truefalse": self._read_truefalse,
            "shortanswer": self._read_shortanswer,
            "numerical": self._read_numerical,
            "matching": self._read_matching,
            "match": self._read_matching,
            "ordering": self._read_ordering,
            "cloze": self._read_cloze,
            "multianswer": self._read_cloze,
        }
        reader = readers.get(qtype)
        if reader is None:
            context.warn(UNSUPPORTED_QTYPE.format(qtype=qtype or "(none)"))
            return None
        question = reader(element, context)
        if question is None:
            return None
        self._read_common(element, question, context)
        return question

    def _read_common(self, element: ET.Element, question: QuestionDraft, context: _Context) -> None:
        questiontext = element.find("questiontext")
        if not question.stem:
            question.stem = _child_text(questiontext)
        texts = [question.stem, question.explanation]
        texts += [o.text for o in question.options]
        if not question.text_format or question.text_format == "plain":
            fmt = questiontext.get("format") if questiontext is not None else None
            question.text_format = _text_format(fmt, texts)
        question.explanation = _text_of(element, "generalfeedback")
        for name, attr in (
            ("correctfeedback", "correct"),
            ("partiallycorrectfeedback", "partial"),
            ("incorrectfeedback", "incorrect"),
        ):
            text = _text_of(element, name)
            if text:
                setattr(question.feedback, attr, text)
        for file_element in element.iter("file"):
            self._read_file(file_element, context)
        self._read_legacy_image(element, question, context)
        tags = [_child_text(tag) for tag in element.findall("tags/tag")]
        meta = read_metadata_tags(tags)
        for problem in meta.problems:
            context.warn(problem)
        meta.apply_to(question)
        if meta.lead_in:
            question.stem, question.lead_in = split_lead_in(question.stem)

    def _read_file(self, element: ET.Element, context: _Context) -> None:
        name = element.get("name") or "file"
        data = re.sub(r"\s+", "", element.text or "")
        try:
            base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            context.warn(BAD_BASE64.format(name=name))
            return
        context.files.append(FileDraft(name=name, data=data, path=element.get("path") or "/"))

    def _read_legacy_image(
        self, element: ET.Element, question: QuestionDraft, context: _Context
    ) -> None:
        name = (element.findtext("image") or "").strip()
        data = re.sub(r"\s+", "", element.findtext("image_base64") or "")
        if not name or not data:
            return
        name = name.rsplit("/", 1)[-1]
        try:
            base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            context.warn(BAD_BASE64.format(name=name))
            return
        context.files.append(FileDraft(name=name, data=data, path="/"))
        question.stem += f'<img src="@@PLUGINFILE@@/{name}" alt="" />'
        question.text_format = "html"
        context.warn(LEGACY_IMAGE.format(name=name))

    def _answers(self, element: ET.Element) -> list[tuple[str, float, str, ET.Element]]:
        """(text, fraction, feedback, element) of every <answer>; fraction in [−1, 1]."""
        answers = []
        for answer in element.findall("answer"):
            raw = (answer.get("fraction") or "0").strip()
            percent = _number(raw)
            if percent is None:
                raise QuestionError(f"answer fraction {raw!r} is not a number")
            answers.append(
                (_child_text(answer), percent / 100.0, _text_of(answer, "feedback"), answer)
            )
        return answers

    def _check_grades(self, fractions: list[float], title: str) -> None:
        invalid = [f for f in fractions if not is_moodle_grade(f)]
        if invalid:
            grades = ",".join(f"{f:g}" for f in invalid)
            raise QuestionError(INVALID_GRADES.format(grades=grades, question=title))

    def _read_multichoice(self, element: ET.Element, context: _Context) -> QuestionDraft:
        single = _flag(element, "single", default=True)
        answers = self._answers(element)
        fractions = [fraction for _, fraction, _, _ in answers]
        self._check_grades(fractions, _text_of(element, "name"))
        if single and not any(math.isclose(f, 1.0, abs_tol=1e-6) for f in fractions):
            raise QuestionError(SINGLE_NEEDS_100)
        if not single:
            total = round(sum(f for f in fractions if f > 0), 2)
            if total != 1:
                raise QuestionError(GRADES_DO_NOT_ADD_UP.format(total=f"{total * 100:g}"))
        return QuestionDraft(
            id="",
            type="single" if single else "multiple",
            stem="",
            options=[
                OptionDraft(id=_option_id(i), text=text, fraction=fraction, feedback=feedback)
                for i, (text, fraction, feedback, _) in enumerate(answers)
            ],
        )

    def _read_truefalse(self, element: ET.Element, context: _Context) -> QuestionDraft:
        options: dict[str, OptionDraft] = {}
        for index, (text, fraction, feedback, _) in enumerate(self._answers(element)):
            key = text.lower() if text.lower() in ("true", "false") else ""
            if not key:  # old files: the first answer is true, the second false
                key = "true" if index == 0 else "false"
            options[key] = OptionDraft(
                id=key,
                text=key.capitalize(),
                fraction=1.0 if fraction > 0.999 else 0.0,
                feedback=feedback,
            )
        if set(options) != {"true", "false"}:
            raise QuestionError(TRUEFALSE_ANSWERS)
        return QuestionDraft(
            id="", type="true_false", stem="", options=[options["true"], options["false"]]
        )

    def _read_shortanswer(self, element: ET.Element, context: _Context) -> QuestionDraft:
        answers = self._answers(element)
        self._check_grades([f for _, f, _, _ in answers], _text_of(element, "name"))
        question = QuestionDraft(
            id="", type="short_answer", stem="", case_sensitive=_flag(element, "usecase")
        )
        for text, fraction, feedback, _ in answers:
            if text == "*" and fraction == 0:
                question.feedback.incorrect = feedback
                if feedback:
                    context.warn(CATCH_ALL_AS_FEEDBACK)
                continue
            question.accepted.append(
                AcceptedAnswerDraft(text=text, fraction=fraction, feedback=feedback)
            )
        return question

    def _read_numerical(self, element: ET.Element, context: _Context) -> QuestionDraft:
        answers = self._answers(element)
        self._check_grades([f for _, f, _, _ in answers], _text_of(element, "name"))
        question = QuestionDraft(id="", type="numerical", stem="")
        for text, fraction, feedback, answer in answers:
            if text == "*":
                question.feedback.incorrect = feedback
                if feedback:
                    context.warn(CATCH_ALL_AS_FEEDBACK)
                continue
            value = _number(text)
            tolerance = _number(answer.findtext("tolerance") or "0") or 0.0
            if value is None:
                raise QuestionError(NOT_A_NUMBER)
            question.answers.append(
                NumericAnswerDraft(
                    value=value, tolerance=abs(tolerance), fraction=fraction, feedback=feedback
                )
            )
        dropped = []
        for unit in element.findall("units/unit"):
            name = (unit.findtext("unit_name") or "").strip()
            multiplier = _number(unit.findtext("multiplier") or "1")
            if multiplier is not None and math.isclose(multiplier, 1.0) and not question.unit:
                question.unit = name
            elif name:
                dropped.append(name)
        if dropped:
            context.warn(UNITS_DROPPED.format(units=", ".join(dropped)))
        return question

    def _read_matching(self, element: ET.Element, context: _Context) -> QuestionDraft:
        question = QuestionDraft(id="", type="matching", stem="")
        choice_ids: dict[str, str] = {}
        for sub in element.findall("subquestion"):
            prompt = _child_text(sub)
            answer = _child_text(sub, "answer/text")
            if answer not in choice_ids:
                choice_ids[answer] = f"C{len(choice_ids) + 1}"
                question.choices.append(MatchChoiceDraft(id=choice_ids[answer], text=answer))
            if prompt:
                stem_id = f"S{len(question.stems) + 1}"
                question.stems.append(
                    MatchStemDraft(id=stem_id, text=prompt, feedback=_text_of(sub, "feedback"))
                )
                question.pairs[stem_id] = choice_ids[answer]
        return question

    def _read_ordering(self, element: ET.Element, context: _Context) -> QuestionDraft:
        answers = self._answers(element)
        ordered = sorted(enumerate(answers), key=lambda item: (item[1][1], item[0]))
        return QuestionDraft(
            id="",
            type="ordering",
            stem="",
            steps=[
                StepDraft(id=str(n), text=text, feedback=feedback)
                for n, (_, (text, _, feedback, _)) in enumerate(ordered, start=1)
            ],
        )

    def _read_cloze(self, element: ET.Element, context: _Context) -> QuestionDraft | None:
        text = _text_of(element, "questiontext")
        try:
            gaps = parse_cloze(text)
        except QuestionError as error:
            raise QuestionError(f"{CLOZE_INVALID}: {error}") from error
        if len(gaps) > 1:
            context.warn(CLOZE_SEVERAL_GAPS.format(count=len(gaps)))
            return None
        gap = gaps[0]
        stem = text[: gap.start] + "_____" + text[gap.end :]
        question = gap.question
        question.stem = stem.strip()
        context.warn(CLOZE_CONVERTED.format(type=question.type))
        return question


# -- cloze (multianswer) ---------------------------------------------------------------

_CLOZE_GAP = re.compile(r"\{(\d*):([A-Za-z_]+)(?::((?:\\.|[^\\}])*))?\}")
_CLOZE_WEIGHT = re.compile(r"^%(-?\d+(?:\.\d+)?)%")
_CLOZE_TYPES = {
    "MULTICHOICE": "single", "MC": "single", "MULTICHOICE_V": "single", "MCV": "single",
    "MULTICHOICE_H": "single", "MCH": "single", "MULTICHOICE_S": "single", "MCS": "single",
    "MULTICHOICE_VS": "single", "MCVS": "single", "MULTICHOICE_HS": "single",
    "MCHS": "single", "MULTIRESPONSE": "multiple", "MR": "multiple",
    "MULTIRESPONSE_H": "multiple", "MRH": "multiple", "MULTIRESPONSE_S": "multiple",
    "MRS": "multiple", "MULTIRESPONSE_HS": "multiple", "MRHS": "multiple",
    "SHORTANSWER": "short_answer", "SA": "short_answer", "MW": "short_answer",
    "SHORTANSWER_C": "short_answer_c", "SAC": "short_answer_c", "MWC": "short_answer_c",
    "NUMERICAL": "numerical", "NM": "numerical",
}  # fmt: skip


@dataclass
class ClozeGap:
    start: int
    end: int
    subtype: str
    question: QuestionDraft


def _split_unescaped(text: str, separator: str) -> list[str]:
    parts, current, index = [], [], 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            current.append(text[index : index + 2])
            index += 2
            continue
        if char == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    parts.append("".join(current))
    return parts


def _unescape_cloze(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text).strip()


def parse_cloze(text: str) -> list[ClozeGap]:
    """The embedded answers of a cloze text, each as a plain-type QuestionDraft.

    Raises QuestionError with Moodle's message for a cloze Moodle itself rejects.
    """
    gaps = []
    for match in _CLOZE_GAP.finditer(text):
        subtype = match.group(2).upper()
        kind = _CLOZE_TYPES.get(subtype)
        if kind is None:
            raise QuestionError(CLOZE_UNSUPPORTED_SUBTYPE.format(subtype=subtype))
        raw_answers = [a for a in _split_unescaped(match.group(3) or "", "~") if a.strip()]
        answers = []
        for raw in raw_answers:
            raw = raw.strip()
            if raw.startswith("="):
                fraction, raw = 1.0, raw[1:]
            elif weight := _CLOZE_WEIGHT.match(raw):
                fraction, raw = float(weight.group(1)) / 100.0, raw[weight.end() :]
            else:
                fraction = 0.0
            parts = _split_unescaped(raw, "#")
            answer_text, feedback = parts[0], "#".join(parts[1:])
            answers.append((_unescape_cloze(answer_text), fraction, _unescape_cloze(feedback)))
        if kind in ("single", "multiple") and len(answers) < 2:
            raise QuestionError(CLOZE_TWO_CHOICES)
        if not any(math.isclose(f, 1.0) for _, f, _ in answers) and kind != "multiple":
            raise QuestionError(CLOZE_NO_FULL_MARKS)
        question = QuestionDraft(id="", type=kind, stem="")
        if kind in ("single", "multiple"):
            question.options = [
                OptionDraft(id=_option_id(i), text=t, fraction=f, feedback=fb)
                for i, (t, f, fb) in enumerate(answers)
            ]
        elif kind.startswith("short_answer"):
            question.type = "short_answer"
            question.case_sensitive = kind == "short_answer_c"
            for answer_text, fraction, feedback in answers:
                if answer_text == "*" and fraction == 0:
                    question.feedback.incorrect = feedback
                else:
                    question.accepted.append(
                        AcceptedAnswerDraft(text=answer_text, fraction=fraction, feedback=feedback)
                    )
        else:
            for answer_text, fraction, feedback in answers:
                if answer_text == "*":
                    question.feedback.incorrect = feedback
                    continue
                value_text, _, tolerance_text = answer_text.partition(":")
                value = _number(value_text)
                tolerance = _number(tolerance_text) if tolerance_text else 0.0
                if value is None or tolerance is None:
                    raise QuestionError(NOT_A_NUMBER)
                question.answers.append(
                    NumericAnswerDraft(
                        value=value, tolerance=abs(tolerance), fraction=fraction, feedback=feedback
                    )
                )
        gaps.append(ClozeGap(match.start(), match.end(), subtype, question))
    if not gaps:
        raise QuestionError(CLOZE_NO_SUBQUESTIONS)
    return gaps


# -- export ----------------------------------------------------------------------------


def _percent(fraction: float) -> str:
    return f"{fraction * 100:.10g}"


def _number_text(value: float) -> str:
    return repr(float(value)) if value != int(value) else str(int(value))


class MoodleXmlExporter(BaseExporter):
    identifier = IDENTIFIER
    label = "Moodle XML"
    extension = ".xml"
    media_type = "application/xml"
    types = (
        "single", "multiple", "true_false", "short_answer", "numerical", "matching", "ordering",
    )  # fmt: skip
    # Everything but the ids of options, matching stems/choices and ordering steps (Moodle
    # has none; the importer numbers them A, B, C / S1, C1 / 1, 2, 3) and the display text
    # of true/false options (Moodle's answers are the words "true" and "false").
    carries: ClassVar[frozenset[str]] = ALL_QUESTION_FIELDS - {"element_ids", "true_false_text"}

    def written_fraction(self, fraction: float) -> float:
        return snap_to_moodle_grade(fraction)

    def render(self, bank: BankDraft) -> bytes:
        quiz = ET.Element("quiz")
        current_topic: str | None = None
        for question in bank.questions:
            reason = self.unsupported(question)
            if reason:
                quiz.append(ET.Comment(f" {question_label(question)}: {reason} "))
                continue
            if question.topic != current_topic:
                current_topic = question.topic
                quiz.append(self._category(question.topic, bank))
            quiz.append(self._question(question))
        ET.indent(quiz, space="  ")
        body = ET.tostring(quiz, encoding="unicode")
        return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n").encode("utf-8")

    def _category(self, topic: str, bank: BankDraft) -> ET.Element:
        element = ET.Element("question", type="category")
        path = category_path_for(topic, bank.topics) if topic else "$course$/top"
        _text_element(element, "category", path)
        ET.SubElement(element, "idnumber").text = topic
        return element

    def _question(self, q: QuestionDraft) -> ET.Element:
        qtype = {
            "single": "multichoice",
            "multiple": "multichoice",
            "true_false": "truefalse",
            "short_answer": "shortanswer",
            "numerical": "numerical",
            "matching": "matching",
            "ordering": "ordering",
        }[q.type]
        fmt = _TEXT_FORMAT_TO_FORMAT.get(q.text_format, "html")
        element = ET.Element("question", type=qtype)
        _text_element(element, "name", q.title or q.id)
        questiontext = _text_element(element, "questiontext", join_lead_in(q), fmt=fmt)
        for file in q.files:
            file_element = ET.SubElement(
                questiontext, "file", name=file.name, path=file.path, encoding="base64"
            )
            file_element.text = file.data
        _text_element(element, "generalfeedback", q.explanation, fmt=fmt)
        ET.SubElement(element, "defaultgrade").text = "1"
        ET.SubElement(element, "penalty").text = "0.3333333"
        ET.SubElement(element, "hidden").text = "0"
        ET.SubElement(element, "idnumber").text = q.id
        getattr(self, f"_write_{q.type}")(element, q, fmt)
        tags = metadata_tags(q)
        if tags:
            tags_element = ET.SubElement(element, "tags")
            for tag in tags:
                _text_element(tags_element, "tag", tag)
        return element

    def _combined_feedback(self, element: ET.Element, q: QuestionDraft, fmt: str) -> None:
        _text_element(element, "correctfeedback", q.feedback.correct, fmt=fmt)
        _text_element(element, "partiallycorrectfeedback", q.feedback.partial, fmt=fmt)
        _text_element(element, "incorrectfeedback", q.feedback.incorrect, fmt=fmt)

    def _answer(
        self, element: ET.Element, text: str, fraction: float, feedback: str, fmt: str
    ) -> ET.Element:
        answer = _text_element(element, "answer", text, fmt=fmt)
        answer.set("fraction", _percent(fraction))
        _text_element(answer, "feedback", feedback, fmt=fmt)
        return answer

    def _write_choices(self, element: ET.Element, q: QuestionDraft, fmt: str) -> None:
        ET.SubElement(element, "single").text = "true" if q.type == "single" else "false"
        ET.SubElement(element, "shuffleanswers").text = "true"
        ET.SubElement(element, "answernumbering").text = "abc"
        self._combined_feedback(element, q, fmt)
        for option in q.options:
            fraction = snap_to_moodle_grade(option.fraction)
            self._answer(element, option.text, fraction, option.feedback, fmt)

    _write_single = _write_choices
    _write_multiple = _write_choices

    def _write_true_false(self, element: ET.Element, q: QuestionDraft, fmt: str) -> None:
        by_id = {o.id: o for o in q.options}
        for key in ("true", "false"):
            option = by_id.get(key) or OptionDraft(id=key, text=key)
            self._answer(element, key, option.fraction, option.feedback, "moodle_auto_format")
        self._combined_feedback(element, q, fmt)  # not Moodle's, ignored by Moodle

    def _write_short_answer(self, element: ET.Element, q: QuestionDraft, fmt: str) -> None:
        ET.SubElement(element, "usecase").text = "1" if q.case_sensitive else "0"
        for accepted in q.accepted:
            fraction = snap_to_moodle_grade(accepted.fraction)
            self._answer(element, accepted.text, fraction, accepted.feedback, "moodle_auto_format")
        if q.feedback.incorrect:
            self._answer(element, "*", 0.0, q.feedback.incorrect, "moodle_auto_format")
        _write_extra_feedback(element, q.feedback, fmt)

    def _write_numerical(self, element: ET.Element, q: QuestionDraft, fmt: str) -> None:
        for answer in q.answers:
            fraction = snap_to_moodle_grade(answer.fraction)
            node = self._answer(
                element, _number_text(answer.value), fraction, answer.feedback, "moodle_auto_format"
            )
            ET.SubElement(node, "tolerance").text = _number_text(answer.tolerance)
        if q.feedback.incorrect:
            node = self._answer(element, "*", 0.0, q.feedback.incorrect, "moodle_auto_format")
            ET.SubElement(node, "tolerance").text = "0"
        if q.unit:
            units = ET.SubElement(element, "units")
            unit = ET.SubElement(units, "unit")
            ET.SubElement(unit, "multiplier").text = "1"
            ET.SubElement(unit, "unit_name").text = q.unit
        ET.SubElement(element, "unitgradingtype").text = "0"
        ET.SubElement(element, "unitpenalty").text = "0.1000000"
        ET.SubElement(element, "showunits").text = "3" if not q.unit else "2"
        ET.SubElement(element, "unitsleft").text = "0"
        _write_extra_feedback(element, q.feedback, fmt)

    def _write_matching(self, element: ET.Element, q: QuestionDraft, fmt: str) -> None:
        ET.SubElement(element, "shuffleanswers").text = "true"
        self._combined_feedback(element, q, fmt)
        choices = {c.id: c.text for c in q.choices}
        used = set()
        for stem in q.stems:
            sub = _text_element(element, "subquestion", stem.text, fmt=fmt)
            choice_id = q.pairs.get(stem.id, "")
            used.add(choice_id)
            _text_element(sub, "answer", choices.get(choice_id, ""))
            if stem.feedback:  # not Moodle's, ignored by Moodle
                _text_element(sub, "feedback", stem.feedback, fmt=fmt)
        for choice in q.choices:
            if choice.id not in used:
                sub = _text_element(element, "subquestion", "", fmt=fmt)
                _text_element(sub, "answer", choice.text)

    def _write_ordering(self, element: ET.Element, q: QuestionDraft, fmt: str) -> None:
        ET.SubElement(element, "layouttype").text = "VERTICAL"
        ET.SubElement(element, "selecttype").text = "ALL"
        ET.SubElement(element, "selectcount").text = "0"
        ET.SubElement(element, "gradingtype").text = "ABSOLUTE_POSITION"
        ET.SubElement(element, "showgrading").text = "SHOW"
        self._combined_feedback(element, q, fmt)
        for position, step in enumerate(q.steps, start=1):
            answer = _text_element(element, "answer", step.text, fmt=fmt)
            answer.set("fraction", str(position))
            if step.feedback:
                _text_element(answer, "feedback", step.feedback, fmt=fmt)


def _text_element(parent: ET.Element, name: str, text: str, *, fmt: str = "") -> ET.Element:
    element = ET.SubElement(parent, name)
    if fmt:
        element.set("format", fmt)
    ET.SubElement(element, "text").text = text
    return element


def _write_extra_feedback(element: ET.Element, feedback: CombinedFeedbackDraft, fmt: str) -> None:
    """Correct/partial feedback of types Moodle gives none (ignored by Moodle, read by us)."""
    if feedback.correct:
        _text_element(element, "correctfeedback", feedback.correct, fmt=fmt)
    if feedback.partial:
        _text_element(element, "partiallycorrectfeedback", feedback.partial, fmt=fmt)
