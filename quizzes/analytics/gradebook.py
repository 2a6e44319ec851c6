"""The gradebook: one row per learner and quiz, streamed (docs/analytics.md, "Gradebook").

Who is listed: every active learner member of the quiz's course, with or without
attempts, plus anyone who holds a grade on the quiz without being an active learner
member (left the course, or was moved to another role): their grade stays visible with
``enrolled`` false. The course gradebook is the same rows for every quiz of the course
(long format: one row per learner per quiz).

Every figure is computed by the database (correlated subqueries keyed on the
``(quiz, learner)`` unique indexes of Grade and Attempt), and the rows are read with
``QuerySet.iterator(chunk_size=...)``: one query whatever the number of rows, and only a
chunk of rows in memory at a time. ``gradebook_rows`` yields plain dicts;
``gradebook_csv_chunks`` and ``gradebook_json_chunks`` turn them into the bytes of a CSV
file or a JSON document, written incrementally, which the API and the educator page
stream (StreamingHttpResponse).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Max,
    Min,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from quizzes.conf import quiz_setting
from quizzes.models import Attempt, Course, Grade, GradeOutbox, Membership, Quiz

# The columns of a row, in order (the CSV header; the keys of a JSON row).
COLUMNS = [
    "quiz_id", "quiz_title", "learner_id", "username", "name", "enrolled", "grading_method",
    "grade_percent", "passed", "attempts_finished", "attempts_in_progress",
    "time_spent_seconds", "first_started_at", "last_finished_at", "lms_status", "lms_error",
]  # fmt: skip

# Characters that make a spreadsheet read a text cell as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Rows per chunk of bytes written to the stream (CSV and JSON).
ROWS_PER_CHUNK = 200

SCOPE_REQUIRED = "Give exactly one of quiz or course."


def chunk_size() -> int:
    return int(quiz_setting("GRADEBOOK_CHUNK_SIZE"))


def _course_id(quiz: Quiz | None, course: Course | None) -> int:
    if quiz is not None and course is None:
        return quiz.course_id
    if course is not None and quiz is None:
        return course.pk
    raise TypeError(SCOPE_REQUIRED)


# -- the query ---------------------------------------------------------------------------


def _attempts(**filters: Any) -> QuerySet[Attempt, Any]:
    """The attempts of the outer row's (quiz, learner), grouped to one row for aggregates."""
    return (
        Attempt.objects.filter(
            quiz_id=OuterRef("row_quiz"), learner_id=OuterRef("row_learner"), **filters
        )
        .order_by()
        .values("learner_id")
    )


def _aggregate(aggregate: Any, **filters: Any) -> Subquery:
    return Subquery(_attempts(**filters).annotate(value=aggregate).values("value")[:1])


def _figures(rows: QuerySet[Any]) -> QuerySet[Any]:
    """The same annotations, in the same order, on both halves of the union."""
    finished = {"state": Attempt.State.FINISHED}
    grade = Grade.objects.filter(quiz_id=OuterRef("row_quiz"), learner_id=OuterRef("row_learner"))
    latest_outbox = GradeOutbox.objects.filter(
        grade__quiz_id=OuterRef("row_quiz"), grade__learner_id=OuterRef("row_learner")
    ).order_by("-created_at", "-pk")
    duration = ExpressionWrapper(F("finished_at") - F("started_at"), output_field=DurationField())
    return rows.annotate(
        row_grade_percent=Subquery(grade.values("percent")[:1]),
        row_passed=Subquery(grade.values("passed")[:1]),
        row_attempts_finished=Coalesce(_aggregate(Count("pk"), **finished), 0),
        row_attempts_in_progress=Coalesce(
            _aggregate(Count("pk"), state=Attempt.State.IN_PROGRESS), 0
        ),
        row_time_spent=_aggregate(Sum(duration, output_field=DurationField()), **finished),
        row_first_started_at=_aggregate(Min("started_at")),
        row_last_finished_at=_aggregate(Max("finished_at"), **finished),
        row_lms_status=Subquery(latest_outbox.values("status")[:1]),
        row_lms_error=Subquery(latest_outbox.values("last_error")[:1]),
    )


_SELECTED = [
    "row_quiz", "row_quiz_title", "row_grading_method", "row_learner", "row_username",
    "row_first_name", "row_last_name", "row_enrolled", "row_grade_percent", "row_passed",
    "row_attempts_finished", "row_attempts_in_progress", "row_time_spent", "row_first_started_at",
    "row_last_finished_at", "row_lms_status", "row_lms_error",
]  # fmt: skip


