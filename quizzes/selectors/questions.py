"""Reads of questions for educators (API, admin, pages)."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from quizzes.models import Bank, Option, Question


def questions_for_bank(
    *,
    bank: Bank,
    topic: str = "",
    type: str = "",
    status: str = "",
    objective: str = "",
    tag: str = "",
    bloom: str = "",
) -> QuerySet[Question]:
    """A bank's questions with their current revision and options, filtered.

    ``topic`` matches the topic path and its descendants ("risks" includes
    "risks/complications"). Runs a fixed number of queries whatever the page size.
    """
    questions = (
        Question.objects.filter(bank=bank)
        .select_related("topic", "current_revision")
        .prefetch_related(
            "objectives",
            "tags",
            Prefetch("current_revision__options", queryset=Option.objects.order_by("position")),
        )
        .order_by("external_id")
    )
    if topic:
        path = topic.strip("/")
        questions = questions.filter(topic__path=path) | questions.filter(
            topic__path__startswith=f"{path}/"
        )
    if type:
        questions = questions.filter(current_revision__type=type)
    if status:
        questions = questions.filter(status=status)
    if objective:
        questions = questions.filter(objectives__code=objective)
    if tag:
        questions = questions.filter(tags__name=tag)
    if bloom:
        questions = questions.filter(bloom=bloom)
    return questions.distinct()
