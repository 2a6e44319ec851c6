"""The synthetic cohort generator (quizzes.services.synthetic.synthetic_cohort_create and
``manage.py make_synthetic_cohort``): counts, determinism, responses a delivery would have
written, and --replace. Runs on SQLite (bulk inserts) and PostgreSQL (COPY)."""

from __future__ import annotations

from collections import Counter
from io import StringIO
from typing import Any

import numpy as np
import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection

from quizzes import scoring
from quizzes.exceptions import Conflict, ValidationFailed
from quizzes.models import (
    Attempt,
    AttemptItem,
    Bank,
    Grade,
    GradeOutbox,
    Institution,
    Membership,
    Question,
    QuestionRevision,
    Quiz,
    Response,
)
from quizzes.presentation import translate_answer
from quizzes.services.synthetic import COHORT_EXISTS, synthetic_cohort_create
from tests.conftest import Cast

SMALL = {"learners": 50, "items": 30, "per_learner": 15}


def make(**overrides: Any) -> Any:
    return synthetic_cohort_create(**(SMALL | {"seed": 7, "second_attempts": 0.1} | overrides))


def responses_of(slug: str) -> list[tuple[Any, ...]]:
    """The cohort's responses, in a form free of database ids."""
    return sorted(
        Response.objects.filter(attempt__quiz__course__institution__slug=slug).values_list(
            "attempt__learner__username",
            "attempt__number",
            "item__position",
            "item__revision__question__external_id",
            "fraction",
            "answer",
            "submitted_at",
        ),
        key=lambda row: row[:3],
    )


@pytest.mark.django_db
def test_it_creates_the_stated_counts() -> None:
    summary = make()

    quiz = summary.quizzes[0]
    attempts = Attempt.objects.filter(quiz=quiz)
    second = attempts.filter(number=2).count()
    assert 0 < second < SMALL["learners"]  # about 10%: a few learners came back
    assert attempts.filter(number=1).count() == SMALL["learners"]
    assert summary.attempts == attempts.count() == SMALL["learners"] + second
    assert summary.responses == Response.objects.filter(attempt__quiz=quiz).count()
    assert summary.responses == (SMALL["learners"] + second) * SMALL["per_learner"]
    assert AttemptItem.objects.filter(attempt__quiz=quiz).count() == summary.responses
    assert summary.grades == Grade.objects.filter(quiz=quiz).count() == SMALL["learners"]
    assert summary.outbox == GradeOutbox.objects.filter(grade__quiz=quiz).count()
    assert summary.outbox == summary.attempts  # every finish changed attempts_counted
    assert summary.learners == SMALL["learners"]
    members = Membership.objects.filter(course=summary.course)
    assert members.filter(role=Membership.Role.LEARNER).count() == SMALL["learners"]
    assert members.filter(role=Membership.Role.INSTRUCTOR).count() == 1
    assert (
        Question.objects.filter(bank=summary.bank, status=Question.Status.PUBLISHED).count()
        == SMALL["items"]
    )
    assert (quiz.mode, quiz.length, quiz.blueprint) == (Quiz.Mode.BLUEPRINT, 15, {})
    assert quiz.status == Quiz.Status.PUBLISHED
    assert not QuestionRevision.objects.filter(
        question__bank=summary.bank, served_at__isnull=True
    ).exists()


@pytest.mark.django_db
def test_the_outbox_has_a_mix_of_statuses_and_earlier_rows_are_delivered() -> None:
    summary = make(learners=200)

    statuses = Counter(
        GradeOutbox.objects.filter(grade__quiz=summary.quizzes[0]).values_list("status", flat=True)
    )
    assert set(statuses) == {"delivered", "pending", "failed", "skipped"}
    assert statuses["delivered"] > statuses["pending"] > 0
    assert {k: v for k, v in summary.outbox_statuses.items() if v} == dict(statuses)
    for grade in Grade.objects.filter(quiz=summary.quizzes[0], attempts_counted=2):
        rows = list(grade.outbox.order_by("timestamp"))
        assert len(rows) == 2
        assert rows[0].status == "delivered"
        assert rows[1].score_given == grade.percent
    failed = GradeOutbox.objects.filter(grade__quiz=summary.quizzes[0], status="failed").first()
    assert failed is not None
    assert failed.last_error
    assert failed.delivered_at is None
    delivered = GradeOutbox.objects.filter(status="delivered").first()
    assert delivered is not None
    assert delivered.delivered_at is not None


