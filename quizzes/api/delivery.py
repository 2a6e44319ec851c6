"""Delivery API: courses and enrolment, quizzes and overrides, attempts from start to result.

Thin views: a serializer validates input, a service does the work, a serializer or
selector renders the output. Who may see what is decided by the selectors in
selectors/access.py and selectors/delivery.py: a learner sees only their own attempts,
an educator only their institutions' courses; anything else is a 404.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from quizzes.models import Attempt, Course, Institution, Membership, Quiz, QuizOverride
from quizzes.selectors.access import (
    courses_for_educator,
    educator_institution,
    educator_institution_ids,
)
from quizzes.selectors.delivery import attempt_for_user, quizzes_for_learner
from quizzes.selectors.results import attempt_result, attempt_state
from quizzes.services.attempts import attempt_finish, attempt_refresh, attempt_start, current_item
from quizzes.services.courses import course_create, membership_set, user_ensure
from quizzes.services.quizzes import override_set, quiz_create, quiz_update
from quizzes.services.responses import response_submit

# -- helpers ------------------------------------------------------------------------------


def _user(request: Request) -> User:
    user = request.user
    assert isinstance(user, User)  # IsAuthenticated ran first
    return user


def _require_educator(user: User) -> set[int]:
    institutions = educator_institution_ids(user)
    if not institutions:
        raise PermissionDenied("Only instructors can do this.")
    return institutions


def _page(
    view: APIView, request: Request, queryset: Any, serializer: type[serializers.Serializer]
) -> Response:
    assert isinstance(view, PaginatedView)
    paginator = view.paginator
    page: list[Any] | None = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer(page, many=True).data)


class DeliveryView(APIView):
    """The base of every delivery endpoint (the API-wide parsers and error handler of
    quizzes/api/parsers.py and errors.py turn over-deep JSON and oversized bodies into 4xx
    with the API's error shape)."""


class PaginatedView(DeliveryView):
    pagination_class = PageNumberPagination

    @property
    def paginator(self) -> PageNumberPagination:
        if not hasattr(self, "_paginator"):
            self._paginator = self.pagination_class()
        return self._paginator


# -- courses and members -------------------------------------------------------------------


class CourseSerializer(serializers.ModelSerializer[Course]):
    institution: serializers.SlugRelatedField[Institution] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )

    class Meta:
        model = Course
        fields = ["id", "slug", "title", "institution"]


class CourseInSerializer(serializers.Serializer[Any]):
    slug = serializers.SlugField(max_length=100)
    title = serializers.CharField(max_length=200)
    institution = serializers.SlugField(required=False)


class CoursesView(PaginatedView):
    @extend_schema(responses=CourseSerializer(many=True))
    def get(self, request: Request) -> Response:
        user = _user(request)
        courses = (
            (
                courses_for_educator(user)
                | Course.objects.filter(memberships__user=user, memberships__is_active=True)
            )
            .distinct()
            .select_related("institution")
            .order_by("pk")
        )
        return _page(self, request, courses, CourseSerializer)

    @extend_schema(request=CourseInSerializer, responses={201: CourseSerializer})
    def post(self, request: Request) -> Response:
        _require_educator(_user(request))
        data = CourseInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        institution = educator_institution(
            user=_user(request), slug=data.validated_data.get("institution", "")
        )
        course = course_create(
            institution=institution,
            slug=data.validated_data["slug"],
            title=data.validated_data["title"],
        )
        return Response(CourseSerializer(course).data, status=status.HTTP_201_CREATED)


class MemberSerializer(serializers.Serializer[Any]):
    username = serializers.CharField(source="user.username", max_length=150)
    email = serializers.EmailField(source="user.email", required=False, allow_blank=True)
    role = serializers.ChoiceField(choices=Membership.Role.choices)
    is_active = serializers.BooleanField(read_only=True)


class MemberInSerializer(serializers.Serializer[Any]):
    username = serializers.RegexField(r"^[\w.@+-]+\Z", max_length=150)
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    role = serializers.ChoiceField(choices=Membership.Role.choices)
    password = serializers.CharField(required=False, write_only=True, min_length=8, max_length=128)


