"""GET /api/v1/quizzes/{id}/item-stats/: the quiz and item statistics (docs/analytics.md).

Instructors (and admins) of the quiz's course only (api.permissions.taught_quiz): a
learner who can see the quiz, or an educator of another course of the institution, gets
403; anyone else 404.
``?attempts=first|all|highest|last`` chooses the finished attempts (default first); any
other value is a 400 ``invalid_attempts``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from quizzes.analytics.quiz_stats import ATTEMPT_SUBSETS, FIRST, quiz_stats
from quizzes.api.permissions import taught_quiz

EDUCATORS_ONLY = "Only instructors of the course can read its item statistics."


IrtSerializer = inline_serializer(
    "ItemStatsIrt",
    {
        "a": serializers.FloatField(),
        "b": serializers.FloatField(),
        "c": serializers.FloatField(),
        "a_se": serializers.FloatField(allow_null=True),
        "b_se": serializers.FloatField(allow_null=True),
        "c_se": serializers.FloatField(allow_null=True),
        "fit_rmsd": serializers.FloatField(allow_null=True),
        "misfit": serializers.BooleanField(allow_null=True),
        "provenance": serializers.CharField(),
        "responses": serializers.IntegerField(),
    },
)

ItemStatsSerializer = inline_serializer(
    "ItemStats",
    {
        "quiz": inline_serializer(
            "QuizStats",
            {
                "id": serializers.IntegerField(),
                "mode": serializers.CharField(),
                "attempts_subset": serializers.ChoiceField(choices=ATTEMPT_SUBSETS),
                "attempts": serializers.IntegerField(),
                "items": serializers.IntegerField(),
                "mean": serializers.FloatField(allow_null=True, help_text="Percent (0..100)."),
                "median": serializers.FloatField(allow_null=True, help_text="Percent (0..100)."),
                "sd": serializers.FloatField(allow_null=True, help_text="Percent (0..100)."),
                "skewness": serializers.FloatField(allow_null=True),
                "kurtosis": serializers.FloatField(allow_null=True),
                "cronbach_alpha": serializers.FloatField(allow_null=True),
                "error_ratio": serializers.FloatField(allow_null=True),
                "sem": serializers.FloatField(allow_null=True, help_text="Percent (0..100)."),
                "reliability_method": serializers.CharField(allow_null=True),
                "reliability_note": serializers.CharField(),
                "marginal_reliability": serializers.FloatField(allow_null=True),
            },
        ),
        "items": serializers.ListField(
            child=inline_serializer(
                "ItemStatsItem",
                {
                    "question": serializers.IntegerField(),
                    "revision": serializers.IntegerField(),
                    "revision_id": serializers.IntegerField(),
                    "external_id": serializers.CharField(),
                    "type": serializers.CharField(),
                    "stem": serializers.CharField(),
                    "attempts": serializers.IntegerField(),
                    "facility": serializers.FloatField(allow_null=True),
                    "sd": serializers.FloatField(allow_null=True),
                    "random_guess": serializers.FloatField(allow_null=True),
                    "intended_weight": serializers.FloatField(allow_null=True),
                    "effective_weight": serializers.FloatField(allow_null=True),
                    "discrimination_index": serializers.FloatField(allow_null=True),
                    "discriminative_efficiency": serializers.FloatField(allow_null=True),
                    "point_biserial": serializers.FloatField(allow_null=True),
                    "irt": IrtSerializer,
                    "flags": serializers.ListField(child=serializers.DictField()),
                    "options": serializers.ListField(
                        child=inline_serializer(
                            "ItemStatsOption",
                            {
                                "id": serializers.CharField(help_text="The author's key."),
                                "text": serializers.CharField(),
                                "count": serializers.IntegerField(),
                                "rate": serializers.FloatField(allow_null=True),
                                "is_key": serializers.BooleanField(),
                            },
                        )
                    ),
                },
            )
        ),
    },
)


class ItemStatsView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "attempts",
                OpenApiTypes.STR,
                enum=list(ATTEMPT_SUBSETS),
                description="Which finished attempts: each learner's first (default), all, "
                "the highest-scoring or the last.",
            )
        ],
        responses=ItemStatsSerializer,
    )
    def get(self, request: Request, quiz_id: int) -> Response:
        user = request.user
        assert isinstance(user, User)  # IsAuthenticated ran first
        quiz = taught_quiz(user, quiz_id, refusal=EDUCATORS_ONLY)
        # quiz_stats validates the subset (400 invalid_attempts for anything else).
        which = request.query_params.get("attempts", FIRST)
        data: dict[str, Any] = quiz_stats(quiz, attempts=which)
        return Response(data)