@pytest.mark.django_db
def test_the_responses_are_what_delivery_would_have_written() -> None:
    summary = make()
    quiz = summary.quizzes[0]

    items = AttemptItem.objects.filter(attempt__quiz=quiz).select_related(
        "response", "revision__question"
    )
    revisions = {
        revision.pk: revision.as_draft()
        for revision in QuestionRevision.objects.filter(question__bank=summary.bank)
        .select_related("question")
        .prefetch_related("options")
    }
    checked = 0
    for item in items:
        response = item.response  # one response per item (OneToOne: at most one)
        assert response.attempt_id == item.attempt_id
        assert response.fraction in (0.0, 1.0)
        assert set(response.answer) == {"public", "author"}
        # The public answer translates through the item's presentation to the author's,
        # and scoring the author's answer gives the stored fraction.
        author = translate_answer(item.presentation, "single", response.answer["public"])
        assert author == response.answer["author"]
        result = scoring.score_answer(revisions[item.revision_id], author)
        assert result.fraction == response.fraction
        assert {o["id"] for o in item.presentation["view"]["options"]} == set(
            item.presentation["ids"]
        )
        assert item.served_at <= response.submitted_at
        checked += 1
    assert checked == summary.responses

    for attempt in Attempt.objects.filter(quiz=quiz).prefetch_related("responses", "items"):
        fractions = [r.fraction for r in attempt.responses.all()]
        positions = sorted(i.position for i in attempt.items.all())
        assert positions == list(range(1, SMALL["per_learner"] + 1))
        assert len({i.revision_id for i in attempt.items.all()}) == SMALL["per_learner"]
        assert attempt.state == Attempt.State.FINISHED
        assert attempt.finish_reason == Attempt.FinishReason.COMPLETED
        assert attempt.score == sum(fractions)
        assert attempt.max_score == SMALL["per_learner"]
        assert attempt.percent == pytest.approx(100 * attempt.score / SMALL["per_learner"])
        assert attempt.passed == (attempt.percent >= quiz.pass_mark)
        assert attempt.finished_at is not None
        assert attempt.finished_at >= max(r.submitted_at for r in attempt.responses.all())

    for grade in Grade.objects.filter(quiz=quiz):
        mine = list(Attempt.objects.filter(quiz=quiz, learner_id=grade.learner_id))
        best = max(mine, key=lambda a: (a.percent or 0.0, -a.number))
        assert grade.attempts_counted == len(mine)
        assert grade.percent == round(best.percent or 0.0, 4)  # as grade_update rounds
        assert grade.passed == best.passed


@pytest.mark.django_db
def test_answers_follow_the_2pl_harder_items_are_answered_right_less_often() -> None:
    summary = make(learners=300, second_attempts=0.0)

    by_item: dict[float, list[float]] = {}
    for b, fraction in Response.objects.filter(attempt__quiz=summary.quizzes[0]).values_list(
        "item__revision__irt_b", "fraction"
    ):
        by_item.setdefault(b, []).append(fraction)
    difficulty = np.array(list(by_item))
    facility = np.array([np.mean(v) for v in by_item.values()])
    # b ~ U(-2.5, 2.5) over 30 items, ~150 answers each: facility falls with b.
    assert np.corrcoef(difficulty, facility)[0, 1] < -0.8
    overall = Response.objects.filter(attempt__quiz=summary.quizzes[0]).values_list(
        "fraction", flat=True
    )
    assert 0.35 < np.mean(list(overall)) < 0.65


@pytest.mark.django_db
def test_it_is_deterministic_for_a_seed() -> None:
    make()
    first = responses_of("synthetic")
    make(replace=True)
    again = responses_of("synthetic")
    make(replace=True, seed=8)
    other = responses_of("synthetic")

    assert len(first) == len(again) > 0
    assert first == again
    assert [row[4] for row in other] != [row[4] for row in first[: len(other)]]


