"""Quiz and item statistics (quizzes/analytics/quiz_stats.py).

The expected values come from ``reference``: plain Python loops written from the published
formulas (Moodle's "Quiz statistics calculations": k-statistics skewness and kurtosis,
coefficient of internal consistency, discriminative efficiency as covariance over the
covariance of the sorted values, effective weight), never from the code under test.
"""

from __future__ import annotations

import math
import random
import statistics
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from django.utils import timezone

from quizzes.analytics import quiz_stats as qs
from quizzes.exceptions import ValidationFailed
from quizzes.models import Attempt, AttemptItem, CalibrationRun, ItemCalibration, Quiz, Response
from quizzes.services.questions import question_create
from tests.conftest import Cast
from tests.factories import (
    AttemptFactory,
    BankFactory,
    QuizFactory,
    UserFactory,
    draft_of_type,
    single_draft,
)

# -- the reference: loops straight from the formulas ---------------------------------------


@dataclass
class Row:
    item: int
    position: int
    score: float
    picked: tuple[int, ...] = ()  # option numbers


@dataclass
class Design:
    attempts: list[list[Row]]
    n_items: int
    option_item: list[int] = field(default_factory=list)
    option_is_key: list[bool] = field(default_factory=list)
    ability: list[float] | None = None
    standard_error: list[float] | None = None


def mean(xs: list[float]) -> float:
    return sum(xs) / len(xs)


def sample_var(xs: list[float]) -> float:
    m = mean(xs)
    return sum((x - m) ** 2 for x in xs) / (len(xs) - 1)


def covariance(xs: list[float], ys: list[float]) -> float:
    mx, my = mean(xs), mean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / (len(xs) - 1)


def pearson(xs: list[float], ys: list[float]) -> float | None:
    vx, vy = sample_var(xs), sample_var(ys)
    if vx * vy <= 1e-20:
        return None
    return covariance(xs, ys) / math.sqrt(vx * vy)


def reference(design: Design, *, adaptive: bool = False) -> dict[str, Any]:
    attempts = [a for a in design.attempts if a]
    s = len(attempts)
    totals = [sum(r.score for r in a) for a in attempts]
    percents = [100 * sum(r.score for r in a) / len(a) for a in attempts]
    quiz: dict[str, Any] = {"attempts": s, "mean": mean(percents)}
    quiz["median"] = statistics.median(percents)
    m = quiz["mean"]
    m2 = sum((x - m) ** 2 for x in percents) / s
    m3 = sum((x - m) ** 3 for x in percents) / s
    m4 = sum((x - m) ** 4 for x in percents) / s
    k2 = s * m2 / (s - 1)
    k3 = s * s * m3 / ((s - 1) * (s - 2))
    k4 = s * s * ((s + 1) * m4 - 3 * (s - 1) * m2 * m2) / ((s - 1) * (s - 2) * (s - 3))
    quiz["sd"] = math.sqrt(k2)
    quiz["skewness"] = k3 / k2**1.5
    quiz["kurtosis"] = k4 / k2**2

    lengths = {len(a) for a in attempts}
    alpha = None
    if adaptive:
        method = None
    elif all(len(a) == design.n_items for a in attempts):
        method = "items"
        parts = [
            [r.score for a in attempts for r in a if r.item == i] for i in range(design.n_items)
        ]
    elif len(lengths) == 1:
        method = "positions"
        ranked = [sorted(a, key=lambda r: r.position) for a in attempts]
        parts = [[a[k].score for a in ranked] for k in range(len(ranked[0]))]
    else:
        method = None
    if method is not None:
        p = len(parts)
        alpha = p / (p - 1) * (1 - sum(sample_var(part) for part in parts) / sample_var(totals))
    quiz["cronbach_alpha"] = alpha
    quiz["error_ratio"] = math.sqrt(1 - alpha) if alpha is not None else None
    quiz["sem"] = quiz["error_ratio"] * quiz["sd"] if alpha is not None else None
    quiz["reliability_method"] = method
    quiz["marginal_reliability"] = None
    if adaptive and design.ability is not None and design.standard_error is not None:
        thetas = [t for t, a in zip(design.ability, design.attempts, strict=True) if a]
        ses = [e for e, a in zip(design.standard_error, design.attempts, strict=True) if a]
        quiz["marginal_reliability"] = 1 - mean([e * e for e in ses]) / sample_var(thetas)
        quiz["reliability_method"] = "marginal"

    items = []
    complete = method == "items"
    covariances_with_total = []
    for i in range(design.n_items):
        scores, rests, wholes, inverse_lengths, rows = [], [], [], [], []
        for a, total in zip(attempts, totals, strict=True):
            for r in a:
                if r.item == i:
                    scores.append(r.score)
                    rests.append(total - r.score)
                    wholes.append(total)
                    inverse_lengths.append(1 / len(a))
                    rows.append(r)
        n = len(scores)
        entry: dict[str, Any] = {"attempts": n, "facility": mean(scores)}
        entry["sd"] = math.sqrt(sample_var(scores))
        entry["discrimination_index"] = pearson(scores, rests)
        entry["point_biserial"] = pearson(scores, wholes)
        cov = covariance(scores, rests)
        cov_max = covariance(sorted(scores), sorted(rests))
        entry["discriminative_efficiency"] = cov / cov_max if cov_max > 1e-12 else None
        entry["intended_weight"] = mean(inverse_lengths)
        covariances_with_total.append(covariance(scores, wholes))
        # Strong third: rest >= the (n // 3)-th highest rest score.
        third = n // 3
        threshold = sorted(rests, reverse=True)[third - 1] if third else math.inf
        counts: dict[int, int] = {}
        upper: dict[int, int] = {}
        for r, rest in zip(rows, rests, strict=True):
            for option in r.picked:
                counts[option] = counts.get(option, 0) + 1
                if rest >= threshold:
                    upper[option] = upper.get(option, 0) + 1
        entry["counts"], entry["upper"] = counts, upper
        items.append(entry)
    roots = [math.sqrt(c) for c in covariances_with_total if c >= 0]
    for entry, c in zip(items, covariances_with_total, strict=True):
        entry["effective_weight"] = math.sqrt(c) / sum(roots) if complete and c >= 0 else None
    return {"quiz": quiz, "items": items}


