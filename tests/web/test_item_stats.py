"""The item analysis page (quizzes/web/educator.py item_analysis) over the quiz statistics
of quizzes/analytics/quiz_stats.py, and the item characteristic curve it draws."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from quizzes.analytics.quiz_stats import FLAG_MESSAGES, FLAG_UNUSED_DISTRACTOR
from quizzes.models import Attempt, Quiz
from quizzes.services.attempts import attempt_finish, attempt_start
from quizzes.web.charts import icc, probability
from quizzes.web.educator import EDUCATORS_ONLY
from tests.conftest import Cast
from tests.web.test_pages import post_answer


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def answered(cast: Cast, make_quiz: Callable[..., Quiz]) -> Quiz:
    """alice's two finished attempts of a fixed quiz of every type: all right, then all
    wrong."""
    quiz = make_quiz("fixed", attempts_allowed=0)
    learner = client_for(cast.alice)
    for right in (True, False):
        attempt = attempt_start(quiz=quiz, learner=cast.alice).attempt
        for _ in range(7):
            post_answer(learner, Attempt.objects.get(pk=attempt.pk), right=right)
        attempt_finish(attempt=Attempt.objects.get(pk=attempt.pk))
    return quiz


@pytest.mark.django_db
def test_the_page_shows_quiz_and_item_statistics(cast: Cast, answered: Quiz) -> None:
    page = client_for(cast.bob).get(reverse("web:item-analysis", args=[answered.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    for label in (
        "Internal consistency (alpha)", "Standard error of measurement", "Facility (p-value)",
        "Discriminative efficiency", "Effective weight", "Random guess score",
        "Item characteristic curve", "How many learners chose each option",
    ):  # fmt: skip
        assert label in text, label
    assert text.count('class="card item-stats') == 7
    # One attempt (alice's first, all right): every distractor unpicked -> flagged.
    assert FLAG_MESSAGES[FLAG_UNUSED_DISTRACTOR].format(options="B, C") in text
    assert 'value="first" selected' in text


@pytest.mark.django_db
def test_the_attempts_choice_changes_the_figures(cast: Cast, answered: Quiz) -> None:
    client = client_for(cast.bob)
    url = reverse("web:item-analysis", args=[answered.pk])
    first = client.get(url).content.decode()
    every = client.get(url + "?attempts=all").content.decode()
    assert "<dt>Attempts</dt><dd>1</dd>" in first
    assert "<dt>Attempts</dt><dd>2</dd>" in every
    assert 'value="all" selected' in every
    refused = client.get(url + "?attempts=best")
    assert refused.status_code == 400
    assert b"attempts must be one of" in refused.content


@pytest.mark.django_db
def test_only_the_quizs_educators_see_the_page(cast: Cast, answered: Quiz) -> None:
    url = reverse("web:item-analysis", args=[answered.pk])
    learner = client_for(cast.alice).get(url)
    assert learner.status_code == 403
    assert EDUCATORS_ONLY.encode() in learner.content
    assert client_for(cast.dave).get(url).status_code == 404
    assert Client().get(url).status_code == 302  # to the sign-in page


@pytest.mark.django_db
def test_a_quiz_without_attempts_says_so(cast: Cast, make_quiz: Callable[..., Quiz]) -> None:
    quiz = make_quiz("fixed")
    page = client_for(cast.bob).get(reverse("web:item-analysis", args=[quiz.pk]))
    assert page.status_code == 200
    assert b"No finished attempts yet" in page.content


def test_the_icc_passes_through_its_difficulty() -> None:
    assert probability(0.5, 1.2, 0.5, 0.2) == pytest.approx(0.6)
    curve = icc(a=1.0, b=0.0, c=0.0)
    assert curve["b_x"] is not None
    assert len(curve["points"].split()) == 61
