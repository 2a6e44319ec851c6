"""Educator pages: banks and questions (browse, filter, preview as a learner, linter
findings), quiz set-up, the gradebook (with CSV) and item analysis.

Everything is scoped by the tenant boundary (selectors/access.py): a learner gets a 403
page, another institution's bank, question or quiz a 404.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from quizzes import scoring
from quizzes.analytics.gradebook import gradebook_csv_chunks, gradebook_queryset, gradebook_row
from quizzes.analytics.quiz_stats import ATTEMPT_SUBSETS, FIRST, quiz_stats
from quizzes.exceptions import ApplicationError
from quizzes.linter import lint_question
from quizzes.models import GradeOutbox, Question, QuestionRevision, Quiz
from quizzes.presentation import learner_view
from quizzes.selectors import pages as selectors
from quizzes.selectors.access import is_educator, taught_course_ids
from quizzes.selectors.banks import bank_for_educator, bank_list_for_educator
from quizzes.selectors.questions import question_as_draft, questions_for_bank
from quizzes.services.quizzes import quiz_create, quiz_update
from quizzes.web.answers import AnswerFormError, describe_answer, parse_answer
from quizzes.web.charts import distractor_chart, icc
from quizzes.web.forms import QuizForm, initial_from

EDUCATORS_ONLY = "Only instructors can open the teaching pages."
PAGE_SIZE = 25
CHOICE_TYPES = ("single", "multiple", "true_false")


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def educator_required(
    view: Callable[..., HttpResponseBase],
) -> Callable[..., HttpResponseBase]:
    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not is_educator(request.user):
            return render(
                request, "quizzes/web/message.html", {"message": EDUCATORS_ONLY}, status=403
            )
        return view(request, *args, **kwargs)

    return wrapped


def _render(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    return render(request, template, {"nav": "teach", "is_educator": True, **context})


@educator_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    return _render(
        request,
        "quizzes/web/educator/dashboard.html",
        {
            "banks": bank_list_for_educator(user),
            "quizzes": selectors.educator_quizzes(user),
            "taught": taught_course_ids(user),
        },
    )


# -- banks and questions -----------------------------------------------------------------


@educator_required
@require_GET
def bank_questions(request: HttpRequest, bank_id: int) -> HttpResponse:
    bank = bank_for_educator(user=_user(request), bank_id=bank_id)
    if bank is None:
        raise Http404()
    choices = selectors.bank_filter_choices(bank)
    choices |= {
        "type": list(QuestionRevision.Type.choices),
        "status": list(Question.Status.choices),
        "bloom": list(Question.Bloom.choices),
    }
    filters = {
        name: value
        for name in ("topic", "type", "status", "objective", "tag", "bloom")
        if (value := request.GET.get(name, "")) in {key for key, _ in choices[name]}
    }
    page = Paginator(questions_for_bank(bank=bank, **filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = []
    for question in page.object_list:
        draft = question_as_draft(question)
        findings = lint_question(draft) if draft is not None else []
        rows.append(
            {
                "question": question,
                "draft": draft,
                "errors": sum(1 for f in findings if f.severity == "error" and not f.excepted),
                "warnings": sum(1 for f in findings if f.severity == "warning" and not f.excepted),
            }
        )
    query = request.GET.copy()
    query.pop("page", None)
    return _render(
        request,
        "quizzes/web/educator/bank.html",
        {
            "bank": bank,
            "page": page,
            "rows": rows,
            "filters": filters,
            "filter_fields": [
                ("topic", "Topic", choices["topic"]),
                ("type", "Type", choices["type"]),
                ("status", "Status", choices["status"]),
                ("objective", "Objective", choices["objective"]),
                ("tag", "Tag", choices["tag"]),
                ("bloom", "Bloom level", choices["bloom"]),
            ],
            "query": query.urlencode(),
        },
    )


def _question(request: HttpRequest, question_id: int) -> Question:
    question = selectors.educator_question(user=_user(request), question_id=question_id)
    if question is None or question.current_revision is None:
        raise Http404()
    return question


@educator_required
@require_GET
def question_detail(request: HttpRequest, question_id: int) -> HttpResponse:
    question = _question(request, question_id)
    draft = question_as_draft(question)
    assert draft is not None
    revision = question.current_revision
    assert revision is not None
    key = scoring.correct_answer(draft)
    view = learner_view(draft)
    return _render(
        request,
        "quizzes/web/educator/question.html",
        {
            "question": question,
            "revision": revision,
            "draft": draft,
            "findings": lint_question(draft),
            "key": describe_answer(view, key),
            "icc": icc(a=revision.irt_a, b=revision.irt_b, c=revision.irt_c),
        },
    )


@educator_required
@require_http_methods(["GET", "POST"])
def question_preview(request: HttpRequest, question_id: int) -> HttpResponse:
    """The question exactly as a learner sees it (presentation.learner_view); a submitted
    answer is scored and shown, never recorded."""
    question = _question(request, question_id)
    draft = question_as_draft(question)
    assert draft is not None
    view = learner_view(draft)
    action = reverse("web:question-preview", args=[question.pk])
    context: dict[str, Any] = {
        "question": question,
        "view": view,
        "position": 1,
        "question_id": question.pk,
        "idempotency_key": "preview",
        "form_action": action,
        "error": "",
    }
    if request.method == "POST":
        try:
            answer = parse_answer(view, request.POST)
            score = scoring.score_answer(draft, answer)
        except AnswerFormError as error:
            context["error"] = str(error)
        except scoring.AnswerError as error:
            context["error"] = error.message
        else:
            context["feedback"] = {
                "view": view,
                "position": 1,
                "outcome": score.outcome,
                "fraction": score.fraction,
                "your_answer": describe_answer(view, answer),
                "correct_answer": describe_answer(view, score.correct_answer),
                "messages": [line for line in score.feedback if line],
                "explanation": draft.explanation,
            }
    template = (
        "quizzes/web/educator/preview_main.html"
        if request.headers.get("HX-Request") == "true"
        else "quizzes/web/educator/preview.html"
    )
    status = 400 if context["error"] else 200
    response = render(request, template, {"nav": "teach", "is_educator": True, **context})
    response.status_code = status
    return response


# -- quiz set-up ---------------------------------------------------------------------------


def _quiz_form(request: HttpRequest, **kwargs: Any) -> QuizForm:
    user = _user(request)
    banks = list(bank_list_for_educator(user))
    return QuizForm(
        request.POST if request.method == "POST" else None,
        courses=list(selectors.educator_courses(user)),
        banks=banks,
        topics={bank.pk: selectors.root_topics(bank) for bank in banks},
        **kwargs,
    )


def _save_quiz(request: HttpRequest, form: QuizForm, quiz: Quiz | None) -> Quiz | None:
    if not form.is_valid():
        return None
    user = _user(request)
    settings = form.settings()
    course = selectors.educator_courses(user).filter(pk=settings.pop("course")).first()
    bank = bank_for_educator(user=user, bank_id=settings.pop("bank"))
    if course is None or bank is None:
        raise Http404()
    try:
        if quiz is None:
            return quiz_create(
                course=course,
                bank=bank,
                title=settings.pop("title"),
                mode=settings.pop("mode"),
                **settings,
            )
        if course.pk != quiz.course_id:
            form.add_error("course", "A quiz cannot move to another course.")
            return None
        return quiz_update(quiz=quiz, bank=bank, **settings)
    except ApplicationError as error:
        form.add_error(None, error.detail)
        return None


@educator_required
@require_http_methods(["GET", "POST"])
def quiz_new(request: HttpRequest) -> HttpResponse:
    form = _quiz_form(request, initial={"status": Quiz.Status.DRAFT})
    if request.method == "POST":
        quiz = _save_quiz(request, form, None)
        if quiz is not None:
            url = reverse("web:quiz-edit", args=[quiz.pk]) + "?saved=1"
            return HttpResponseRedirect(url, status=303)
    response = _render(request, "quizzes/web/educator/quiz_form.html", {"form": form, "quiz": None})
    if request.method == "POST":
        response.status_code = 400
    return response


@educator_required
@require_http_methods(["GET", "POST"])
def quiz_edit(request: HttpRequest, quiz_id: int) -> HttpResponse:
    quiz = selectors.educator_quiz(user=_user(request), quiz_id=quiz_id)
    if quiz is None:
        raise Http404()
    form = _quiz_form(request, initial=initial_from(quiz))
    if request.method == "POST":
        saved = _save_quiz(request, form, quiz)
        if saved is not None:
            url = reverse("web:quiz-edit", args=[quiz.pk]) + "?saved=1"
            return HttpResponseRedirect(url, status=303)
    response = _render(
        request,
        "quizzes/web/educator/quiz_form.html",
        {
            "form": form,
            "quiz": quiz,
            "saved": request.GET.get("saved") == "1",
            "teaches": quiz.course_id in taught_course_ids(_user(request)),
        },
    )
    if request.method == "POST":
        response.status_code = 400
    return response


# -- gradebook and item analysis ---------------------------------------------------------

GRADEBOOK_PAGE_SIZE = 100


def _duration(seconds: int) -> str:
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


@educator_required
@require_GET
def gradebook(request: HttpRequest, quiz_id: int) -> HttpResponseBase:
    """One row per learner (the API's gradebook rows), a page at a time, with links to
    each learner's attempts; ``?format=csv`` streams the whole gradebook as the API does."""
    quiz = selectors.taught_quiz(user=_user(request), quiz_id=quiz_id)
    if quiz is None:
        raise Http404()
    if request.GET.get("format") == "csv":
        response = StreamingHttpResponse(
            gradebook_csv_chunks(quiz=quiz), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="gradebook-quiz-{quiz.pk}.csv"'
        return response
    page = Paginator(gradebook_queryset(quiz=quiz), GRADEBOOK_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [gradebook_row(values) for values in page.object_list]
    attempts = selectors.gradebook_attempts(quiz=quiz, learner_ids=[r["learner_id"] for r in rows])
    for row in rows:
        row["attempts"] = attempts.get(row["learner_id"], [])
        row["time_spent"] = _duration(row["time_spent_seconds"])
        row["lms_label"] = GradeOutbox.Status(row["lms_status"]).label if row["lms_status"] else ""
    return _render(
        request,
        "quizzes/web/educator/gradebook.html",
        {"quiz": quiz, "rows": rows, "page": page},
    )


@educator_required
@require_GET
def item_analysis(request: HttpRequest, quiz_id: int) -> HttpResponse:
    quiz = selectors.taught_quiz(user=_user(request), quiz_id=quiz_id)
    if quiz is None:
        raise Http404()
    try:
        stats = quiz_stats(quiz, attempts=request.GET.get("attempts", FIRST))
    except ApplicationError as error:
        return render(request, "quizzes/web/message.html", {"message": error.detail}, status=400)
    items = stats["items"]
    for entry in items:
        irt = entry["irt"]
        entry["icc"] = icc(a=irt["a"], b=irt["b"], c=irt["c"])
        entry["icc_id"] = f"icc-{entry['revision_id']}"
        entry["dist_id"] = f"dist-{entry['revision_id']}"
        entry["distractors"] = (
            distractor_chart(
                [
                    {"label": f"{o['id']}. {o['text']}", "count": o["count"], "key": o["is_key"]}
                    for o in entry["options"]
                ]
            )
            if entry["type"] in CHOICE_TYPES and entry["options"]
            else None
        )
    items.sort(key=lambda entry: (not entry["flags"], entry["external_id"], entry["revision"]))
    return _render(
        request,
        "quizzes/web/educator/items.html",
        {
            "quiz": quiz,
            "summary": stats["quiz"],
            "items": items,
            "weak": sum(1 for entry in items if entry["flags"]),
            "subsets": ATTEMPT_SUBSETS,
        },
    )