def arrays(design: Design) -> qs.ResponseArrays:
    attempt: list[int] = []
    item: list[int] = []
    position: list[int] = []
    score: list[float] = []
    choice_response: list[int] = []
    choice_option: list[int] = []
    for number, rows in enumerate(design.attempts):
        for r in rows:
            for option in r.picked:
                choice_response.append(len(score))
                choice_option.append(option)
            attempt.append(number)
            item.append(r.item)
            position.append(r.position)
            score.append(r.score)
    return qs.ResponseArrays(
        attempt=np.array(attempt, dtype=np.intp),
        item=np.array(item, dtype=np.intp),
        position=np.array(position, dtype=np.intp),
        score=np.array(score, dtype=float),
        n_attempts=len(design.attempts),
        n_items=design.n_items,
        choice_response=np.array(choice_response, dtype=np.intp),
        choice_option=np.array(choice_option, dtype=np.intp),
        option_item=np.array(design.option_item, dtype=np.intp),
        option_is_key=np.array(design.option_is_key, dtype=np.bool_),
        ability=None if design.ability is None else np.array(design.ability),
        standard_error=None if design.standard_error is None else np.array(design.standard_error),
    )


OPTIONS = 4  # per item: option 0 the key, 1-3 distractors


def simulate(kind: str, *, seed: int = 7, n_attempts: int = 90, n_items: int = 10) -> Design:
    """A seeded response matrix: Rasch-like 0/1 scores (two items with half credit),
    each response picking the key when right and a distractor (the first one twice as
    often) when wrong. kind: complete | same_length | unequal."""
    rng = random.Random(seed)
    difficulty = [rng.gauss(0, 1) for _ in range(n_items)]
    ability = [rng.gauss(0, 1) for _ in range(n_attempts)]
    attempts = []
    for theta in ability:
        if kind == "complete":
            chosen = list(range(n_items))
        elif kind == "same_length":
            chosen = rng.sample(range(n_items), 6)
        else:
            chosen = rng.sample(range(n_items), rng.randint(3, n_items))
        rng.shuffle(chosen)
        rows = []
        for position, i in enumerate(chosen, start=1):
            right = rng.random() < 1 / (1 + math.exp(-(theta - difficulty[i])))
            score = (0.5 if rng.random() < 0.5 else 1.0) if right and i in (1, 2) else float(right)
            picked = 0 if right else rng.choice([1, 1, 2, 3])
            rows.append(Row(i, position * 3 + 2, score, (i * OPTIONS + picked,)))
        attempts.append(rows)
    return Design(
        attempts=attempts,
        n_items=n_items,
        option_item=[i for i in range(n_items) for _ in range(OPTIONS)],
        option_is_key=[k == 0 for _ in range(n_items) for k in range(OPTIONS)],
        ability=[t + rng.gauss(0, 0.3) for t in ability],
        standard_error=[0.25 + 0.2 * rng.random() for _ in ability],
    )


