"""The Django admin for educators: every row scoped to the educator's institutions.

Writes go through the services, so the admin obeys the same rules as the API: a question's
content is edited as one document and saved by ``question_revise`` (a served revision is
never changed; a new revision is made), status changes by ``question_set_status``.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.html import format_html, format_html_join

from quizzes.exceptions import ApplicationError
from quizzes.interop.drafts import (
    DraftFormatError,
    question_from_dict,
    question_to_dict,
    validate_payload,
)
from quizzes.models import (
    Attempt,
    Bank,
    Course,
    Grade,
    GradeOutbox,
    Institution,
    Membership,
    Objective,
    Question,
    QuestionRevision,
    Quiz,
    Topic,
)
from quizzes.models.questions import CONTENT_KEYS
from quizzes.presentation import learner_view
from quizzes.selectors.access import educator_institution_ids
from quizzes.services.questions import question_create, question_revise, question_set_status


def _user(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


class ScopedAdmin(admin.ModelAdmin):
    """Educators see and change only their institutions' rows; superusers see all."""

    institution_path = "institution"

    def _institution_ids(self, request: HttpRequest) -> set[int]:
        return educator_institution_ids(request.user)

    def _allowed(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(
            user.is_active
            and user.is_staff
            and (user.is_superuser or self._institution_ids(request))
        )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.institution_path}__in": self._institution_ids(request)})

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if not request.user.is_superuser:
            ids = self._institution_ids(request)
            scoped = {
                Institution: {"pk__in": ids},
                Bank: {"institution__in": ids},
                Course: {"institution__in": ids},
                Topic: {"bank__institution__in": ids},
            }
            if db_field.related_model in scoped:
                kwargs["queryset"] = db_field.related_model.objects.filter(
                    **scoped[db_field.related_model]
                )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if not request.user.is_superuser and hasattr(db_field.related_model, "bank"):
            kwargs["queryset"] = db_field.related_model.objects.filter(
                bank__institution__in=self._institution_ids(request)
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(Institution)
class InstitutionAdmin(ScopedAdmin):
    institution_path = "pk"
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Course)
class CourseAdmin(ScopedAdmin):
    list_display = ["title", "slug", "institution"]
    search_fields = ["title", "slug"]
    inlines = [MembershipInline]


@admin.register(Bank)
class BankAdmin(ScopedAdmin):
    list_display = ["title", "institution", "question_count"]
    search_fields = ["title"]

    @admin.display(description="Questions")
    def question_count(self, bank: Bank) -> int:
        return bank.questions.count()


@admin.register(Topic)
class TopicAdmin(ScopedAdmin):
    institution_path = "bank__institution"
    list_display = ["path", "title", "bank"]
    list_filter = ["bank"]
    search_fields = ["path", "title"]


@admin.register(Objective)
class ObjectiveAdmin(ScopedAdmin):
    institution_path = "bank__institution"
    list_display = ["code", "text", "bloom", "bank"]
    list_filter = ["bank", "bloom"]
    search_fields = ["code", "text"]


