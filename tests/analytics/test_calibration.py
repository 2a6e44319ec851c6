"""Calibration from live responses (quizzes/analytics/calibration.py): simulated 2PL
responses written through the database, then recovered by ``bank_calibrate``."""

from __future__ import annotations

import itertools
from datetime import timedelta
from io import StringIO
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Field, Model
from django.utils import timezone

from quizzes.analytics import calibration
from quizzes.analytics.calibration import (
    MESSAGE_NO_RESPONSES,
    MESSAGE_NOTHING_READY,
    MESSAGE_SUPERSEDED,
    bank_calibrate,
    banks_calibrate_due,
)
from quizzes.engine.calibration import calibrate
from quizzes.exceptions import ValidationFailed
from quizzes.models import (
    Attempt,
    AttemptItem,
    Bank,
    CalibrationRun,
    ItemCalibration,
    QuestionRevision,
    Quiz,
    Response,
)
from quizzes.selectors.delivery import engine_bank
from quizzes.services.synthetic import synthetic_items_create
from quizzes.tasks import calibrate_banks
from tests.conftest import Cast
from tests.factories import BankFactory, InstitutionFactory, QuizFactory

pytestmark = pytest.mark.django_db

_batch = itertools.count(1)


def bank_items(bank: Bank, size: int, *, seed: int) -> list[QuestionRevision]:
    """``size`` synthetic published items (a ~ U(0.8, 2.2), b ~ U(-2.5, 2.5)), by pk."""
    synthetic_items_create(bank=bank, size=size, topics=["valves"], seed=seed)
    return list(QuestionRevision.objects.filter(question__bank=bank).order_by("pk"))


def simulate(
    revisions: list[QuestionRevision], thetas: npt.NDArray[np.float64], rng: np.random.Generator
) -> npt.NDArray[np.bool_]:
    """Correct (True) or not, items x persons, by the revisions' stored 2PL parameters."""
    a = np.array([r.irt_a for r in revisions])
    b = np.array([r.irt_b for r in revisions])
    p = 1 / (1 + np.exp(-a[:, None] * (thetas[None, :] - b[:, None])))
    correct: npt.NDArray[np.bool_] = rng.random(p.shape) < p
    return correct


def write_attempts(
    *,
    quiz: Quiz,
    revisions: list[QuestionRevision],
    correct: npt.NDArray[np.bool_],
    answered: npt.NDArray[np.bool_] | None = None,
    state: str = Attempt.State.FINISHED,
) -> list[Attempt]:
    """One attempt per column of ``correct`` with a response to every answered item.

    Full credit is written as 1.0 or 0.9995 and no credit as 0.0 or 0.5 (partial credit):
    the calibration must score >= 0.999 as right and everything else as wrong."""
    n_items, n_persons = correct.shape
    answered = np.ones_like(correct) if answered is None else answered
    batch = next(_batch)
    learners = User.objects.bulk_create(
        [User(username=f"sim-{batch}-{i}", password="!") for i in range(20)]
    )
    now = timezone.now()
    no_answer: dict[str, Any] = {}
    finished = state == Attempt.State.FINISHED
    attempts = Attempt.objects.bulk_create(
        [
            Attempt(
                quiz=quiz,
                learner=learners[person % len(learners)],
                number=person // len(learners) + 1,
                state=state,
                started_at=now - timedelta(minutes=20),
                finished_at=now if finished else None,
                finish_reason=Attempt.FinishReason.COMPLETED if finished else "",
            )
            for person in range(n_persons)
        ],
        batch_size=2000,
    )
    cells = [
        (item, person)
        for person in range(n_persons)
        for item in range(n_items)
        if answered[item, person]
    ]
    # Tens of thousands of rows: inserted with executemany (model instances would take
    # seconds), values prepared by the fields themselves so any backend takes them.
    insert_rows(
        AttemptItem,
        ["attempt", "position", "revision", "presentation", "served_at", "flagged"],
        [
            (attempts[person].pk, item + 1, revisions[item].pk, no_answer, now, False)
            for item, person in cells
        ],
    )
    item_pk = {
        (attempt_id, position): pk
        for pk, attempt_id, position in AttemptItem.objects.filter(
            attempt__in=[a.pk for a in attempts]
        ).values_list("pk", "attempt_id", "position")
    }
    insert_rows(
        Response,
        ["attempt", "item", "key", "answer", "fraction", "submitted_at"],
        [
            (
                attempts[person].pk,
                item_pk[attempts[person].pk, item + 1],
                f"k{item}",
                no_answer,
                (1.0 if (item + person) % 3 else 0.9995)
                if correct[item, person]
                else (0.0 if (item + person) % 4 else 0.5),
                now,
            )
            for item, person in cells
        ],
    )
    return attempts


