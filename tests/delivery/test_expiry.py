"""Deadlines: an expired attempt is finished with what was answered, either on its next
request (attempt_refresh) or by the periodic sweep (manage.py finish_expired_attempts);
either way its grade and the LMS outbox row are written."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from quizzes.models import Attempt, Grade, GradeOutbox, Quiz, Response
from quizzes.services.attempts import attempts_finish_expired
from quizzes.services.courses import membership_set
from tests.conftest import Cast
from tests.delivery.conftest import client_for
from tests.delivery.test_loop import correct_answer_for, start

pytestmark = pytest.mark.django_db


def answer_correctly(client: APIClient, attempt_id: int, count: int) -> None:
    for position in range(count):
        item = client.get(f"/api/v1/attempts/{attempt_id}/next/").json()["item"]
        response = client.post(
            f"/api/v1/attempts/{attempt_id}/responses/",
            {
                "item": item["id"],
                "answer": correct_answer_for(item, client, attempt_id),
                "key": f"k{position}",
            },
            format="json",
        )
        assert response.status_code == 201, response.json()


def expire(attempt_id: int) -> None:
    Attempt.objects.filter(pk=attempt_id).update(deadline=timezone.now() - timedelta(seconds=1))


def assert_finished_on_time_up(attempt_id: int, quiz: Quiz, answered: int, total: int) -> None:
    attempt = Attempt.objects.get(pk=attempt_id)
    assert attempt.state == Attempt.State.FINISHED
    assert attempt.finish_reason == Attempt.FinishReason.TIME_UP
    assert attempt.finished_at is not None
    assert (attempt.score, attempt.max_score) == (float(answered), float(total))
    grade = Grade.objects.get(quiz=quiz, learner_id=attempt.learner_id)
    assert grade.percent == round(100.0 * answered / total, 4)
    outbox = GradeOutbox.objects.get(grade=grade)
    assert outbox.score_given == grade.percent
    assert outbox.activity_progress == "Completed"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "next/"),
        ("get", ""),
        ("get", "result/"),
        ("post", "finish/"),
    ],
)
def test_the_next_request_finishes_an_expired_attempt_with_what_was_answered(
    cast: Cast, make_quiz: Callable[..., Quiz], method: str, path: str
) -> None:
    quiz = make_quiz("fixed", time_limit=timedelta(minutes=5))
    client = client_for(cast.alice)
    attempt_id = start(client, quiz)["id"]
    answer_correctly(client, attempt_id, 2)
    expire(attempt_id)
    response = getattr(client, method)(f"/api/v1/attempts/{attempt_id}/{path}")
    assert response.status_code == 200, response.json()
    assert_finished_on_time_up(attempt_id, quiz, answered=2, total=7)
    if path == "next/":
        assert response.json() == {"item": None, "finished": True}
    if path == "result/":
        assert response.json()["percent"] == pytest.approx(100 * 2 / 7)


def test_an_answer_after_the_deadline_finishes_the_attempt_and_is_not_recorded(
    cast: Cast, make_quiz: Callable[..., Quiz]
) -> None:
    quiz = make_quiz("fixed", time_limit=timedelta(minutes=5))
    client = client_for(cast.alice)
    attempt_id = start(client, quiz)["id"]
    answer_correctly(client, attempt_id, 1)
    item = client.get(f"/api/v1/attempts/{attempt_id}/next/").json()["item"]
    expire(attempt_id)
    late = client.post(
        f"/api/v1/attempts/{attempt_id}/responses/",
        {"item": item["id"], "answer": correct_answer_for(item, client, attempt_id), "key": "z"},
        format="json",
    )
    assert late.status_code == 409
    assert late.json()["code"] in ("deadline_passed", "attempt_finished")
    assert Response.objects.filter(attempt_id=attempt_id).count() == 1
    assert_finished_on_time_up(attempt_id, quiz, answered=1, total=7)


def test_starting_again_finishes_the_expired_attempt_and_starts_a_new_one(
    cast: Cast, make_quiz: Callable[..., Quiz]
) -> None:
    quiz = make_quiz("fixed", time_limit=timedelta(minutes=5), attempts_allowed=2)
    client = client_for(cast.alice)
    first = start(client, quiz)["id"]
    answer_correctly(client, first, 3)
    expire(first)
    second = client.post(f"/api/v1/quizzes/{quiz.pk}/attempts/")
    assert second.status_code == 201
    assert second.json()["number"] == 2
    assert_finished_on_time_up(first, quiz, answered=3, total=7)


def test_the_sweep_finishes_only_expired_attempts_and_writes_grade_and_outbox(
    cast: Cast, make_quiz: Callable[..., Quiz]
) -> None:
    quiz = make_quiz("fixed", time_limit=timedelta(minutes=5))
    membership_set(course=cast.course, user=cast.charlie, role="learner")
    alice, charlie = client_for(cast.alice), client_for(cast.charlie)
    expired = start(alice, quiz)["id"]
    answer_correctly(alice, expired, 2)
    running = start(charlie, quiz)["id"]
    expire(expired)

    out = StringIO()
    call_command("finish_expired_attempts", stdout=out)

    assert out.getvalue().strip() == "Finished 1 expired attempt(s)."
    assert_finished_on_time_up(expired, quiz, answered=2, total=7)
    assert Attempt.objects.get(pk=running).state == Attempt.State.IN_PROGRESS
    assert not Grade.objects.filter(learner=cast.charlie).exists()
    # A second sweep has nothing to do and writes nothing.
    out = StringIO()
    call_command("finish_expired_attempts", stdout=out)
    assert out.getvalue() == ""
    assert GradeOutbox.objects.count() == 1


def test_the_sweep_finishes_an_adaptive_attempt_with_its_answered_items(
    cast: Cast, make_quiz: Callable[..., Quiz]
) -> None:
    quiz = make_quiz("practice", time_limit=timedelta(minutes=5), length=5, attempts_allowed=0)
    client = client_for(cast.alice)
    attempt_id = start(client, quiz)["id"]
    answer_correctly(client, attempt_id, 2)
    expire(attempt_id)
    call_command("finish_expired_attempts", stdout=StringIO())
    # Practice is scored out of the items answered (the unanswered third is not counted).
    assert_finished_on_time_up(attempt_id, quiz, answered=2, total=2)


def test_a_deadline_from_the_closing_time_is_enforced_by_the_sweep(
    cast: Cast, make_quiz: Callable[..., Quiz]
) -> None:
    closes = timezone.now() + timedelta(hours=1)
    quiz = make_quiz("fixed", closes_at=closes)
    client = client_for(cast.alice)
    attempt_id = start(client, quiz)["id"]
    assert Attempt.objects.get(pk=attempt_id).deadline == closes
    answer_correctly(client, attempt_id, 1)
    assert attempts_finish_expired(now=closes + timedelta(seconds=1)) == 1
    assert_finished_on_time_up(attempt_id, quiz, answered=1, total=7)
