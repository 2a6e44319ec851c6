"""Calibration of a bank's items from live responses (issue #9), and its history.

``bank_calibrate`` reads the responses of the bank's finished attempts, fits the engine's
marginal maximum likelihood calibration (``quizzes.engine.calibration.calibrate``) and
writes the new IRT parameters onto the revisions, with a ``CalibrationRun`` and one
``ItemCalibration`` per item of the fit as the record of where they came from.

- Persons are attempts (a learner who retakes a quiz is a new person: their ability may
  have changed), from every quiz on the bank, finished ones only; at most
  ``CALIBRATION_MAX_PERSONS`` of the most recent (the fit holds a dense matrix).
- Items are revisions: the parameters describe exactly the content that was served.
- Responses are scored dichotomously: a fraction >= 0.999 (full credit, allowing for
  rounding) is 1, anything less (partial credit included) is 0.
- A revision with fewer than ``min_responses`` responses is left out of the fit and keeps
  its parameters (``items_waiting``).
- Scale: revisions already calibrated from live data (``irt_provenance`` starting with
  "calibrated") are anchors: they keep their parameters and carry the scale, and the
  population's mean and SD are estimated, so newly calibrated items land on the same scale
  as the old ones and abilities stay comparable over time. With no anchors (the first run)
  the scale is set by the population: abilities ~ N(0, 1) over the attempts in the fit.
  An anchor is not re-estimated by later runs; ``recalibrate=True`` frees every item and
  resets the scale to the current population (use it after a curriculum change, knowing
  that earlier ability estimates are then on another scale).
- Applied estimates set ``irt_a``, ``irt_b``, ``irt_c``, ``irt_provenance`` =
  "calibrated:<n>" (the format of the exchange formats) and ``irt_responses`` = n. These
  are statistics about a revision, not its content, so a served revision takes them.
- Every call records a run, ``applied``, ``nothing_ready`` or ``failed`` (the engine
  refusing the data is a failed run with its message, not an exception). Old runs and rows
  are never deleted.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db import transaction
from django.db.models import DateTimeField, Exists, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from quizzes.conf import calibration_max_persons, calibration_min_responses
from quizzes.engine.calibration import MODELS, CalibrationResult, calibrate
from quizzes.exceptions import ValidationFailed
from quizzes.models import (
    Attempt,
    Bank,
    CalibrationRun,
    ItemCalibration,
    QuestionRevision,
    Response,
)
from quizzes.services.questions import bank_touch

logger = logging.getLogger(__name__)

FULL_CREDIT = 0.999
CALIBRATED_PREFIX = "calibrated"
TRIGGERS = ("command", "schedule", "api")
NEVER = Value(datetime(1970, 1, 1, tzinfo=UTC), output_field=DateTimeField())

CODE_INVALID_MODEL = "invalid_model"
CODE_INVALID_MIN_RESPONSES = "invalid_min_responses"
CODE_INVALID_TRIGGER = "invalid_trigger"

# Messages of runs (constants: tests and pages match on them).
MESSAGE_NO_RESPONSES = "No finished attempt has answered an item of this bank."
MESSAGE_NOTHING_READY = "No item without live parameters has {min} responses yet."
MESSAGE_SUPERSEDED = "Another calibration of this bank was applied while this one ran."
MESSAGE_NOT_FINITE = "The fit produced non-finite parameters."


def calibrated_provenance(responses: int) -> str:
    return f"{CALIBRATED_PREFIX}:{responses}"


@dataclass(frozen=True)
class _Data:
    """The responses of a bank: revision ids (rows), attempt ids (columns), and the
    observed (row, column, 0/1) triples."""

    revision_ids: npt.NDArray[np.int64]
    attempt_ids: npt.NDArray[np.int64]
    rows: npt.NDArray[np.int64]
    columns: npt.NDArray[np.int64]
    scores: npt.NDArray[np.float64]

    @property
    def counts(self) -> npt.NDArray[np.int64]:
        return np.bincount(self.rows, minlength=len(self.revision_ids))


def _gather(bank: Bank, max_persons: int) -> _Data:
    recent_attempts = (
        Attempt.objects.filter(quiz__bank=bank, state=Attempt.State.FINISHED)
        .order_by("-finished_at", "-pk")
        .values("pk")[:max_persons]
    )
    triples = list(
        Response.objects.filter(
            attempt__in=recent_attempts, item__revision__question__bank=bank
        ).values_list("item__revision_id", "attempt_id", "fraction")
    )
    if not triples:
        empty = np.zeros(0, dtype=np.int64)
        return _Data(empty, empty, empty, empty, np.zeros(0))
    table = np.array(triples, dtype=np.float64)
    revision_ids, rows = np.unique(table[:, 0].astype(np.int64), return_inverse=True)
    attempt_ids, columns = np.unique(table[:, 1].astype(np.int64), return_inverse=True)
    scores = (table[:, 2] >= FULL_CREDIT).astype(np.float64)
    return _Data(revision_ids, attempt_ids, rows.ravel(), columns.ravel(), scores)


def _validate(model: str, min_responses: int, trigger: str) -> None:
    if model not in MODELS:
        raise ValidationFailed(
            f"model must be one of {', '.join(MODELS)}.",
            code=CODE_INVALID_MODEL,
            fields={"model": [model]},
        )
    if isinstance(min_responses, bool) or not isinstance(min_responses, int) or min_responses < 1:
        raise ValidationFailed(
            "min_responses must be a whole number >= 1.",
            code=CODE_INVALID_MIN_RESPONSES,
            fields={"min_responses": [str(min_responses)]},
        )
    if trigger not in TRIGGERS:
        raise ValidationFailed(
            f"trigger must be one of {', '.join(TRIGGERS)}.",
            code=CODE_INVALID_TRIGGER,
            fields={"trigger": [trigger]},
        )


def bank_calibrate(
    bank: Bank,
    *,
    min_responses: int | None = None,
    model: str = "2pl",
    trigger: str = "command",
    recalibrate: bool = False,
    now: datetime | None = None,
) -> CalibrationRun:
    """Calibrate the bank's items from live responses; see the module docstring. Raises
    ValidationFailed for bad arguments (nothing recorded), else records and returns a run."""
    if min_responses is None:
        min_responses = calibration_min_responses()
    _validate(model, min_responses, trigger)
    started_at = now or timezone.now()
    run = CalibrationRun(
        bank=bank,
        started_at=started_at,
        trigger=trigger,
        model=model,
        min_responses=min_responses,
    )

    data = _gather(bank, calibration_max_persons())
    run.persons, run.responses = len(data.attempt_ids), len(data.scores)
    if not len(data.scores):
        return _finish(run, CalibrationRun.Status.NOTHING_READY, MESSAGE_NO_RESPONSES, now)

    current = {
        row["pk"]: row
        for row in QuestionRevision.objects.filter(pk__in=data.revision_ids.tolist()).values(
            "pk", "irt_a", "irt_b", "irt_c", "irt_provenance"
        )
    }
    counts = data.counts
    is_anchor = np.array(
        [
            not recalibrate and current[rid]["irt_provenance"].startswith(CALIBRATED_PREFIX)
            for rid in data.revision_ids.tolist()
        ],
        dtype=bool,
    )
    ready = counts >= min_responses
    free = ready & ~is_anchor
    run.items_waiting = int((~ready & ~is_anchor).sum())
    run.anchors = int(is_anchor.sum())
    if not free.any():
        message = MESSAGE_NOTHING_READY.format(min=min_responses)
        return _finish(run, CalibrationRun.Status.NOTHING_READY, message, now)

    # The fit: ready free items plus every anchor; attempts that answered none of them drop
    # out (they would only pull the estimated population towards its prior).
    fitted_rows = np.flatnonzero(free | is_anchor)
    row_in_fit = np.full(len(data.revision_ids), -1)
    row_in_fit[fitted_rows] = np.arange(len(fitted_rows))
    kept = row_in_fit[data.rows] >= 0
    person_columns, columns = np.unique(data.columns[kept], return_inverse=True)
    matrix = np.full((len(fitted_rows), len(person_columns)), -1.0)
    matrix[row_in_fit[data.rows[kept]], columns.ravel()] = data.scores[kept]
    fitted_ids = data.revision_ids[fitted_rows].tolist()
    anchors = {
        row: (
            float(current[rid]["irt_a"]),
            float(current[rid]["irt_b"]),
            float(current[rid]["irt_c"]),
        )
        for row, rid in enumerate(fitted_ids)
        if is_anchor[fitted_rows[row]]
    }
    run.persons, run.responses = len(person_columns), int(kept.sum())
    try:
        result = calibrate(matrix, model=model, anchors=anchors or None)
    except ValueError as error:
        return _finish(run, CalibrationRun.Status.FAILED, str(error), now)
    if not all(np.isfinite(values).all() for values in (result.a, result.b, result.c)):
        return _finish(run, CalibrationRun.Status.FAILED, MESSAGE_NOT_FINITE, now)
    run.latent_mean, run.latent_sd = result.latent_mean, result.latent_sd
    run.iterations, run.converged = result.iterations, result.converged
    responses_of = {rid: int(counts[row]) for row, rid in zip(fitted_rows, fitted_ids, strict=True)}
    read_state = {
        rid: (row["irt_a"], row["irt_b"], row["irt_c"], row["irt_provenance"])
        for rid, row in current.items()
    }
    return _apply(run, result, fitted_ids, responses_of, read_state, now)


def _finish(run: CalibrationRun, status: str, message: str, now: datetime | None) -> CalibrationRun:
    run.status = status
    run.message = message
    run.finished_at = now or timezone.now()
    run.save()
    return run


def _apply(
    run: CalibrationRun,
    result: CalibrationResult,
    fitted_ids: list[int],
    responses_of: dict[int, int],
    read_state: dict[int, tuple[float, float, float, str]],
    now: datetime | None,
) -> CalibrationRun:
    two_pl = run.model == "2pl"
    with transaction.atomic():
        # Concurrent runs of the bank (the command beside the schedule): the bank's row lock
        # serialises them, and a run whose revisions changed since it read them (another run
        # applied first, or an educator edited the parameters) stands down rather than
        # overwrite them with a fit made on stale anchors.
        Bank.objects.select_for_update().filter(pk=run.bank_id).first()
        revisions = {
            revision.pk: revision
            for revision in QuestionRevision.objects.select_for_update().filter(pk__in=fitted_ids)
        }
        if any(_state(revisions.get(rid)) != read_state[rid] for rid in fitted_ids):
            return _finish(run, CalibrationRun.Status.FAILED, MESSAGE_SUPERSEDED, now)
        rows: list[ItemCalibration] = []
        updated: list[QuestionRevision] = []
        for index, revision_id in enumerate(fitted_ids):
            revision = revisions[revision_id]
            anchored = bool(result.anchored[index])
            responses = responses_of[revision_id]
            rows.append(
                ItemCalibration(
                    revision=revision,
                    responses=responses,
                    anchored=anchored,
                    applied=not anchored,
                    a=float(result.a[index]),
                    b=float(result.b[index]),
                    c=float(result.c[index]),
                    a_se=None if anchored else _finite(result.a_standard_error[index]),
                    b_se=None if anchored else _finite(result.b_standard_error[index]),
                    c_se=None if anchored or two_pl else _finite(result.c_standard_error[index]),
                    fit_rmsd=_finite(result.fit_rmsd[index]),
                    misfit=bool(result.misfit[index]),
                    previous_a=revision.irt_a,
                    previous_b=revision.irt_b,
                    previous_c=revision.irt_c,
                    previous_provenance=revision.irt_provenance,
                )
            )
            if not anchored:
                revision.irt_a = float(result.a[index])
                revision.irt_b = float(result.b[index])
                revision.irt_c = float(result.c[index])
                revision.irt_provenance = calibrated_provenance(responses)
                revision.irt_responses = responses
                updated.append(revision)
        # Only the statistics fields: the content of a served revision stays frozen.
        QuestionRevision.objects.bulk_update(
            updated,
            ["irt_a", "irt_b", "irt_c", "irt_provenance", "irt_responses"],
            batch_size=1000,
        )
        run.items_updated = len(updated)
        message = (
            f"Updated {len(updated)} items against {run.anchors} anchors; "
            f"{run.items_waiting} waiting for {run.min_responses} responses."
        )
        if not result.converged:
            message += f" The fit stopped after {result.iterations} iterations unconverged."
        _finish(run, CalibrationRun.Status.APPLIED, message, now)
        for row in rows:
            row.run = run
        ItemCalibration.objects.bulk_create(rows, batch_size=1000)
        # The delivery cache keys the engine's arrays by content version: bump it.
        bank_touch(run.bank_id)
    return run


def _state(revision: QuestionRevision | None) -> tuple[float, float, float, str] | None:
    if revision is None:
        return None
    return (revision.irt_a, revision.irt_b, revision.irt_c, revision.irt_provenance)


def _finite(value: Any) -> float | None:
    number = float(value)
    return number if math.isfinite(number) else None


def banks_due() -> list[Bank]:
    """Banks with a response from a finished attempt newer than their last calibration run
    (any status; every finished response when never calibrated): one query, an EXISTS per
    bank, whatever the size of the data."""
    last_run = Subquery(
        CalibrationRun.objects.filter(bank=OuterRef("pk"))
        .order_by("-started_at")
        .values("started_at")[:1]
    )
    newer = Response.objects.filter(
        attempt__quiz__bank=OuterRef("pk"),
        attempt__state=Attempt.State.FINISHED,
        attempt__finished_at__gt=OuterRef("last_run"),
    )
    return list(
        Bank.objects.annotate(last_run=Coalesce(last_run, NEVER))
        .filter(Exists(newer))
        .order_by("pk")
    )


def banks_calibrate_due(now: datetime | None = None) -> list[CalibrationRun]:
    """Calibrate (trigger "schedule") every bank with new finished responses since its last
    run; banks without new data are left alone. One bank's unexpected error is logged and
    does not stop the others (with no run recorded, it is retried at the next interval)."""
    runs: list[CalibrationRun] = []
    for bank in banks_due():
        try:
            runs.append(bank_calibrate(bank, trigger="schedule", now=now))
        except Exception:
            logger.exception("Calibration of bank %s failed", bank.pk)
    return runs


# -- the history, as the API shows it ----------------------------------------------------

RUN_FIELDS = (
    "id",
    "started_at",
    "finished_at",
    "status",
    "message",
    "trigger",
    "model",
    "min_responses",
    "persons",
    "responses",
    "anchors",
    "items_updated",
    "items_waiting",
    "latent_mean",
    "latent_sd",
    "iterations",
    "converged",
)


# The figures of an ItemCalibration row that the calibration report shows per run.
HISTORY_FIELDS = (
    "responses", "a", "b", "c", "a_se", "b_se", "c_se", "fit_rmsd", "misfit", "anchored",
    "applied",
)  # fmt: skip


def bank_calibration_report(bank: Bank, *, runs: int = 10) -> dict[str, Any]:
    """The bank's latest ``runs`` calibration runs (newest first) and, for every revision
    estimated in them or carrying live parameters, its current parameters and its rows in
    those runs (newest first). ``revision`` is the revision's number, as in the questions
    API. Three queries whatever the number of runs and items."""
    run_rows = list(
        CalibrationRun.objects.filter(bank=bank)
        .order_by("-started_at", "-pk")
        .values(*RUN_FIELDS)[:runs]
    )
    run_ids = [row["id"] for row in run_rows]
    history: dict[int, list[dict[str, Any]]] = {}
    for row in (
        ItemCalibration.objects.filter(run_id__in=run_ids)
        .order_by("-run__started_at", "-run_id")
        .values("revision_id", "run_id", "run__finished_at", *HISTORY_FIELDS)
    ):
        history.setdefault(row["revision_id"], []).append(
            {
                "run": row["run_id"],
                "calibrated_at": row["run__finished_at"],
                **{key: row[key] for key in HISTORY_FIELDS},
            }
        )
    revisions = (
        QuestionRevision.objects.filter(question__bank=bank)
        .filter(Q(pk__in=list(history)) | Q(irt_provenance__startswith=CALIBRATED_PREFIX))
        .order_by("question__external_id", "number")
        .values(
            "pk",
            "number",
            "question_id",
            "question__external_id",
            "irt_a",
            "irt_b",
            "irt_c",
            "irt_provenance",
            "irt_responses",
        )
    )
    items = [
        {
            "question": revision["question_id"],
            "revision": revision["number"],
            "external_id": revision["question__external_id"],
            "current": {
                "a": revision["irt_a"],
                "b": revision["irt_b"],
                "c": revision["irt_c"],
                "provenance": revision["irt_provenance"],
                "responses": revision["irt_responses"],
            },
            "history": history.get(revision["pk"], []),
        }
        for revision in revisions
    ]
    return {
        "bank": bank.pk,
        "min_responses": calibration_min_responses(),
        "runs": run_rows,
        "items": items,
    }
