"""The project's own lossless JSON format (``quizzes-bank/1``), the one fixtures/ uses.

A document holds any of ``bank`` (title, description), ``topics`` (a tree), ``objectives``
and ``questions``; a bank may be split over several documents (fixtures/valvuloplasty/
keeps one per topic), which ``read_bank_dir`` merges in file-name order.

``parse``/``render`` read and write a whole document (raising DraftFormatError at the
first problem); ``JsonImporter``/``JsonExporter`` implement the importer/exporter contract
of quizzes.interop.base (a bad question is an error naming it, the rest imports).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

from quizzes.interop.base import (
    ALL_QUESTION_FIELDS,
    BaseExporter,
    BaseImporter,
    FormatError,
    ImportResult,
)
from quizzes.interop.drafts import (
    FORMAT_ID,
    BankDraft,
    DraftFormatError,
    ObjectiveDraft,
    TopicDraft,
    question_from_dict,
    question_to_dict,
    validate_payload,
)
from quizzes.interop.sanitize import sanitize_question

IDENTIFIER = "json"
NOT_JSON = "not valid JSON"


def _topic_from_dict(data: Any) -> TopicDraft:
    if not isinstance(data, dict) or not isinstance(data.get("slug"), str):
        raise DraftFormatError("topics: every topic needs a slug")
    children = data.get("children", [])
    if not isinstance(children, list):
        raise DraftFormatError(f"topic {data['slug']}: children must be a list")
    return TopicDraft(
        slug=data["slug"],
        title=str(data.get("title") or data["slug"]),
        children=[_topic_from_dict(child) for child in children],
    )


def _topic_to_dict(topic: TopicDraft) -> dict[str, Any]:
    return {
        "slug": topic.slug,
        "title": topic.title,
        "children": [_topic_to_dict(child) for child in topic.children],
    }


def document_from_dict(data: Any, into: BankDraft | None = None) -> BankDraft:
    """Read one document into a BankDraft (or merge it into ``into``)."""
    bank = into if into is not None else BankDraft()
    if not isinstance(data, dict):
        raise DraftFormatError("document must be a JSON object")
    if data.get("format") != FORMAT_ID:
        raise DraftFormatError(f'document: format must be "{FORMAT_ID}"')
    meta = data.get("bank")
    if meta is not None:
        if not isinstance(meta, dict):
            raise DraftFormatError("bank must be an object")
        bank.title = str(meta.get("title", bank.title))
        bank.description = str(meta.get("description", bank.description))
    for key in ("topics", "objectives", "questions"):
        if not isinstance(data.get(key, []), list):
            raise DraftFormatError(f"{key} must be a list")
    bank.topics.extend(_topic_from_dict(t) for t in data.get("topics", []))
    for objective in data.get("objectives", []):
        if not isinstance(objective, dict) or not isinstance(objective.get("id"), str):
            raise DraftFormatError("objectives: every objective needs an id")
        bank.objectives.append(
            ObjectiveDraft(
                id=objective["id"],
                text=str(objective.get("text", "")),
                topic=str(objective.get("topic", "")),
                bloom=str(objective.get("bloom", "")),
                source=str(objective.get("source", "")),
            )
        )
    default_topic = data.get("topic", "")
    for raw in data.get("questions", []):
        question = question_from_dict(raw)
        if not question.topic and isinstance(default_topic, str):
            question.topic = default_topic
        bank.questions.append(question)
    return bank


def bank_to_dict(bank: BankDraft) -> dict[str, Any]:
    return {
        "format": FORMAT_ID,
        "bank": {"title": bank.title, "description": bank.description},
        "topics": [_topic_to_dict(t) for t in bank.topics],
        "objectives": [
            {"id": o.id, "topic": o.topic, "bloom": o.bloom, "source": o.source, "text": o.text}
            for o in bank.objectives
        ],
        "questions": [question_to_dict(q) for q in bank.questions],
    }


def parse(text: str | bytes) -> BankDraft:
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as error:
        raise DraftFormatError(f"not valid JSON: {error}") from error
    return document_from_dict(data)


def render(bank: BankDraft) -> str:
    return json.dumps(bank_to_dict(bank), indent=2, ensure_ascii=False) + "\n"


def read_bank_dir(path: str | Path) -> BankDraft:
    """Merge every ``*.json`` document of a directory (sorted by name) into one bank."""
    directory = Path(path)
    files = sorted(directory.glob("*.json"))
    if not files:
        raise DraftFormatError(f"{directory}: no .json bank documents found")
    bank = BankDraft()
    for file in files:
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except ValueError as error:
            raise DraftFormatError(f"{file.name}: not valid JSON: {error}") from error
        try:
            document_from_dict(data, into=bank)
        except DraftFormatError as error:
            raise DraftFormatError(f"{file.name}: {error}") from error
    return bank


# -- the importer/exporter contract ----------------------------------------------------


class JsonImporter(BaseImporter):
    identifier = IDENTIFIER
    label = "Quizzes JSON (quizzes-bank/1)"
    extensions = (".json",)

    def parse(self, data: bytes, *, filename: str = "") -> ImportResult:
        try:
            document = json.loads(data)
        except (ValueError, UnicodeDecodeError) as error:
            raise FormatError(f"{NOT_JSON}: {error}") from error
        questions = document.get("questions", []) if isinstance(document, dict) else None
        if not isinstance(questions, list):
            raise FormatError("questions must be a list")
        try:
            bank = document_from_dict({**document, "questions": []})
        except DraftFormatError as error:
            raise FormatError(str(error)) from error
        result = ImportResult(bank=bank)
        default_topic = document.get("topic", "")
        seen: set[str] = set()
        for position, raw in enumerate(questions, start=1):
            label = str(raw.get("id") or f"#{position}") if isinstance(raw, dict) else ""
            location = f"questions[{position - 1}]"
            try:
                question = question_from_dict(raw)
            except DraftFormatError as error:
                result.error(str(error), question=label, location=location)
                continue
            if question.id in seen:
                result.error(f"duplicate id {question.id}", question=label, location=location)
                continue
            seen.add(question.id)
            if not question.topic and isinstance(default_topic, str):
                question.topic = default_topic
            sanitize_question(question)
            problems = validate_payload(question)
            for problem in problems:
                result.error(problem, question=label, location=location)
            if not problems:
                bank.questions.append(question)
        return result


class JsonExporter(BaseExporter):
    identifier = IDENTIFIER
    label = "Quizzes JSON (quizzes-bank/1)"
    extension = ".json"
    media_type = "application/json"
    types = (
        "single", "multiple", "true_false", "short_answer", "numerical", "matching", "ordering",
    )  # fmt: skip
    carries: ClassVar[frozenset[str]] = ALL_QUESTION_FIELDS

    def render(self, bank: BankDraft) -> bytes:
        return render(bank).encode("utf-8")