@pytest.mark.django_db
def test_further_quizzes_have_grades_and_attempts_without_responses() -> None:
    summary = make(quizzes=3)

    assert len(summary.quizzes) == 3
    assert summary.grades == 3 * SMALL["learners"]
    assert Grade.objects.filter(quiz__course=summary.course).count() == 3 * SMALL["learners"]
    for quiz in summary.quizzes[1:]:
        assert Attempt.objects.filter(quiz=quiz).count() == SMALL["learners"]
        assert not Response.objects.filter(attempt__quiz=quiz).exists()
        assert Grade.objects.filter(quiz=quiz).count() == SMALL["learners"]
    assert summary.responses == Response.objects.filter(attempt__quiz=summary.quizzes[0]).count()


@pytest.mark.django_db
def test_it_refuses_an_existing_cohort_and_replace_rebuilds_it(cast: Cast) -> None:
    summary = make()
    with pytest.raises(Conflict, match="exists already") as refused:
        make()
    assert refused.value.code == COHORT_EXISTS

    rebuilt = make(replace=True, learners=20)

    assert Institution.objects.filter(slug="synthetic").count() == 1
    assert not Quiz.objects.filter(pk=summary.quizzes[0].pk).exists()
    assert not Bank.objects.filter(pk=summary.bank.pk).exists()
    assert User.objects.filter(username__startswith="synthetic-learner-").count() == 20
    assert Attempt.objects.filter(quiz__course__institution__slug="synthetic").count() == (
        rebuilt.attempts
    )
    assert Response.objects.filter(
        attempt__quiz__course__institution__slug="synthetic"
    ).count() == (rebuilt.responses)
    # Nobody else's rows were touched.
    assert Institution.objects.filter(pk=cast.institution.pk).exists()
    assert User.objects.filter(username__in=["alice", "bob", "charlie", "dave"]).count() == 4
    assert Bank.objects.filter(pk=cast.bank.pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"per_learner": 31}, "per_learner must be between 1 and items"),
        ({"learners": 0}, "learners must be at least 1"),
        ({"quizzes": 0}, "quizzes must be at least 1"),
        ({"second_attempts": 1.5}, "second_attempts must be a share"),
    ],
)
def test_it_refuses_bad_sizes(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationFailed, match=message):
        make(**overrides)
    assert not Institution.objects.filter(slug="synthetic").exists()


@pytest.mark.django_db
def test_the_command_creates_refuses_and_replaces() -> None:
    args = ["--learners", "20", "--items", "12", "--per-learner", "6", "--seed", "3"]
    out = StringIO()
    call_command("make_synthetic_cohort", *args, "--slug", "cmd", stdout=out)
    assert "20 learners" in out.getvalue()
    assert Response.objects.filter(attempt__quiz__course__institution__slug="cmd").exists()

    with pytest.raises(CommandError, match=COHORT_EXISTS):
        call_command("make_synthetic_cohort", *args, "--slug", "cmd", stdout=StringIO())
    with pytest.raises(CommandError, match="per_learner must be between"):
        call_command(
            "make_synthetic_cohort", *args[:4], "--per-learner", "13", "--slug", "x", stdout=out
        )

    out = StringIO()
    call_command(
        "make_synthetic_cohort", *args, "--slug", "cmd", "--replace", "--quizzes", "2", stdout=out
    )
    assert "2 quiz(zes)" in out.getvalue()
    assert Quiz.objects.filter(course__institution__slug="cmd").count() == 2
    assert Grade.objects.filter(quiz__course__institution__slug="cmd").count() == 40


def foreign_keys() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid IN "
            "('quizzes_response'::regclass, 'quizzes_attemptitem'::regclass) ORDER BY conname"
        )
        return [(str(name), str(definition)) for name, definition in cursor.fetchall()]


@pytest.mark.postgres
@pytest.mark.django_db
def test_on_postgresql_the_foreign_keys_come_back_after_the_copy() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...)")
    before = foreign_keys()
    assert len(before) == 4

    make()
    make(replace=True)

    assert foreign_keys() == before
