"""Adaptive attempts over HTTP: simulated learners of known ability."""

from __future__ import annotations

import math
import random

import pytest
from scipy.stats import spearmanr

from quizzes.interop.drafts import IrtDraft, OptionDraft
from quizzes.models import AttemptItem, QuestionRevision, Quiz
from quizzes.services.banks import topic_ensure
from quizzes.services.courses import membership_set, user_ensure
from quizzes.services.questions import question_create
from quizzes.services.quizzes import quiz_create
from tests.conftest import Cast
from tests.delivery.conftest import client_for
from tests.factories import single_draft

pytestmark = pytest.mark.django_db

TRUE_ABILITIES = [-2.0, -1.6, -1.2, -0.8, -0.4, -0.1, 0.1, 0.4, 0.8, 1.2, 1.6, 2.0]


def calibrated_bank(cast: Cast, size: int = 90) -> dict[int, tuple[float, float]]:
    """Questions with known 2PL parameters, spread over two topics."""
    rng = random.Random(7)
    for topic in ("mitral", "aortic"):
        topic_ensure(bank=cast.bank, path=topic)
    params: dict[int, tuple[float, float]] = {}
    for index in range(size):
        a, b = rng.uniform(1.2, 2.2), rng.uniform(-2.8, 2.8)
        draft = single_draft(
            f"CAL-{index:03d}",
            topic="mitral" if index % 2 else "aortic",
            options=[
                OptionDraft("A", f"Right {index}", 1.0, "Right."),
                OptionDraft("B", f"Wrong {index}", 0.0, "Wrong."),
            ],
            irt=IrtDraft(a=a, b=b, c=0.0, provenance="calibrated"),
        )
        params[question_create(bank=cast.bank, draft=draft).pk] = (a, b)
    return params


def test_adaptive_estimates_rank_like_true_abilities(cast: Cast) -> None:
    params = calibrated_bank(cast)
    quiz = quiz_create(
        course=cast.course,
        bank=cast.bank,
        title="Adaptive",
        mode=Quiz.Mode.ADAPTIVE,
        status=Quiz.Status.PUBLISHED,
        max_items=20,
        min_items=10,
        se_target=0.35,
        exposure="randomesque",
        blueprint={"mitral": 0.5, "aortic": 0.5},
    )
    rng = random.Random(2026)
    estimates, lengths = [], []
    for index, ability in enumerate(TRUE_ABILITIES):
        learner = user_ensure(username=f"sim-{index}")
        membership_set(course=cast.course, user=learner, role="learner")
        client = client_for(learner)
        attempt = client.post(f"/api/v1/quizzes/{quiz.pk}/attempts/").json()
        answered = 0
        while True:
            body = client.get(f"/api/v1/attempts/{attempt['id']}/next/").json()
            if body["item"] is None:
                break
            item = body["item"]
            a, b = params[item["id"]]
            correct = rng.random() < 1 / (1 + math.exp(-a * (ability - b)))
            wanted = "Right" if correct else "Wrong"
            option = next(o["id"] for o in item["options"] if o["text"].startswith(wanted))
            answered += 1
            response = client.post(
                f"/api/v1/attempts/{attempt['id']}/responses/",
                {"item": item["id"], "answer": {"option": option}, "key": f"s{answered}"},
                format="json",
            )
            assert response.status_code == 201
            assert answered <= 20
        result = client.get(f"/api/v1/attempts/{attempt['id']}/result/").json()
        assert result["state"] == "finished"
        assert result["standard_error"] is not None
        estimates.append(result["ability"])
        lengths.append(answered)
    correlation = spearmanr(TRUE_ABILITIES, estimates).statistic
    assert correlation >= 0.8, (estimates, lengths)
    assert all(10 <= n <= 20 for n in lengths)
    # Every served revision is frozen (immutable from now on).
    served = AttemptItem.objects.filter(attempt__quiz=quiz).values_list("revision_id", flat=True)
    assert not QuestionRevision.objects.filter(pk__in=served, served_at__isnull=True).exists()
