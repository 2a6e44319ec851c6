"""Learner pages: home, quiz intro, the attempt (one item at a time), result and review.

Thin views over the same services and selectors as the API (quizzes/api/delivery.py):
attempt_start, response_submit, attempt_finish, attempt_refresh, current_item,
attempt_state, attempt_result. An htmx request gets the swapped fragment only; the same
URLs work as plain form posts. The pages an LMS frames allow its origins
(web/framing.py). No answer key reaches a page before the item is answered: an item is
rendered from ``AttemptItem.presentation["view"]`` only.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from quizzes.exceptions import ApplicationError
from quizzes.models import Attempt, AttemptItem, Quiz
from quizzes.selectors import pages as selectors
from quizzes.selectors.access import is_educator
from quizzes.selectors.delivery import attempt_for_user, effective_settings, quizzes_for_learner
from quizzes.selectors.results import attempt_result, attempt_state
from quizzes.services.attempts import (
    attempt_finish,
    attempt_item_flag,
    attempt_refresh,
    attempt_start,
    current_item,
)
from quizzes.services.responses import ATTEMPT_FINISHED, DEADLINE_PASSED, response_submit
from quizzes.web.answers import AnswerFormError, describe_answer, parse_answer
from quizzes.web.charts import mastery_chart
from quizzes.web.framing import allow_lms_framing

NOT_YOURS = "Only the learner who took this attempt can answer it."
REVIEW_CLOSED = "The review of this attempt is not available: the quiz does not show it now."

# Plain-language bands of the adaptive ability scale (logits, mean 0 in the bank's
# calibration population), lowest first: (upper bound, name, what it means).
ABILITY_BANDS = (
    (-1.0, "Beginning", "You are building the foundations: review the topics below first."),
    (0.0, "Developing", "You know the essentials; some topics still need work."),
    (1.0, "Proficient", "You handle most questions at the level of the course."),
    (float("inf"), "Advanced", "You answered hard questions well: you are above the course level."),
)


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # login_required ran first
    return user


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    """A redirect htmx follows as a full page load (HX-Redirect), else a 303."""
    if _is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url, status=303)


def _framed(response: HttpResponse, quiz: Quiz) -> HttpResponse:
    return allow_lms_framing(response, institution_id=quiz.course.institution_id)


def ability_band(ability: float | None) -> dict[str, str] | None:
    if ability is None:
        return None
    for upper, name, meaning in ABILITY_BANDS:
        if ability < upper:
            return {"name": name, "meaning": meaning}
    return None  # unreachable: the last bound is infinite


def describe_rules(quiz: Quiz) -> list[str]:
    """What the intro says about length and stopping."""
    if quiz.mode == Quiz.Mode.ADAPTIVE:
        rules = [
            f"Adaptive: each question is chosen for your level; between {quiz.min_items} "
            f"and {quiz.max_items} questions."
        ]
        if quiz.se_target:
            rules.append("It stops early once your level is measured precisely enough.")
        if quiz.ability_cut is not None:
            rules.append("It stops early once it is clear whether you pass.")
        return rules
    if quiz.mode == Quiz.Mode.PRACTICE:
        return [f"Practice: {quiz.length} questions, with the answer and explanation after each."]
    if quiz.mode == Quiz.Mode.BLUEPRINT:
        return [f"{quiz.length} questions drawn across the topics of the course."]
    return [f"{quiz.length} questions."]


# -- home and intro -------------------------------------------------------------------------


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    courses: dict[int, dict[str, Any]] = {}
    for quiz in quizzes_for_learner(learner=user).order_by("course__title", "title"):
        entry = courses.setdefault(quiz.course_id, {"course": quiz.course, "quizzes": []})
        entry["quizzes"].append(quiz)
    return render(
        request,
        "quizzes/web/home.html",
        {"courses": list(courses.values()), "is_educator": is_educator(user)},
    )


def _intro_context(quiz: Quiz, user: User) -> dict[str, Any]:
    settings = effective_settings(quiz=quiz, learner=user)
    attempts = selectors.learner_attempts(quiz=quiz, learner=user)
    in_progress = next((a for a in attempts if a.state == Attempt.State.IN_PROGRESS), None)
    left = (
        None if not settings.attempts_allowed else max(0, settings.attempts_allowed - len(attempts))
    )
    return {
        "quiz": quiz,
        "rules": describe_rules(quiz),
        "settings": settings,
        "time_limit_minutes": round(settings.time_limit.total_seconds() / 60)
        if settings.time_limit
        else None,
        "attempts": attempts,
        "in_progress": in_progress,
        "attempts_left": left,
        "can_start": in_progress is not None or left is None or left > 0,
    }


@never_cache
@login_required
@require_GET
def quiz_intro(request: HttpRequest, quiz_id: int) -> HttpResponse:
    quiz = selectors.learner_quiz(learner=_user(request), quiz_id=quiz_id)
    if quiz is None:
        raise Http404()
    response = render(request, "quizzes/web/intro.html", _intro_context(quiz, _user(request)))
    return _framed(response, quiz)


@login_required
@require_POST
def quiz_start(request: HttpRequest, quiz_id: int) -> HttpResponse:
    user = _user(request)
    quiz = selectors.learner_quiz(learner=user, quiz_id=quiz_id)
    if quiz is None:
        raise Http404()
    try:
        result = attempt_start(quiz=quiz, learner=user)
    except ApplicationError as error:
        context = _intro_context(quiz, user) | {"error": error.detail}
        response = render(request, "quizzes/web/intro.html", context, status=error.status)
        return _framed(response, quiz)
    return HttpResponseRedirect(reverse("web:attempt", args=[result.attempt.pk]), status=303)


# -- the attempt ------------------------------------------------------------------------------


def _attempt(request: HttpRequest, attempt_id: int) -> Attempt:
    """An attempt the user may see (their own, or one of a course they teach), refreshed
    (expired ones finish); else 404."""
    attempt = attempt_for_user(attempt_id=attempt_id, user=_user(request))
    if attempt is None:
        raise Http404()
    return attempt_refresh(attempt=attempt)


def _own_attempt(request: HttpRequest, attempt_id: int) -> Attempt:
    """An attempt the user took: only its learner answers, flags or finishes it."""
    attempt = _attempt(request, attempt_id)
    if attempt.learner_id != _user(request).pk:
        raise Http404(NOT_YOURS)
    return attempt


def _navigable(quiz: Quiz) -> bool:
    return quiz.allow_navigation and quiz.mode in (Quiz.Mode.FIXED, Quiz.Mode.BLUEPRINT)


def _progress_text(quiz: Quiz, state: dict[str, Any], position: int) -> str:
    progress = state["progress"]
    if progress["adaptive"]:
        return (
            f"Question {position}: {progress['answered']} answered of at most {progress['total']}"
        )
    return f"Question {position} of {progress['total']}"


def _item_context(attempt: Attempt, item: AttemptItem | None, *, error: str = "") -> dict[str, Any]:
    quiz = attempt.quiz
    now = timezone.now()
    state = attempt_state(attempt, now)
    context: dict[str, Any] = {
        "attempt": attempt,
        "quiz": quiz,
        "state": state,
        "error": error,
        "navigable": _navigable(quiz),
        "overview": selectors.attempt_items_overview(attempt) if _navigable(quiz) else [],
        "item": item,
        "answered": False,
        "time_left": None if state["time_left"] is None else int(state["time_left"]),
    }
    if item is not None:
        context |= {
            "answered": hasattr(item, "response"),
            "view": item.presentation["view"],
            "question_id": item.revision.question_id,
            "position": item.position,
            "progress_text": _progress_text(quiz, state, item.position),
            "idempotency_key": secrets.token_urlsafe(16),
            "form_action": reverse("web:answer", args=[attempt.pk]),
        }
    return context


def _attempt_response(
    request: HttpRequest, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    template = (
        "quizzes/web/partials/attempt_main.html"
        if _is_htmx(request)
        else "quizzes/web/attempt.html"
    )
    response = render(request, template, context, status=status)
    response["Cache-Control"] = "no-store"
    return _framed(response, context["quiz"])


def _item_for(request: HttpRequest, attempt: Attempt) -> AttemptItem | None:
    if _navigable(attempt.quiz) and request.GET.get("position", "").isdigit():
        return selectors.attempt_item_at(attempt, int(request.GET["position"]))
    return current_item(attempt)


@login_required
@require_GET
def attempt_page(request: HttpRequest, attempt_id: int) -> HttpResponse:
    attempt = _attempt(request, attempt_id)
    if attempt.state == Attempt.State.FINISHED or attempt.learner_id != _user(request).pk:
        return _redirect(request, reverse("web:result", args=[attempt.pk]))
    item = _item_for(request, attempt)
    return _attempt_response(request, _item_context(attempt, item))


@login_required
@require_POST
def answer(request: HttpRequest, attempt_id: int) -> HttpResponse:
    attempt = _own_attempt(request, attempt_id)
    result_url = reverse("web:result", args=[attempt.pk])
    if attempt.state == Attempt.State.FINISHED:
        return _redirect(request, result_url)
    try:
        question_id = int(request.POST.get("item", ""))
    except ValueError:
        raise Http404() from None
    item = next(
        (
            i
            for i in attempt.items.select_related("revision")
            if i.revision.question_id == question_id
        ),
        None,
    )
    if item is None:
        raise Http404()
    view = item.presentation["view"]
    try:
        answer_data = parse_answer(view, request.POST)
        submitted = response_submit(
            attempt=attempt,
            question_id=question_id,
            answer=answer_data,
            key=request.POST.get("key", "") or secrets.token_urlsafe(16),
        )
    except AnswerFormError as error:
        return _attempt_response(
            request, _item_context(attempt, item, error=str(error)), status=400
        )
    except ApplicationError as error:
        if error.code in (DEADLINE_PASSED, ATTEMPT_FINISHED):
            return _redirect(request, result_url)
        return _attempt_response(
            request, _item_context(attempt, item, error=error.detail), status=error.status
        )
    finished = submitted.attempt.state == Attempt.State.FINISHED
    quiz = attempt.quiz
    if quiz.feedback_timing == Quiz.FeedbackTiming.IMMEDIATE:
        context = _item_context(submitted.attempt, None) | {
            "feedback": {
                "view": view,
                "position": item.position,
                "outcome": submitted.score.outcome,
                "fraction": submitted.score.fraction,
                "your_answer": describe_answer(view, submitted.response.answer.get("public")),
                "correct_answer": describe_answer(view, submitted.correct_answer),
                "messages": [line for line in submitted.score.feedback if line],
                "explanation": submitted.item.revision.explanation,
            },
            "finished": finished,
        }
        return _attempt_response(request, context)
    if finished:
        return _redirect(request, result_url)
    next_url = reverse("web:attempt", args=[attempt.pk])
    if _is_htmx(request):
        return _attempt_response(request, _item_context(attempt, current_item(attempt)))
    return HttpResponseRedirect(next_url, status=303)


@login_required
@require_POST
def flag(request: HttpRequest, attempt_id: int, position: int) -> HttpResponse:
    attempt = _own_attempt(request, attempt_id)
    if not _navigable(attempt.quiz):
        raise Http404()
    if attempt.state == Attempt.State.FINISHED:
        return _redirect(request, reverse("web:result", args=[attempt.pk]))
    attempt_item_flag(
        attempt=attempt, position=position, flagged=request.POST.get("flagged") == "1"
    )
    url = reverse("web:attempt", args=[attempt.pk]) + f"?position={position}"
    return HttpResponseRedirect(url, status=303)


@login_required
@require_POST
def finish(request: HttpRequest, attempt_id: int) -> HttpResponse:
    attempt = _own_attempt(request, attempt_id)
    attempt_finish(attempt=attempt)
    return _redirect(request, reverse("web:result", args=[attempt.pk]))


# -- result and review -----------------------------------------------------------------------


def _finished_attempt(request: HttpRequest, attempt_id: int) -> tuple[Attempt, bool]:
    attempt = _attempt(request, attempt_id)
    return attempt, attempt.learner_id != _user(request).pk


@never_cache
@login_required
@require_GET
def result(request: HttpRequest, attempt_id: int) -> HttpResponse:
    attempt, educator = _finished_attempt(request, attempt_id)
    if attempt.state != Attempt.State.FINISHED and not educator:
        return HttpResponseRedirect(reverse("web:attempt", args=[attempt.pk]))
    quiz = attempt.quiz
    outcome = attempt_result(attempt, timezone.now(), educator=educator)
    titles = selectors.root_topic_titles(quiz.bank_id)
    topics = [
        topic | {"title": titles.get(topic["topic"], topic["topic"])} for topic in outcome["topics"]
    ]
    practice = selectors.practice_quiz_of_course(quiz.course_id, _user(request))
    context = {
        "attempt": attempt,
        "quiz": quiz,
        "result": outcome,
        "educator": educator,
        "adaptive": quiz.mode == Quiz.Mode.ADAPTIVE,
        "band": ability_band(outcome["ability"]),
        "topics": topics,
        "chart": mastery_chart(outcome["topics"], titles),
        "suggestions": selectors.missed_objectives(attempt),
        "practice": practice if practice is not None and practice.pk != quiz.pk else None,
        "review_available": outcome["review"] is not None,
    }
    return _framed(render(request, "quizzes/web/result.html", context), quiz)


@never_cache
@login_required
@require_GET
def review(request: HttpRequest, attempt_id: int) -> HttpResponse:
    attempt, educator = _finished_attempt(request, attempt_id)
    quiz = attempt.quiz
    outcome = attempt_result(attempt, timezone.now(), educator=educator)
    if outcome["review"] is None:
        context = {"quiz": quiz, "attempt": attempt, "message": REVIEW_CLOSED}
        return _framed(render(request, "quizzes/web/message.html", context, status=403), quiz)
    entries = []
    for entry in outcome["review"]:
        entries.append(
            entry
            | {
                "your_answer": describe_answer(entry, entry.get("answer")),
                "correct": describe_answer(entry, entry["correct_answer"])
                if "correct_answer" in entry
                else None,
                "outcome": None
                if entry["fraction"] is None
                else "correct"
                if entry["fraction"] >= 0.999
                else "partial"
                if entry["fraction"] > 0
                else "incorrect",
            }
        )
    context = {"quiz": quiz, "attempt": attempt, "entries": entries, "educator": educator}
    return _framed(render(request, "quizzes/web/review.html", context), quiz)