def insert_rows(model: type[Model], names: list[str], rows: list[tuple[Any, ...]]) -> None:
    fields = [model._meta.get_field(name) for name in names]
    assert all(isinstance(field, Field) for field in fields)
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)  # type: ignore[union-attr,arg-type]
    placeholders = ", ".join(["%s"] * len(fields))
    table = connection.ops.quote_name(model._meta.db_table)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"
    # Plain numbers and text go as they are; other values (datetimes, JSON) are prepared by
    # their field, once per distinct object (rows share them).
    memo: dict[tuple[int, int], Any] = {}

    def prepare(index: int, value: Any) -> Any:
        if isinstance(value, int | float | str):
            return value
        key = (index, id(value))
        if key not in memo:
            memo[key] = fields[index].get_db_prep_save(value, connection)  # type: ignore[union-attr]
        return memo[key]

    prepared = [[prepare(index, value) for index, value in enumerate(row)] for row in rows]
    with connection.cursor() as cursor:
        cursor.executemany(sql, prepared)


def rmse(estimate: npt.ArrayLike, truth: npt.ArrayLike) -> float:
    difference = np.asarray(estimate, dtype=float) - np.asarray(truth, dtype=float)
    return float(np.sqrt(np.mean(difference**2)))


def params(revisions: list[QuestionRevision]) -> tuple[npt.NDArray[np.float64], ...]:
    fresh = {r.pk: r for r in QuestionRevision.objects.filter(pk__in=[r.pk for r in revisions])}
    ordered = [fresh[r.pk] for r in revisions]
    return np.array([r.irt_a for r in ordered]), np.array([r.irt_b for r in ordered])


@pytest.fixture
def quiz(cast: Cast) -> Quiz:
    return QuizFactory.create(course=cast.course, bank=cast.bank)


def test_recovers_the_generating_2pl_parameters_as_the_engine_does(cast: Cast, quiz: Quiz):
    revisions = bank_items(cast.bank, 24, seed=5)
    true_a, true_b = params(revisions)
    rng = np.random.default_rng(21)
    correct = simulate(revisions, rng.normal(0, 1, 1500), rng)
    write_attempts(quiz=quiz, revisions=revisions, correct=correct)

    run = bank_calibrate(cast.bank, min_responses=200)

    assert run.status == CalibrationRun.Status.APPLIED, run.message
    assert (run.persons, run.responses, run.anchors) == (1500, 36000, 0)
    assert (run.items_updated, run.items_waiting) == (24, 0)
    assert (run.latent_mean, run.latent_sd) == (0.0, 1.0)  # the first run sets the scale
    a, b = params(revisions)
    # The same matrix (items by revision pk, persons by attempt pk, >= 0.999 is right)
    # given to the engine directly gives the same parameters.
    direct = calibrate(correct.astype(float))
    assert run.converged == direct.converged
    assert np.allclose(a, direct.a, atol=1e-9)
    assert np.allclose(b, direct.b, atol=1e-9)
    # This seed gives RMSE a 0.144, b 0.172 (printed; docs/analytics.md quotes it).
    print(f"RMSE a {rmse(a, true_a):.3f}, b {rmse(b, true_b):.3f}")
    assert rmse(a, true_a) < 0.25
    assert rmse(b, true_b) < 0.2
    stored = QuestionRevision.objects.get(pk=revisions[0].pk)
    assert (stored.irt_provenance, stored.irt_responses, stored.irt_c) == (
        "calibrated:1500",
        1500,
        0.0,
    )
    rows = list(ItemCalibration.objects.filter(run=run).order_by("revision_id"))
    assert len(rows) == 24
    assert all(row.applied and not row.anchored and row.responses == 1500 for row in rows)
    assert [row.previous_b for row in rows] == pytest.approx(list(true_b))
    assert {row.previous_provenance for row in rows} == {"synthetic"}
    assert np.allclose([float(row.b_se or 0) for row in rows], direct.b_standard_error)
    assert all(row.c_se is None for row in rows)  # not estimated by the 2PL