def gradebook_queryset(*, quiz: Quiz | None = None, course: Course | None = None) -> QuerySet[Any]:
    """The gradebook of a quiz or of a course as one SQL query (a UNION ALL of the
    members' rows and the rows of graded non-members), ordered by quiz, then username."""
    course_id = _course_id(quiz, course)
    active_learners = Membership.objects.filter(
        course_id=course_id, role=Membership.Role.LEARNER, is_active=True
    )
    # Members x quizzes: the join to the course's quizzes gives one row per pair.
    members = active_learners.filter(
        **({"course__quizzes": quiz.pk} if quiz is not None else {"course__quizzes__isnull": False})
    ).annotate(
        row_quiz=F("course__quizzes__id"),
        row_quiz_title=F("course__quizzes__title"),
        row_grading_method=F("course__quizzes__grading_method"),
        row_learner=F("user_id"),
        row_username=F("user__username"),
        row_first_name=F("user__first_name"),
        row_last_name=F("user__last_name"),
        row_enrolled=Value(True),
    )
    grades = Grade.objects.filter(
        **({"quiz_id": quiz.pk} if quiz is not None else {"quiz__course_id": course_id})
    ).exclude(learner_id__in=active_learners.values("user_id"))
    graded_non_members = grades.annotate(
        row_quiz=F("quiz_id"),
        row_quiz_title=F("quiz__title"),
        row_grading_method=F("quiz__grading_method"),
        row_learner=F("learner_id"),
        row_username=F("learner__username"),
        row_first_name=F("learner__first_name"),
        row_last_name=F("learner__last_name"),
        row_enrolled=Value(False),
    )
    return (
        _figures(members)
        .values(*_SELECTED)
        .union(_figures(graded_non_members).values(*_SELECTED), all=True)
        .order_by("row_quiz_title", "row_quiz", "row_username", "row_learner")
    )


def _seconds(duration: timedelta | None) -> int:
    return 0 if duration is None else round(duration.total_seconds())


def gradebook_row(values: dict[str, Any]) -> dict[str, Any]:
    """A row of gradebook_queryset() as the gradebook's columns (COLUMNS)."""
    return {
        "quiz_id": values["row_quiz"],
        "quiz_title": values["row_quiz_title"],
        "learner_id": values["row_learner"],
        "username": values["row_username"],
        "name": f"{values['row_first_name']} {values['row_last_name']}".strip(),
        "enrolled": bool(values["row_enrolled"]),
        "grading_method": values["row_grading_method"],
        "grade_percent": values["row_grade_percent"],
        "passed": values["row_passed"],
        "attempts_finished": values["row_attempts_finished"],
        "attempts_in_progress": values["row_attempts_in_progress"],
        "time_spent_seconds": _seconds(values["row_time_spent"]),
        "first_started_at": values["row_first_started_at"],
        "last_finished_at": values["row_last_finished_at"],
        "lms_status": values["row_lms_status"] or "",
        "lms_error": values["row_lms_error"] or "",
    }


def gradebook_rows(
    *, quiz: Quiz | None = None, course: Course | None = None
) -> Iterator[dict[str, Any]]:
    """The gradebook's rows (keys: COLUMNS), read chunk by chunk with one query."""
    for values in gradebook_queryset(quiz=quiz, course=course).iterator(chunk_size=chunk_size()):
        yield gradebook_row(values)


# -- the streams ---------------------------------------------------------------------------


def iso(value: datetime | None) -> str | None:
    """ISO 8601 as the rest of the API writes it (UTC as ``Z``)."""
    if value is None:
        return None
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def csv_cell(value: Any) -> Any:
    """Spreadsheet-safe: a text cell starting with = + - @ (or a tab or carriage return)
    is prefixed with ' so that no spreadsheet reads it as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, float):
        return round(value, 2)
    return value


def csv_chunks(rows: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    """A CSV file of gradebook rows: the header line as the first chunk, then
    ROWS_PER_CHUNK rows per chunk."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    yield buffer.getvalue().encode()
    buffer.seek(0)
    buffer.truncate()
    pending = 0
    for row in rows:
        writer.writerow([csv_cell(row[column]) for column in COLUMNS])
        pending += 1
        if pending == ROWS_PER_CHUNK:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    if pending:
        yield buffer.getvalue().encode()


def gradebook_csv_chunks(
    *, quiz: Quiz | None = None, course: Course | None = None
) -> Iterator[bytes]:
    """The gradebook as CSV bytes, the header first (UTF-8, spreadsheet-safe cells)."""
    return csv_chunks(gradebook_rows(quiz=quiz, course=course))


def _json_row(row: dict[str, Any]) -> str:
    return json.dumps(
        {
            column: iso(value) if isinstance(value, datetime) else value
            for column, value in row.items()
        },
        ensure_ascii=False,
        allow_nan=False,
    )


def gradebook_json_chunks(
    *, quiz: Quiz | None = None, course: Course | None = None
) -> Iterator[bytes]:
    """The gradebook as one JSON document written incrementally:
    ``{"quiz": id or null, "course": id, "columns": [...], "results": [...], "count": n}``."""
    course_id = _course_id(quiz, course)
    head = {"quiz": quiz.pk if quiz is not None else None, "course": course_id, "columns": COLUMNS}
    yield (json.dumps(head)[:-1] + ', "results": [').encode()
    count = 0
    parts: list[str] = []
    for row in gradebook_rows(quiz=quiz, course=course):
        parts.append(("," if count else "") + _json_row(row))
        count += 1
        if len(parts) == ROWS_PER_CHUNK:
            yield "".join(parts).encode()
            parts.clear()
    if parts:
        yield "".join(parts).encode()
    yield f'], "count": {count}}}'.encode()
