"""Importing a file into a bank and exporting a bank to a file, in any exchange format.

``import_bank`` is all or nothing per file: the parser's errors, a question the bank's
rules refuse (invalid payload, lint errors in a bank with ``lint_blocking``) or any error
while writing rolls back everything and raises ``ImportFailed`` carrying the report.
Writing reuses ``bank_load`` (services/banks.py): new ids are created, changed content
gets a new revision, a change of classification updates the question, unchanged
questions are skipped. Topics named by the file (Moodle categories, our topic tree) and
objectives it cites that the bank lacks are created on the way.
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from typing import IO, Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction

from quizzes.conf import import_max_bytes
from quizzes.exceptions import ApplicationError, ValidationFailed
from quizzes.interop.base import FormatError, ImportResult
from quizzes.interop.drafts import (
    BankDraft,
    ObjectiveDraft,
    QuestionDraft,
    topic_paths,
    validate_payload,
)
from quizzes.interop.registry import IMPORTERS, get_exporter, get_importer, sniff
from quizzes.interop.sanitize import sanitize_question
from quizzes.linter import lint_question
from quizzes.models import Bank
from quizzes.selectors.banks import bank_as_draft, objective_codes, topics_of
from quizzes.services.banks import bank_load, topic_ensure

logger = logging.getLogger(__name__)

# Error codes (stable: API clients and tests match on them).
CODE_FILE_TOO_LARGE = "file_too_large"
CODE_INVALID_FILE = "invalid_file"
CODE_UNKNOWN_FORMAT = "unknown_format"
CODE_IMPORT_FAILED = "import_failed"

FORMATS = tuple(sorted(IMPORTERS))
UNRECOGNISED_FORMAT = "Could not tell the file's format; name it with format ({known})."
IMPORTED_OBJECTIVE_TEXT = "Objective {code} (created by an import; describe it)."
CONTENT_REFUSED = "the bank refused the file's content"
CONCURRENT_CHANGE = (
    "the bank changed while the file was being imported (another import or edit at the same "
    "time); nothing was imported, try again"
)
POSITIONAL_ID = (
    "has no id in the file and was given {id} from its position: another file imported into "
    "this bank would update it; give questions ids (Moodle ID number) to keep them apart"
)


class FileTooLarge(ApplicationError):
    code = CODE_FILE_TOO_LARGE
    status = 413
    default_detail = "The file is too large to import."


class InvalidFile(ValidationFailed):
    code = CODE_INVALID_FILE
    default_detail = "The file cannot be read."


class UnknownFormat(ValidationFailed):
    code = CODE_UNKNOWN_FORMAT
    default_detail = "Unknown format."


@dataclass
class ImportReport:
    format: str
    dry_run: bool = False
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "dry_run": self.dry_run,
            "created": list(self.created),
            "updated": list(self.updated),
            "skipped": list(self.skipped),
            "errors": list(self.errors),
            "warnings": list(self.warnings),
        }

    def summary(self) -> str:
        prefix = "dry run, nothing saved: " if self.dry_run else ""
        return (
            f"{prefix}{len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.skipped)} skipped, {len(self.errors)} errors, "
            f"{len(self.warnings)} warnings"
        )


class ImportFailed(ValidationFailed):
    """Nothing was imported; ``fields`` is the report (its ``errors`` say why)."""

    code = CODE_IMPORT_FAILED

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        count = len(report.errors)
        super().__init__(
            f"{count} error{'s' if count != 1 else ''} in the file; nothing was imported.",
            fields=report.as_dict(),
        )


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    filename: str
    media_type: str


# -- size ---------------------------------------------------------------------------------


def import_size_check(size: int) -> None:
    """Refuse a file over QUIZZES["IMPORT_MAX_BYTES"] (before reading it, when possible)."""
    limit = import_max_bytes()
    if size > limit:
        raise FileTooLarge(
            f"The file has {size} bytes; the limit is {limit} bytes "
            f'(setting QUIZZES["IMPORT_MAX_BYTES"]).',
            fields={"file": [f"larger than {limit} bytes"]},
        )


def upload_read(upload: IO[bytes], *, size: int | None = None) -> bytes:
    """The bytes of an uploaded file, never reading more than the limit allows."""
    if size is not None:
        import_size_check(size)
    limit = import_max_bytes()
    data = upload.read(limit + 1)
    import_size_check(len(data))
    return data


# -- import -------------------------------------------------------------------------------

# What a parser may raise on a hostile or broken file besides FormatError; each is turned
# into invalid_file rather than a server error.
_PARSER_FAILURES = (
    ValueError,
    KeyError,
    IndexError,
    TypeError,
    RecursionError,
    UnicodeError,
    zipfile.BadZipFile,
    ET.ParseError,
    EOFError,
    OSError,
)


def _parse(data: bytes, *, filename: str, identifier: str) -> tuple[str, ImportResult]:
    if not identifier:
        identifier = sniff(data, filename) or ""
        if not identifier:
            raise UnknownFormat(
                UNRECOGNISED_FORMAT.format(known=", ".join(FORMATS)),
                fields={"format": [f"one of {', '.join(FORMATS)}"]},
            )
    try:
        importer = get_importer(identifier)
    except KeyError as error:
        raise UnknownFormat(
            f"Unknown format {identifier!r}; known formats: {', '.join(FORMATS)}.",
            fields={"format": [f"one of {', '.join(FORMATS)}"]},
        ) from error
    try:
        return identifier, importer.parse(data, filename=filename)
    except FormatError as error:
        raise InvalidFile(str(error), fields={"file": [str(error)]}) from error
    except _PARSER_FAILURES as error:
        logger.warning("import: %s parser failed on %r: %r", identifier, filename, error)
        message = f"The file cannot be read as {identifier}: {error}"
        raise InvalidFile(message, fields={"file": [message]}) from error


def _label(question: QuestionDraft) -> str:
    return f'question "{question.title or question.id}"'


def _check_questions(bank: Bank, draft: BankDraft, report: ImportReport) -> None:
    """The bank's rules on every question: payload, duplicate ids, the linter."""
    seen: set[str] = set()
    positional = re.compile(rf"{re.escape(report.format)}-\d+")
    for question in draft.questions:
        if positional.fullmatch(question.id):
            report.warnings.append(f"{_label(question)}: {POSITIONAL_ID.format(id=question.id)}")
        sanitize_question(question)
        for problem in validate_payload(question):
            report.errors.append(f"{_label(question)}: {problem}")
        if question.id in seen:
            report.errors.append(f"{_label(question)}: the id {question.id} is used twice")
        seen.add(question.id)
        for finding in lint_question(question):
            if finding.excepted:
                continue
            message = f"{_label(question)}: lint {finding.rule}: {finding.message}"
            if finding.is_blocking and bank.lint_blocking:
                report.errors.append(message)
            else:
                report.warnings.append(message)


