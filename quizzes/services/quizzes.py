"""Writes for quizzes and per-learner overrides."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from quizzes.exceptions import ValidationFailed
from quizzes.models import (
    Bank,
    Course,
    Membership,
    Question,
    Quiz,
    QuizOverride,
    QuizQuestion,
    Topic,
)

# The settings a quiz takes beyond course, bank, title and mode (DESIGN.md, Domain).
SETTING_FIELDS = (
    "description",
    "status",
    "blueprint",
    "length",
    "max_items",
    "min_items",
    "se_target",
    "ability_cut",
    "classification",
    "exposure",
    "exclude_seen",
    "time_limit",
    "attempts_allowed",
    "grading_method",
    "feedback_timing",
    "shuffle_questions",
    "shuffle_options",
    "pass_mark",
    "opens_at",
    "closes_at",
    "allow_navigation",
    "allow_guests",
    "review_when",
    "review_show_answers",
    "review_show_explanations",
)


def _validate_blueprint(bank: Bank, blueprint: Any) -> None:
    if not isinstance(blueprint, dict):
        raise ValidationFailed(
            "blueprint must map topic paths to shares or counts.",
            code="invalid_blueprint",
            fields={"blueprint": ["not an object"]},
        )
    known = set(Topic.objects.filter(bank=bank).values_list("path", flat=True))
    errors = []
    for path, weight in blueprint.items():
        if path not in known:
            errors.append(f"unknown topic {path!r}")
        if isinstance(weight, bool) or not isinstance(weight, int | float) or weight <= 0:
            errors.append(f"{path}: weight must be a positive share (0-1) or count")
    if errors:
        raise ValidationFailed(
            f"Invalid blueprint: {'; '.join(errors)}.",
            code="invalid_blueprint",
            fields={"blueprint": errors},
        )


def _check_scope(course: Course, bank: Bank) -> None:
    if course.institution_id != bank.institution_id:
        raise ValidationFailed(
            "The bank belongs to another institution than the course.",
            code="bank_not_in_institution",
            fields={"bank": ["not in the course's institution"]},
        )


@transaction.atomic
def quiz_create(*, course: Course, bank: Bank, title: str, mode: str, **settings: Any) -> Quiz:
    unknown = sorted(set(settings) - set(SETTING_FIELDS))
    if unknown:
        raise ValidationFailed(f"Unknown quiz setting(s): {', '.join(unknown)}.", code="invalid")
    _check_scope(course, bank)
    _validate_blueprint(bank, settings.get("blueprint", {}))
    quiz = Quiz(course=course, bank=bank, title=title, mode=mode, **settings)
    quiz.full_clean()
    quiz.save()
    return quiz


@transaction.atomic
def quiz_update(*, quiz: Quiz, **changes: Any) -> Quiz:
    allowed = {*SETTING_FIELDS, "title", "mode", "bank"}
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise ValidationFailed(f"Unknown quiz setting(s): {', '.join(unknown)}.", code="invalid")
    for name, value in changes.items():
        setattr(quiz, name, value)
    _check_scope(quiz.course, quiz.bank)
    if "blueprint" in changes or "bank" in changes:
        _validate_blueprint(quiz.bank, quiz.blueprint)
    quiz.full_clean()
    quiz.save()
    return quiz


@transaction.atomic
def quiz_ensure(*, course: Course, bank: Bank, title: str, mode: str, **settings: Any) -> Quiz:
    """The quiz of this course with this title, created or brought to these settings."""
    quiz = Quiz.objects.filter(course=course, title=title).first()
    if quiz is None:
        return quiz_create(course=course, bank=bank, title=title, mode=mode, **settings)
    return quiz_update(quiz=quiz, bank=bank, mode=mode, **settings)


@transaction.atomic
def override_set(*, quiz: Quiz, learner: Any, **accommodations: Any) -> QuizOverride:
    """Create or replace one learner's accommodations (extra time or a time multiplier,
    extra attempts, another availability window)."""
    if not Membership.objects.filter(user=learner, course_id=quiz.course_id).exists():
        raise ValidationFailed(
            "The learner is not a member of the quiz's course.",
            code="not_a_member",
            fields={"learner": [str(learner)]},
        )
    override = QuizOverride.objects.filter(quiz=quiz, learner=learner).first() or QuizOverride(
        quiz=quiz, learner=learner
    )
    for name, value in accommodations.items():
        setattr(override, name, value)
    override.full_clean()
    override.save()
    return override


@transaction.atomic
def quiz_set_form(*, quiz: Quiz, questions: list[Question]) -> Quiz:
    """The fixed form of a quiz: these questions in this order (replacing any form)."""
    foreign = [q.external_id for q in questions if q.bank_id != quiz.bank_id]
    if foreign:
        raise ValidationFailed(
            f"Not in the quiz's bank: {', '.join(foreign)}.",
            code="question_not_in_bank",
            fields={"questions": foreign},
        )
    QuizQuestion.objects.filter(quiz=quiz).delete()
    QuizQuestion.objects.bulk_create(
        QuizQuestion(quiz=quiz, question=question, position=position)
        for position, question in enumerate(questions, start=1)
    )
    return quiz