def test_anchors_keep_the_scale_and_recalibrate_resets_it(cast: Cast, quiz: Quiz):
    revisions = bank_items(cast.bank, 24, seed=6)
    true_a, true_b = params(revisions)
    anchors, new = revisions[:12], revisions[12:]
    QuestionRevision.objects.filter(pk__in=[r.pk for r in anchors]).update(
        irt_provenance="calibrated:900"
    )
    # The new items start from an educator's flat prior.
    QuestionRevision.objects.filter(pk__in=[r.pk for r in new]).update(
        irt_a=1.0, irt_b=0.0, irt_provenance="prior"
    )
    rng = np.random.default_rng(22)
    # The live population is abler than the one that calibrated the anchors.
    true_rev = [
        QuestionRevision(irt_a=float(x), irt_b=float(y))
        for x, y in zip(true_a, true_b, strict=True)
    ]
    correct = simulate(true_rev, rng.normal(0.5, 1, 1500), rng)
    write_attempts(quiz=quiz, revisions=revisions, correct=correct)

    run = bank_calibrate(cast.bank, min_responses=200)

    assert run.status == CalibrationRun.Status.APPLIED, run.message
    assert (run.anchors, run.items_updated) == (12, 12)
    assert run.latent_mean == pytest.approx(0.5, abs=0.1)
    a, b = params(revisions)
    assert np.array_equal(a[:12], true_a[:12])
    assert np.array_equal(b[:12], true_b[:12])
    assert abs(float(np.mean(b[12:] - true_b[12:]))) < 0.1  # on the anchors' scale
    assert rmse(b[12:], true_b[12:]) < 0.2
    assert rmse(a[12:], true_a[12:]) < 0.25
    anchored_rows = ItemCalibration.objects.filter(run=run, anchored=True)
    assert anchored_rows.count() == 12
    assert not anchored_rows.filter(applied=True).exists()
    assert not anchored_rows.filter(b_se__isnull=False).exists()

    # recalibrate frees every item: the population is then N(0, 1), so every b shifts by
    # about -0.5 from the anchors' scale; the anchored run's rows stay as history.
    again = bank_calibrate(cast.bank, min_responses=200, recalibrate=True)
    assert (again.anchors, again.items_updated) == (0, 24)
    _, b_again = params(revisions)
    assert float(np.mean(b_again - true_b)) < -0.3
    first = ItemCalibration.objects.get(run=again, revision=revisions[0])
    assert first.previous_b == true_b[0]
    assert first.previous_provenance == "calibrated:900"
    assert ItemCalibration.objects.filter(revision=revisions[0]).count() == 2
    assert CalibrationRun.objects.filter(bank=cast.bank).count() == 2


def test_items_below_the_threshold_wait_and_other_data_stays_out(cast: Cast, quiz: Quiz):
    revisions = bank_items(cast.bank, 9, seed=7)
    rng = np.random.default_rng(23)
    correct = simulate(revisions, rng.normal(0, 1, 300), rng)
    answered = np.ones_like(correct)
    answered[6:, 120:] = False  # the last three items: 120 responses each
    write_attempts(quiz=quiz, revisions=revisions, correct=correct, answered=answered)
    # Neither unfinished attempts of this bank nor another institution's bank count.
    write_attempts(
        quiz=quiz, revisions=revisions, correct=correct[:, :50], state=Attempt.State.IN_PROGRESS
    )
    foreign_quiz = QuizFactory.create(course=cast.foreign_course, bank=cast.foreign_bank)
    foreign = bank_items(cast.foreign_bank, 3, seed=8)
    write_attempts(
        quiz=foreign_quiz, revisions=foreign, correct=simulate(foreign, rng.normal(0, 1, 300), rng)
    )
    before = {r.pk: (r.irt_a, r.irt_b, r.irt_provenance) for r in revisions[6:] + foreign}

    run = bank_calibrate(cast.bank, min_responses=200)

    assert run.status == CalibrationRun.Status.APPLIED, run.message
    assert (run.items_updated, run.items_waiting) == (6, 3)
    assert (run.persons, run.responses) == (300, 6 * 300)
    after = {
        r.pk: (r.irt_a, r.irt_b, r.irt_provenance)
        for r in QuestionRevision.objects.filter(pk__in=list(before))
    }
    assert after == before
    assert not ItemCalibration.objects.filter(revision_id__in=list(before)).exists()
    assert set(ItemCalibration.objects.values_list("revision_id", flat=True)) == {
        r.pk for r in revisions[:6]
    }
    assert not CalibrationRun.objects.filter(bank=cast.foreign_bank).exists()


