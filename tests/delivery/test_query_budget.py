"""Query budget (DESIGN.md, quality bars): serving an item (GET next) and answering it
(POST responses) run a fixed number of SQL queries whatever the bank size (30 or 30,000
items) and the position in the attempt (1st ... 40th item).

The counts include token authentication (1 query) and, because pytest-django wraps each
test in a transaction, the SAVEPOINT/RELEASE pairs of the services' atomic blocks (a real
request issues BEGIN/COMMIT instead). docs/delivery.md lists what each query is for.
"""

from __future__ import annotations

import os
import random
import time
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from quizzes.models import Bank, Question, Quiz
from quizzes.selectors import delivery as delivery_selectors
from quizzes.services.quizzes import quiz_create, quiz_set_form
from quizzes.services.synthetic import synthetic_items_create
from tests.conftest import Cast

pytestmark = pytest.mark.django_db

LARGE = 30_000
SMALL = 30
TOPICS = ("mitral", "aortic")

# The pinned budgets. Serving is a plain read; answering records the response, runs the
# engine (adaptive) on the cached bank and serves the next item in the same request.
NEXT_QUERIES = 4
# GET next once the attempt is finished: authentication and the attempt only.
FINISHED_NEXT_QUERIES = 2
ANSWER_QUERIES = {"adaptive": 19, "fixed": 13}
# The answer that ends the attempt: no next item; the attempt is scored and the grade and
# its outbox row written instead.
FINISHING_ANSWER_QUERIES = {"adaptive": 24, "fixed": 22}


def synthetic_bank(bank: Bank, size: int) -> list[int]:
    """``size`` published single-best-answer questions with 2PL parameters, written in bulk
    (30,000 in a few seconds); returns the question ids."""
    return synthetic_items_create(bank=bank, size=size, topics=TOPICS)


@pytest.fixture(autouse=True)
def fresh_engine_cache() -> None:
    """Start every test with an empty in-process engine-bank cache, so that each builds
    and warms its own bank's arrays explicitly (as the first request of a new content
    version does). The shared cache needs no clearing: its keys name the bank's pk,
    content version and creation time, which no other test's bank shares."""
    with delivery_selectors._local_lock:
        delivery_selectors._local.clear()


def token_client(user: Any) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def make_quiz(cast: Cast, mode: str, question_ids: list[int], length: int) -> Quiz:
    quiz = quiz_create(
        course=cast.course,
        bank=cast.bank,
        title=f"Budget {mode}",
        mode=mode,
        status=Quiz.Status.PUBLISHED,
        attempts_allowed=0,
        feedback_timing=Quiz.FeedbackTiming.IMMEDIATE,
        length=length,
        max_items=length,
        min_items=length,
        blueprint=dict.fromkeys(TOPICS, 0.5) if mode == "adaptive" else {},
    )
    if mode == "fixed":
        quiz_set_form(quiz=quiz, questions=list(Question.objects.filter(pk__in=question_ids)))
    return quiz


def take_quiz(client: APIClient, quiz: Quiz, length: int) -> tuple[list[int], list[int]]:
    """Answer every item of a new attempt; the queries of each GET next and POST response."""
    started = client.post(f"/api/v1/quizzes/{quiz.pk}/attempts/")
    assert started.status_code == 201, started.json()
    attempt_id = started.json()["id"]
    rng = random.Random(quiz.pk)
    next_counts, answer_counts = [], []
    for position in range(1, length + 1):
        with CaptureQueriesContext(connection) as queries:
            served = client.get(f"/api/v1/attempts/{attempt_id}/next/")
        next_counts.append(len(queries))
        body = served.json()
        assert body["position"] == position, body
        option = rng.choice(body["item"]["options"])["id"]
        with CaptureQueriesContext(connection) as queries:
            answered = client.post(
                f"/api/v1/attempts/{attempt_id}/responses/",
                {"item": body["item"]["id"], "answer": {"option": option}, "key": f"k{position}"},
                format="json",
            )
        answer_counts.append(len(queries))
        if os.environ.get("SHOW_QUERIES") and position in (1, length):
            print(f"-- {quiz.mode} answer at position {position}")
            print("\n".join(query["sql"][:160] for query in queries.captured_queries))
        assert answered.status_code == 201, answered.json()
        assert answered.json()["finished"] is (position == length)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/api/v1/attempts/{attempt_id}/next/").json() == {
            "item": None,
            "finished": True,
        }
    assert len(queries) == FINISHED_NEXT_QUERIES
    return next_counts, answer_counts


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["30-items", "30000-items"])
def test_serving_and_answering_cost_a_fixed_number_of_queries(cast: Cast, size: int) -> None:
    began = time.monotonic()
    question_ids = synthetic_bank(cast.bank, size)
    length = min(40, size - 1)
    cast.bank.refresh_from_db()
    delivery_selectors.engine_bank(cast.bank)  # warm, as the first learner of a version does
    client = token_client(cast.alice)
    for mode in ("adaptive", "fixed"):
        quiz = make_quiz(cast, mode, random.Random(1).sample(question_ids, length), length)
        next_counts, answer_counts = take_quiz(client, quiz, length)
        # Every position costs the same (the lists are in the message when one does not).
        assert set(next_counts) == {NEXT_QUERIES}, (mode, next_counts)
        assert set(answer_counts[:-1]) == {ANSWER_QUERIES[mode]}, (mode, answer_counts)
        assert answer_counts[-1] == FINISHING_ANSWER_QUERIES[mode], (mode, answer_counts)
    assert time.monotonic() - began < 60
