"""Mastery per learner, topic and objective: GET /api/v1/courses/{id}/mastery/.

- a learner of the course gets their own mastery (``?learner=`` naming anyone else: 403);
- an instructor (or admin) of the course gets every active learner's, or one learner's
  with ``?learner=<user id>`` (not a learner of the course: 400 ``unknown_learner``);
- anyone without an active membership in the course (another course, another
  institution) gets a 404, so the course's existence is not disclosed.
The estimates and their statuses are computed in quizzes/analytics/mastery.py
(docs/analytics.md, "Mastery").
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from quizzes.analytics import mastery
from quizzes.exceptions import NotFound, PermissionDenied, ValidationFailed
from quizzes.models import Membership

CODE_INVALID_LEARNER = "invalid_learner"
CODE_UNKNOWN_LEARNER = "unknown_learner"
COURSE_NOT_FOUND = "No such course."
NOT_YOUR_MASTERY = "Learners see only their own mastery."
INVALID_LEARNER = "learner must be a user id (a positive integer)."
UNKNOWN_LEARNER = "That user is not a learner of this course."


class EstimateFields(serializers.Serializer[Any]):
    n = serializers.IntegerField(help_text="Responses counted (unweighted).")
    mean = serializers.FloatField(help_text="Posterior mean of the success rate (0..1).")
    lower = serializers.FloatField(help_text="Lower bound of the 80% credible interval.")
    upper = serializers.FloatField(help_text="Upper bound of the 80% credible interval.")
    # A CharField, not a ChoiceField: drf-spectacular would name its enum after "status",
    # which several other components use for other choice sets.
    status = serializers.CharField(help_text="One of: " + ", ".join(mastery.STATUSES) + ".")


class TopicMasterySerializer(EstimateFields):
    topic = serializers.IntegerField(help_text="The topic's id.")
    bank = serializers.IntegerField()
    path = serializers.CharField(help_text='Slug path, e.g. "risks/vascular".')
    title = serializers.CharField()


class ObjectiveMasterySerializer(EstimateFields):
    objective = serializers.CharField(help_text='The objective\'s code, e.g. "M4".')
    bank = serializers.IntegerField()
    text = serializers.CharField()


class LearnerMasterySerializer(serializers.Serializer[Any]):
    learner = serializers.IntegerField()
    username = serializers.CharField()
    topics = TopicMasterySerializer(many=True)
    objectives = ObjectiveMasterySerializer(many=True)


class CourseMasterySerializer(serializers.Serializer[Any]):
    course = serializers.IntegerField()
    learners = LearnerMasterySerializer(many=True)


def _learner_id(request: Request) -> int | None:
    raw = request.query_params.get("learner")
    if raw is None:
        return None
    if not raw.isascii() or not raw.isdigit() or int(raw) < 1 or len(raw) > 18:
        raise ValidationFailed(
            INVALID_LEARNER, code=CODE_INVALID_LEARNER, fields={"learner": [INVALID_LEARNER]}
        )
    return int(raw)


class CourseMasteryView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "learner",
                int,
                description="Instructors: one learner's user id. Learners: only their own.",
            )
        ],
        responses=CourseMasterySerializer,
    )
    def get(self, request: Request, course_id: int) -> Response:
        user = request.user
        assert isinstance(user, User)  # IsAuthenticated ran first
        learner_id = _learner_id(request)
        role = mastery.course_role(user=user, course_id=course_id)
        if role is None:
            raise NotFound(COURSE_NOT_FOUND)
        if role in Membership.EDUCATOR_ROLES:
            learners = mastery.course_learners(course_id=course_id)
            if learner_id is not None:
                learners = learners.filter(pk=learner_id)
            chosen = list(learners)
            if learner_id is not None and not chosen:
                raise ValidationFailed(
                    UNKNOWN_LEARNER,
                    code=CODE_UNKNOWN_LEARNER,
                    fields={"learner": [UNKNOWN_LEARNER]},
                )
        else:
            if learner_id is not None and learner_id != user.pk:
                raise PermissionDenied(NOT_YOUR_MASTERY)
            chosen = [user]
        body = {
            "course": course_id,
            "learners": mastery.course_mastery(course_id=course_id, learners=chosen),
        }
        return Response(CourseMasterySerializer(body).data)
