"""Questions as educators see them: /api/v1/banks/{id}/questions/, /api/v1/questions/{id}/,
/api/v1/questions/{id}/status/, /api/v1/questions/{id}/revisions/.

Input is the bank JSON form of quizzes.interop.drafts (docs/content-guide.md) with the
stable id as ``external_id``; output is the same shape plus ``id`` (database id),
``revision``, ``bank``, ``order``, ``served`` and ``lint``, so what a GET returns can be
PATCHed back. Writes go through services/questions.py (sanitising, validation, the
linter gate, new revisions for served content).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from quizzes.api.banks import Pagination, bank_or_404
from quizzes.api.permissions import IsEducator
from quizzes.exceptions import NotFound, ValidationFailed
from quizzes.interop.drafts import (
    BLOOM_LEVELS,
    DIFFICULTY_TO_B,
    QUESTION_TYPES,
    STATUSES,
    TEXT_FORMATS,
    DraftFormatError,
    QuestionDraft,
    question_from_dict,
    question_to_dict,
)
from quizzes.linter import lint_question
from quizzes.models import Question, QuestionRevision
from quizzes.selectors.questions import (
    question_as_draft,
    question_for_educator,
    questions_for_bank,
    revision_of,
    revisions_of,
)
from quizzes.services.questions import question_create, question_edit, question_set_status

CODE_UNKNOWN_FIELD = "unknown_field"
CODE_INVALID_QUESTION = "invalid_question"
CODE_INVALID_REVISION = "invalid_revision"
CODE_EXTERNAL_ID_IMMUTABLE = "external_id_immutable"
QUESTION_NOT_FOUND = "No such question."
REVISION_NOT_FOUND = "Question {question} has no revision {number}."

# Output-only fields: ignored when a client sends a GET body back in a PATCH.
READ_ONLY_FIELDS = frozenset(
    {"id", "revision", "bank", "order", "served", "served_at", "current", "lint"}
)


def question_or_404(user: User | AnonymousUser, question_id: int) -> Question:
    question = question_for_educator(user=user, question_id=question_id)
    if question is None:
        raise NotFound(QUESTION_NOT_FOUND)
    return question


# -- input --------------------------------------------------------------------------------


class StrictCharField(serializers.CharField):
    """A string and only a string (DRF's CharField would turn 12 into "12")."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class QuestionStatusField(serializers.ChoiceField):
    """A question's review status: draft, in_review, published, retired."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=STATUSES, **kwargs)


class QuestionStatusFieldExtension(OpenApiSerializerFieldExtension):
    """The status as one named component, QuestionStatusEnum: left to drf-spectacular, it
    would pool every field named "status" (the quizzes' has other values) and warn."""

    target_class = QuestionStatusField

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> Any:
        component = ResolvedComponent(
            name="QuestionStatusEnum",
            type=ResolvedComponent.SCHEMA,
            object="QuestionStatusEnum",
            schema={"type": "string", "enum": list(STATUSES)},
        )
        auto_schema.registry.register_on_missing(component)
        return component.ref


def optional_text(**kwargs: Any) -> StrictCharField:
    kwargs.setdefault("required", False)
    kwargs.setdefault("allow_blank", True)
    return StrictCharField(**kwargs)


class OptionSerializer(serializers.Serializer[Any]):
    id = StrictCharField(max_length=32, help_text="The author's key: A-E, true/false.")
    text = StrictCharField()
    fraction = serializers.FloatField(min_value=-1.0, max_value=1.0, default=0.0)
    feedback = optional_text(default="")


class AcceptedSerializer(serializers.Serializer[Any]):
    text = StrictCharField()
    fraction = serializers.FloatField(min_value=-1.0, max_value=1.0, default=1.0)
    feedback = optional_text(default="")


class NumericAnswerSerializer(serializers.Serializer[Any]):
    value = serializers.FloatField()
    tolerance = serializers.FloatField(min_value=0.0, default=0.0)
    fraction = serializers.FloatField(min_value=-1.0, max_value=1.0, default=1.0)
    feedback = optional_text(default="")


class MatchStemSerializer(serializers.Serializer[Any]):
    id = StrictCharField(max_length=32)
    text = StrictCharField()
    feedback = optional_text(default="")


class MatchChoiceSerializer(serializers.Serializer[Any]):
    id = StrictCharField(max_length=32)
    text = StrictCharField()


class StepSerializer(serializers.Serializer[Any]):
    id = StrictCharField(max_length=32)
    text = StrictCharField()
    feedback = optional_text(default="")


class FeedbackSerializer(serializers.Serializer[Any]):
    correct = optional_text(default="")
    partial = optional_text(default="")  # type: ignore[assignment]
    incorrect = optional_text(default="")


class IrtSerializer(serializers.Serializer[Any]):
    a = serializers.FloatField(min_value=0.0001, help_text="Discrimination (> 0).")
    b = serializers.FloatField(help_text="Difficulty (logits).")
    c = serializers.FloatField(min_value=0.0, max_value=0.9999, default=0.0)
    provenance = optional_text(default="prior", help_text='"prior" or "calibrated:<n responses>".')


class LintExceptionSerializer(serializers.Serializer[Any]):
    rule = StrictCharField()
    reason = StrictCharField()


class FileSerializer(serializers.Serializer[Any]):
    name = StrictCharField(max_length=255)
    data = StrictCharField(help_text="base64")  # type: ignore[assignment]
    path = optional_text(default="/")


def _list(child: serializers.Field[Any, Any, Any, Any], **kwargs: Any) -> serializers.ListField:
    return serializers.ListField(child=child, required=False, **kwargs)


class QuestionWriteSerializer(serializers.Serializer[Any]):
    """A question in the bank JSON form; on PATCH every field is optional."""

    external_id = StrictCharField(
        max_length=100, help_text="Stable id across imports and exports (BV-001)."
    )
    type = serializers.ChoiceField(choices=QUESTION_TYPES)
    status = QuestionStatusField(required=False)
    title = optional_text(max_length=255)
    topic = optional_text(
        max_length=500, help_text='Slug path of an existing topic: "risks/complications".'
    )
    text_format = serializers.ChoiceField(choices=TEXT_FORMATS, required=False)
    stem = StrictCharField()
    lead_in = optional_text()
    negative_lead_in = serializers.BooleanField(required=False)
    options = _list(OptionSerializer())
    accepted = _list(AcceptedSerializer())
    case_sensitive = serializers.BooleanField(required=False)
    answers = _list(NumericAnswerSerializer())
    unit = optional_text(max_length=50)
    stems = _list(MatchStemSerializer())
    choices = _list(MatchChoiceSerializer())
    pairs = serializers.DictField(child=StrictCharField(), required=False)
    steps = _list(StepSerializer(), help_text="In the correct order.")
    explanation = optional_text()
    feedback = FeedbackSerializer(required=False)
    objectives = _list(StrictCharField(max_length=32), help_text='Objective codes ("M4").')
    bloom = serializers.ChoiceField(choices=("", *BLOOM_LEVELS), required=False)
    source = optional_text(max_length=500)  # type: ignore[assignment]
    fact_refs = _list(StrictCharField())
    tags = _list(StrictCharField(max_length=100))
    difficulty = serializers.ChoiceField(choices=tuple(DIFFICULTY_TO_B), required=False)
    irt = IrtSerializer(required=False, allow_null=True)
    lint_exceptions = _list(LintExceptionSerializer())
    files = _list(FileSerializer())

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Expected a JSON object."]})
        unknown = sorted(set(data) - set(self.fields) - READ_ONLY_FIELDS)
        if unknown:
            raise ValidationFailed(
                f"Unknown field(s): {', '.join(unknown)}.",
                code=CODE_UNKNOWN_FIELD,
                fields={name: ["unknown field"] for name in unknown},
            )
        return super().to_internal_value(data)


def _draft_from(data: dict[str, Any]) -> QuestionDraft:
    """The JSON form (external id under "id") -> a QuestionDraft, or a 400 naming the field."""
    try:
        return question_from_dict(data)
    except DraftFormatError as error:
        raise ValidationFailed(str(error), code=CODE_INVALID_QUESTION) from error


def draft_for_create(validated: dict[str, Any]) -> QuestionDraft:
    data = dict(validated)
    data["id"] = data.pop("external_id")
    data.setdefault("status", Question.Status.DRAFT)  # new questions start the review
    return _draft_from(data)


def draft_for_patch(question: Question, validated: dict[str, Any]) -> QuestionDraft:
    """The current content and classification with the sent fields replaced."""
    current = question_as_draft(question)
    base = question_to_dict(current) if current is not None else {"id": question.external_id}
    changes = dict(validated)
    external_id = changes.pop("external_id", question.external_id)
    if external_id != question.external_id:
        raise ValidationFailed(
            "external_id cannot be changed; create a new question instead.",
            code=CODE_EXTERNAL_ID_IMMUTABLE,
            fields={"external_id": [external_id]},
        )
    revision = question.current_revision
    if "irt" in changes and revision is not None and changes["irt"] == _irt_of(revision):
        del changes["irt"]  # the GET body sent back: not a change
    base.update(changes)
    if base.get("irt") is None:
        base.pop("irt", None)
    return _draft_from(base)


# -- output -------------------------------------------------------------------------------


class LintFindingSerializer(serializers.Serializer[Any]):
    rule = serializers.CharField()
    severity = serializers.ChoiceField(choices=("error", "warning"))
    message = serializers.CharField()
    excepted = serializers.BooleanField()
    reason = serializers.CharField(help_text="The recorded exception's reason, when excepted.")


class IrtOutSerializer(serializers.Serializer[Any]):
    a = serializers.FloatField()
    b = serializers.FloatField()
    c = serializers.FloatField()
    provenance = serializers.CharField()


class QuestionSerializer(serializers.Serializer[Any]):
    """A question as educators see it (the revision shown: current, or ``?revision=R``)."""

    id = serializers.IntegerField(help_text="Database id (used in URLs).")
    external_id = serializers.CharField()
    revision = serializers.IntegerField(allow_null=True, help_text="Revision number shown.")
    current = serializers.BooleanField(help_text="Whether the revision shown is the current one.")
    bank = serializers.IntegerField()
    topic = serializers.CharField(help_text="Slug path, '' when none.")
    type = serializers.ChoiceField(choices=QUESTION_TYPES)
    status = QuestionStatusField()
    title = serializers.CharField()
    text_format = serializers.ChoiceField(choices=TEXT_FORMATS)
    stem = serializers.CharField()
    lead_in = serializers.CharField()
    negative_lead_in = serializers.BooleanField()
    options = OptionSerializer(many=True)
    accepted = AcceptedSerializer(many=True)
    case_sensitive = serializers.BooleanField()
    answers = NumericAnswerSerializer(many=True)
    unit = serializers.CharField()
    stems = MatchStemSerializer(many=True)
    choices = MatchChoiceSerializer(many=True)
    pairs = serializers.DictField(child=serializers.CharField())
    steps = StepSerializer(many=True)
    order = serializers.ListField(
        child=serializers.CharField(), help_text="Ordering: the step ids in the correct order."
    )
    explanation = serializers.CharField()
    feedback = FeedbackSerializer()
    objectives = serializers.ListField(child=serializers.CharField())
    bloom = serializers.CharField()
    source = serializers.CharField()  # type: ignore[assignment]
    fact_refs = serializers.ListField(child=serializers.CharField())
    tags = serializers.ListField(child=serializers.CharField())
    difficulty = serializers.CharField()
    irt = IrtOutSerializer()
    lint_exceptions = LintExceptionSerializer(many=True)
    files = FileSerializer(many=True)
    served = serializers.BooleanField(help_text="Whether a learner has been served this revision.")
    served_at = serializers.DateTimeField(allow_null=True)
    lint = LintFindingSerializer(many=True, help_text="The item linter's findings (warnings).")


def _irt_of(revision: QuestionRevision) -> dict[str, Any]:
    return {
        "a": revision.irt_a,
        "b": revision.irt_b,
        "c": revision.irt_c,
        "provenance": revision.irt_provenance,
    }


def question_data(question: Question, revision: QuestionRevision | None = None) -> dict[str, Any]:
    """The dict QuestionSerializer renders (no query when the selector prefetched)."""
    shown = revision if revision is not None else question.current_revision
    draft = question_as_draft(question, shown)
    if shown is None or draft is None:
        raise NotFound(f"Question {question.external_id} has no content yet.")
    return {
        "id": question.pk,
        "external_id": question.external_id,
        "revision": shown.number,
        "current": shown.pk == question.current_revision_id,
        "bank": question.bank_id,
        "topic": draft.topic,
        "type": draft.type,
        "status": question.status,
        "title": draft.title,
        "text_format": draft.text_format,
        "stem": draft.stem,
        "lead_in": draft.lead_in,
        "negative_lead_in": draft.negative_lead_in,
        "options": [vars(option) for option in draft.options],
        "accepted": [vars(accepted) for accepted in draft.accepted],
        "case_sensitive": draft.case_sensitive,
        "answers": [vars(answer) for answer in draft.answers],
        "unit": draft.unit,
        "stems": [vars(stem) for stem in draft.stems],
        "choices": [vars(choice) for choice in draft.choices],
        "pairs": dict(draft.pairs),
        "steps": [vars(step) for step in draft.steps],
        "order": draft.order,
        "explanation": draft.explanation,
        "feedback": vars(draft.feedback),
        "objectives": draft.objectives,
        "bloom": draft.bloom,
        "source": draft.source,
        "fact_refs": draft.fact_refs,
        "tags": draft.tags,
        "difficulty": draft.difficulty,
        "irt": _irt_of(shown),
        "lint_exceptions": [vars(exception) for exception in draft.lint_exceptions],
        "files": [vars(file) for file in draft.files],
        "served": shown.is_served,
        "served_at": shown.served_at,
        "lint": [
            {
                "rule": finding.rule,
                "severity": finding.severity,
                "message": finding.message,
                "excepted": finding.excepted,
                "reason": finding.exception_reason,
            }
            for finding in lint_question(draft)
        ],
    }


def render_question(question: Question, revision: QuestionRevision | None = None) -> Any:
    return QuestionSerializer(question_data(question, revision)).data


def reload_question(user: User | AnonymousUser, question_id: int) -> Question:
    """Fetch again after a write (the selector's prefetches, fresh)."""
    return question_or_404(user, question_id)


class RevisionSerializer(serializers.Serializer[Any]):
    number = serializers.IntegerField()
    type = serializers.ChoiceField(choices=QUESTION_TYPES)
    stem = serializers.CharField()
    content_hash = serializers.CharField()
    current = serializers.BooleanField()
    served = serializers.BooleanField()
    served_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    created_by = serializers.CharField(allow_null=True, help_text="Username of the author.")


class StatusSerializer(serializers.Serializer[Any]):
    status = QuestionStatusField(
        help_text="draft -> in_review -> published -> retired (and back to draft from "
        "review or retirement).",
    )


class QuestionFilterSerializer(serializers.Serializer[Any]):
    topic = serializers.CharField(required=False, help_text="Topic path; includes descendants.")
    type = serializers.ChoiceField(choices=QUESTION_TYPES, required=False)
    status = QuestionStatusField(required=False)
    objective = serializers.CharField(required=False, help_text='Objective code ("M4").')
    tag = serializers.CharField(required=False)
    bloom = serializers.ChoiceField(choices=BLOOM_LEVELS, required=False)


# -- views --------------------------------------------------------------------------------


class BankQuestionsView(GenericAPIView[Question]):
    """A bank's questions (filtered, paginated); create one."""

    permission_classes = [IsEducator]
    pagination_class = Pagination
    serializer_class = QuestionSerializer

    @extend_schema(parameters=[QuestionFilterSerializer], responses=QuestionSerializer(many=True))
    def get(self, request: Request, bank_id: int) -> Response:
        bank = bank_or_404(request.user, bank_id)
        filters = QuestionFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        page = self.paginate_queryset(questions_for_bank(bank=bank, **filters.validated_data))
        assert page is not None
        results = QuestionSerializer([question_data(q) for q in page], many=True).data
        return self.get_paginated_response(results)

    @extend_schema(request=QuestionWriteSerializer, responses={201: QuestionSerializer})
    def post(self, request: Request, bank_id: int) -> Response:
        bank = bank_or_404(request.user, bank_id)
        serializer = QuestionWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = request.user if isinstance(request.user, User) else None
        question = question_create(
            bank=bank, draft=draft_for_create(serializer.validated_data), user=user
        )
        question = reload_question(request.user, question.pk)
        return Response(render_question(question), status=status.HTTP_201_CREATED)


class QuestionDetailView(GenericAPIView[Question]):
    """One question; ``?revision=R`` shows a past revision. PATCH saves new content (a
    revision a learner has seen is kept: the change becomes a new revision)."""

    permission_classes = [IsEducator]
    serializer_class = QuestionSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "revision", OpenApiTypes.INT, description="A revision number (default: current)."
            )
        ],
        responses=QuestionSerializer,
    )
    def get(self, request: Request, question_id: int) -> Response:
        question = question_or_404(request.user, question_id)
        number = request.query_params.get("revision")
        if number in (None, ""):
            return Response(render_question(question))
        try:
            revision_number = int(number)
        except ValueError:
            raise ValidationFailed(
                "revision must be a revision number.",
                code=CODE_INVALID_REVISION,
                fields={"revision": [number]},
            ) from None
        revision = revision_of(question, revision_number)
        if revision is None:
            raise NotFound(REVISION_NOT_FOUND.format(question=question.pk, number=number))
        return Response(render_question(question, revision))

    @extend_schema(request=QuestionWriteSerializer, responses=QuestionSerializer)
    def patch(self, request: Request, question_id: int) -> Response:
        question = question_or_404(request.user, question_id)
        serializer = QuestionWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user = request.user if isinstance(request.user, User) else None
        question_edit(
            question=question, draft=draft_for_patch(question, serializer.validated_data), user=user
        )
        return Response(render_question(reload_question(request.user, question.pk)))


