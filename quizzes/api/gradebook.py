"""The gradebook API (educators): GET /api/v1/quizzes/{id}/gradebook/ and
GET /api/v1/courses/{id}/gradebook/, as JSON (default) or CSV (``?format=csv`` or
``Accept: text/csv``), streamed (quizzes/analytics/gradebook.py; docs/analytics.md).

Instructors (and admins) of the course only (api.permissions.taught_quiz/taught_course):
a learner of the course, or an educator of another course of the institution, gets 403;
anyone else, another institution's instructor included, 404. Errors are always JSON (the
API's error shape), whatever format was asked.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from django.contrib.auth.models import User
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from quizzes.analytics.gradebook import csv_chunks, gradebook_csv_chunks, gradebook_json_chunks
from quizzes.api.permissions import taught_course, taught_quiz
from quizzes.exceptions import ValidationFailed
from quizzes.models import Course, Quiz

CODE_UNKNOWN_FORMAT = "unknown_format"
EDUCATORS_ONLY = "Only instructors of the course can read its gradebook."
FORMATS = ("json", "csv")


class CSVRenderer(BaseRenderer):
    """text/csv: gradebook rows (dicts with the gradebook's columns) as CSV. The views
    stream the file themselves; this renderer names the format for content negotiation
    (``?format=csv``, ``Accept: text/csv``) and the schema."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        rows: Iterable[dict[str, Any]] = data if isinstance(data, list) else []
        return b"".join(csv_chunks(rows))


class GradebookNegotiation(DefaultContentNegotiation):
    """DRF answers a ``?format=`` no renderer offers with a bare 404; say what is wrong."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderers = list(renderers)
        asked = format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        if asked and asked not in {renderer.format for renderer in renderers}:
            raise ValidationFailed(
                f"Unknown format {asked[:40]!r}: use one of {', '.join(FORMATS)}.",
                code=CODE_UNKNOWN_FORMAT,
                fields={"format": [f"one of {', '.join(FORMATS)}"]},
            )
        return super().select_renderer(request, renderers, format_suffix)


class GradebookRowSerializer(serializers.Serializer[Any]):
    quiz_id = serializers.IntegerField()
    quiz_title = serializers.CharField()
    learner_id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(help_text="First and last name; may be empty.")
    enrolled = serializers.BooleanField(
        help_text="An active learner member of the course (false: a grade of someone who left)."
    )
    grading_method = serializers.ChoiceField(choices=Quiz.GradingMethod.choices)
    grade_percent = serializers.FloatField(
        allow_null=True, help_text="The grade (0-100) by the quiz's grading method; null: none."
    )
    passed = serializers.BooleanField(allow_null=True)
    attempts_finished = serializers.IntegerField()
    attempts_in_progress = serializers.IntegerField()
    time_spent_seconds = serializers.IntegerField(
        help_text="Sum of the finished attempts' durations (finish minus start), seconds."
    )
    first_started_at = serializers.DateTimeField(allow_null=True)
    last_finished_at = serializers.DateTimeField(allow_null=True)
    lms_status = serializers.CharField(
        help_text="Delivery of the latest score to the LMS: pending, delivered, failed, "
        "skipped; empty when the grade never changed (no score to send)."
    )
    lms_error = serializers.CharField(help_text="The delivery's last error, if any.")


class GradebookSerializer(serializers.Serializer[Any]):
    quiz = serializers.IntegerField(allow_null=True, help_text="Null for a course gradebook.")
    course = serializers.IntegerField()
    columns = serializers.ListField(child=serializers.CharField())
    results = GradebookRowSerializer(many=True)
    count = serializers.IntegerField()


def _schema(kind: str) -> Any:
    return extend_schema(
        summary=f"The {kind} gradebook (JSON or CSV, streamed)",
        description=(
            "One row per learner"
            + (" per quiz of the course (long format)" if kind == "course" else "")
            + ": every active learner member, with or without attempts, and anyone holding "
            "a grade without being one (enrolled: false). `?format=csv` (or `Accept: "
            "text/csv`) downloads a spreadsheet-safe CSV with the same columns. Educators "
            "of the institution only: a learner gets 403, anyone else 404."
        ),
        parameters=[
            OpenApiParameter(
                "format",
                str,
                OpenApiParameter.QUERY,
                enum=list(FORMATS),
                description="json (default) or csv; anything else is a 400 unknown_format.",
            )
        ],
        responses={
            (200, "application/json"): GradebookSerializer,
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The CSV file."),
            400: OpenApiResponse(description="unknown_format"),
            403: OpenApiResponse(description="permission_denied: a learner"),
            404: OpenApiResponse(description="not_found"),
        },
    )


def _user(request: Request) -> User:
    user = request.user
    assert isinstance(user, User)  # IsAuthenticated ran first
    return user


class GradebookView(APIView):
    renderer_classes = [JSONRenderer, CSVRenderer]
    content_negotiation_class = GradebookNegotiation

    def handle_exception(self, exc: Exception) -> Response:
        # Errors in the API's JSON shape, also when CSV was asked for.
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)

    def stream(self, request: Request, *, quiz: Quiz | None, course: Course) -> Any:
        chunks: Iterator[bytes]
        if request.accepted_renderer.format == "csv":
            chunks = gradebook_csv_chunks(quiz=quiz, course=None if quiz else course)
            response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
            name = f"quiz-{quiz.pk}" if quiz is not None else f"course-{course.slug}"
            response["Content-Disposition"] = f'attachment; filename="gradebook-{name}.csv"'
        else:
            chunks = gradebook_json_chunks(quiz=quiz, course=None if quiz else course)
            response = StreamingHttpResponse(chunks, content_type="application/json")
        response["Cache-Control"] = "private, no-store"
        return response


class QuizGradebookView(GradebookView):
    @_schema("quiz")
    def get(self, request: Request, quiz_id: int) -> Any:
        quiz = taught_quiz(_user(request), quiz_id, refusal=EDUCATORS_ONLY)
        return self.stream(request, quiz=quiz, course=quiz.course)


class CourseGradebookView(GradebookView):
    @_schema("course")
    def get(self, request: Request, course_id: int) -> Any:
        course = taught_course(_user(request), course_id, refusal=EDUCATORS_ONLY)
        return self.stream(request, quiz=None, course=course)