def test_history_is_kept_when_waiting_items_become_ready(cast: Cast, quiz: Quiz):
    revisions = bank_items(cast.bank, 9, seed=9)
    rng = np.random.default_rng(24)
    correct = simulate(revisions, rng.normal(0, 1, 300), rng)
    answered = np.ones_like(correct)
    answered[6:, 150:] = False
    write_attempts(quiz=quiz, revisions=revisions, correct=correct, answered=answered)
    first = bank_calibrate(cast.bank, min_responses=200)
    assert (first.items_updated, first.items_waiting) == (6, 3)
    first_b = {row.revision_id: row.b for row in ItemCalibration.objects.filter(run=first)}

    write_attempts(
        quiz=quiz, revisions=revisions, correct=simulate(revisions, rng.normal(0, 1, 300), rng)
    )
    second = bank_calibrate(cast.bank, min_responses=200)

    assert second.status == CalibrationRun.Status.APPLIED, second.message
    assert (second.anchors, second.items_updated, second.items_waiting) == (6, 3, 0)
    assert ItemCalibration.objects.filter(run=first).count() == 6  # never deleted
    for revision in revisions[:6]:
        history = list(ItemCalibration.objects.filter(revision=revision).order_by("run_id"))
        assert [(row.applied, row.anchored) for row in history] == [(True, False), (False, True)]
        assert history[1].b == first_b[revision.pk]
    waiting = QuestionRevision.objects.get(pk=revisions[8].pk)
    assert waiting.irt_provenance == "calibrated:450"
    assert waiting.irt_responses == 450


def test_nothing_ready_and_failed_runs_are_recorded_and_change_nothing(cast: Cast, quiz: Quiz):
    empty = bank_calibrate(cast.bank)
    assert (empty.status, empty.message) == (
        CalibrationRun.Status.NOTHING_READY,
        MESSAGE_NO_RESPONSES,
    )
    assert empty.min_responses == 200  # the QUIZZES default

    revisions = bank_items(cast.bank, 3, seed=10)
    rng = np.random.default_rng(25)
    write_attempts(
        quiz=quiz, revisions=revisions, correct=simulate(revisions, rng.normal(0, 1, 1), rng)
    )
    waiting = bank_calibrate(cast.bank, min_responses=2)
    assert waiting.status == CalibrationRun.Status.NOTHING_READY
    assert waiting.message == MESSAGE_NOTHING_READY.format(min=2)
    assert waiting.items_waiting == 3

    before = bank_items_state(revisions)
    failed = bank_calibrate(cast.bank, min_responses=1)  # one person: the engine refuses
    assert failed.status == CalibrationRun.Status.FAILED
    assert "at least 2 persons" in failed.message
    assert failed.finished_at is not None
    assert bank_items_state(revisions) == before
    assert not ItemCalibration.objects.exists()
    assert CalibrationRun.objects.filter(bank=cast.bank).count() == 3


def bank_items_state(revisions: list[QuestionRevision]) -> list[tuple[float, float, str]]:
    return list(
        QuestionRevision.objects.filter(pk__in=[r.pk for r in revisions])
        .order_by("pk")
        .values_list("irt_a", "irt_b", "irt_provenance")
    )


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"model": "4pl"}, "invalid_model"),
        ({"min_responses": 0}, "invalid_min_responses"),
        ({"min_responses": -5}, "invalid_min_responses"),
        ({"trigger": "cron"}, "invalid_trigger"),
    ],
)
def test_bad_arguments_are_refused_and_record_nothing(cast: Cast, kwargs, code):
    with pytest.raises(ValidationFailed) as error:
        bank_calibrate(cast.bank, **kwargs)
    assert error.value.code == code
    assert not CalibrationRun.objects.exists()


def test_banks_calibrate_due_runs_only_banks_with_new_data(cast: Cast, quiz: Quiz):
    revisions = bank_items(cast.bank, 4, seed=11)
    rng = np.random.default_rng(26)
    idle = BankFactory.create(institution=cast.institution, title="Idle")
    bank_items(idle, 2, seed=12)  # items, no responses
    write_attempts(
        quiz=quiz, revisions=revisions, correct=simulate(revisions, rng.normal(0, 1, 250), rng)
    )

    runs = banks_calibrate_due()
    assert [(run.bank_id, run.trigger, run.status) for run in runs] == [
        (cast.bank.pk, "schedule", CalibrationRun.Status.APPLIED)
    ]
    assert banks_calibrate_due() == []  # nothing newer than that run

    # An unfinished attempt is not new data; a finished one is.
    write_attempts(
        quiz=quiz,
        revisions=revisions,
        correct=simulate(revisions, rng.normal(0, 1, 5), rng),
        state=Attempt.State.IN_PROGRESS,
    )
    assert banks_calibrate_due() == []
    write_attempts(
        quiz=quiz, revisions=revisions, correct=simulate(revisions, rng.normal(0, 1, 5), rng)
    )
    # The periodic task runs the same function.
    assert calibrate_banks.call() == {
        "runs": [{"bank": cast.bank.pk, "status": "nothing_ready"}]  # all four are anchors now
    }
    assert calibrate_banks.call() == {"runs": []}
    assert not CalibrationRun.objects.filter(bank=idle).exists()


