"""Concurrency and durability on PostgreSQL: real threads, each with its own connection,
racing through the HTTP API (row locks and unique constraints only mean something on a
database that has them; SQLite serialises whole-database writes instead).

A short sleep inside the critical section (monkeypatched) makes every race real: the
first request holds its locks while the others arrive and wait on them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, connections
from django.utils import timezone

from quizzes.models import Attempt, Grade, GradeOutbox, Quiz, Response
from quizzes.services import attempts as attempts_service
from quizzes.services import responses as responses_service
from tests.conftest import Cast
from tests.delivery.conftest import client_for
from tests.delivery.test_loop import correct_answer_for

HOLD = 0.4  # seconds the first request holds its locks


@pytest.fixture(autouse=True)
def _postgres_only(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("postgres") and connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...)")


def race(*calls: Callable[[], Any], timeout: float = 60) -> list[Any]:
    """Run the calls at the same moment, one thread (and one connection) each; their
    results (or the exceptions they raised) in order."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[index] = call()
        except BaseException as error:  # reported to the test, never lost in the thread
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a request hung (deadlock?)"
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


def slowed(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> None:
    """Make module.name sleep first: whoever calls it holds its locks meanwhile."""
    original = getattr(module, name)

    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(HOLD)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, slow)


def post(user: Any, url: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    response = client_for(user).post(url, body or {}, format="json")
    return response.status_code, response.json()


@dataclass
class Started:
    quiz: Quiz
    attempt_id: int
    item: dict[str, Any]
    answer: dict[str, Any]


@pytest.fixture
def started(cast: Cast, make_quiz: Callable[..., Quiz]) -> Started:
    """A fixed quiz with immediate feedback, alice's attempt, its first item and the
    right answer to it."""
    quiz = make_quiz("fixed", feedback_timing="immediate")
    client = client_for(cast.alice)
    attempt_id = client.post(f"/api/v1/quizzes/{quiz.pk}/attempts/").json()["id"]
    item = client.get(f"/api/v1/attempts/{attempt_id}/next/").json()["item"]
    return Started(quiz, attempt_id, item, correct_answer_for(item, client, attempt_id))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_submits_with_the_same_key_record_one_response_and_get_the_same_result(
    cast: Cast, started: Started, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempt_id = started.attempt_id
    body = {"item": started.item["id"], "answer": started.answer, "key": "same"}
    url = f"/api/v1/attempts/{attempt_id}/responses/"
    slowed(monkeypatch, responses_service, "_score")

    first, second = race(lambda: post(cast.alice, url, body), lambda: post(cast.alice, url, body))

    assert sorted([first[0], second[0]]) == [200, 201]
    assert first[1] | {"repeated": False} == second[1] | {"repeated": False}
    assert first[1]["fraction"] == 1.0
    assert Response.objects.filter(attempt_id=attempt_id).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_answers_with_different_keys_for_one_position_record_one(
    cast: Cast, started: Started, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempt_id, item, answer = started.attempt_id, started.item, started.answer
    url = f"/api/v1/attempts/{attempt_id}/responses/"
    slowed(monkeypatch, responses_service, "_score")

    results = race(
        lambda: post(cast.alice, url, {"item": item["id"], "answer": answer, "key": "tab-1"}),
        lambda: post(cast.alice, url, {"item": item["id"], "answer": answer, "key": "tab-2"}),
    )

    statuses = sorted(status for status, _ in results)
    assert statuses == [201, 409], results
    assert next(body for status, body in results if status == 409)["code"] == "already_answered"
    assert Response.objects.filter(attempt_id=attempt_id).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_starts_never_exceed_the_attempts_allowed(
    cast: Cast, make_quiz: Callable[..., Quiz], monkeypatch: pytest.MonkeyPatch
) -> None:
    quiz = make_quiz("fixed", attempts_allowed=1)
    url = f"/api/v1/quizzes/{quiz.pk}/attempts/"
    slowed(monkeypatch, attempts_service, "_serve")  # the winner holds its new row

    results = race(*[lambda: post(cast.alice, url) for _ in range(4)])

    statuses = sorted(status for status, _ in results)
    assert statuses.count(201) == 1, results
    for status, body in results:
        assert status in (200, 201, 409), results  # 200: resumed the winner's attempt
        if status == 409:
            assert body["code"] == "concurrent_start"
    assert Attempt.objects.filter(quiz=quiz, learner=cast.alice).count() == 1
    # and the one attempt is complete: its whole form was served.
    assert Attempt.objects.get(quiz=quiz).items.count() == 7


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_finish_racing_the_expiry_sweep_writes_one_grade_and_one_outbox_row(
    cast: Cast, started: Started, monkeypatch: pytest.MonkeyPatch
) -> None:
    quiz, attempt_id = started.quiz, started.attempt_id
    Attempt.objects.filter(pk=attempt_id).update(deadline=timezone.now() - timedelta(seconds=1))
    slowed(monkeypatch, attempts_service, "grade_update")

    finished, swept = race(
        lambda: post(cast.alice, f"/api/v1/attempts/{attempt_id}/finish/"),
        lambda: attempts_service.attempts_finish_expired(),
    )

    assert finished[0] == 200, finished
    assert finished[1]["state"] == "finished"
    assert swept in (0, 1)
    attempt = Attempt.objects.get(pk=attempt_id)
    assert attempt.finish_reason == Attempt.FinishReason.TIME_UP
    assert GradeOutbox.objects.filter(grade__quiz=quiz).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_failure_between_response_and_grade_leaves_nothing_half_written(
    cast: Cast, make_quiz: Callable[..., Quiz], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last answer of a form records the response, finishes the attempt and writes the
    grade and its outbox row in one transaction: a crash before the grade commits none."""
    quiz = make_quiz("fixed", feedback_timing="immediate")
    client = client_for(cast.alice)
    attempt_id = client.post(f"/api/v1/quizzes/{quiz.pk}/attempts/").json()["id"]
    url = f"/api/v1/attempts/{attempt_id}/responses/"
    for position in range(1, 7):
        item = client.get(f"/api/v1/attempts/{attempt_id}/next/").json()["item"]
        answer = correct_answer_for(item, client, attempt_id)
        assert (
            client.post(
                url, {"item": item["id"], "answer": answer, "key": f"k{position}"}, format="json"
            ).status_code
            == 201
        )
    last = client.get(f"/api/v1/attempts/{attempt_id}/next/").json()["item"]
    last_body = {
        "item": last["id"],
        "answer": correct_answer_for(last, client, attempt_id),
        "key": "k7",
    }
    before = Attempt.objects.values().get(pk=attempt_id)

    def crash(**kwargs: Any) -> None:
        raise RuntimeError("the process died between the response and the grade")

    monkeypatch.setattr(attempts_service, "grade_update", crash)
    with pytest.raises(RuntimeError, match="process died"):
        client.post(
            url,
            {
                "item": last["id"],
                "answer": correct_answer_for(last, client, attempt_id),
                "key": "k7",
            },
            format="json",
        )

    assert Response.objects.filter(attempt_id=attempt_id).count() == 6
    assert not Response.objects.filter(key="k7").exists()
    assert Attempt.objects.values().get(pk=attempt_id) == before
    assert not Grade.objects.exists()
    assert not GradeOutbox.objects.exists()
    # After the "restart" the same submission (same key) goes through completely.
    monkeypatch.undo()
    retry = client.post(url, last_body, format="json")
    assert retry.status_code == 201, retry.json()
    assert retry.json()["finished"] is True
    assert Grade.objects.get(quiz=quiz, learner=cast.alice).percent == 100.0
    assert GradeOutbox.objects.count() == 1