ITEM_FIGURES = (
    "facility",
    "sd",
    "discrimination_index",
    "point_biserial",
    "discriminative_efficiency",
    "intended_weight",
    "effective_weight",
)


def approx(value: float | None) -> Any:
    return None if value is None else pytest.approx(value, rel=1e-9, abs=1e-12)


def assert_matches(stats: qs.Statistics, expected: dict[str, Any]) -> None:
    quiz = expected["quiz"]
    for name, value in quiz.items():
        assert (
            getattr(stats.quiz, name) == approx(value)
            if not isinstance(value, str)
            else (getattr(stats.quiz, name) == value)
        ), name
    numbers = stats.items
    for i, entry in enumerate(expected["items"]):
        assert numbers.attempts[i] == entry["attempts"]
        for name in ITEM_FIGURES:
            got = float(getattr(numbers, name)[i])
            want = entry[name]
            if want is None:
                assert math.isnan(got), (i, name)
            else:
                assert got == pytest.approx(want, rel=1e-9, abs=1e-12), (i, name)
        for k in range(OPTIONS):
            option = i * OPTIONS + k
            assert numbers.option_count[option] == entry["counts"].get(option, 0)
            assert numbers.option_upper_count[option] == entry["upper"].get(option, 0)


@pytest.mark.parametrize("kind", ["complete", "same_length", "unequal"])
@pytest.mark.parametrize("seed", [7, 11])
def test_the_statistics_equal_the_published_formulas(kind: str, seed: int) -> None:
    design = simulate(kind, seed=seed)
    stats = qs.compute_statistics(arrays(design))
    assert_matches(stats, reference(design))
    expected_method = {"complete": "items", "same_length": "positions", "unequal": None}[kind]
    assert stats.quiz.reliability_method == expected_method
    if kind == "unequal":
        assert stats.quiz.cronbach_alpha is None
        assert stats.quiz.reliability_note == qs.NOTE_UNEQUAL
    else:
        assert stats.quiz.cronbach_alpha is not None
        assert 0.0 < stats.quiz.cronbach_alpha < 1.0


def test_an_adaptive_design_reports_marginal_reliability_instead_of_alpha() -> None:
    design = simulate("unequal", seed=3)
    stats = qs.compute_statistics(arrays(design), adaptive=True)
    assert_matches(stats, reference(design, adaptive=True))
    assert stats.quiz.cronbach_alpha is None
    assert stats.quiz.reliability_note == qs.NOTE_ADAPTIVE
    assert stats.quiz.marginal_reliability is not None
    assert 0.0 < stats.quiz.marginal_reliability < 1.0


def test_attempts_without_a_scored_item_are_left_out() -> None:
    design = simulate("complete", seed=5, n_attempts=30)
    design.attempts[4] = []
    design.attempts[17] = []
    stats = qs.compute_statistics(arrays(design))
    assert stats.quiz.attempts == 28
    assert_matches(stats, reference(design))


