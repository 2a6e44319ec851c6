"""The contract every exchange format implements: an importer and an exporter.

An importer turns the bytes of a file into an ``ImportResult``: a ``BankDraft`` plus the
warnings and errors met on the way, each naming the question and where it is in the file
(a line for GIFT and Moodle XML, an element or a package member for QTI). A question with
an error is left out of the bank, and the rest of the file still imports; the caller (the
lead's import service) decides whether any error rejects the whole upload. A file that
cannot be read at all raises ``FormatError``.

An exporter turns a ``BankDraft`` into bytes, and says what to call the file and which
question fields the format carries (``carries``), so the round-trip contract test knows
what to compare.

Framework-free on purpose: no Django import anywhere in quizzes.interop.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar

from quizzes.interop.drafts import BankDraft, QuestionDraft


class FormatError(ValueError):
    """The file cannot be read as a whole (not this format, malformed, unsafe)."""


@dataclass(frozen=True)
class ImportMessage:
    """A warning or error of an import, naming the question and where it was found."""

    message: str
    question: str = ""  # the question's title or idnumber, "" for file-level messages
    line: int | None = None  # GIFT and Moodle XML
    location: str = ""  # QTI: package member and/or element

    def __str__(self) -> str:
        where = []
        if self.location:
            where.append(self.location)
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.question:
            where.append(f'question "{self.question}"')
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


@dataclass
class ImportResult:
    bank: BankDraft = field(default_factory=BankDraft)
    warnings: list[ImportMessage] = field(default_factory=list)
    errors: list[ImportMessage] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def warn(
        self, message: str, *, question: str = "", line: int | None = None, location: str = ""
    ) -> None:
        self.warnings.append(
            ImportMessage(message, question=question, line=line, location=location)
        )

    def error(
        self, message: str, *, question: str = "", line: int | None = None, location: str = ""
    ) -> None:
        self.errors.append(ImportMessage(message, question=question, line=line, location=location))


# Every field of QuestionDraft, for ``carries`` declarations. "element_ids" stands for the
# ids of options, matching stems/choices and ordering steps: a format that does not carry
# them gets positional ids on import (A, B, C ... for options); "element_feedback" for the
# feedback of matching stems and ordering steps; "true_false_text" for the display text of
# true/false options (formats that do not carry it import "True" and "False").
ALL_QUESTION_FIELDS = frozenset(
    {
        "id", "type", "stem", "lead_in", "title", "text_format", "options", "accepted",
        "case_sensitive", "answers", "unit", "stems", "choices", "pairs", "steps",
        "explanation", "feedback", "topic", "objectives", "bloom", "source", "fact_refs",
        "tags", "difficulty", "irt", "status", "negative_lead_in", "lint_exceptions", "files",
        "element_ids", "element_feedback", "true_false_text",
    }
)  # fmt: skip


class BaseImporter(ABC):
    identifier: ClassVar[str]
    label: ClassVar[str]
    extensions: ClassVar[tuple[str, ...]]  # with the dot: (".xml",)

    @abstractmethod
    def parse(self, data: bytes, *, filename: str = "") -> ImportResult:
        """Read a whole file; raises FormatError when it cannot be read at all."""


class BaseExporter(ABC):
    identifier: ClassVar[str]
    label: ClassVar[str]
    extension: ClassVar[str]  # with the dot: ".xml"
    media_type: ClassVar[str]
    carries: ClassVar[frozenset[str]]  # the QuestionDraft fields that survive a round trip
    types: ClassVar[tuple[str, ...]]  # the question types the format can write

    @abstractmethod
    def render(self, bank: BankDraft) -> bytes:
        """The file's bytes; questions of a type the format cannot write are left out
        (``unsupported`` says why) and named in a comment where the format has comments."""

    def filename(self, bank: BankDraft, *, stem: str = "") -> str:
        base = stem or slug_for_filename(bank.title) or "question-bank"
        return f"{base}{self.extension}"

    def written_fraction(self, fraction: float) -> float:
        """The fraction as the format writes it (Moodle formats: the nearest Moodle grade)."""
        return fraction

    def unsupported(self, question: QuestionDraft) -> str:
        """Why the question cannot be written in this format; "" when it can."""
        if question.type not in self.types:
            return f"{self.label} has no {question.type} question type"
        return ""


def slug_for_filename(text: str) -> str:
    out = []
    for char in text.lower():
        if char.isascii() and char.isalnum():
            out.append(char)
        elif out and out[-1] != "-":
            out.append("-")
    return "".join(out).strip("-")


def question_label(question: QuestionDraft) -> str:
    """How messages name a question: its title, else its id."""
    return question.title or question.id