class MembersView(PaginatedView):
    def _course(self, request: Request, course_id: int) -> Course:
        return get_object_or_404(courses_for_educator(_user(request)), pk=course_id)

    @extend_schema(responses=MemberSerializer(many=True))
    def get(self, request: Request, course_id: int) -> Response:
        course = self._course(request, course_id)
        members = course.memberships.select_related("user").order_by("pk")
        return _page(self, request, members, MemberSerializer)

    @extend_schema(request=MemberInSerializer, responses={201: MemberSerializer})
    def post(self, request: Request, course_id: int) -> Response:
        course = self._course(request, course_id)
        data = MemberInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = user_ensure(
            username=data.validated_data["username"],
            email=data.validated_data["email"],
            password=data.validated_data.get("password"),
        )
        membership = membership_set(course=course, user=user, role=data.validated_data["role"])
        return Response(MemberSerializer(membership).data, status=status.HTTP_201_CREATED)


# -- quizzes ---------------------------------------------------------------------------------


class QuizSerializer(serializers.ModelSerializer[Quiz]):
    """A quiz with every setting (educators read and write this shape)."""

    time_limit_seconds = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=7 * 24 * 3600
    )
    blueprint = serializers.DictField(child=serializers.FloatField(min_value=0), required=False)

    class Meta:
        model = Quiz
        fields = [
            "id", "title", "description", "course", "bank", "mode", "status", "blueprint",
            "length", "max_items", "min_items", "se_target", "ability_cut", "classification",
            "exposure", "exclude_seen", "time_limit_seconds", "attempts_allowed",
            "grading_method", "feedback_timing", "shuffle_questions", "shuffle_options",
            "pass_mark", "opens_at", "closes_at", "allow_navigation", "allow_guests",
            "review_when", "review_show_answers", "review_show_explanations",
        ]  # fmt: skip
        read_only_fields = ["id"]

    def to_representation(self, instance: Quiz) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["time_limit_seconds"] = (
            int(instance.time_limit.total_seconds()) if instance.time_limit else None
        )
        return data


LEARNER_QUIZ_FIELDS = [
    "id", "title", "description", "course", "mode", "length", "max_items", "min_items",
    "time_limit_seconds", "attempts_allowed", "feedback_timing", "pass_mark", "opens_at",
    "closes_at", "allow_navigation",
]  # fmt: skip


class LearnerQuizSerializer(QuizSerializer):
    class Meta(QuizSerializer.Meta):
        fields = LEARNER_QUIZ_FIELDS


def _settings_from(validated: dict[str, Any]) -> dict[str, Any]:
    settings = dict(validated)
    if "time_limit_seconds" in settings:
        seconds = settings.pop("time_limit_seconds")
        settings["time_limit"] = timedelta(seconds=seconds) if seconds else None
    return settings


class QuizzesView(PaginatedView):
    @extend_schema(responses=QuizSerializer(many=True))
    def get(self, request: Request) -> Response:
        user = _user(request)
        institutions = educator_institution_ids(user)
        if institutions:
            quizzes = Quiz.objects.filter(course__institution_id__in=institutions).order_by("pk")
            return _page(self, request, quizzes, QuizSerializer)
        return _page(
            self, request, quizzes_for_learner(learner=user).order_by("pk"), LearnerQuizSerializer
        )

    @extend_schema(request=QuizSerializer, responses={201: QuizSerializer})
    def post(self, request: Request) -> Response:
        institutions = _require_educator(_user(request))
        data = QuizSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        settings = _settings_from(data.validated_data)
        course, bank = settings.pop("course"), settings.pop("bank")
        if course.institution_id not in institutions or bank.institution_id not in institutions:
            raise NotFound("No such course or bank of yours.")
        quiz = quiz_create(
            course=course,
            bank=bank,
            title=settings.pop("title"),
            mode=settings.pop("mode"),
            **settings,
        )
        return Response(QuizSerializer(quiz).data, status=status.HTTP_201_CREATED)


