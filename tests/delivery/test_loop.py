"""The learner's loop over HTTP: start, next, answer, finish, result."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from quizzes.models import Attempt, Grade, GradeOutbox, Quiz, Response
from tests.conftest import Cast
from tests.delivery.conftest import client_for

pytestmark = pytest.mark.django_db

# Exactly what a learner receives for an item of each type before answering it.
LEARNER_FIELDS = {"id", "revision", "type", "title", "stem", "lead_in", "text_format"}
TYPE_FIELDS = {
    "single": {"options"},
    "multiple": {"options"},
    "true_false": {"options"},
    "short_answer": set(),
    "numerical": {"unit"},
    "matching": {"stems", "choices"},
    "ordering": {"steps"},
}


def correct_answer_for(item: dict[str, Any], client: APIClient, attempt_id: int) -> dict[str, Any]:
    """Answers built from what the learner sees (option texts tell the test which is right)."""
    kind = item["type"]
    if kind == "single":
        return {"option": next(o["id"] for o in item["options"] if o["text"] == "Mitral stenosis")}
    if kind == "multiple":
        return {
            "options": [o["id"] for o in item["options"] if o["text"] in ("Tamponade", "Severe MR")]
        }
    if kind == "true_false":
        return {"value": True}
    if kind == "short_answer":
        return {"text": "  Commissurotomy "}
    if kind == "numerical":
        return {"value": 1.52}
    if kind == "matching":
        stems = {s["text"]: s["id"] for s in item["stems"]}
        choices = {c["text"]: c["id"] for c in item["choices"]}
        return {
            "pairs": {
                stems["Mitral"]: choices["Femoral vein"],
                stems["Aortic"]: choices["Femoral artery"],
            }
        }
    steps = {s["text"]: s["id"] for s in item["steps"]}
    return {"order": [steps["TEE"], steps["Transseptal puncture"]]}


def start(client: APIClient, quiz: Quiz) -> dict[str, Any]:
    response = client.post(f"/api/v1/quizzes/{quiz.pk}/attempts/")
    assert response.status_code in (200, 201), response.json()
    return response.json()


def test_a_learner_takes_a_fixed_quiz_of_every_type_to_full_marks(
    cast: Cast, make_quiz: Callable[..., Quiz]
) -> None:
    quiz = make_quiz("fixed", feedback_timing="immediate")
    client = client_for(cast.alice)
    state = start(client, quiz)
    assert state["state"] == "in_progress"
    assert state["progress"] == {"answered": 0, "total": 7, "adaptive": False}
    seen_types = []
    for position in range(1, 8):
        body = client.get(f"/api/v1/attempts/{state['id']}/next/").json()
        item = body["item"]
        assert body["position"] == position
        assert set(item) == LEARNER_FIELDS | TYPE_FIELDS[item["type"]], item["type"]
        for element in item.get("options", []) + item.get("steps", []) + item.get("choices", []):
            assert set(element) == {"id", "text"}
        seen_types.append(item["type"])
        answer = correct_answer_for(item, client, state["id"])
        result = client.post(
            f"/api/v1/attempts/{state['id']}/responses/",
            {"item": item["id"], "answer": answer, "key": f"k{position}"},
            format="json",
        )
        assert result.status_code == 201, result.json()
        assert result.json()["fraction"] == 1.0
        assert result.json()["outcome"] == "correct"
        assert result.json()["explanation"]
    assert sorted(seen_types) == sorted(TYPE_FIELDS)
    final = client.get(f"/api/v1/attempts/{state['id']}/next/").json()
    assert final == {"item": None, "finished": True}
    result = client.get(f"/api/v1/attempts/{state['id']}/result/").json()
    assert result["percent"] == 100.0
    assert result["score"] == 7.0
    # mastery: seven full marks, weights 0.95**k -> Beta(7.033, 1) (docs/analytics.md).
    mastered = {"n": 7, "mean": 0.8755, "lower": 0.7208, "upper": 0.9851, "status": "mastered"}
    assert result["topics"] == [
        {
            "topic": "valves",
            "answered": 7,
            "served": 7,
            "score": 7.0,
            "percent": 100.0,
            "mastery": mastered,
        }
    ]
    assert len(result["review"]) == 7
    grade = Grade.objects.get(quiz=quiz, learner=cast.alice)
    assert grade.percent == 100.0
    assert GradeOutbox.objects.filter(grade=grade).count() == 1


def test_option_ids_differ_per_attempt_and_reveal_nothing(
    cast: Cast, make_quiz: Callable[..., Quiz]
) -> None:
    quiz = make_quiz("fixed")
    first = client_for(cast.alice)
    item_a = first.get(f"/api/v1/attempts/{start(first, quiz)['id']}/next/").json()["item"]
    other_learner = cast.charlie
    from quizzes.services.courses import membership_set

    membership_set(course=cast.course, user=other_learner, role="learner")
    second = client_for(other_learner)
    item_b = second.get(f"/api/v1/attempts/{start(second, quiz)['id']}/next/").json()["item"]
    ids_a = {o["id"] for o in item_a["options"]}
    ids_b = {o["id"] for o in item_b["options"]}
    assert not ids_a & ids_b
    assert not ids_a & {"A", "B", "C"}


def test_deferred_feedback_returns_only_an_acknowledgement(
    cast: Cast, make_quiz: Callable[..., Quiz]
) -> None:
    quiz = make_quiz("fixed", feedback_timing="deferred")
    client = client_for(cast.alice)
    state = start(client, quiz)
    item = client.get(f"/api/v1/attempts/{state['id']}/next/").json()["item"]
    body = client.post(
        f"/api/v1/attempts/{state['id']}/responses/",
        {"item": item["id"], "answer": correct_answer_for(item, client, state["id"]), "key": "a"},
        format="json",
    ).json()
    assert set(body) == {"item", "recorded", "repeated", "finished"}


def test_a_repeat_with_the_same_key_returns_the_first_result_and_records_nothing(
    cast: Cast, make_quiz: Callable[..., Quiz]
) -> None:
    quiz = make_quiz("fixed", feedback_timing="immediate")
    client = client_for(cast.alice)
    state = start(client, quiz)
    item = client.get(f"/api/v1/attempts/{state['id']}/next/").json()["item"]
    payload = {
        "item": item["id"],
        "answer": correct_answer_for(item, client, state["id"]),
        "key": "same",
    }
    first = client.post(f"/api/v1/attempts/{state['id']}/responses/", payload, format="json")
    again = client.post(f"/api/v1/attempts/{state['id']}/responses/", payload, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() | {"repeated": False} == first.json()
    assert again.json()["repeated"] is True
    assert Response.objects.count() == 1
    other_key = client.post(
        f"/api/v1/attempts/{state['id']}/responses/", payload | {"key": "other"}, format="json"
    )
    assert other_key.status_code == 409
    assert other_key.json()["code"] == "already_answered"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"item": "x", "answer": {}, "key": "k"}, "invalid"),
        ({"answer": {}, "key": "k"}, "invalid"),
        ({"item": 1, "answer": {}, "key": ""}, "invalid"),
        ({"item": 1, "answer": {}, "key": "k" * 101}, "invalid"),
    ],
)
def test_malformed_submissions_are_400_and_record_nothing(
    cast: Cast, make_quiz: Callable[..., Quiz], body: dict[str, Any], code: str
) -> None:
    quiz = make_quiz("fixed")
    client = client_for(cast.alice)
    state = start(client, quiz)
    response = client.post(f"/api/v1/attempts/{state['id']}/responses/", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert not Response.objects.exists()


def test_wrong_answers_for_the_current_item_are_400_with_a_code(
    cast: Cast, make_quiz: Callable[..., Quiz]
) -> None:
    quiz = make_quiz("fixed")
    client = client_for(cast.alice)
    state = start(client, quiz)
    url = f"/api/v1/attempts/{state['id']}/responses/"
    item = client.get(f"/api/v1/attempts/{state['id']}/next/").json()["item"]
    assert item["type"] == "single"
    cases = [
        ({"option": "A"}, "unknown_id"),  # the author's id is not the learner's id
        ({"options": [item["options"][0]["id"]]}, "answer_shape"),
        ({"value": True}, "answer_shape"),
        ([1, 2], "answer_shape"),
        ({"option": 12}, "unknown_id"),
    ]
    for answer, code in cases:
        response = client.post(
            url, {"item": item["id"], "answer": answer, "key": "k"}, format="json"
        )
        assert response.status_code == 400, answer
        assert response.json()["code"] == code, (answer, response.json())
    unknown = client.post(url, {"item": 999999, "answer": {}, "key": "k"}, format="json")
    assert unknown.json()["code"] == "unknown_item"
    assert not Response.objects.exists()


def test_only_the_current_item_can_be_answered(cast: Cast, make_quiz: Callable[..., Quiz]) -> None:
    quiz = make_quiz("fixed")
    client = client_for(cast.alice)
    state = start(client, quiz)
    attempt = Attempt.objects.get(pk=state["id"])
    later = attempt.items.get(position=3)
    response = client.post(
        f"/api/v1/attempts/{state['id']}/responses/",
        {"item": later.revision.question_id, "answer": {"value": True}, "key": "k"},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "not_current_item"


def test_an_answer_after_the_deadline_is_refused_and_the_attempt_finishes(
    cast: Cast, make_quiz: Callable[..., Quiz]
) -> None:
    quiz = make_quiz("fixed", time_limit=timedelta(minutes=5))
    client = client_for(cast.alice)
    state = start(client, quiz)
    item = client.get(f"/api/v1/attempts/{state['id']}/next/").json()["item"]
    Attempt.objects.filter(pk=state["id"]).update(deadline=timezone.now() - timedelta(seconds=1))
    response = client.post(
        f"/api/v1/attempts/{state['id']}/responses/",
        {
            "item": item["id"],
            "answer": correct_answer_for(item, client, state["id"]),
            "key": "late",
        },
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["code"] in ("deadline_passed", "attempt_finished")
    attempt = Attempt.objects.get(pk=state["id"])
    assert attempt.state == "finished"
    assert attempt.finish_reason == "time_up"
    assert not Response.objects.exists()
    assert Grade.objects.get(quiz=quiz, learner=cast.alice).percent == 0.0


def test_attempts_allowed_and_an_extra_attempt_override(
    cast: Cast, make_quiz: Callable[..., Quiz]
) -> None:
    quiz = make_quiz("fixed", attempts_allowed=1)
    client = client_for(cast.alice)
    state = start(client, quiz)
    assert client.post(f"/api/v1/attempts/{state['id']}/finish/").status_code == 200
    refused = client.post(f"/api/v1/quizzes/{quiz.pk}/attempts/")
    assert refused.status_code == 403
    assert refused.json()["code"] == "no_attempts_left"
    teacher = client_for(cast.bob)
    override = teacher.post(
        f"/api/v1/quizzes/{quiz.pk}/overrides/",
        {"learner": "alice", "extra_attempts": 1},
        format="json",
    )
    assert override.status_code == 201, override.json()
    assert client.post(f"/api/v1/quizzes/{quiz.pk}/attempts/").status_code == 201


@pytest.mark.parametrize(
    ("window", "code"),
    [
        ({"opens_at": timezone.now() + timedelta(days=1)}, "quiz_not_open_yet"),
        (
            {
                "opens_at": timezone.now() - timedelta(days=2),
                "closes_at": timezone.now() - timedelta(days=1),
            },
            "quiz_closed",
        ),
    ],
)
def test_the_availability_window_is_enforced(
    cast: Cast, make_quiz: Callable[..., Quiz], window: dict[str, Any], code: str
) -> None:
    quiz = make_quiz("fixed", **window)
    response = client_for(cast.alice).post(f"/api/v1/quizzes/{quiz.pk}/attempts/")
    assert response.status_code == 403
    assert response.json()["code"] == code
    assert not Attempt.objects.exists()


def test_extra_time_override_extends_the_deadline(
    cast: Cast, make_quiz: Callable[..., Quiz]
) -> None:
    quiz = make_quiz("fixed", time_limit=timedelta(minutes=10))
    client_for(cast.bob).post(
        f"/api/v1/quizzes/{quiz.pk}/overrides/",
        {"learner": "alice", "time_multiplier": 1.5},
        format="json",
    )
    state = start(client_for(cast.alice), quiz)
    attempt = Attempt.objects.get(pk=state["id"])
    assert attempt.deadline is not None
    assert (attempt.deadline - attempt.started_at) == timedelta(minutes=15)


def test_practice_gives_feedback_after_each_item(
    cast: Cast, make_quiz: Callable[..., Quiz]
) -> None:
    quiz = make_quiz("practice", feedback_timing="immediate", length=3, attempts_allowed=0)
    client = client_for(cast.alice)
    state = start(client, quiz)
    for position in range(3):
        item = client.get(f"/api/v1/attempts/{state['id']}/next/").json()["item"]
        body = client.post(
            f"/api/v1/attempts/{state['id']}/responses/",
            {
                "item": item["id"],
                "answer": correct_answer_for(item, client, state["id"]),
                "key": f"p{position}",
            },
            format="json",
        ).json()
        assert body["outcome"] == "correct"
        assert body["correct_answer"]
        assert body["finished"] is (position == 2)
    assert client.get(f"/api/v1/attempts/{state['id']}/result/").json()["percent"] == 100.0


def test_a_blueprint_quiz_draws_its_form(cast: Cast, make_quiz: Callable[..., Quiz]) -> None:
    quiz = make_quiz("blueprint", blueprint={"valves": 1.0}, length=4)
    state = start(client_for(cast.alice), quiz)
    assert Attempt.objects.get(pk=state["id"]).items.count() == 4


def test_review_follows_the_review_options(cast: Cast, make_quiz: Callable[..., Quiz]) -> None:
    quiz = make_quiz("fixed", review_when="never")
    client = client_for(cast.alice)
    state = start(client, quiz)
    client.post(f"/api/v1/attempts/{state['id']}/finish/")
    result = client.get(f"/api/v1/attempts/{state['id']}/result/").json()
    assert result["review"] is None
    # The instructor always sees the review of attempts in their course.
    teacher_view = client_for(cast.bob).get(f"/api/v1/attempts/{state['id']}/result/").json()
    assert len(teacher_view["review"]) == 7
    assert "correct_answer" in teacher_view["review"][0]
