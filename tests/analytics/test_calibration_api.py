"""GET /api/v1/banks/{id}/calibration/ with the fixed cast."""

from __future__ import annotations

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from quizzes.analytics.calibration import bank_calibrate
from quizzes.models import Bank, CalibrationRun, QuestionRevision, Quiz
from tests.analytics.test_calibration import bank_items, simulate, write_attempts
from tests.conftest import Cast
from tests.factories import BankFactory, MembershipFactory, QuizFactory, UserFactory

pytestmark = pytest.mark.django_db


def url(bank: Bank) -> str:
    return f"/api/v1/banks/{bank.pk}/calibration/"


def calibrated(bank: Bank, quiz: Quiz, *, items: int, seed: int) -> list[QuestionRevision]:
    """Two runs: the first calibrates all but the last item (150 responses), the second
    that one (450) against the others as anchors."""
    revisions = bank_items(bank, items, seed=seed)
    rng = np.random.default_rng(seed)
    correct = simulate(revisions, rng.normal(0, 1, 300), rng)
    answered = np.ones_like(correct)
    answered[-1, 150:] = False
    write_attempts(quiz=quiz, revisions=revisions, correct=correct, answered=answered)
    bank_calibrate(bank, min_responses=200)
    more = simulate(revisions, rng.normal(0, 1, 300), rng)
    write_attempts(quiz=quiz, revisions=revisions, correct=more)
    bank_calibrate(bank, min_responses=200)
    return revisions


@pytest.fixture
def history(cast: Cast) -> list[QuestionRevision]:
    quiz = QuizFactory.create(course=cast.course, bank=cast.bank)
    revisions = calibrated(cast.bank, quiz, items=4, seed=31)
    foreign_quiz = QuizFactory.create(course=cast.foreign_course, bank=cast.foreign_bank)
    calibrated(cast.foreign_bank, foreign_quiz, items=3, seed=32)
    return revisions


def test_it_shows_runs_and_item_history_to_the_banks_educators(
    cast: Cast, api: APIClient, history: list[QuestionRevision]
):
    api.force_authenticate(cast.bob)
    response = api.get(url(cast.bank))
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["bank"] == cast.bank.pk
    assert body["min_responses"] == 200
    runs = list(CalibrationRun.objects.filter(bank=cast.bank).order_by("-started_at", "-pk"))
    assert [run["id"] for run in body["runs"]] == [run.pk for run in runs]  # newest first
    newest = body["runs"][0]
    assert (newest["status"], newest["anchors"], newest["items_updated"]) == ("applied", 3, 1)
    assert (newest["persons"], newest["trigger"], newest["model"]) == (600, "command", "2pl")
    assert newest["latent_mean"] is not None
    assert newest["converged"] is not None

    # Only this bank's revisions, never the foreign bank's.
    assert [item["external_id"] for item in body["items"]] == [
        r.question.external_id for r in history
    ]
    assert {item["question"] for item in body["items"]} == {r.question_id for r in history}
    first, last = body["items"][0], body["items"][-1]
    stored = QuestionRevision.objects.get(pk=history[0].pk)
    assert first["revision"] == 1
    assert first["current"] == {
        "a": stored.irt_a,
        "b": stored.irt_b,
        "c": 0.0,
        "provenance": "calibrated:300",
        "responses": 300,
    }
    # newest first: anchored in the second run, applied in the first
    assert [(row["run"], row["anchored"], row["applied"]) for row in first["history"]] == [
        (runs[0].pk, True, False),
        (runs[1].pk, False, True),
    ]
    applied = first["history"][1]
    assert (applied["a"], applied["b"], applied["responses"]) == (stored.irt_a, stored.irt_b, 300)
    assert applied["a_se"] > 0
    assert applied["b_se"] > 0
    assert applied["c_se"] is None
    assert applied["fit_rmsd"] >= 0
    assert applied["misfit"] in (True, False)
    assert applied["calibrated_at"]
    assert [row["run"] for row in last["history"]] == [runs[0].pk]
    assert last["current"]["provenance"] == "calibrated:450"

    # ?runs=1: only the newest run and the rows of that run
    one = api.get(url(cast.bank), {"runs": 1}).json()
    assert [run["id"] for run in one["runs"]] == [runs[0].pk]
    assert all(row["run"] == runs[0].pk for item in one["items"] for row in item["history"])


def test_another_educator_of_the_institution_sees_it_and_dave_sees_only_his(
    cast: Cast, api: APIClient, history: list[QuestionRevision]
):
    colleague = UserFactory.create(username="erin")
    MembershipFactory.create(user=colleague, course=cast.other_course, role="instructor")
    api.force_authenticate(colleague)
    assert api.get(url(cast.bank)).status_code == 200

    api.force_authenticate(cast.dave)
    response = api.get(url(cast.bank))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    own = api.get(url(cast.foreign_bank)).json()
    assert own["bank"] == cast.foreign_bank.pk
    foreign_questions = set(
        QuestionRevision.objects.filter(question__bank=cast.foreign_bank).values_list(
            "question_id", flat=True
        )
    )
    assert {item["question"] for item in own["items"]} == foreign_questions
    assert not foreign_questions & {r.question_id for r in history}
    own_runs = set(
        CalibrationRun.objects.filter(bank=cast.foreign_bank).values_list("pk", flat=True)
    )
    assert {run["id"] for run in own["runs"]} == own_runs


@pytest.mark.parametrize("who", ["alice", "charlie"])
def test_learners_are_refused(cast: Cast, api: APIClient, who: str):
    api.force_authenticate(getattr(cast, who))
    response = api.get(url(cast.bank))
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_anonymous_is_refused_and_unknown_bank_is_404(cast: Cast, api: APIClient):
    assert api.get(url(cast.bank)).status_code == 401
    api.force_authenticate(cast.bob)
    assert api.get("/api/v1/banks/999999/calibration/").status_code == 404


def test_only_get_is_allowed(cast: Cast, api: APIClient):
    api.force_authenticate(cast.bob)
    for method in (api.post, api.put, api.patch, api.delete):
        response = method(url(cast.bank), {})
        assert response.status_code == 405
        assert response.json()["code"] == "method_not_allowed"
    assert not CalibrationRun.objects.exists()


@pytest.mark.parametrize("runs", ["0", "101", "many", "-1"])
def test_a_bad_runs_parameter_is_a_400(cast: Cast, api: APIClient, runs: str):
    api.force_authenticate(cast.bob)
    response = api.get(url(cast.bank), {"runs": runs})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "runs" in response.json()["fields"]


def test_the_query_count_does_not_grow_with_items_or_runs(cast: Cast, api: APIClient):
    api.force_authenticate(cast.bob)
    small_quiz = QuizFactory.create(course=cast.course, bank=cast.bank)
    calibrated(cast.bank, small_quiz, items=3, seed=33)
    big = BankFactory.create(institution=cast.institution, title="Big")
    big_quiz = QuizFactory.create(course=cast.course, bank=big)
    calibrated(big, big_quiz, items=8, seed=34)
    bank_calibrate(big, min_responses=200, recalibrate=True)
    with CaptureQueriesContext(connection) as small:
        assert len(api.get(url(cast.bank)).json()["items"]) == 3
    with CaptureQueriesContext(connection) as large:
        body = api.get(url(big)).json()
    assert len(body["items"]) == 8
    assert len(body["runs"]) == 3
    assert len(large) == len(small) <= 8