def test_kr20_of_a_small_matrix_by_hand() -> None:
    # 4 learners x 3 dichotomous items. p = (3/4, 2/4, 1/4); sum p q = 3/16 + 4/16 + 3/16
    # (population variances, as KR-20 is usually printed) = 10/16; totals 3, 2, 1, 0 with
    # population variance 5/4. KR-20 = 3/2 (1 - (10/16)/(5/4)) = 0.75; with the sample
    # (n - 1) variances throughout, the n/(n-1) factors cancel and the value is the same.
    matrix = [[1, 1, 1], [1, 1, 0], [1, 0, 0], [0, 0, 0]]
    design = Design(
        attempts=[[Row(i, i + 1, float(x)) for i, x in enumerate(row)] for row in matrix],
        n_items=3,
    )
    stats = qs.compute_statistics(arrays(design))
    assert stats.quiz.cronbach_alpha == pytest.approx(0.75)
    assert stats.quiz.error_ratio == pytest.approx(0.5)
    assert stats.quiz.mean == pytest.approx(50.0)
    assert stats.quiz.sd is not None
    assert stats.quiz.sem == pytest.approx(0.5 * stats.quiz.sd)


def test_too_little_data_gives_nulls_not_errors() -> None:
    one = Design(attempts=[[Row(0, 1, 1.0), Row(1, 2, 0.0)]], n_items=2)
    stats = qs.compute_statistics(arrays(one))
    assert stats.quiz.attempts == 1
    assert stats.quiz.mean == pytest.approx(50.0)
    assert stats.quiz.sd is None
    assert stats.quiz.cronbach_alpha is None
    assert stats.quiz.reliability_note == qs.NOTE_TOO_FEW
    assert math.isnan(stats.items.discrimination_index[0])
    empty = qs.compute_statistics(arrays(Design(attempts=[], n_items=0)))
    assert empty.quiz.attempts == 0
    assert empty.quiz.mean is None


# -- flags -------------------------------------------------------------------------------


def flag_codes(flags: list[dict[str, str]]) -> list[str]:
    return [flag["code"] for flag in flags]


def tallies(item: int, stats: qs.Statistics, keys: tuple[bool, ...]) -> list[qs.OptionTally]:
    return [
        qs.OptionTally(
            key=f"{item}-{k}",
            is_key=keys[k],
            count=int(stats.items.option_count[item * len(keys) + k]),
            upper_count=int(stats.items.option_upper_count[item * len(keys) + k]),
        )
        for k in range(len(keys))
    ]


def constructed() -> tuple[Design, qs.Statistics]:
    """30 learners of rising ability on 11 items (4 options each, option 0 the key):
    item 0 follows ability; item 1 is right only for the weakest (negative);
    item 2 nearly everyone gets right (too easy); item 3 almost nobody (too hard);
    item 4: the strong learners all pick distractor 2, the weak ones the key; items 5-10
    follow ability at staggered thresholds, so that the rest score ranks the learners."""
    attempts = []
    n_items = 11
    for learner in range(30):
        strong = learner >= 20
        rows = []
        for i in range(n_items):
            if i >= 5:
                right = learner >= (i - 4) * 4
            elif i == 0:
                right = learner >= 12
            elif i == 1:
                right = learner < 8
            elif i == 2:
                right = learner != 0
            elif i == 3:
                right = learner == 29
            else:
                right = not strong and learner % 2 == 0
            picked = 0 if right else (2 if i == 4 and strong else 1)
            rows.append(Row(i, i + 1, float(right), (i * 4 + picked,)))
        attempts.append(rows)
    design = Design(
        attempts=attempts,
        n_items=n_items,
        option_item=[i for i in range(n_items) for _ in range(4)],
        option_is_key=[k == 0 for _ in range(n_items) for k in range(4)],
    )
    return design, qs.compute_statistics(arrays(design))


def item_flag_codes(item: int, stats: qs.Statistics, misfit: bool | None = None) -> list[str]:
    return flag_codes(
        qs.item_flags(
            facility=float(stats.items.facility[item]),
            discrimination=float(stats.items.discrimination_index[item]),
            options=tallies(item, stats, (True, False, False, False)),
            misfit=misfit,
        )
    )


