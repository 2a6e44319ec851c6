from __future__ import annotations

import pytest
from django.contrib.auth import authenticate, get_user_model

from quizzes.models import Bank, Membership, Question, QuestionRevision, Quiz
from quizzes.services.demo import COHORT_PREFIX, demo_data_load

pytestmark = pytest.mark.django_db


def counts() -> tuple[int, ...]:
    return (
        get_user_model().objects.count(),
        Membership.objects.count(),
        Bank.objects.count(),
        Question.objects.count(),
        QuestionRevision.objects.count(),
        Quiz.objects.count(),
    )


def test_demo_data_matches_the_design_and_is_idempotent() -> None:
    result = demo_data_load(password="demo-pass-123")
    assert result.bank.title == "Balloon valvuloplasty"
    assert result.bank.institution.slug == "demo"
    assert result.course.slug == "demo"
    before = counts()
    demo_data_load(password="demo-pass-123")
    assert counts() == before

    roles = dict(
        Membership.objects.filter(course=result.course)
        .exclude(user__username__startswith=COHORT_PREFIX)  # test_demo_cohort.py
        .values_list("user__username", "role")
    )
    assert roles == {
        "demo-instructor": "instructor",
        "demo-learner": "learner",
        "demo-learner-2": "learner",
    }
    cohort = Membership.objects.filter(user__username__startswith=COHORT_PREFIX)
    assert set(cohort.values_list("course", "role")) == {(result.course.pk, "learner")}
    outsider = Membership.objects.get(user__username="demo-outsider")
    assert outsider.role == "instructor"
    assert outsider.course.institution.slug != "demo"
    assert Bank.objects.filter(institution=outsider.course.institution).exists()
    for username in ("demo-instructor", "demo-learner", "demo-learner-2", "demo-outsider"):
        assert authenticate(username=username, password="demo-pass-123") is not None

    quizzes = Quiz.objects.filter(course=result.course, status=Quiz.Status.PUBLISHED)
    assert sorted(quizzes.values_list("mode", flat=True)) == sorted(Quiz.Mode.values)
    for quiz in quizzes:
        assert quiz.title == f"Balloon valvuloplasty: {quiz.mode}"
        assert quiz.bank == result.bank
        assert quiz.attempts_allowed == 0 or quiz.attempts_allowed >= 2


def test_a_new_password_is_applied_on_rerun() -> None:
    # The cohort has no passwords (test_demo_cohort.py), so it is left out of this one.
    demo_data_load(password="first-pass-123", cohort=False)
    demo_data_load(password="second-pass-456", cohort=False)
    assert authenticate(username="demo-learner", password="second-pass-456") is not None
