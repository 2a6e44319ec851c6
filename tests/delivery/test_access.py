"""Who may do what: the fixed cast against every delivery endpoint.

alice (learner, course A), bob (instructor, course A), charlie (learner, course B of the
same institution), dave (instructor of another institution), anonymous.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from quizzes.models import Attempt, Quiz
from tests.conftest import Cast
from tests.delivery.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def attempt(cast: Cast, make_quiz: Callable[..., Quiz]) -> Attempt:
    quiz = make_quiz("fixed")
    response = client_for(cast.alice).post(f"/api/v1/quizzes/{quiz.pk}/attempts/")
    return Attempt.objects.get(pk=response.json()["id"])


ATTEMPT_READS = ["/api/v1/attempts/{id}/", "/api/v1/attempts/{id}/result/"]
ATTEMPT_WRITES = ["/api/v1/attempts/{id}/finish/", "/api/v1/attempts/{id}/responses/"]


def test_anonymous_gets_401_everywhere(attempt: Attempt) -> None:
    client = APIClient()
    quiz = attempt.quiz
    for url in ["/api/v1/courses/", "/api/v1/quizzes/", f"/api/v1/quizzes/{quiz.pk}/"]:
        assert client.get(url).status_code == 401, url
    assert client.post(f"/api/v1/quizzes/{quiz.pk}/attempts/").status_code == 401
    for url in [*ATTEMPT_READS, "/api/v1/attempts/{id}/next/"]:
        response = client.get(url.format(id=attempt.pk))
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize("who", ["charlie", "dave"])
def test_another_learners_attempt_is_404(cast: Cast, attempt: Attempt, who: str) -> None:
    client = client_for(getattr(cast, who))
    for url in [*ATTEMPT_READS, "/api/v1/attempts/{id}/next/"]:
        assert client.get(url.format(id=attempt.pk)).status_code == 404, url
    for url in ATTEMPT_WRITES:
        assert client.post(url.format(id=attempt.pk), {}, format="json").status_code == 404, url


def test_the_instructor_reads_but_cannot_act_on_a_learners_attempt(
    cast: Cast, attempt: Attempt
) -> None:
    client = client_for(cast.bob)
    for url in ATTEMPT_READS:
        assert client.get(url.format(id=attempt.pk)).status_code == 200, url
    assert client.get(f"/api/v1/attempts/{attempt.pk}/next/").status_code == 403
    assert client.post(f"/api/v1/attempts/{attempt.pk}/finish/").status_code == 403
    response = client.post(
        f"/api/v1/attempts/{attempt.pk}/responses/",
        {"item": 1, "answer": {}, "key": "k"},
        format="json",
    )
    assert response.status_code == 403


def test_a_learner_outside_the_course_cannot_start_or_see_the_quiz(
    cast: Cast, attempt: Attempt
) -> None:
    quiz = attempt.quiz
    for user in (cast.charlie, cast.dave):
        client = client_for(user)
        assert client.post(f"/api/v1/quizzes/{quiz.pk}/attempts/").status_code == 404
        assert client.get(f"/api/v1/quizzes/{quiz.pk}/").status_code == 404
        listed = client.get("/api/v1/quizzes/").json()["results"]
        assert quiz.pk not in {q["id"] for q in listed}


def test_learners_see_no_answer_key_settings_and_cannot_change_quizzes(
    cast: Cast, attempt: Attempt
) -> None:
    client = client_for(cast.alice)
    quiz = client.get(f"/api/v1/quizzes/{attempt.quiz_id}/").json()
    assert "ability_cut" not in quiz
    assert "exposure" not in quiz
    assert (
        client.patch(
            f"/api/v1/quizzes/{attempt.quiz_id}/", {"title": "Mine"}, format="json"
        ).status_code
        == 403
    )
    assert client.post("/api/v1/quizzes/", {}, format="json").status_code == 403
    assert (
        client.post("/api/v1/courses/", {"slug": "x", "title": "X"}, format="json").status_code
        == 403
    )
    assert client.get(f"/api/v1/courses/{cast.course.pk}/members/").status_code == 404
    assert client.get(f"/api/v1/quizzes/{attempt.quiz_id}/overrides/").status_code == 403


def test_an_instructor_of_another_institution_gets_404(cast: Cast, attempt: Attempt) -> None:
    client = client_for(cast.dave)
    assert client.get(f"/api/v1/quizzes/{attempt.quiz_id}/").status_code == 404
    assert (
        client.patch(
            f"/api/v1/quizzes/{attempt.quiz_id}/", {"title": "x"}, format="json"
        ).status_code
        == 404
    )
    assert client.get(f"/api/v1/courses/{cast.course.pk}/members/").status_code == 404
    assert client.get(f"/api/v1/quizzes/{attempt.quiz_id}/overrides/").status_code == 404
    courses = client.get("/api/v1/courses/").json()["results"]
    assert {c["slug"] for c in courses} == {"course-z"}


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("delete", "/api/v1/attempts/{id}/"),
        ("put", "/api/v1/attempts/{id}/result/"),
        ("get", "/api/v1/attempts/{id}/responses/"),
        ("get", "/api/v1/attempts/{id}/finish/"),
        ("post", "/api/v1/attempts/{id}/next/"),
        ("delete", "/api/v1/quizzes/{quiz}/"),
        ("get", "/api/v1/quizzes/{quiz}/attempts/"),
    ],
)
def test_wrong_methods_are_405(cast: Cast, attempt: Attempt, method: str, url: str) -> None:
    client = client_for(cast.alice)
    response = getattr(client, method)(url.format(id=attempt.pk, quiz=attempt.quiz_id))
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_instructors_manage_courses_members_and_quizzes(cast: Cast, attempt: Attempt) -> None:
    client = client_for(cast.bob)
    course = client.post(
        "/api/v1/courses/", {"slug": "cardio-2", "title": "Cardio 2"}, format="json"
    )
    assert course.status_code == 201
    assert course.json()["institution"] == "one"
    member = client.post(
        f"/api/v1/courses/{course.json()['id']}/members/",
        {
            "username": "erin",
            "email": "erin@example.test",
            "role": "learner",
            "password": "a-long-password",
        },
        format="json",
    )
    assert member.status_code == 201
    assert member.json()["role"] == "learner"
    quiz = client.post(
        "/api/v1/quizzes/",
        {
            "title": "Adaptive check",
            "course": course.json()["id"],
            "bank": cast.bank.pk,
            "mode": "adaptive",
            "max_items": 15,
            "min_items": 5,
            "se_target": 0.35,
            "time_limit_seconds": 1200,
            "blueprint": {"valves": 1.0},
        },
        format="json",
    )
    assert quiz.status_code == 201, quiz.json()
    assert quiz.json()["time_limit_seconds"] == 1200
    foreign = client.post(
        "/api/v1/quizzes/",
        {
            "title": "Not mine",
            "course": cast.foreign_course.pk,
            "bank": cast.bank.pk,
            "mode": "fixed",
        },
        format="json",
    )
    assert foreign.status_code == 404
    bad = client.post(
        "/api/v1/quizzes/",
        {
            "title": "Bad",
            "course": course.json()["id"],
            "bank": cast.bank.pk,
            "mode": "adaptive",
            "min_items": 30,
            "max_items": 10,
        },
        format="json",
    )
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid"


def test_an_instructor_in_several_institutions_names_the_courses_institution(
    cast: Cast, attempt: Attempt
) -> None:
    """The same rule, and the same codes, as for banks (selectors.access.educator_institution)."""
    from quizzes.models import Membership

    Membership.objects.create(user=cast.bob, course=cast.foreign_course, role="instructor")
    client = client_for(cast.bob)
    unnamed = client.post("/api/v1/courses/", {"slug": "c-1", "title": "C"}, format="json")
    assert unnamed.status_code == 400
    assert unnamed.json()["code"] == "institution_required"
    foreign = client_for(cast.alice).post(
        "/api/v1/courses/", {"slug": "c-2", "title": "C", "institution": "two"}, format="json"
    )
    assert foreign.status_code == 403  # a learner creates no course at all
    named = client.post(
        "/api/v1/courses/", {"slug": "c-3", "title": "C", "institution": "two"}, format="json"
    )
    assert named.status_code == 201
    assert named.json()["institution"] == "two"
    unknown = client.post(
        "/api/v1/courses/", {"slug": "c-4", "title": "C", "institution": "nowhere"}, format="json"
    )
    assert unknown.status_code == 400
    assert unknown.json()["code"] == "unknown_institution"