def test_a_run_whose_revisions_changed_meanwhile_stands_down(
    cast: Cast, quiz: Quiz, monkeypatch: pytest.MonkeyPatch
):
    revisions = bank_items(cast.bank, 4, seed=16)
    rng = np.random.default_rng(29)
    write_attempts(
        quiz=quiz, revisions=revisions, correct=simulate(revisions, rng.normal(0, 1, 250), rng)
    )
    fit = calibration.calibrate

    def fit_while_another_run_applies(*args: Any, **kwargs: Any) -> Any:
        result = fit(*args, **kwargs)
        QuestionRevision.objects.filter(pk=revisions[0].pk).update(
            irt_a=1.3, irt_provenance="calibrated:250"
        )
        return result

    monkeypatch.setattr(calibration, "calibrate", fit_while_another_run_applies)
    before = bank_items_state(revisions)
    run = bank_calibrate(cast.bank, min_responses=200)
    assert (run.status, run.message) == (CalibrationRun.Status.FAILED, MESSAGE_SUPERSEDED)
    assert bank_items_state(revisions)[1:] == before[1:]
    assert not ItemCalibration.objects.exists()


def test_the_delivery_cache_sees_the_new_parameters(cast: Cast, quiz: Quiz):
    revisions = bank_items(cast.bank, 6, seed=13)
    rng = np.random.default_rng(27)
    write_attempts(
        quiz=quiz, revisions=revisions, correct=simulate(revisions, rng.normal(0, 1, 400), rng)
    )
    cached = engine_bank(Bank.objects.get(pk=cast.bank.pk))
    assert list(cached.items.b) == [r.irt_b for r in revisions]

    bank_calibrate(cast.bank, min_responses=200)

    fresh = engine_bank(Bank.objects.get(pk=cast.bank.pk))
    _, new_b = params(revisions)
    position = {item_id: index for index, item_id in enumerate(fresh.items.ids)}
    assert [fresh.items.b[position[str(r.pk)]] for r in revisions] == list(new_b)
    assert list(new_b) != [r.irt_b for r in revisions]


def test_command_prints_a_summary(cast: Cast, quiz: Quiz):
    revisions = bank_items(cast.bank, 4, seed=14)
    rng = np.random.default_rng(28)
    write_attempts(
        quiz=quiz, revisions=revisions, correct=simulate(revisions, rng.normal(0, 1, 250), rng)
    )
    out = StringIO()
    call_command(
        "calibrate_bank", "--bank", str(cast.bank.pk), "--min-responses", "200", stdout=out
    )
    run = CalibrationRun.objects.get()
    assert out.getvalue().strip() == (
        f"Bank {cast.bank.pk} (Valves): applied; 4 items updated, 0 anchors, 0 waiting for "
        f"200 responses; 250 attempts, 1000 responses (run {run.pk})."
    )
    out = StringIO()
    call_command(
        "calibrate_bank", "--bank", "Valves", "--institution", "one", "--recalibrate", stdout=out
    )
    assert "applied; 4 items updated" in out.getvalue()
    assert CalibrationRun.objects.filter(bank=cast.bank).count() == 2


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--bank", "999999"], "No bank with id 999999."),
        (["--bank", "Nope"], "No bank titled 'Nope'."),
        (["--bank", "Valves", "--institution", "two"], "No bank titled 'Valves' in institution"),
        (["--bank", "Shared"], "Several banks are titled 'Shared'"),
        (["--bank", "Valves", "--min-responses", "0"], "invalid_min_responses"),
        (["--bank", "Valves", "--min-responses", "many"], "invalid int value"),
        (["--bank", "Valves", "--model", "4pl"], "invalid choice"),
        (["--bank", "Valves", "--min-responses", "1"], "failed"),
    ],
)
def test_command_refuses_bad_arguments(cast: Cast, quiz: Quiz, argv, message):
    BankFactory.create(institution=cast.institution, title="Shared")
    BankFactory.create(institution=InstitutionFactory.create(slug="three"), title="Shared")
    revisions = bank_items(cast.bank, 2, seed=15)
    write_attempts(quiz=quiz, revisions=revisions, correct=np.ones((2, 1), dtype=bool))
    with pytest.raises(CommandError, match=message):
        call_command("calibrate_bank", *argv, stdout=StringIO())
    assert not CalibrationRun.objects.exclude(status=CalibrationRun.Status.FAILED).exists()