class QuizView(DeliveryView):
    def _quiz_for(self, request: Request, quiz_id: int) -> tuple[Quiz, bool]:
        user = _user(request)
        quiz = Quiz.objects.filter(
            pk=quiz_id, course__institution_id__in=educator_institution_ids(user)
        ).first()
        if quiz is not None:
            return quiz, True
        quiz = quizzes_for_learner(learner=user).filter(pk=quiz_id).first()
        if quiz is None:
            raise NotFound()
        return quiz, False

    @extend_schema(responses=QuizSerializer)
    def get(self, request: Request, quiz_id: int) -> Response:
        quiz, educator = self._quiz_for(request, quiz_id)
        return Response((QuizSerializer if educator else LearnerQuizSerializer)(quiz).data)

    @extend_schema(request=QuizSerializer, responses=QuizSerializer)
    def patch(self, request: Request, quiz_id: int) -> Response:
        quiz, educator = self._quiz_for(request, quiz_id)
        if not educator:
            raise PermissionDenied("Only instructors can change a quiz.")
        data = QuizSerializer(quiz, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        changes = _settings_from(data.validated_data)
        if "course" in changes and changes["course"] != quiz.course:
            raise serializers.ValidationError({"course": ["A quiz cannot move to another course."]})
        changes.pop("course", None)
        if "bank" in changes and changes["bank"].institution_id != quiz.course.institution_id:
            raise NotFound("No such bank of yours.")
        quiz = quiz_update(quiz=quiz, **changes)
        return Response(QuizSerializer(quiz).data)


class OverrideSerializer(serializers.ModelSerializer[QuizOverride]):
    learner = serializers.SlugRelatedField(slug_field="username", queryset=User.objects.all())

    class Meta:
        model = QuizOverride
        fields = [
            "id",
            "learner",
            "extra_time",
            "time_multiplier",
            "extra_attempts",
            "opens_at",
            "closes_at",
        ]
        read_only_fields = ["id"]


class OverridesView(PaginatedView):
    def _quiz(self, request: Request, quiz_id: int) -> Quiz:
        user = _user(request)
        if not educator_institution_ids(user):
            if quizzes_for_learner(learner=user).filter(pk=quiz_id).exists():
                raise PermissionDenied("Only instructors can set accommodations.")
            raise NotFound()
        return get_object_or_404(
            Quiz.objects.filter(course__institution_id__in=educator_institution_ids(user)),
            pk=quiz_id,
        )

    @extend_schema(responses=OverrideSerializer(many=True))
    def get(self, request: Request, quiz_id: int) -> Response:
        quiz = self._quiz(request, quiz_id)
        return _page(
            self,
            request,
            quiz.overrides.select_related("learner").order_by("pk"),
            OverrideSerializer,
        )

    @extend_schema(request=OverrideSerializer, responses={201: OverrideSerializer})
    def post(self, request: Request, quiz_id: int) -> Response:
        quiz = self._quiz(request, quiz_id)
        data = OverrideSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        override = override_set(quiz=quiz, **data.validated_data)
        return Response(OverrideSerializer(override).data, status=status.HTTP_201_CREATED)


# -- attempts ---------------------------------------------------------------------------------

AttemptStateSerializer = inline_serializer(
    "AttemptState",
    {
        "id": serializers.IntegerField(),
        "quiz": serializers.IntegerField(),
        "number": serializers.IntegerField(),
        "state": serializers.CharField(),
        "started_at": serializers.DateTimeField(),
        "deadline": serializers.DateTimeField(allow_null=True),
        "time_left": serializers.FloatField(allow_null=True),
        "position": serializers.IntegerField(allow_null=True),
        "progress": serializers.DictField(),
        "finished_at": serializers.DateTimeField(allow_null=True),
        "finish_reason": serializers.CharField(allow_null=True),
    },
)


class AttemptsView(DeliveryView):
    """POST /quizzes/{id}/attempts/: start (201) or resume the attempt in progress (200)."""

    @extend_schema(
        request=None, responses={201: AttemptStateSerializer, 200: AttemptStateSerializer}
    )
    def post(self, request: Request, quiz_id: int) -> Response:
        user = _user(request)
        quiz = Quiz.objects.filter(pk=quiz_id).select_related("bank").first()
        if quiz is None:
            raise NotFound()
        result = attempt_start(quiz=quiz, learner=user)
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(attempt_state(result.attempt, timezone.now()), status=code)


def _attempt(request: Request, attempt_id: int) -> Attempt:
    attempt = attempt_for_user(attempt_id=attempt_id, user=_user(request))
    if attempt is None:
        raise NotFound()
    return attempt_refresh(attempt=attempt)


def _own_attempt(request: Request, attempt_id: int) -> Attempt:
    """Only the learner acts on an attempt; their instructor may read it (403 on writes)."""
    attempt = _attempt(request, attempt_id)
    if attempt.learner_id != _user(request).pk:
        raise PermissionDenied("Only the learner who took the attempt can do this.")
    return attempt


class AttemptView(DeliveryView):
    @extend_schema(responses=AttemptStateSerializer)
    def get(self, request: Request, attempt_id: int) -> Response:
        attempt = _attempt(request, attempt_id)
        state = attempt_state(attempt, timezone.now())
        if attempt.quiz.mode == Quiz.Mode.ADAPTIVE:
            state["ability"], state["standard_error"] = attempt.ability, attempt.standard_error
        return Response(state)


NextSerializer = inline_serializer(
    "NextItem",
    {
        "item": serializers.DictField(allow_null=True),
        "position": serializers.IntegerField(required=False),
        "progress": serializers.DictField(required=False),
        "time_left": serializers.FloatField(allow_null=True, required=False),
        "finished": serializers.BooleanField(),
    },
)


class NextView(DeliveryView):
    @extend_schema(responses=NextSerializer)
    def get(self, request: Request, attempt_id: int) -> Response:
        attempt = _own_attempt(request, attempt_id)
        item = current_item(attempt) if attempt.state == Attempt.State.IN_PROGRESS else None
        if item is None:
            return Response({"item": None, "finished": attempt.state == Attempt.State.FINISHED})
        view = dict(item.presentation["view"])
        state = attempt_state(attempt, timezone.now())
        return Response(
            {
                "item": {"id": item.revision.question_id, "revision": item.revision.number, **view},
                "position": item.position,
                "progress": state["progress"],
                "time_left": state["time_left"],
                "finished": False,
            }
        )


class ResponseInSerializer(serializers.Serializer[Any]):
    item = serializers.IntegerField(min_value=1, max_value=2**63 - 1)  # a BigAutoField id
    answer = serializers.JSONField()
    key = serializers.CharField(min_length=1, max_length=100)


ResponseOutSerializer = inline_serializer(
    "ResponseResult",
    {
        "item": serializers.IntegerField(),
        "recorded": serializers.BooleanField(),
        "repeated": serializers.BooleanField(),
        "finished": serializers.BooleanField(),
        "fraction": serializers.FloatField(required=False),
        "outcome": serializers.CharField(required=False),
        "correct_answer": serializers.DictField(required=False),
        "feedback": serializers.ListField(child=serializers.CharField(), required=False),
        "explanation": serializers.CharField(required=False),
    },
)


class ResponsesView(DeliveryView):
    @extend_schema(
        request=ResponseInSerializer,
        responses={
            201: ResponseOutSerializer,
            200: OpenApiResponse(ResponseOutSerializer, description="A repeat of the same key"),
        },
    )
    def post(self, request: Request, attempt_id: int) -> Response:
        attempt = _own_attempt(request, attempt_id)
        data = ResponseInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = response_submit(
            attempt=attempt,
            question_id=data.validated_data["item"],
            answer=data.validated_data["answer"],
            key=data.validated_data["key"],
        )
        body: dict[str, Any] = {
            "item": data.validated_data["item"],
            "recorded": True,
            "repeated": result.repeated,
            "finished": result.attempt.state == Attempt.State.FINISHED,
        }
        if attempt.quiz.feedback_timing == Quiz.FeedbackTiming.IMMEDIATE:
            body.update(
                {
                    "fraction": result.score.fraction,
                    "outcome": result.score.outcome,
                    "correct_answer": result.correct_answer,
                    "feedback": result.score.feedback,
                    "explanation": result.item.revision.explanation,
                }
            )
        code = status.HTTP_200_OK if result.repeated else status.HTTP_201_CREATED
        return Response(body, status=code)


class FinishView(DeliveryView):
    @extend_schema(request=None, responses=AttemptStateSerializer)
    def post(self, request: Request, attempt_id: int) -> Response:
        attempt = attempt_finish(attempt=_own_attempt(request, attempt_id))
        return Response(attempt_state(attempt, timezone.now()))


ResultSerializer = inline_serializer(
    "AttemptResult",
    {
        "attempt": serializers.IntegerField(),
        "state": serializers.CharField(),
        "score": serializers.FloatField(allow_null=True),
        "max_score": serializers.FloatField(allow_null=True),
        "percent": serializers.FloatField(allow_null=True),
        "ability": serializers.FloatField(allow_null=True),
        "standard_error": serializers.FloatField(allow_null=True),
        "passed": serializers.BooleanField(allow_null=True),
        "topics": serializers.ListField(child=serializers.DictField()),
        "review": serializers.ListField(child=serializers.DictField(), allow_null=True),
    },
)


class ResultView(DeliveryView):
    @extend_schema(responses=ResultSerializer)
    def get(self, request: Request, attempt_id: int) -> Response:
        attempt = _attempt(request, attempt_id)
        educator = attempt.learner_id != _user(request).pk
        return Response(attempt_result(attempt, timezone.now(), educator=educator))