def test_the_flags_fire_on_constructed_items() -> None:
    _, stats = constructed()
    assert item_flag_codes(0, stats) == [qs.FLAG_UNUSED_DISTRACTOR]  # nobody picked 2 or 3
    assert qs.FLAG_NEGATIVE_DISCRIMINATION in item_flag_codes(1, stats)
    assert qs.FLAG_TOO_EASY in item_flag_codes(2, stats)
    assert qs.FLAG_TOO_HARD in item_flag_codes(3, stats)
    assert qs.FLAG_STRONG_DISTRACTOR in item_flag_codes(4, stats)
    assert qs.FLAG_STRONG_DISTRACTOR not in item_flag_codes(0, stats)
    assert qs.FLAG_IRT_MISFIT in item_flag_codes(0, stats, misfit=True)
    assert qs.FLAG_IRT_MISFIT not in item_flag_codes(0, stats, misfit=None)


def test_flag_thresholds_and_messages() -> None:
    def codes(**kwargs: Any) -> list[str]:
        return flag_codes(qs.item_flags(**kwargs))

    assert codes(facility=0.19, discrimination=0.5) == [qs.FLAG_TOO_HARD]
    assert codes(facility=0.2, discrimination=0.5) == []
    assert codes(facility=0.96, discrimination=0.5) == [qs.FLAG_TOO_EASY]
    assert codes(facility=0.95, discrimination=0.5) == []
    assert codes(facility=0.5, discrimination=0.19) == [qs.FLAG_LOW_DISCRIMINATION]
    assert codes(facility=0.5, discrimination=0.2) == []
    assert codes(facility=0.5, discrimination=-0.1) == [qs.FLAG_NEGATIVE_DISCRIMINATION]
    assert codes(facility=None, discrimination=None) == []
    unused = qs.item_flags(
        facility=0.5,
        discrimination=0.5,
        options=[qs.OptionTally("A", True, 5, 2), qs.OptionTally("C", False, 0, 0)],
    )
    assert unused == [
        {"code": qs.FLAG_UNUSED_DISTRACTOR, "message": "A distractor nobody picked: C."}
    ]


# -- random guess ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "fractions", "expected"),
    [
        ("single", [1.0, 0.0, 0.0], 1 / 3),
        ("single", [1.0, 0.0, 0.0, 0.0, 0.0], 0.2),
        ("single", [1.0, 0.5, 0.0, -0.5], 0.375),  # negative fractions score 0
        ("true_false", [1.0, 0.0], 0.5),
        # Subsets of {A: .5, B: .5, C: -1}: {} 0, A .5, B .5, AB 1, C 0, AC 0, BC 0, ABC 0.
        ("multiple", [0.5, 0.5, -1.0], 2 / 8),
        ("multiple", [1.0, 0.0], 0.5),
        ("short_answer", [], 0.0),
        ("numerical", [], 0.0),
        ("matching", [], 0.0),
        ("ordering", [], 0.0),
    ],
)
def test_random_guess_score(kind: str, fractions: list[float], expected: float) -> None:
    assert qs.random_guess_score(kind, fractions) == pytest.approx(expected)


# -- the loader, over the database ---------------------------------------------------------


def add_attempt(
    quiz: Quiz,
    learner: Any,
    number: int,
    served: list[tuple[Any, dict[str, Any] | None, float]],
    *,
    finished: bool = True,
    ability: float | None = None,
    se: float | None = None,
) -> Attempt:
    now = timezone.now()
    answered = [f for _, a, f in served if a is not None]
    count = len(served) if quiz.mode in ("fixed", "blueprint") else len(answered)
    attempt = AttemptFactory.create(
        quiz=quiz, learner=learner, number=number, started_at=now,
        state="finished" if finished else "in_progress",
        finished_at=now if finished else None,
        percent=100 * sum(answered) / count if finished and count else None,
        ability=ability, standard_error=se,
    )  # fmt: skip
    for position, (revision, answer, fraction) in enumerate(served, start=1):
        item = AttemptItem.objects.create(
            attempt=attempt, position=position, revision=revision, served_at=now
        )
        if answer is not None:
            Response.objects.create(
                attempt=attempt, item=item, key=f"k{item.pk}", submitted_at=now,
                answer={"public": {}, "author": answer}, fraction=fraction,
            )  # fmt: skip
    return attempt