class QuestionStatusView(GenericAPIView[Question]):
    """Move a question through the review workflow."""

    permission_classes = [IsEducator]
    serializer_class = StatusSerializer

    @extend_schema(request=StatusSerializer, responses=QuestionSerializer)
    def post(self, request: Request, question_id: int) -> Response:
        question = question_or_404(request.user, question_id)
        serializer = StatusSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        question_set_status(question=question, status=serializer.validated_data["status"])
        return Response(render_question(reload_question(request.user, question.pk)))


class QuestionRevisionsView(GenericAPIView[QuestionRevision]):
    """A question's revisions, newest first."""

    permission_classes = [IsEducator]
    pagination_class = Pagination
    serializer_class = RevisionSerializer

    @extend_schema(responses=RevisionSerializer(many=True))
    def get(self, request: Request, question_id: int) -> Response:
        question = question_or_404(request.user, question_id)
        page = self.paginate_queryset(revisions_of(question))
        assert page is not None
        rows = [
            {
                "number": revision.number,
                "type": revision.type,
                "stem": revision.stem,
                "content_hash": revision.content_hash,
                "current": revision.pk == question.current_revision_id,
                "served": revision.is_served,
                "served_at": revision.served_at,
                "created_at": revision.created_at,
                "created_by": revision.created_by.username if revision.created_by else None,
            }
            for revision in page
        ]
        return self.get_paginated_response(RevisionSerializer(rows, many=True).data)