class QuestionForm(forms.ModelForm):
    """Classification as fields, content as one JSON document saved by question_revise."""

    content = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 30, "cols": 100, "class": "vLargeTextField"}),
        help_text=(
            "The question's content in the bank JSON format (docs/content-guide.md). Saving a "
            "change to a revision that learners have seen creates a new revision."
        ),
    )

    class Meta:
        model = Question
        fields = ["bank", "external_id", "topic", "bloom", "objectives", "tags"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        revision = self.instance.current_revision if self.instance.pk else None
        if revision is not None:
            data = question_to_dict(revision.as_draft())
            content = {key: data[key] for key in CONTENT_KEYS if key in data}
            self.fields["content"].initial = json.dumps(content, indent=2, ensure_ascii=False)
            self.fields["bank"].disabled = True
            self.fields["external_id"].disabled = True

    def clean_content(self) -> dict[str, Any]:
        try:
            content = json.loads(self.cleaned_data["content"])
        except ValueError as error:
            raise ValidationError(f"Not valid JSON: {error}") from error
        if not isinstance(content, dict):
            raise ValidationError("The content must be a JSON object.")
        unknown = sorted(set(content) - set(CONTENT_KEYS))
        if unknown:
            raise ValidationError(f"Not content fields: {', '.join(unknown)}.")
        return content

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "content" not in cleaned or self.errors:
            return cleaned
        topic = cleaned.get("topic")
        data = dict(cleaned["content"])
        data.update(
            {
                "id": cleaned.get("external_id") or self.instance.external_id,
                "topic": topic.path if topic else "",
                "bloom": cleaned.get("bloom", ""),
                "status": self.instance.status if self.instance.pk else Question.Status.DRAFT,
                "objectives": [o.code for o in cleaned.get("objectives", [])],
                "tags": [t.name for t in cleaned.get("tags", [])],
            }
        )
        try:
            draft = question_from_dict(data)
        except DraftFormatError as error:
            raise ValidationError(str(error)) from error
        errors = validate_payload(draft)
        if errors:
            raise ValidationError(errors)
        cleaned["draft"] = draft
        return cleaned


@admin.register(Question)
class QuestionAdmin(ScopedAdmin):
    institution_path = "bank__institution"
    form = QuestionForm
    list_display = ["external_id", "question_type", "topic", "status", "bloom", "revision_number"]
    list_filter = ["bank", "topic", "current_revision__type", "status", "bloom", "objectives"]
    search_fields = [
        "external_id",
        "current_revision__stem",
        "current_revision__lead_in",
        "tags__name",
    ]
    list_select_related = ["topic", "current_revision"]
    readonly_fields = ["status", "current_revision_display", "revision_history", "preview_link"]
    actions = ["publish", "retire"]
    filter_horizontal = ["objectives", "tags"]

    @admin.display(description="Type", ordering="current_revision__type")
    def question_type(self, question: Question) -> str:
        return question.current_revision.type if question.current_revision else "-"

    @admin.display(description="Revision")
    def revision_number(self, question: Question) -> int | None:
        return question.current_revision.number if question.current_revision else None

    @admin.display(description="Current revision and its options")
    def current_revision_display(self, question: Question) -> str:
        revision = question.current_revision
        if revision is None:
            return "-"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((o.key, o.text, f"{o.fraction:g}", o.feedback) for o in revision.options.all()),
        )
        served = "served to learners (immutable)" if revision.is_served else "not yet served"
        return format_html(
            "<p>Revision {} ({}, {}); IRT a={:.2f} b={:.2f} c={:.2f} ({})</p>"
            "<table><tr><th>Key</th><th>Option</th><th>Fraction</th><th>Feedback</th></tr>{}</table>",
            revision.number,
            revision.get_type_display(),
            served,
            revision.irt_a,
            revision.irt_b,
            revision.irt_c,
            revision.irt_provenance,
            rows,
        )

    @admin.display(description="History")
    def revision_history(self, question: Question) -> str:
        return format_html_join(
            ", ",
            "r{} ({})",
            (
                (r.number, "served" if r.is_served else "unserved")
                for r in question.revisions.order_by("number")
            ),
        )

    @admin.display(description="Preview")
    def preview_link(self, question: Question) -> str:
        if not question.pk:
            return "-"
        return format_html('<a href="{}">Preview as a learner sees it</a>', "../preview/")

    def save_model(self, request: HttpRequest, obj: Question, form: Any, change: bool) -> None:
        draft = form.cleaned_data["draft"]
        if change:
            question_revise(
                question=Question.objects.get(pk=obj.pk), draft=draft, user=_user(request)
            )
        else:
            obj.pk = question_create(bank=obj.bank, draft=draft, user=_user(request)).pk

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Objectives and tags were saved by the service with the content."""

    @admin.action(description="Publish selected questions")
    def publish(self, request: HttpRequest, queryset: QuerySet[Question]) -> None:
        self._set_status(request, queryset, Question.Status.PUBLISHED)

    @admin.action(description="Retire selected questions")
    def retire(self, request: HttpRequest, queryset: QuerySet[Question]) -> None:
        self._set_status(request, queryset, Question.Status.RETIRED)

    def _set_status(self, request: HttpRequest, queryset: QuerySet[Question], status: str) -> None:
        done, refused = 0, []
        for question in queryset:
            try:
                question_set_status(question=question, status=status)
                done += 1
            except ApplicationError as error:
                refused.append(f"{question.external_id}: {error.detail}")
        self.message_user(request, f"{done} question(s) now {status}.")
        if refused:
            self.message_user(request, " ".join(refused), level=messages.WARNING)

    def get_urls(self) -> list[URLPattern]:
        preview = path(
            "<path:object_id>/preview/",
            self.admin_site.admin_view(self.preview_view),
            name="quizzes_question_preview",
        )
        return [preview, *super().get_urls()]

    def preview_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        question = get_object_or_404(self.get_queryset(request), pk=object_id)
        revision = question.current_revision
        view = learner_view(revision.as_draft()) if revision else None
        context = {
            **self.admin_site.each_context(request),
            "title": f"Preview of {question.external_id}",
            "question": question,
            "item": view,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/quizzes/question/preview.html", context)


@admin.register(QuestionRevision)
class QuestionRevisionAdmin(ScopedAdmin):
    """Revisions are read-only history: content changes go through the question."""

    institution_path = "question__bank__institution"
    list_display = ["question", "number", "type", "served_at", "irt_a", "irt_b", "irt_c"]
    list_filter = ["type", "question__bank"]
    search_fields = ["question__external_id", "stem"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Quiz)
class QuizAdmin(ScopedAdmin):
    institution_path = "course__institution"
    list_display = ["title", "course", "mode", "status", "attempts_allowed"]
    list_filter = ["mode", "status", "course"]
    search_fields = ["title"]


class ReadOnlyScopedAdmin(ScopedAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Attempt)
class AttemptAdmin(ReadOnlyScopedAdmin):
    institution_path = "quiz__course__institution"
    list_display = ["quiz", "learner", "number", "state", "percent", "ability", "standard_error"]
    list_filter = ["state", "quiz"]


@admin.register(Grade)
class GradeAdmin(ReadOnlyScopedAdmin):
    institution_path = "quiz__course__institution"
    list_display = ["quiz", "learner", "percent", "passed", "updated_at"]


@admin.register(GradeOutbox)
class GradeOutboxAdmin(ReadOnlyScopedAdmin):
    institution_path = "grade__quiz__course__institution"
    list_display = ["grade", "score_given", "status", "tries", "next_try_at", "last_error"]
    list_filter = ["status"]


from quizzes.lti import admin as lti_admin  # noqa: F401,E402
