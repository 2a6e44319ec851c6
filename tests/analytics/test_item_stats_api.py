"""GET /api/v1/quizzes/{id}/item-stats/ with the fixed cast: bob (instructor of course A)
reads it, alice (learner of A) gets 403, charlie (course B) and dave (institution 2) 404.
The attempts are taken through the delivery API, as learners take them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from quizzes.analytics.quiz_stats import CODE_INVALID_ATTEMPTS
from quizzes.models import Membership, Question, Quiz
from quizzes.services.questions import question_create
from quizzes.services.quizzes import quiz_create, quiz_set_form
from tests.conftest import Cast
from tests.delivery.conftest import client_for, every_type, make_quiz
from tests.delivery.test_loop import correct_answer_for
from tests.factories import MembershipFactory, UserFactory, single_draft

__all__ = ["every_type", "make_quiz"]

pytestmark = pytest.mark.django_db

QUIZ_FIELDS = {
    "id", "mode", "attempts_subset", "attempts", "items", "mean", "median", "sd", "skewness",
    "kurtosis", "cronbach_alpha", "error_ratio", "sem", "reliability_method",
    "reliability_note", "marginal_reliability",
}  # fmt: skip
ITEM_FIELDS = {
    "question", "revision", "revision_id", "external_id", "type", "stem", "attempts",
    "facility", "sd", "random_guess", "intended_weight", "effective_weight",
    "discrimination_index", "discriminative_efficiency", "point_biserial", "irt", "flags",
    "options",
}  # fmt: skip
IRT_FIELDS = {
    "a", "b", "c", "a_se", "b_se", "c_se", "fit_rmsd", "misfit", "provenance", "responses",
}  # fmt: skip


def wrong_answer_for(item: dict[str, Any]) -> dict[str, Any]:
    kind = item["type"]
    if kind == "single":
        return {"option": next(o["id"] for o in item["options"] if o["text"] == "Aortic stenosis")}
    if kind == "multiple":
        return {"options": [o["id"] for o in item["options"] if o["text"] != "Severe MR"]}
    if kind == "true_false":
        return {"value": False}
    if kind == "short_answer":
        return {"text": "valvotomy"}
    if kind == "numerical":
        return {"value": 3.0}
    if kind == "matching":
        stems = {s["text"]: s["id"] for s in item["stems"]}
        choices = {c["text"]: c["id"] for c in item["choices"]}
        return {
            "pairs": {
                stems["Mitral"]: choices["Femoral artery"],
                stems["Aortic"]: choices["Femoral artery"],
            }
        }
    steps = {s["text"]: s["id"] for s in item["steps"]}
    return {"order": [steps["Transseptal puncture"], steps["TEE"]]}


def take(client: APIClient, quiz: Quiz, right: Callable[[int], bool]) -> int:
    """Start, answer every item (right where ``right(position)``), finish; the attempt id."""
    started = client.post(f"/api/v1/quizzes/{quiz.pk}/attempts/")
    assert started.status_code in (200, 201), started.json()
    attempt = started.json()["id"]
    while True:
        body = client.get(f"/api/v1/attempts/{attempt}/next/").json()
        item = body["item"]
        if item is None:
            break
        answer = (
            correct_answer_for(item, client, attempt)
            if right(body["position"])
            else wrong_answer_for(item)
        )
        sent = client.post(
            f"/api/v1/attempts/{attempt}/responses/",
            {"item": item["id"], "answer": answer, "key": f"k-{body['position']}"},
            format="json",
        )
        assert sent.status_code == 201, sent.json()
    client.post(f"/api/v1/attempts/{attempt}/finish/")
    return int(attempt)


@pytest.fixture
def taken(cast: Cast, make_quiz: Callable[..., Quiz]) -> Quiz:
    """A fixed quiz of every type taken by alice (all right, then a second attempt all
    wrong) and three more learners of course A with mixed answers."""
    quiz = make_quiz("fixed", attempts_allowed=0)
    take(client_for(cast.alice), quiz, lambda position: True)
    take(client_for(cast.alice), quiz, lambda position: False)
    for number, pattern in enumerate(
        [lambda p: p % 2 == 0, lambda p: p <= 3, lambda p: p in (1, 5, 6)]
    ):
        learner = UserFactory.create(username=f"learner-{number}")
        MembershipFactory.create(user=learner, course=cast.course, role=Membership.Role.LEARNER)
        take(client_for(learner), quiz, pattern)
    return quiz


def url(quiz: Quiz, query: str = "") -> str:
    return f"/api/v1/quizzes/{quiz.pk}/item-stats/{query}"


def test_it_gives_bob_the_statistics_of_his_quiz(cast: Cast, taken: Quiz) -> None:
    response = client_for(cast.bob).get(url(taken))
    assert response.status_code == 200
    body = response.json()
    assert set(body["quiz"]) == QUIZ_FIELDS
    assert body["quiz"]["attempts"] == 4  # each learner's first attempt
    assert body["quiz"]["attempts_subset"] == "first"
    assert body["quiz"]["items"] == 7
    assert body["quiz"]["reliability_method"] == "items"
    assert 0 <= body["quiz"]["mean"] <= 100
    assert len(body["items"]) == 7
    for item in body["items"]:
        assert set(item) == ITEM_FIELDS
        assert set(item["irt"]) == IRT_FIELDS
        assert item["attempts"] == 4
        assert item["intended_weight"] == pytest.approx(1 / 7, abs=1e-4)
        for flag in item["flags"]:
            assert set(flag) == {"code", "message"}
    single = next(item for item in body["items"] if item["type"] == "single")
    counts = {option["text"]: option["count"] for option in single["options"]}
    # alice (first attempt: all right) and the learners right at position 1: learner-1 and
    # learner-2; learner-0 is wrong at position 1 and picks "Aortic stenosis".
    assert counts == {"Mitral stenosis": 3, "Aortic stenosis": 1, "Mitral regurgitation": 0}
    assert [o["id"] for o in single["options"]] == ["A", "B", "C"]  # the author's keys
    assert [o["is_key"] for o in single["options"]] == [True, False, False]
    assert single["facility"] == pytest.approx(0.75)
    assert single["random_guess"] == pytest.approx(1 / 3, abs=1e-4)
    assert "unused_distractor" in [flag["code"] for flag in single["flags"]]
    short = next(item for item in body["items"] if item["type"] == "short_answer")
    assert short["options"] == []
    assert short["random_guess"] == 0.0


@pytest.mark.parametrize(("which", "attempts"), [("first", 4), ("all", 5), ("last", 4)])
def test_each_attempt_subset(cast: Cast, taken: Quiz, which: str, attempts: int) -> None:
    body = client_for(cast.bob).get(url(taken, f"?attempts={which}")).json()
    assert body["quiz"]["attempts_subset"] == which
    assert body["quiz"]["attempts"] == attempts


def test_highest_and_last_differ_from_first_for_alice(cast: Cast, taken: Quiz) -> None:
    client = client_for(cast.bob)
    first = client.get(url(taken, "?attempts=first")).json()["quiz"]
    highest = client.get(url(taken, "?attempts=highest")).json()["quiz"]
    last = client.get(url(taken, "?attempts=last")).json()["quiz"]
    # alice's first attempt was her best, her last her worst.
    assert highest["mean"] == first["mean"]
    assert last["mean"] < first["mean"]


@pytest.mark.parametrize("value", ["best", "", "FIRST", "first,all"])
def test_a_bad_attempts_value_is_a_400_with_a_code(cast: Cast, taken: Quiz, value: str) -> None:
    response = client_for(cast.bob).get(url(taken, f"?attempts={value}"))
    assert response.status_code == 400
    assert response.json()["code"] == CODE_INVALID_ATTEMPTS
    assert "attempts" in response.json()["fields"]


def test_alice_a_learner_of_the_course_gets_403(cast: Cast, taken: Quiz) -> None:
    response = client_for(cast.alice).get(url(taken))
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


@pytest.mark.parametrize("who", ["charlie", "dave"])
def test_users_of_another_course_or_institution_get_404(cast: Cast, taken: Quiz, who: str) -> None:
    response = client_for(getattr(cast, who)).get(url(taken))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_anonymous_gets_401_and_other_methods_405(cast: Cast, taken: Quiz) -> None:
    assert APIClient().get(url(taken)).status_code == 401
    assert client_for(cast.bob).post(url(taken)).status_code == 405
    assert client_for(cast.bob).get("/api/v1/quizzes/999999/item-stats/").status_code == 404


def test_another_institutions_attempts_never_show(cast: Cast, taken: Quiz) -> None:
    """dave's quiz (institution 2) has attempts of its own: bob cannot open it, and they
    change nothing in bob's figures; dave sees his and only his."""
    before = client_for(cast.bob).get(url(taken)).json()
    question = question_create(bank=cast.foreign_bank, draft=single_draft("F-1"))
    foreign = quiz_create(
        course=cast.foreign_course, bank=cast.foreign_bank, title="Foreign", mode="fixed",
        status=Quiz.Status.PUBLISHED, length=1, attempts_allowed=0, shuffle_questions=False,
    )  # fmt: skip
    quiz_set_form(quiz=foreign, questions=[question])
    zed = UserFactory.create(username="zed")
    MembershipFactory.create(user=zed, course=cast.foreign_course, role=Membership.Role.LEARNER)
    take(client_for(zed), foreign, lambda position: False)

    assert client_for(cast.bob).get(url(foreign)).status_code == 404
    assert client_for(cast.bob).get(url(taken)).json() == before
    theirs = client_for(cast.dave).get(url(foreign)).json()
    assert theirs["quiz"]["attempts"] == 1
    assert [item["question"] for item in theirs["items"]] == [question.pk]


def test_an_unanswered_quiz_has_empty_statistics(
    cast: Cast, make_quiz: Callable[..., Quiz], every_type: list[Question]
) -> None:
    quiz = make_quiz("fixed")
    body = client_for(cast.bob).get(url(quiz)).json()
    assert body["items"] == []
    assert body["quiz"]["attempts"] == 0
    assert body["quiz"]["mean"] is None


def test_the_endpoint_is_in_the_openapi_schema(cast: Cast) -> None:
    schema = client_for(cast.bob).get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/quizzes/{quiz_id}/item-stats/"]["get"]
    assert [p["name"] for p in operation["parameters"] if p["in"] == "query"] == ["attempts"]
    body = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert body["$ref"].endswith("/ItemStats")


def test_an_instructor_of_another_course_of_the_institution_gets_403(
    cast: Cast, taken: Quiz
) -> None:
    """Item statistics are for the course's instructors, not every educator of the
    institution (who can see the quiz exists, so 403 rather than 404)."""
    erin = UserFactory.create(username="erin")
    MembershipFactory.create(user=erin, course=cast.other_course, role=Membership.Role.INSTRUCTOR)
    response = client_for(erin).get(url(taken))
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
