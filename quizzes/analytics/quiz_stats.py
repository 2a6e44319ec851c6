"""Quiz and item statistics: Moodle's quiz statistics report, computed with numpy.

Two layers (docs/analytics.md, "Quiz and item statistics", is the reference):

* ``compute_statistics(data)`` is a pure function over flat arrays (one row per scored
  response: attempt row, item column, position, score fraction; plus the options picked).
  It never touches the database and is tested against loops written from the published
  formulas (Moodle's "Quiz statistics calculations").
* ``quiz_stats(quiz, attempts="first")`` reads one quiz's finished attempts in a fixed
  number of queries (values_list over plain columns, the picked options extracted from the
  JSON answer in SQL with ``KT``) and returns the dict the API and the pages show.

Scales: quiz mean, median, sd and sem are in percent of the maximum (0..100, like
``Attempt.percent``); alpha, error ratio, facility, item sd, weights, discrimination
index, discriminative efficiency and point-biserial are on 0..1 (correlations on -1..1),
not Moodle's percentages.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import psycopg
from django.contrib.postgres.fields import ArrayField
from django.db import connections
from django.db.models import (
    Case,
    Exists,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce
from numpy.typing import NDArray

from quizzes.exceptions import ValidationFailed
from quizzes.models import (
    Attempt,
    AttemptItem,
    ItemCalibration,
    Option,
    QuestionRevision,
    Quiz,
    Response,
)

# -- attempt subsets -----------------------------------------------------------------------

FIRST, ALL, HIGHEST, LAST = "first", "all", "highest", "last"
ATTEMPT_SUBSETS = (FIRST, ALL, HIGHEST, LAST)
CODE_INVALID_ATTEMPTS = "invalid_attempts"

# -- flags: thresholds, stable codes and what the pages show -----------------------------

TOO_HARD = 0.2  # facility below
TOO_EASY = 0.95  # facility above
LOW_DISCRIMINATION = 0.2  # item-rest correlation below (and not negative)

FLAG_TOO_HARD = "too_hard"
FLAG_TOO_EASY = "too_easy"
FLAG_LOW_DISCRIMINATION = "low_discrimination"
FLAG_NEGATIVE_DISCRIMINATION = "negative_discrimination"
FLAG_UNUSED_DISTRACTOR = "unused_distractor"
FLAG_STRONG_DISTRACTOR = "strong_distractor"
FLAG_IRT_MISFIT = "irt_misfit"

FLAG_MESSAGES = {
    FLAG_TOO_HARD: "Too hard: facility below 0.2.",
    FLAG_TOO_EASY: "Too easy: facility above 0.95.",
    FLAG_LOW_DISCRIMINATION: "Weak discrimination: item-rest correlation below 0.2.",
    FLAG_NEGATIVE_DISCRIMINATION: (
        "Negative discrimination: learners who did well on the rest of the quiz did worse "
        "on this item; check the key."
    ),
    FLAG_UNUSED_DISTRACTOR: "A distractor nobody picked: {options}.",
    FLAG_STRONG_DISTRACTOR: (
        "The strongest third of learners picked a distractor more often than the key: {options}."
    ),
    FLAG_IRT_MISFIT: "The IRT model fits this item poorly (latest calibration).",
}

# -- reliability: how the coefficient was computed ----------------------------------------

BY_ITEMS, BY_POSITIONS, MARGINAL = "items", "positions", "marginal"
NOTE_ITEMS = "Every attempt answered the same items: Cronbach's alpha (KR-20) over the items."
NOTE_POSITIONS = (
    "Attempts saw different items but the same number of them: alpha over positions, as "
    "Moodle treats random-question slots."
)
NOTE_UNEQUAL = (
    "Attempts saw different numbers of items: internal consistency is not defined for this "
    "design, so alpha, error ratio and SEM are left out."
)
NOTE_ADAPTIVE = (
    "Adaptive quiz: items are chosen to fit each learner, so raw-score internal consistency "
    "does not apply; marginal_reliability (1 - mean(SE²) / var(ability)) measures it instead."
)
NOTE_TOO_FEW = (
    "Too little data: reliability needs at least two attempts, two items per attempt and "
    "some spread in the scores."
)

# A sum of squares below this is "no variance" (scores are fractions in 0..1).
NO_VARIANCE = 1e-12

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]
BoolArray = NDArray[np.bool_]


# =========================================================================================
# The pure layer: arrays in, numbers out
# =========================================================================================


@dataclass(frozen=True)
class ResponseArrays:
    """One row per scored response (an item counted in an attempt's score).

    ``attempt`` (0..n_attempts-1) and ``item`` (0..n_items-1) index the rows and columns
    of the attempt x item matrix; an (attempt, item) pair occurs at most once (the
    database's attempt_item_revision_unique). ``position`` orders an attempt's items.
    ``choice_response``/``choice_option`` list the options each response picked (a
    multiple-response answer gives several rows); options are numbered across all items,
    ``option_item`` naming each option's item and ``option_is_key`` its key status.
    ``ability``/``standard_error`` (one per attempt, NaN when unknown) feed the adaptive
    quizzes' marginal reliability.
    """

    attempt: IntArray
    item: IntArray
    position: IntArray
    score: FloatArray
    n_attempts: int
    n_items: int
    choice_response: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    choice_option: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    option_item: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    option_is_key: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=np.bool_))
    ability: FloatArray | None = None
    standard_error: FloatArray | None = None


@dataclass
class QuizSummary:
    attempts: int
    items: int
    mean: float | None
    median: float | None
    sd: float | None
    skewness: float | None
    kurtosis: float | None
    cronbach_alpha: float | None
    error_ratio: float | None
    sem: float | None
    reliability_method: str | None
    reliability_note: str
    marginal_reliability: float | None


@dataclass
class ItemNumbers:
    """Per-item arrays (index = item column); NaN where a figure is undefined."""

    attempts: IntArray
    facility: FloatArray
    sd: FloatArray
    intended_weight: FloatArray
    effective_weight: FloatArray
    discrimination_index: FloatArray
    discriminative_efficiency: FloatArray
    point_biserial: FloatArray
    # Per option (numbered as in ResponseArrays): how many responses picked it, and how
    # many of those came from the strongest third of the item's attempts (by rest score).
    option_count: IntArray
    option_upper_count: IntArray
    # Attempts of the strongest third per item (the denominator of option_upper_count).
    upper_attempts: IntArray


@dataclass
class Statistics:
    quiz: QuizSummary
    items: ItemNumbers
    percent: FloatArray  # each attempt's percent (0..100), by attempt row


def _ratio(numerator: FloatArray, denominator: FloatArray, *, floor: float = 0.0) -> FloatArray:
    """numerator / denominator where denominator > floor, NaN elsewhere (no warnings)."""
    out = np.full(numerator.shape, np.nan)
    ok = denominator > floor
    np.divide(numerator, denominator, out=out, where=ok)
    return out


def _group_rank(groups: IntArray, order: IntArray, n_groups: int) -> IntArray:
    """Rank (0-based) of each row within its group, rows visited in ``order`` (which must
    sort the rows by group first)."""
    sizes = np.bincount(groups, minlength=n_groups)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    rank = np.empty(len(groups), dtype=np.intp)
    rank[order] = np.arange(len(groups)) - starts[groups[order]]
    return rank


def _slots(data: ResponseArrays) -> IntArray:
    """Each row's slot: the rank (0-based) of its position within its attempt."""
    attempt, position = data.attempt, data.position
    first = np.full(data.n_attempts, np.iinfo(np.intp).max, dtype=np.intp)
    np.minimum.at(first, attempt, position)
    last = np.zeros(data.n_attempts, dtype=np.intp)
    np.maximum.at(last, attempt, position)
    counted = np.bincount(attempt, minlength=data.n_attempts)
    if np.all((first == 1) | (counted == 0)) and np.all(last == counted):
        return (position - 1).astype(np.intp)  # positions 1..n (unique within an attempt)
    order = np.lexsort((position, attempt))
    return _group_rank(attempt, order, data.n_attempts)


def score_distribution(percent: FloatArray) -> dict[str, float | None]:
    """Mean, median, sample SD, skewness and kurtosis of the attempts' scores.

    Skewness k3 / k2^(3/2) and (excess) kurtosis k4 / k2^2 with Moodle's k-statistics:
    m_r = sum((x - mean)^r) / s, k2 = s m2 / (s - 1),
    k3 = s^2 m3 / ((s - 1)(s - 2)),
    k4 = s^2 ((s + 1) m4 - 3 (s - 1) m2^2) / ((s - 1)(s - 2)(s - 3)).
    """
    s = len(percent)
    result: dict[str, float | None] = {
        "mean": None,
        "median": None,
        "sd": None,
        "skewness": None,
        "kurtosis": None,
    }
    if s == 0:
        return result
    mean = float(percent.mean())
    result["mean"], result["median"] = mean, float(np.median(percent))
    if s < 2:
        return result
    deviation = percent - mean
    m2 = float(np.mean(deviation**2))
    result["sd"] = math.sqrt(m2 * s / (s - 1))
    k2 = s * m2 / (s - 1)
    if s > 2 and k2 > NO_VARIANCE:
        m3 = float(np.mean(deviation**3))
        result["skewness"] = (s * s * m3 / ((s - 1) * (s - 2))) / k2**1.5
        if s > 3:
            m4 = float(np.mean(deviation**4))
            k4 = s * s * ((s + 1) * m4 - 3 * (s - 1) * m2 * m2) / ((s - 1) * (s - 2) * (s - 3))
            result["kurtosis"] = k4 / (k2 * k2)
    return result


def cronbach_alpha(part_variance_sum: float, total_variance: float, parts: int) -> float | None:
    """Moodle's coefficient of internal consistency: p/(p-1) (1 - sum var(part) / var(total))
    (KR-20 when every part is scored 0/1)."""
    if parts < 2 or total_variance <= NO_VARIANCE:
        return None
    return parts / (parts - 1) * (1.0 - part_variance_sum / total_variance)


def marginal_reliability(ability: FloatArray, standard_error: FloatArray) -> float | None:
    """Empirical reliability of adaptive ability estimates: 1 - mean(SE^2) / var(ability)
    (sample variance) over the attempts with both figures."""
    known = np.isfinite(ability) & np.isfinite(standard_error)
    if known.sum() < 2:
        return None
    variance = float(np.var(ability[known], ddof=1))
    if variance <= NO_VARIANCE:
        return None
    return 1.0 - float(np.mean(standard_error[known] ** 2)) / variance


def _sum_of_part_variances(
    columns: IntArray, score: FloatArray, n_columns: int
) -> tuple[float, IntArray]:
    """Sum over columns of the sample variance of the column's scores."""
    n = np.bincount(columns, minlength=n_columns)
    mean = _ratio(np.bincount(columns, weights=score, minlength=n_columns), n.astype(float))
    squares = np.bincount(
        columns, weights=(score - np.nan_to_num(mean)[columns]) ** 2, minlength=n_columns
    )
    return float(np.sum(_ratio(squares, (n - 1).astype(float)), where=n > 1)), n


def compute_statistics(data: ResponseArrays, *, adaptive: bool = False) -> Statistics:
    """Every quiz- and item-level figure of the report, from the response rows."""
    n_attempts, n_items = data.n_attempts, data.n_items
    attempt, item, score = data.attempt, data.item, data.score

    # -- per attempt -------------------------------------------------------------------
    counted = np.bincount(attempt, minlength=n_attempts)
    total = np.bincount(attempt, weights=score, minlength=n_attempts)
    percent = 100.0 * _ratio(total, counted.astype(float))
    present = counted > 0  # an attempt with no scored item says nothing
    distribution = score_distribution(percent[present])
    n_present = int(present.sum())

    # -- reliability -------------------------------------------------------------------
    alpha: float | None = None
    method: str | None = None
    lengths = counted[present]
    total_variance = float(np.var(total[present], ddof=1)) if n_present > 1 else 0.0
    if adaptive:
        note = NOTE_ADAPTIVE
    elif n_present < 2 or len(lengths) == 0:
        note = NOTE_TOO_FEW
    elif np.all(lengths == n_items):
        variances, _ = _sum_of_part_variances(item, score, n_items)
        alpha = cronbach_alpha(variances, total_variance, n_items)
        method, note = BY_ITEMS, NOTE_ITEMS
    elif np.all(lengths == lengths[0]):
        slot = _slots(data)
        variances, _ = _sum_of_part_variances(slot, score, int(lengths[0]))
        alpha = cronbach_alpha(variances, total_variance, int(lengths[0]))
        method, note = BY_POSITIONS, NOTE_POSITIONS
    else:
        note = NOTE_UNEQUAL
    if method is not None and alpha is None:
        method, note = None, NOTE_TOO_FEW
    marginal = None
    if adaptive and data.ability is not None and data.standard_error is not None:
        marginal = marginal_reliability(data.ability[present], data.standard_error[present])
        method = MARGINAL if marginal is not None else None
    error_ratio = math.sqrt(1.0 - alpha) if alpha is not None and alpha <= 1.0 else None
    sd = distribution["sd"]
    sem = error_ratio * sd if error_ratio is not None and sd is not None else None

    quiz = QuizSummary(
        attempts=n_present,
        items=int(np.count_nonzero(np.bincount(item, minlength=n_items))),
        mean=distribution["mean"],
        median=distribution["median"],
        sd=sd,
        skewness=distribution["skewness"],
        kurtosis=distribution["kurtosis"],
        cronbach_alpha=alpha,
        error_ratio=error_ratio,
        sem=sem,
        reliability_method=method,
        reliability_note=note,
        marginal_reliability=marginal,
    )
    items = _item_numbers(data, total, counted, complete=method == BY_ITEMS)
    return Statistics(quiz=quiz, items=items, percent=percent)


def _sorted_within(groups_sorted: IntArray, values: FloatArray, item: IntArray) -> FloatArray:
    """``values`` sorted ascending within each item, items in order (``groups_sorted`` is
    ``item`` sorted). Sorting a composite key item * span + value is several times faster
    than an argsort or lexsort; the value comes back to within a few ulps of the key."""
    low = float(values.min())
    span = float(values.max()) - low + 1.0
    keys = np.sort(item * span + (values - low))
    return keys - groups_sorted * span + low


def _item_numbers(
    data: ResponseArrays, total: FloatArray, counted: IntArray, *, complete: bool
) -> ItemNumbers:
    n_items, item, score = data.n_items, data.item, data.score
    n = np.bincount(item, minlength=n_items)
    n_float = n.astype(float)
    dof = (n - 1).astype(float)
    rest = total[data.attempt] - score

    def per_item(values: FloatArray) -> FloatArray:
        return np.bincount(item, weights=values, minlength=n_items)

    # Sums of squares and products from raw moments (the whole score is rest + score).
    sum_s, sum_r = per_item(score), per_item(rest)
    facility = _ratio(sum_s, n_float)
    rest_mean = _ratio(sum_r, n_float)
    mean_s, mean_r = np.nan_to_num(facility), np.nan_to_num(rest_mean)
    ss_score = np.clip(per_item(score * score) - n_float * mean_s**2, 0.0, None)
    ss_rest = np.clip(per_item(rest * rest) - n_float * mean_r**2, 0.0, None)
    sp_rest = per_item(score * rest) - n_float * mean_s * mean_r
    sp_whole = sp_rest + ss_score
    ss_whole = np.clip(ss_rest + 2.0 * sp_rest + ss_score, 0.0, None)

    sd = np.sqrt(_ratio(ss_score, dof))
    discrimination = _ratio(sp_rest, np.sqrt(ss_score * ss_rest), floor=NO_VARIANCE)
    point_biserial = _ratio(sp_whole, np.sqrt(ss_score * ss_whole), floor=NO_VARIANCE)

    # Discriminative efficiency (Moodle): cov(score, rest) over the largest covariance the
    # same two sets of values could reach, i.e. both sorted ascending and paired in order.
    item_sorted = np.repeat(np.arange(n_items, dtype=np.intp), n)
    score_sorted = _sorted_within(item_sorted, score, item) if len(score) else score
    rest_sorted = _sorted_within(item_sorted, rest, item) if len(rest) else rest
    covariance_max = np.bincount(
        item_sorted,
        weights=(score_sorted - mean_s[item_sorted]) * (rest_sorted - mean_r[item_sorted]),
        minlength=n_items,
    )
    efficiency = _ratio(sp_rest, covariance_max, floor=NO_VARIANCE)
    efficiency[n < 2] = np.nan

    # Weights. Intended: the item's share of the maximum, averaged over the attempts that
    # saw it (1/p in a complete design). Effective (Moodle): sqrt(cov(item, total)) over the
    # sum of that root across items with a non-negative covariance; null for an item whose
    # covariance is negative, and for every item when attempts saw different items.
    intended = _ratio(per_item(1.0 / counted[data.attempt]), n_float)
    effective = np.full(n_items, np.nan)
    if complete:
        covariance_whole = _ratio(sp_whole, dof)
        usable = covariance_whole >= 0
        roots = np.sqrt(np.where(usable, covariance_whole, 0.0))
        if roots.sum() > 0:
            effective = np.where(usable, roots / roots.sum(), np.nan)

    # The strong learners of an item: the top third of its attempts by rest score, ties at
    # the boundary included (rest >= the (n // 3)-th highest rest score).
    upper_size = n // 3
    starts = np.concatenate(([0], np.cumsum(n)[:-1])).astype(np.intp)
    has_upper = upper_size > 0
    threshold = np.full(n_items, np.inf)
    threshold[has_upper] = rest_sorted[(starts + n - upper_size)[has_upper]]
    upper = rest >= threshold[item] - 1e-9
    n_options = len(data.option_item)
    option_count = np.bincount(data.choice_option, minlength=n_options).astype(np.intp)
    upper_choice = upper[data.choice_response]
    option_upper_count = np.bincount(data.choice_option[upper_choice], minlength=n_options).astype(
        np.intp
    )

    return ItemNumbers(
        attempts=n.astype(np.intp),
        facility=facility,
        sd=sd,
        intended_weight=intended,
        effective_weight=effective,
        discrimination_index=discrimination,
        discriminative_efficiency=efficiency,
        point_biserial=point_biserial,
        option_count=option_count,
        option_upper_count=option_upper_count,
        upper_attempts=np.bincount(item[upper], minlength=n_items).astype(np.intp),
    )


@dataclass(frozen=True)
class OptionTally:
    key: str  # the author's option id
    is_key: bool
    count: int
    upper_count: int


def item_flags(
    *,
    facility: float | None,
    discrimination: float | None,
    options: Sequence[OptionTally] = (),
    misfit: bool | None = None,
) -> list[dict[str, str]]:
    """The flags of one item: [{"code", "message"}], in a fixed order."""
    flags: list[dict[str, str]] = []

    def add(code: str, **names: str) -> None:
        flags.append({"code": code, "message": FLAG_MESSAGES[code].format(**names)})

    if facility is not None and facility < TOO_HARD:
        add(FLAG_TOO_HARD)
    if facility is not None and facility > TOO_EASY:
        add(FLAG_TOO_EASY)
    if discrimination is not None and discrimination < 0:
        add(FLAG_NEGATIVE_DISCRIMINATION)
    elif discrimination is not None and discrimination < LOW_DISCRIMINATION:
        add(FLAG_LOW_DISCRIMINATION)
    distractors = [o for o in options if not o.is_key]
    keys = [o for o in options if o.is_key]
    unused = [o.key for o in distractors if o.count == 0]
    if unused and any(o.count for o in options):
        add(FLAG_UNUSED_DISTRACTOR, options=", ".join(unused))
    if keys:
        key_best = max(o.upper_count for o in keys)
        strong = [o.key for o in distractors if o.upper_count > key_best]
        if strong:
            add(FLAG_STRONG_DISTRACTOR, options=", ".join(strong))
    if misfit:
        add(FLAG_IRT_MISFIT)
    return flags


def random_guess_score(question_type: str, option_fractions: Sequence[float]) -> float | None:
    """The expected score of a blind guess.

    single and true/false: one option picked uniformly (the mean of the options' fractions
    clipped to 0..1; 1/number of options with one key). multiple: each option ticked
    independently with probability 1/2 (every subset equally likely, the empty one too),
    scored as quizzes.scoring does (the sum of the picked fractions clipped to 0..1);
    exact up to 16 options, None beyond. Other types: 0 (a guess is negligible).
    """
    fractions = np.asarray(option_fractions, dtype=float)
    if question_type in ("single", "true_false"):
        return float(np.mean(np.clip(fractions, 0.0, 1.0))) if len(fractions) else None
    if question_type == "multiple":
        n = len(fractions)
        if n == 0 or n > 16:
            return None
        subsets = (np.arange(2**n)[:, None] >> np.arange(n)) & 1
        return float(np.mean(np.clip(subsets @ fractions, 0.0, 1.0)))
    return 0.0


# =========================================================================================
# The loader: one quiz's finished attempts, a fixed number of queries
# =========================================================================================


def _selected_attempts(quiz: Quiz, attempts: str) -> QuerySet[Attempt]:
    """The finished attempts of the subset: each learner's first, last or highest-percent
    one (ties to the earlier), or all of them."""
    finished = Attempt.objects.filter(quiz=quiz, state=Attempt.State.FINISHED)
    if attempts == ALL:
        return finished
    others = Attempt.objects.filter(
        quiz=quiz, state=Attempt.State.FINISHED, learner_id=OuterRef("learner_id")
    )
    if attempts == FIRST:
        better = others.filter(number__lt=OuterRef("number"))
    elif attempts == LAST:
        better = others.filter(number__gt=OuterRef("number"))
    else:
        # A NULL percent ranks below any number (finished attempts always have one).
        better = others.filter(
            Q(percent__gt=Coalesce(OuterRef("percent"), -1.0))
            | Q(percent=OuterRef("percent"), number__lt=OuterRef("number"))
        )
    return finished.filter(~Exists(better))


def validate_subset(attempts: Any) -> str:
    if attempts not in ATTEMPT_SUBSETS:
        raise ValidationFailed(
            f"attempts must be one of {', '.join(ATTEMPT_SUBSETS)}.",
            code=CODE_INVALID_ATTEMPTS,
            fields={"attempts": [f"{attempts!r} is not one of {', '.join(ATTEMPT_SUBSETS)}"]},
        )
    return str(attempts)


def _picked_keys(raw: Any) -> tuple[str, ...]:
    """The author option ids in a multiple-response answer's extracted JSON list."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return ()
    return tuple(str(v) for v in raw) if isinstance(raw, list) else ()


def _clean(value: Any, digits: int = 4) -> float | None:
    if value is None:
        return None
    number = float(value)
    return round(number, digits) if math.isfinite(number) else None


@dataclass
class _Revision:
    pk: int
    question: int
    number: int
    type: str
    external_id: str
    stem: str
    irt: dict[str, Any]
    options: list[tuple[str, str, float]] = field(default_factory=list)  # key, text, fraction

    def is_key(self, key: str) -> bool:
        """multiple: every option with credit; single and true/false: the best option."""
        fractions = {option_key: fraction for option_key, _, fraction in self.options}
        if self.type == "multiple":
            return fractions.get(key, 0.0) > 0
        best = max(fractions.values(), default=0.0)
        return best > 0 and fractions.get(key) == best


# How PostgreSQL packs a column into fixed-width big-endian bytes, by numpy kind.
_PACK = {
    "i8": "int8send(({})::bigint)",
    "i4": "int4send(({})::integer)",
    "f8": "float8send(({})::double precision)",
}
_NATIVE = {"i8": np.int64, "i4": np.int64, "f8": np.float64}


def _columns(queryset: QuerySet[Any], kinds: Sequence[str]) -> list[NDArray[Any]]:
    """The columns of a ``values_list`` queryset (non-null, of the numpy ``kinds``) as
    arrays, in one query.

    On PostgreSQL the queryset's own SQL is wrapped in one ``string_agg`` of its rows
    packed as fixed-width binary, read back with ``np.frombuffer``: a million rows cost
    one value to transfer instead of a million Python tuples (3-4 s of the 2 s budget).
    Elsewhere (SQLite) the rows are read as usual.
    """
    connection = connections[queryset.db]
    if connection.vendor == "postgresql":
        sql, params = queryset.query.sql_with_params()
        names = [f"c{index}" for index in range(len(kinds))]
        packed = " || ".join(
            _PACK[kind].format(f"packed_rows.{name}")
            for kind, name in zip(kinds, names, strict=True)
        )
        wrapped = (
            f"SELECT string_agg({packed}, ''::bytea) "
            f"FROM ({sql}) AS packed_rows({', '.join(names)})"
        )
        # A binary-result cursor on Django's connection (same transaction): the blob
        # travels as raw bytes, not hex; logged like Django's own queries.
        with (
            connection.cursor() as wrapper,
            wrapper.debug_sql(wrapped, params) if hasattr(wrapper, "debug_sql") else nullcontext(),
        ):
            raw = psycopg.Cursor(connection.connection)
            try:
                raw.execute(wrapped, params, binary=True)
                row = raw.fetchone()
            finally:
                raw.close()
        blob = bytes(row[0]) if row and row[0] is not None else b""
        dtype = np.dtype([(name, ">" + kind) for kind, name in zip(kinds, names, strict=True)])
        records = np.frombuffer(blob, dtype=dtype)
        return [
            records[name].astype(_NATIVE[kind]) for kind, name in zip(kinds, names, strict=True)
        ]
    rows = list(queryset)
    return [
        np.fromiter((row[index] for row in rows), dtype=_NATIVE[kind], count=len(rows))
        for index, kind in enumerate(kinds)
    ]


def _index_of(values: NDArray[np.int64], keys: NDArray[np.int64]) -> IntArray:
    """Position of each value in the sorted, unique ``keys`` (every value is one of them):
    a dense lookup table when the ids are close together, else a binary search."""
    if len(keys) == 0:
        return np.zeros(len(values), dtype=np.intp)
    low, high = int(keys[0]), int(keys[-1])
    if high - low <= 4 * (len(values) + len(keys)) + 1024:
        table = np.zeros(high - low + 1, dtype=np.intp)
        table[keys - low] = np.arange(len(keys), dtype=np.intp)
        return table[values - low]
    return np.searchsorted(keys, values).astype(np.intp)


def _distinct(values: NDArray[np.int64]) -> NDArray[np.int64]:
    """Sorted unique ids (a presence table when they are close together: no sort)."""
    if len(values) == 0:
        return values
    low, high = int(values.min()), int(values.max())
    if high - low <= 4 * len(values) + 1024:
        present = np.zeros(high - low + 1, dtype=np.bool_)
        present[values - low] = True
        return np.flatnonzero(present).astype(np.int64) + low
    return np.unique(values)


def _response_rows(
    responses: QuerySet[Response], vocabulary: Sequence[str], vendor: str
) -> QuerySet[Any]:
    """(item id, fraction, code) per response; ``code`` is the option a single or
    true/false answer picked, as the 1-based index of its author id in ``vocabulary``;
    0 for none (and for other types)."""
    columns = ("item_id", "fraction", "code")
    if not vocabulary:
        return responses.annotate(code=Value(0, output_field=IntegerField())).values_list(*columns)
    if vendor == "postgresql":
        picked = Coalesce(KT("answer__author__option"), KT("answer__author__value"))
        position = Func(
            Value(list(vocabulary), output_field=ArrayField(TextField())),
            picked,
            function="array_position",
            output_field=IntegerField(),
        )
        return responses.annotate(
            code=Coalesce(position, Value(0), output_field=IntegerField())
        ).values_list(*columns)
    # Elsewhere a CASE over the few ids; SQLite extracts JSON true/false as 1/0, so the
    # booleans are matched with JSON lookups rather than as text.
    whens = [
        When(answer__author__value=(key == "true"), then=Value(code))
        if key in ("true", "false")
        else When(chosen_option=key, then=Value(code))
        for code, key in enumerate(vocabulary, start=1)
    ]
    return (
        responses.annotate(chosen_option=Cast(KT("answer__author__option"), TextField()))
        .annotate(code=Case(*whens, default=Value(0), output_field=IntegerField()))
        .values_list(*columns)
    )


def quiz_stats(quiz: Quiz, *, attempts: str = FIRST) -> dict[str, Any]:
    """The quiz's statistics over a subset of its finished attempts (ATTEMPT_SUBSETS).

    Items served in a fixed or blueprint form and left unanswered count 0 (as in
    Attempt.percent); adaptive and practice attempts count the items answered. Queries:
    the attempts, their served items, the revisions, their options, their applied
    calibrations, the responses and (only when a multiple-response item was served) the
    multiple-response answers: at most 7, whatever the numbers of learners and items.
    """
    attempts = validate_subset(attempts)
    adaptive = quiz.mode == Quiz.Mode.ADAPTIVE
    selected = _selected_attempts(quiz, attempts)
    selected_ids = selected.values("pk")
    vendor = connections[Attempt.objects.db].vendor

    attempt_rows = list(selected.order_by("pk").values_list("pk", "ability", "standard_error"))
    attempt_ids = np.array([row[0] for row in attempt_rows], dtype=np.int64)
    ability = np.array([np.nan if r[1] is None else r[1] for r in attempt_rows], dtype=float)
    standard_error = np.array([np.nan if r[2] is None else r[2] for r in attempt_rows], dtype=float)

    served = AttemptItem.objects.filter(attempt__in=selected_ids).order_by()
    item_pk, item_attempt, item_revision, item_position = _columns(
        served.values_list("pk", "attempt_id", "revision_id", "position"),
        ("i8", "i8", "i8", "i4"),
    )
    revision_ids = _distinct(item_revision)
    revisions = _load_revisions([int(pk) for pk in revision_ids])

    # Options numbered across the served revisions; single and true/false picks come
    # back from SQL as a code (index in the vocabulary of their author ids).
    option_index: dict[tuple[int, str], int] = {}
    option_item: list[int] = []
    option_is_key: list[bool] = []
    vocabulary: dict[str, int] = {}
    multiple: list[int] = []
    for column, pk in enumerate(revision_ids.tolist()):
        revision = revisions[pk]
        if revision.type not in QuestionRevision.CHOICE_TYPES:
            continue
        if revision.type == "multiple":
            multiple.append(pk)
        for key, _, _ in revision.options:
            option_index[(column, key)] = len(option_item)
            option_item.append(column)
            option_is_key.append(revision.is_key(key))
            if revision.type != "multiple":
                vocabulary.setdefault(key, len(vocabulary) + 1)

    response_item, response_fraction, response_code = _columns(
        _response_rows(
            Response.objects.filter(attempt__in=selected_ids).order_by(), list(vocabulary), vendor
        ),
        ("i8", "f8", "i4"),
    )
    picked_lists: list[tuple[int, Any]] = []
    if multiple:
        picked_lists = list(
            Response.objects.filter(attempt__in=selected_ids, item__revision_id__in=multiple)
            .order_by()
            .values_list("item_id", KT("answer__author__options"))
        )

    # Join the responses to their served items by the item's id.
    by_pk = np.argsort(item_pk, kind="stable")
    sorted_pk = item_pk[by_pk]

    def rows_of(item_ids: NDArray[np.int64]) -> IntArray:
        return by_pk[_index_of(item_ids, sorted_pk)].astype(np.intp)

    answered_rows = rows_of(response_item)
    answered = np.zeros(len(item_pk), dtype=np.bool_)
    answered[answered_rows] = True
    score = np.zeros(len(item_pk))
    score[answered_rows] = response_fraction
    code = np.zeros(len(item_pk), dtype=np.intp)
    code[answered_rows] = response_code
    forms = quiz.mode in (Quiz.Mode.FIXED, Quiz.Mode.BLUEPRINT)
    keep = np.ones(len(item_pk), dtype=np.bool_) if forms else answered
    kept = np.full(len(item_pk), -1, dtype=np.intp)  # served row -> row of the statistics
    kept[keep] = np.arange(int(keep.sum()), dtype=np.intp)
    item_col = _index_of(item_revision[keep], revision_ids)

    # Picks -> (row, option number): single and true/false through the code table,
    # multiple response from the extracted lists.
    table = np.full((len(revision_ids), len(vocabulary) + 1), -1, dtype=np.intp)
    for (column, key), index in option_index.items():
        if key in vocabulary:
            table[column, vocabulary[key]] = index
    kept_code = code[keep]
    picked = np.flatnonzero(kept_code > 0)
    picked_option = table[item_col[picked], kept_code[picked]]
    choice_response = [picked[picked_option >= 0]]
    choice_option = [picked_option[picked_option >= 0]]
    if picked_lists:
        list_rows = kept[rows_of(np.array([item for item, _ in picked_lists], dtype=np.int64))]
        extra: list[tuple[int, int]] = []
        for (_, raw), row in zip(picked_lists, list_rows.tolist(), strict=True):
            column = int(item_col[row])
            extra += [
                (row, option_index[(column, key)])
                for key in _picked_keys(raw)
                if (column, key) in option_index
            ]
        choice_response.append(np.array([r for r, _ in extra], dtype=np.intp))
        choice_option.append(np.array([o for _, o in extra], dtype=np.intp))

    data = ResponseArrays(
        attempt=_index_of(item_attempt[keep], attempt_ids),
        item=item_col,
        position=item_position[keep].astype(np.intp),
        score=score[keep],
        n_attempts=len(attempt_ids),
        n_items=len(revision_ids),
        choice_response=np.concatenate(choice_response).astype(np.intp),
        choice_option=np.concatenate(choice_option).astype(np.intp),
        option_item=np.asarray(option_item, dtype=np.intp),
        option_is_key=np.asarray(option_is_key, dtype=np.bool_),
        ability=ability,
        standard_error=standard_error,
    )
    stats = compute_statistics(data, adaptive=adaptive)
    return {
        "quiz": _quiz_dict(quiz, attempts, stats.quiz),
        "items": _items_list(revision_ids, revisions, stats.items, option_index),
    }


def _load_revisions(revision_ids: list[int]) -> dict[int, _Revision]:
    revisions: dict[int, _Revision] = {}
    for row in QuestionRevision.objects.filter(pk__in=revision_ids).values_list(
        "pk", "question_id", "number", "type", "question__external_id", "stem",
        "irt_a", "irt_b", "irt_c", "irt_provenance", "irt_responses",
    ):  # fmt: skip
        pk, question, number, kind, external_id, stem, a, b, c, provenance, responses = row
        revisions[pk] = _Revision(
            pk=pk,
            question=question,
            number=number,
            type=kind,
            external_id=external_id,
            stem=stem,
            irt={
                "a": a, "b": b, "c": c, "a_se": None, "b_se": None, "c_se": None,
                "fit_rmsd": None, "misfit": None, "provenance": provenance,
                "responses": responses,
            },
        )  # fmt: skip
    for revision_id, key, text, fraction in (
        Option.objects.filter(revision_id__in=revision_ids)
        .order_by("revision_id", "position", "pk")
        .values_list("revision_id", "key", "text", "fraction")
    ):
        revisions[revision_id].options.append((key, text, fraction))
    seen: set[int] = set()
    for revision_id, a_se, b_se, c_se, fit_rmsd, misfit in (
        ItemCalibration.objects.filter(revision_id__in=revision_ids, applied=True)
        .order_by("revision_id", "-run__started_at", "-run_id")
        .values_list("revision_id", "a_se", "b_se", "c_se", "fit_rmsd", "misfit")
    ):
        if revision_id in seen:
            continue  # an older run
        seen.add(revision_id)
        revisions[revision_id].irt.update(
            {"a_se": a_se, "b_se": b_se, "c_se": c_se, "fit_rmsd": fit_rmsd, "misfit": misfit}
        )
    return revisions


def _quiz_dict(quiz: Quiz, attempts: str, summary: QuizSummary) -> dict[str, Any]:
    return {
        "id": quiz.pk,
        "mode": quiz.mode,
        "attempts_subset": attempts,
        "attempts": summary.attempts,
        "items": summary.items,
        "mean": _clean(summary.mean),
        "median": _clean(summary.median),
        "sd": _clean(summary.sd),
        "skewness": _clean(summary.skewness),
        "kurtosis": _clean(summary.kurtosis),
        "cronbach_alpha": _clean(summary.cronbach_alpha),
        "error_ratio": _clean(summary.error_ratio),
        "sem": _clean(summary.sem),
        "reliability_method": summary.reliability_method,
        "reliability_note": summary.reliability_note,
        "marginal_reliability": _clean(summary.marginal_reliability),
    }


def _items_list(
    revision_ids: NDArray[np.int64],
    revisions: Mapping[int, _Revision],
    numbers: ItemNumbers,
    option_index: Mapping[tuple[int, str], int],
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for column, pk in enumerate(revision_ids.tolist()):
        revision = revisions[pk]
        responses = int(numbers.attempts[column])
        options: list[dict[str, Any]] = []
        tallies: list[OptionTally] = []
        for key, text, _ in revision.options:
            index = option_index.get((column, key))
            if index is None:
                continue
            count = int(numbers.option_count[index])
            is_key = revision.is_key(key)
            options.append(
                {
                    "id": key,
                    "text": text,
                    "count": count,
                    "rate": _clean(count / responses) if responses else None,
                    "is_key": is_key,
                }
            )
            tallies.append(OptionTally(key, is_key, count, int(numbers.option_upper_count[index])))
        facility = _clean(numbers.facility[column])
        discrimination = _clean(numbers.discrimination_index[column])
        items.append(
            {
                "question": revision.question,
                "revision": revision.number,
                "revision_id": revision.pk,
                "external_id": revision.external_id,
                "type": revision.type,
                "stem": revision.stem,
                "attempts": responses,
                "facility": facility,
                "sd": _clean(numbers.sd[column]),
                "random_guess": _clean(
                    random_guess_score(revision.type, [f for _, _, f in revision.options])
                ),
                "intended_weight": _clean(numbers.intended_weight[column]),
                "effective_weight": _clean(numbers.effective_weight[column]),
                "discrimination_index": discrimination,
                "discriminative_efficiency": _clean(numbers.discriminative_efficiency[column]),
                "point_biserial": _clean(numbers.point_biserial[column]),
                "irt": revision.irt,
                "flags": item_flags(
                    facility=facility,
                    discrimination=discrimination,
                    options=tallies,
                    misfit=revision.irt["misfit"],
                ),
                "options": options,
            }
        )
    items.sort(key=lambda entry: (entry["external_id"], entry["revision"]))
    return items