@pytest.fixture
def loaded(cast: Cast) -> dict[str, Any]:
    """A fixed quiz of 5 items (3 single, 1 true/false, 1 multiple) and 12 learners with
    1-3 finished attempts each (plus an unfinished one), and a foreign quiz whose
    attempts must never show."""
    rng = random.Random(42)
    questions = [
        question_create(bank=cast.bank, draft=single_draft(f"S-{n}")) for n in range(3)
    ] + [
        question_create(bank=cast.bank, draft=draft_of_type("true_false", "TF")),
        question_create(bank=cast.bank, draft=draft_of_type("multiple", "MR")),
    ]
    revisions = [q.current_revision for q in questions]
    quiz = QuizFactory.create(course=cast.course, bank=cast.bank, mode="fixed")
    plan: dict[int, list[list[tuple[int, Any, float | None]]]] = {}

    def answer(index: int, theta: float) -> tuple[Any, float | None]:
        if rng.random() < 0.08:
            return None, None  # served, never answered: counts 0
        right = rng.random() < 1 / (1 + math.exp(-(theta - 0.3 * index)))
        if index < 3:
            key = "A" if right else rng.choice(["B", "B", "C"])
            return {"option": key}, float(right)
        if index == 3:
            return {"value": right}, float(right)
        options = ["A", "B"] if right else rng.choice([["A"], ["A", "C"], ["C"], []])
        fraction = max(0.0, min(1.0, sum({"A": 0.5, "B": 0.5, "C": -1.0}[o] for o in options)))
        return {"options": options}, fraction

    learners = []
    for number in range(12):
        learner = UserFactory.create(username=f"learner{number}")
        learners.append(learner)
        theta = rng.gauss(0, 1)
        plan[learner.pk] = []
        for attempt_number in range(1, rng.randint(1, 3) + 1):
            served = []
            for index in rng.sample(range(5), 5):
                given, fraction = answer(index, theta + 0.3 * attempt_number)
                served.append((revisions[index], given, fraction or 0.0))
            add_attempt(quiz, learner, attempt_number, served)
        add_attempt(quiz, learner, 9, [(revisions[0], {"option": "A"}, 1.0)], finished=False)

    foreign_bank = BankFactory.create(institution=cast.other_institution)
    foreign_question = question_create(bank=foreign_bank, draft=single_draft("F-1"))
    foreign = QuizFactory.create(course=cast.foreign_course, bank=foreign_bank, mode="fixed")
    add_attempt(foreign, cast.dave, 1, [(foreign_question.current_revision, {"option": "B"}, 0.0)])
    return {"quiz": quiz, "revisions": revisions, "learners": learners}


def expected_design(quiz: Quiz, which: str) -> tuple[Design, list[int], list[str]]:
    """The reference's input, built from the stored rows with plain Python."""
    finished = list(
        Attempt.objects.filter(quiz=quiz, state="finished").order_by("learner_id", "number")
    )
    chosen: list[Attempt] = []
    by_learner: dict[int, list[Attempt]] = {}
    for attempt in finished:
        by_learner.setdefault(attempt.learner_id, []).append(attempt)
    for group in by_learner.values():
        if which == "all":
            chosen += group
        elif which == "first":
            chosen.append(group[0])
        elif which == "last":
            chosen.append(group[-1])
        else:
            chosen.append(max(group, key=lambda a: (a.percent or 0.0, -a.number)))
    chosen.sort(key=lambda a: a.pk)
    revision_ids = sorted({i.revision_id for i in AttemptItem.objects.filter(attempt__in=chosen)})
    column = {pk: n for n, pk in enumerate(revision_ids)}
    option_keys: list[str] = []
    option_item: list[int] = []
    option_is_key: list[bool] = []
    number_of: dict[tuple[int, str], int] = {}
    from quizzes.models import QuestionRevision

    for pk in revision_ids:
        revision = QuestionRevision.objects.get(pk=pk)
        options = list(revision.options.order_by("position"))
        best = max(o.fraction for o in options)
        for o in options:
            number_of[(column[pk], o.key)] = len(option_keys)
            option_keys.append(o.key)
            option_item.append(column[pk])
            option_is_key.append(
                o.fraction > 0 if revision.type == "multiple" else o.fraction == best
            )
    attempts = []
    for attempt in chosen:
        rows = []
        for item in AttemptItem.objects.filter(attempt=attempt).order_by("position"):
            response = Response.objects.filter(item=item).first()
            picked: tuple[int, ...] = ()
            if response is not None:
                author = response.answer["author"]
                keys = (
                    [author["option"]] if "option" in author
                    else author["options"] if "options" in author
                    else ["true" if author["value"] else "false"]
                )  # fmt: skip
                picked = tuple(number_of[(column[item.revision_id], k)] for k in keys)
            rows.append(
                Row(column[item.revision_id], item.position,
                    response.fraction if response else 0.0, picked)
            )  # fmt: skip
        attempts.append(rows)
    design = Design(attempts, len(revision_ids), option_item, option_is_key)
    return design, revision_ids, option_keys


