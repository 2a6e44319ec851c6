"""Integrity in the database, not only in Python: each row below bypasses the services
and the model validation and must still be refused by the database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from quizzes.models import (
    Attempt,
    Grade,
    GradeOutbox,
    Membership,
    Option,
    Question,
    QuestionRevision,
    Quiz,
    Response,
    Topic,
)
from tests import factories as f


def option_fraction_out_of_range() -> Any:
    revision = f.QuestionRevisionFactory.create()
    return Option.objects.create(revision=revision, key="Z", text="x", fraction=1.5)


def response_fraction_out_of_range() -> Any:
    return f.ResponseFactory.create(fraction=1.2)


def second_response_to_one_item() -> Any:
    response = f.ResponseFactory.create()
    return Response.objects.create(
        attempt=response.attempt,
        item=response.item,
        key="another-key",
        answer={},
        fraction=0,
        submitted_at=timezone.now(),
    )


def duplicate_attempt_number() -> Any:
    attempt = f.AttemptFactory.create(number=1)
    return Attempt.objects.create(
        quiz=attempt.quiz, learner=attempt.learner, number=1, started_at=timezone.now()
    )


def finished_attempt_without_time() -> Any:
    return f.AttemptFactory.create(state=Attempt.State.FINISHED, finished_at=None)


def invalid_membership_role() -> Any:
    return f.MembershipFactory.create(role="janitor")


def duplicate_membership() -> Any:
    membership = f.MembershipFactory.create()
    return Membership.objects.create(user=membership.user, course=membership.course, role="admin")


def quiz_min_above_max() -> Any:
    return f.QuizFactory.create(min_items=30, max_items=10)


def quiz_pass_mark_above_100() -> Any:
    return f.QuizFactory.create(pass_mark=150)


def quiz_window_reversed() -> Any:
    now = timezone.now()
    return f.QuizFactory.create(opens_at=now, closes_at=now - timedelta(days=1))


def quiz_invalid_mode() -> Any:
    return f.QuizFactory.create(mode="lottery")


def quiz_zero_time_limit() -> Any:
    return f.QuizFactory.create(time_limit=timedelta(0))


def grade_above_100() -> Any:
    return f.GradeFactory.create(percent=120)


def duplicate_grade() -> Any:
    grade = f.GradeFactory.create()
    return Grade.objects.create(
        quiz=grade.quiz, learner=grade.learner, percent=10, updated_at=timezone.now()
    )


def outbox_score_above_maximum() -> Any:
    return f.GradeOutboxFactory.create(score_given=101, score_maximum=100)


def revision_guessing_of_one() -> Any:
    return f.QuestionRevisionFactory.create(irt_c=1.0)


def revision_negative_discrimination() -> Any:
    return f.QuestionRevisionFactory.create(irt_a=-0.5)


def revision_invalid_type() -> Any:
    return f.QuestionRevisionFactory.create(type="essay")


def duplicate_revision_number() -> Any:
    question = f.QuestionFactory.create()
    return QuestionRevision.objects.create(
        question=question, number=1, type="single", stem="x", content_hash="0" * 64
    )


def duplicate_external_id() -> Any:
    question = f.QuestionFactory.create()
    return Question.objects.create(bank=question.bank, external_id=question.external_id)


def question_invalid_status() -> Any:
    return Question.objects.create(bank=f.BankFactory.create(), external_id="X", status="archived")


def duplicate_topic_path() -> Any:
    topic = f.TopicFactory.create()
    return Topic.objects.create(bank=topic.bank, slug=topic.slug, path=topic.path, title="Again")


def duplicate_item_position() -> Any:
    item = f.AttemptItemFactory.create(position=1)
    return f.AttemptItemFactory.create(attempt=item.attempt, position=1)


def override_multiplier_below_one() -> Any:
    return f.QuizOverrideFactory.create(time_multiplier=0.5)


def quiz_same_question_twice() -> Any:
    entry = f.QuizQuestionFactory.create()
    return f.QuizQuestionFactory.create(quiz=entry.quiz, question=entry.question)


VIOLATIONS: list[Callable[[], Any]] = [
    option_fraction_out_of_range,
    response_fraction_out_of_range,
    second_response_to_one_item,
    duplicate_attempt_number,
    finished_attempt_without_time,
    invalid_membership_role,
    duplicate_membership,
    quiz_min_above_max,
    quiz_pass_mark_above_100,
    quiz_window_reversed,
    quiz_invalid_mode,
    quiz_zero_time_limit,
    grade_above_100,
    duplicate_grade,
    outbox_score_above_maximum,
    revision_guessing_of_one,
    revision_negative_discrimination,
    revision_invalid_type,
    duplicate_revision_number,
    duplicate_external_id,
    question_invalid_status,
    duplicate_topic_path,
    duplicate_item_position,
    override_multiplier_below_one,
    quiz_same_question_twice,
]


@pytest.mark.django_db
@pytest.mark.parametrize("violation", VIOLATIONS, ids=lambda v: v.__name__)
def test_the_database_refuses(violation: Callable[[], Any]) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        violation()


@pytest.mark.django_db
def test_valid_rows_are_accepted() -> None:
    """The negative table above is meaningful only if the factories' defaults are valid."""
    f.ResponseFactory.create()
    f.QuizFactory.create(min_items=5, max_items=10, pass_mark=50)
    f.GradeOutboxFactory.create()
    f.QuizOverrideFactory.create(time_multiplier=1.5)
    f.QuestionRevisionFactory.create(irt_c=0.2)
    assert Quiz.objects.count() >= 2
    assert GradeOutbox.objects.count() == 1
