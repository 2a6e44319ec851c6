"""The demo's simulated cohort: learners who took the demo quizzes through the learner's own
services, so that the educator pages of a fresh `make run` are not empty."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest
from django.contrib.auth.models import User
from django.http import StreamingHttpResponse
from rest_framework.test import APIClient
from scipy.stats import spearmanr

from quizzes.analytics.quiz_stats import quiz_stats
from quizzes.models import Attempt, Grade, Membership, Quiz, Response
from quizzes.services.demo import (
    COHORT_MODES,
    COHORT_PREFIX,
    DemoResult,
    demo_cohort_learners,
    demo_cohort_load,
    demo_data_load,
)

pytestmark = pytest.mark.django_db

PASSWORD = "demo-pass-123"


@pytest.fixture
def demo(db: None) -> DemoResult:
    return demo_data_load(password=PASSWORD)


def cohort_attempts() -> list[Attempt]:
    return list(
        Attempt.objects.filter(learner__username__startswith=COHORT_PREFIX).select_related(
            "quiz", "learner"
        )
    )


def api_as(username: str) -> APIClient:
    client = APIClient()
    client.force_authenticate(User.objects.get(username=username))
    return client


def test_the_cohort_finished_every_quiz_through_the_services(demo: DemoResult) -> None:
    learners = demo_cohort_learners()
    assert len(learners) == 20
    assert [m.username for m in learners][:2] == ["demo-cohort-01", "demo-cohort-02"]
    abilities = [m.ability for m in learners]
    assert -1.5 <= min(abilities) < -0.5
    assert 0.5 < max(abilities) <= 1.5
    users = User.objects.filter(username__startswith=COHORT_PREFIX)
    assert users.count() == 20
    for user in users:
        assert not user.has_usable_password()
        assert user.first_name
        assert user.last_name

    attempts = cohort_attempts()
    assert demo.cohort_attempts == len(attempts)
    assert all(a.state == Attempt.State.FINISHED for a in attempts)
    assert all(a.percent is not None and a.finished_at is not None for a in attempts)
    taken = defaultdict(list)
    for attempt in attempts:
        taken[(attempt.learner.username, attempt.quiz.mode)].append(attempt.number)
    retakers = {m.username for m in learners if m.retakes_fixed}
    assert 2 <= len(retakers) <= 6
    for member in learners:
        for mode in COHORT_MODES:
            expected = [1, 2] if mode == Quiz.Mode.FIXED and member.username in retakers else [1]
            assert sorted(taken[(member.username, mode)]) == expected
    # The practice quiz is left to the real learners.
    assert not any(a.quiz.mode == Quiz.Mode.PRACTICE for a in attempts)

    # Attempts last minutes, within the past two weeks, answers on the attempt's clock.
    for attempt in attempts:
        assert attempt.finished_at is not None
        duration = (attempt.finished_at - attempt.started_at).total_seconds()
        assert 60 < duration < 30 * 60
    starts = sorted(a.started_at for a in attempts)
    assert (starts[-1] - starts[0]).days >= 7
    responses = Response.objects.filter(attempt__learner__username__startswith=COHORT_PREFIX)
    fractions = set(responses.values_list("fraction", flat=True))
    assert 0.0 in fractions
    assert 1.0 in fractions
    types = set(responses.values_list("item__revision__type", flat=True))
    assert {"single", "true_false", "numerical"} <= types  # the fixed form's mix, at least

    # Grades from the services: one per learner and quiz taken.
    grades = Grade.objects.filter(learner__username__startswith=COHORT_PREFIX)
    assert grades.count() == 20 * len(COHORT_MODES)

    # The adaptive engine ran: abilities and standard errors on every adaptive attempt.
    adaptive = [a for a in attempts if a.quiz.mode == Quiz.Mode.ADAPTIVE]
    assert all(a.ability is not None and a.standard_error is not None for a in adaptive)

    # Item analysis of the fixed quiz has data.
    fixed = Quiz.objects.get(course=demo.course, mode=Quiz.Mode.FIXED)
    items = quiz_stats(fixed)["items"]
    assert items
    assert all(item["attempts"] > 0 for item in items)

    # Higher true ability, higher mean percent on the fixed and blueprint forms.
    percents: dict[str, list[float]] = defaultdict(list)
    for attempt in attempts:
        if attempt.quiz.mode in (Quiz.Mode.FIXED, Quiz.Mode.BLUEPRINT):
            assert attempt.percent is not None
            percents[attempt.learner.username].append(attempt.percent)
    means = [sum(percents[m.username]) / len(percents[m.username]) for m in learners]
    assert spearmanr(abilities, means).statistic > 0.5

    # A second load adds nothing.
    counts = (len(attempts), responses.count(), grades.count(), users.count())
    assert demo_cohort_load(course=demo.course) == 0
    again = demo_data_load(password=PASSWORD)
    assert again.cohort_attempts == 0
    assert (len(cohort_attempts()), responses.count(), grades.count(), users.count()) == counts

    check_only_in_the_demo_course(demo)


def check_only_in_the_demo_course(demo: DemoResult) -> None:
    """Part of the test above: one demo load (about 10 s) serves both."""
    memberships = Membership.objects.filter(user__username__startswith=COHORT_PREFIX)
    assert memberships.count() == 20
    assert {(m.course_id, m.role) for m in memberships} == {
        (demo.course.pk, Membership.Role.LEARNER)
    }

    fixed = Quiz.objects.get(course=demo.course, mode=Quiz.Mode.FIXED)
    response = api_as("demo-instructor").get(f"/api/v1/quizzes/{fixed.pk}/gradebook/")
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    rows = json.loads(b"".join(response.streaming_content))["results"]
    cohort = [row for row in rows if row["username"].startswith(COHORT_PREFIX)]
    assert len(cohort) == 20
    assert all(row["name"].strip() and row["grade_percent"] is not None for row in cohort)
    stats = api_as("demo-instructor").get(f"/api/v1/quizzes/{fixed.pk}/item-stats/")
    assert stats.status_code == 200

    outsider = api_as("demo-outsider")
    for url in (
        f"/api/v1/quizzes/{fixed.pk}/gradebook/",
        f"/api/v1/quizzes/{fixed.pk}/item-stats/",
        f"/api/v1/courses/{demo.course.pk}/gradebook/",
        f"/api/v1/courses/{demo.course.pk}/members/",
    ):
        assert outsider.get(url).status_code == 404, url
    own = outsider.get("/api/v1/courses/").json()["results"]
    for course in own:
        members = outsider.get(f"/api/v1/courses/{course['id']}/members/").json()["results"]
        assert not any(m["username"].startswith(COHORT_PREFIX) for m in members)