def _topics_create(bank: Bank, draft: BankDraft) -> None:
    """Create the topics the file names (its tree, its questions' paths) that are missing.

    Existing topics are left as they are (titles and order are the bank's own), so the
    draft's tree is consumed here and not handed to bank_load.
    """
    existing = {topic.path for topic in topics_of(bank)}
    titles: dict[str, str] = {}
    positions: dict[str, int] = {}

    def walk(nodes: list[Any], prefix: str) -> None:
        for position, node in enumerate(nodes):
            path = f"{prefix}{node.slug}"
            titles[path], positions[path] = node.title, position
            walk(node.children, f"{path}/")

    walk(draft.topics, "")
    wanted = list(topic_paths(draft.topics))
    wanted += [q.topic.strip("/") for q in draft.questions if q.topic.strip("/")]
    for path in dict.fromkeys(wanted):
        if path not in existing:
            topic_ensure(
                bank=bank, path=path, title=titles.get(path, ""), position=positions.get(path, 0)
            )
            existing.update("/".join(path.split("/")[: i + 1]) for i in range(path.count("/") + 1))
    draft.topics = []


def _objectives_complete(bank: Bank, draft: BankDraft) -> None:
    """Objectives the questions cite that neither the file nor the bank defines: create them."""
    known = objective_codes(bank) | {objective.id for objective in draft.objectives}
    cited = dict.fromkeys(code for q in draft.questions for code in q.objectives)
    for code in cited:
        if code not in known:
            draft.objectives.append(
                ObjectiveDraft(id=code, text=IMPORTED_OBJECTIVE_TEXT.format(code=code))
            )
            known.add(code)


def import_bank(
    *,
    bank: Bank,
    data: bytes,
    filename: str = "",
    format: str = "",
    dry_run: bool = False,
    user: User | None = None,
) -> ImportReport:
    """Import one file into ``bank``: everything or nothing (raises ImportFailed).

    ``format`` is a registry identifier (moodle-xml, gift, qti, json), sniffed when empty.
    With ``dry_run`` the whole import runs and is rolled back: the report says what would
    happen.
    """
    import_size_check(len(data))
    identifier, result = _parse(data, filename=filename, identifier=format.strip())
    report = ImportReport(format=identifier, dry_run=dry_run)
    report.errors = [str(message) for message in result.errors]
    report.warnings = [str(message) for message in result.warnings]
    draft = result.bank
    _check_questions(bank, draft, report)
    if report.errors:
        raise ImportFailed(report)

    # The file's bank title and description are the source bank's: the target keeps its own.
    draft.title, draft.description = bank.title, ""
    try:
        with transaction.atomic():
            _topics_create(bank, draft)
            _objectives_complete(bank, draft)
            loaded = bank_load(institution=bank.institution, draft=draft, user=user)
            if dry_run:
                transaction.set_rollback(True)
    except ApplicationError as error:
        report.errors.append(_describe(error))
        raise ImportFailed(report) from error
    except DjangoValidationError as error:
        report.errors.append(f"{CONTENT_REFUSED}: {'; '.join(error.messages)}")
        raise ImportFailed(report) from error
    except IntegrityError as error:
        report.errors.append(CONCURRENT_CHANGE)
        raise ImportFailed(report) from error
    report.created = list(loaded.created)
    report.updated = list(loaded.revised) + list(loaded.updated)
    report.skipped = list(loaded.unchanged)
    return report


def _describe(error: ApplicationError) -> str:
    details = error.fields if isinstance(error.fields, dict) else {}
    parts = [
        f"{key}: {'; '.join(str(v) for v in value) if isinstance(value, list) else value}"
        for key, value in details.items()
    ]
    return f"{error.detail} ({', '.join(parts)})" if parts else error.detail


# -- export -------------------------------------------------------------------------------


def export_bank(*, bank: Bank, format: str) -> ExportFile:
    """The bank as a file of the given format (its questions' current revisions)."""
    try:
        exporter = get_exporter(format)
    except KeyError as error:
        known = ", ".join(FORMATS)
        raise UnknownFormat(
            f"Unknown format {format!r}; known formats: {known}.",
            fields={"format": [f"one of {known}"]},
        ) from error
    draft = bank_as_draft(bank)
    return ExportFile(
        content=exporter.render(draft),
        filename=exporter.filename(draft),
        media_type=exporter.media_type,
    )
