"""Reads only the pages need (dashboard, gradebook, item analysis, study suggestions,
framing origins): each scoped by the same tenant rules as the API's (selectors/access.py,
selectors/delivery.py), with a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from quizzes.models import (
    Attempt,
    AttemptItem,
    Bank,
    Course,
    Objective,
    Question,
    Quiz,
    Topic,
)
from quizzes.models.lti import LtiPlatform
from quizzes.selectors.access import (
    courses_for_educator,
    educator_institution_ids,
    taught_course_ids,
)
from quizzes.selectors.delivery import quizzes_for_learner

# -- LTI framing --------------------------------------------------------------------------


def lti_platforms_of_institution(institution_id: int) -> list[LtiPlatform]:
    return list(LtiPlatform.objects.filter(institution_id=institution_id, is_active=True))


# -- learner --------------------------------------------------------------------------------


def learner_quiz(*, learner: User, quiz_id: int) -> Quiz | None:
    """A published quiz of one of the learner's courses, else None (a 404)."""
    return quizzes_for_learner(learner=learner).select_related("bank").filter(pk=quiz_id).first()


def learner_attempts(*, quiz: Quiz, learner: User) -> list[Attempt]:
    return list(Attempt.objects.filter(quiz=quiz, learner=learner).order_by("-number"))


def attempt_items_overview(attempt: Attempt) -> list[dict[str, Any]]:
    """Every served item's position, whether it is answered, and its flag (navigation)."""
    return [
        {"position": position, "answered": response_id is not None, "flagged": flagged}
        for position, response_id, flagged in attempt.items.order_by("position").values_list(
            "position", "response__id", "flagged"
        )
    ]


def attempt_item_at(attempt: Attempt, position: int) -> AttemptItem | None:
    return attempt.items.select_related("revision", "response").filter(position=position).first()


def practice_quiz_of_course(course_id: int, learner: User) -> Quiz | None:
    """The course's practice quiz the learner can take (a study suggestion's link)."""
    return (
        quizzes_for_learner(learner=learner)
        .filter(course_id=course_id, mode=Quiz.Mode.PRACTICE)
        .order_by("pk")
        .first()
    )


def missed_objectives(attempt: Attempt) -> list[dict[str, Any]]:
    """Learning objectives of the items answered below full credit (or left unanswered),
    each with the positions of those items: what the study suggestions link."""
    missed: dict[int, list[int]] = defaultdict(list)
    rows = attempt.items.values_list("revision__question_id", "position", "response__fraction")
    for question_id, position, fraction in rows:
        if fraction is None or fraction < 1.0:
            missed[question_id].append(position)
    if not missed:
        return []
    objectives: dict[int, dict[str, Any]] = {}
    links = Question.objectives.through.objects.filter(question_id__in=missed).select_related(
        "objective", "objective__topic"
    )
    for link in links.order_by("objective__code"):
        objective = link.objective
        entry = objectives.setdefault(
            objective.pk,
            {
                "code": objective.code,
                "text": objective.text,
                "topic": objective.topic.title if objective.topic else "",
                "positions": [],
            },
        )
        entry["positions"].extend(missed[link.question_id])
    for entry in objectives.values():
        entry["positions"] = sorted(set(entry["positions"]))
    return sorted(objectives.values(), key=lambda entry: entry["code"])


def root_topic_titles(bank_id: int) -> dict[str, str]:
    return dict(
        Topic.objects.filter(bank_id=bank_id, parent__isnull=True).values_list("path", "title")
    )


# -- educator -------------------------------------------------------------------------------


def educator_quizzes(user: User | AnonymousUser) -> QuerySet[Quiz]:
    return (
        Quiz.objects.filter(course__institution_id__in=educator_institution_ids(user))
        .select_related("course", "bank")
        .order_by("course__title", "title")
    )


def educator_quiz(*, user: User | AnonymousUser, quiz_id: int) -> Quiz | None:
    return educator_quizzes(user).filter(pk=quiz_id).first()


def taught_quiz(*, user: User | AnonymousUser, quiz_id: int) -> Quiz | None:
    """A quiz of a course the user teaches: its gradebook and item analysis are for the
    course's instructors, not every educator of the institution."""
    return (
        Quiz.objects.filter(pk=quiz_id, course_id__in=taught_course_ids(user))
        .select_related("course", "bank")
        .first()
    )


def educator_courses(user: User | AnonymousUser) -> QuerySet[Course]:
    return courses_for_educator(user).select_related("institution").order_by("title")


def educator_question(*, user: User | AnonymousUser, question_id: int) -> Question | None:
    return (
        Question.objects.filter(
            pk=question_id, bank__institution_id__in=educator_institution_ids(user)
        )
        .select_related("bank", "topic", "current_revision")
        .prefetch_related("objectives", "tags", "current_revision__options")
        .first()
    )


def bank_filter_choices(bank: Bank) -> dict[str, list[tuple[str, str]]]:
    """The values the question filters offer (topics, objectives, tags of this bank)."""
    return {
        "topic": list(
            Topic.objects.filter(bank=bank).order_by("path").values_list("path", "title")
        ),
        "objective": [
            (code, f"{code}: {text[:60]}")
            for code, text in Objective.objects.filter(bank=bank)
            .order_by("code")
            .values_list("code", "text")
        ],
        "tag": [(name, name) for name in bank.tags.order_by("name").values_list("name", flat=True)],
    }


def root_topics(bank: Bank) -> list[Topic]:
    return list(Topic.objects.filter(bank=bank, parent__isnull=True).order_by("position", "path"))


def gradebook_attempts(*, quiz: Quiz, learner_ids: Iterable[int]) -> dict[int, list[Attempt]]:
    """The attempts of these learners on the quiz, by learner and number: the gradebook
    page's links to each result (the rows themselves: quizzes/analytics/gradebook.py).
    One query."""
    attempts: dict[int, list[Attempt]] = defaultdict(list)
    for attempt in Attempt.objects.filter(quiz=quiz, learner_id__in=list(learner_ids)).order_by(
        "learner_id", "number"
    ):
        attempts[attempt.learner_id].append(attempt)
    return dict(attempts)