@pytest.mark.django_db
@pytest.mark.parametrize("which", ["first", "all", "highest", "last"])
def test_the_loader_matches_the_reference_for_each_subset(
    loaded: dict[str, Any], which: str, django_assert_max_num_queries: Any
) -> None:
    quiz = loaded["quiz"]
    with django_assert_max_num_queries(7):
        result = qs.quiz_stats(quiz, attempts=which)
    design, revision_ids, option_keys = expected_design(quiz, which)
    expected = reference(design)
    assert result["quiz"]["attempts_subset"] == which
    assert result["quiz"]["attempts"] == expected["quiz"]["attempts"]
    assert result["quiz"]["attempts"] == (12 if which != "all" else Attempt.objects.filter(
        quiz=quiz, state="finished").count())  # fmt: skip
    for name in ("mean", "median", "sd", "skewness", "kurtosis", "cronbach_alpha", "sem"):
        assert result["quiz"][name] == pytest.approx(expected["quiz"][name], abs=1e-4), name
    assert result["quiz"]["reliability_method"] == "items"
    by_revision = {entry["revision_id"]: entry for entry in result["items"]}
    assert sorted(by_revision) == revision_ids
    for column, pk in enumerate(revision_ids):
        got, want = by_revision[pk], expected["items"][column]
        assert got["attempts"] == want["attempts"]
        for name in ITEM_FIGURES:
            if want[name] is None:
                assert got[name] is None, name
            else:
                assert got[name] == pytest.approx(want[name], abs=1e-4), name
        for option in got["options"]:
            number = next(
                n for n, key in enumerate(option_keys)
                if key == option["id"] and design.option_item[n] == column
            )  # fmt: skip
            assert option["count"] == want["counts"].get(number, 0), (pk, option["id"])
            assert option["is_key"] == design.option_is_key[number]
            assert option["rate"] == pytest.approx(option["count"] / want["attempts"], abs=1e-4)
    # Every option of the choice items is listed, picked or not.
    kinds = {entry["type"]: entry for entry in result["items"]}
    assert [o["id"] for o in kinds["true_false"]["options"]] == ["true", "false"]
    assert sum(o["count"] for o in kinds["true_false"]["options"]) > 0
    assert sum(o["count"] for o in kinds["multiple"]["options"]) > 0


@pytest.mark.django_db
def test_an_unknown_subset_is_refused(loaded: dict[str, Any]) -> None:
    with pytest.raises(ValidationFailed) as caught:
        qs.quiz_stats(loaded["quiz"], attempts="best")
    assert caught.value.code == qs.CODE_INVALID_ATTEMPTS


@pytest.mark.django_db
def test_irt_comes_from_the_revision_and_its_latest_applied_calibration(
    loaded: dict[str, Any],
) -> None:
    revision = loaded["revisions"][0]
    revision.irt_a, revision.irt_b, revision.irt_c = 1.4, -0.2, 0.2
    revision.irt_provenance = "calibrated"
    revision.irt_responses = 340
    revision.save()
    now = timezone.now()
    runs = [
        CalibrationRun.objects.create(
            bank=revision.question.bank,
            started_at=now - timedelta(days=days),
            status="applied",
            min_responses=100,
        )
        for days in (3, 1, 0)
    ]
    ItemCalibration.objects.create(
        run=runs[0], revision=revision, responses=200, applied=True, a=1.1, b=0.0,
        a_se=0.3, b_se=0.2, fit_rmsd=0.04,
    )  # fmt: skip
    ItemCalibration.objects.create(
        run=runs[1], revision=revision, responses=340, applied=True, a=1.4, b=-0.2,
        a_se=0.12, b_se=0.09, fit_rmsd=0.11, misfit=True,
    )  # fmt: skip
    ItemCalibration.objects.create(  # newer, but not applied
        run=runs[2], revision=revision, responses=360, applied=False, a=2.0, b=1.0, a_se=0.5,
    )  # fmt: skip
    items = {e["revision_id"]: e for e in qs.quiz_stats(loaded["quiz"], attempts="all")["items"]}
    irt = items[revision.pk]["irt"]
    assert irt == {
        "a": 1.4, "b": -0.2, "c": 0.2, "a_se": 0.12, "b_se": 0.09, "c_se": None,
        "fit_rmsd": 0.11, "misfit": True, "provenance": "calibrated", "responses": 340,
    }  # fmt: skip
    assert qs.FLAG_IRT_MISFIT in flag_codes(items[revision.pk]["flags"])
    other = items[loaded["revisions"][1].pk]["irt"]
    assert other["a_se"] is None
    assert other["misfit"] is None


@pytest.mark.django_db
def test_an_adaptive_quiz_counts_answered_items_and_reports_marginal_reliability(
    cast: Cast,
) -> None:
    rng = random.Random(5)
    revisions = [
        question_create(bank=cast.bank, draft=single_draft(f"AD-{n}")).current_revision
        for n in range(6)
    ]
    quiz = QuizFactory.create(course=cast.course, bank=cast.bank, mode="adaptive")
    abilities, errors = [], []
    for number in range(9):
        learner = UserFactory.create(username=f"cat{number}")
        theta, se = rng.gauss(0, 1), 0.3 + 0.1 * rng.random()
        abilities.append(theta)
        errors.append(se)
        served: list[tuple[Any, dict[str, Any] | None, float]] = []
        chosen = rng.sample(revisions, rng.randint(3, 5))
        for revision in chosen:
            right = rng.random() < 0.5
            served.append((revision, {"option": "A" if right else "C"}, float(right)))
        left = next(r for r in revisions if r not in chosen)
        served.append((left, None, 0.0))
        add_attempt(quiz, learner, 1, served, ability=theta, se=se)
    result = qs.quiz_stats(quiz)
    assert result["quiz"]["cronbach_alpha"] is None
    assert result["quiz"]["reliability_method"] == "marginal"
    assert result["quiz"]["reliability_note"] == qs.NOTE_ADAPTIVE
    expected = 1 - mean([e * e for e in errors]) / sample_var(abilities)
    assert result["quiz"]["marginal_reliability"] == pytest.approx(expected, abs=1e-4)
    # The last served item of each attempt was never answered: adaptive attempts count
    # only what was answered, so every percent equals the stored Attempt.percent.
    stored = list(Attempt.objects.filter(quiz=quiz).values_list("percent", flat=True))
    assert None not in stored
    assert result["quiz"]["mean"] == pytest.approx(mean([float(p or 0) for p in stored]), abs=1e-4)
    answered = Response.objects.filter(attempt__quiz=quiz).count()
    assert sum(entry["attempts"] for entry in result["items"]) == answered


@pytest.mark.django_db
def test_a_quiz_without_finished_attempts(cast: Cast) -> None:
    quiz = QuizFactory.create(course=cast.course, bank=cast.bank, mode="fixed")
    result = qs.quiz_stats(quiz)
    assert result["items"] == []
    assert result["quiz"]["attempts"] == 0
    assert result["quiz"]["mean"] is None


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_served_items_read_is_covered_by_an_index_on_postgresql() -> None:
    """quiz_stats reads every served item of a quiz's attempts; the covering index of
    migration 0005 makes that read an index-only scan (docs/benchmarks.md, Analytics)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only (covering index)")
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'attempt_item_stats_idx'")
        (definition,) = cursor.fetchone()
    assert '(attempt_id) INCLUDE (id, revision_id, "position")' in definition
