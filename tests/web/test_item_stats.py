"""Classical item statistics (quizzes/analytics/item_stats.py): pure, no database."""

from __future__ import annotations

import pytest

from quizzes.analytics.item_stats import (
    REASON_LOW_DISCRIMINATION,
    REASON_TOO_EASY,
    REASON_TOO_HARD,
    ResponseRow,
    chosen_options,
    item_statistics,
    pearson,
)
from quizzes.web.charts import icc, probability


def rows(table: dict[int, list[float]]) -> list[ResponseRow]:
    """{attempt: [fraction of item 1, item 2, ...]} -> response rows."""
    return [
        ResponseRow(attempt=attempt, item=index, fraction=fraction)
        for attempt, fractions in table.items()
        for index, fraction in enumerate(fractions, start=1)
    ]


def test_p_value_is_the_mean_fraction() -> None:
    stats = item_statistics(rows({1: [1.0, 0.5], 2: [0.0, 0.5], 3: [1.0, 1.0]}))
    assert stats[1].p_value == pytest.approx(2 / 3, abs=1e-4)
    assert stats[2].p_value == pytest.approx(2 / 3, abs=1e-4)
    assert stats[1].responses == 3


def test_discrimination_is_the_correlation_with_the_rest_score() -> None:
    # Item 2 follows the rest of the test; item 5 goes against it.
    table = {
        1: [1.0, 1.0, 1.0, 1.0, 0.0],
        2: [1.0, 1.0, 1.0, 0.0, 0.0],
        3: [1.0, 1.0, 0.0, 0.0, 1.0],
        4: [1.0, 0.0, 0.0, 0.0, 1.0],
        5: [0.0, 0.0, 0.0, 0.0, 1.0],
    }
    stats = item_statistics(rows(table))
    assert stats[2].discrimination is not None
    assert stats[2].discrimination > 0.5
    assert REASON_LOW_DISCRIMINATION not in stats[2].reasons
    assert stats[5].discrimination is not None
    assert stats[5].discrimination < 0
    assert REASON_LOW_DISCRIMINATION in stats[5].reasons


@pytest.mark.parametrize(
    ("fractions", "reason"),
    [
        ([0.0, 0.0, 0.0, 0.0, 1.0, 0.0], REASON_TOO_HARD),
        ([1.0, 1.0, 1.0, 1.0, 1.0, 1.0], REASON_TOO_EASY),
    ],
)
def test_items_too_hard_or_too_easy_are_flagged(fractions: list[float], reason: str) -> None:
    stats = item_statistics(
        ResponseRow(attempt=number, item=1, fraction=fraction)
        for number, fraction in enumerate(fractions)
    )
    assert reason in stats[1].reasons
    assert stats[1].weak


def test_no_variance_gives_no_discrimination_and_no_flag_for_it() -> None:
    stats = item_statistics(rows({1: [0.5, 1.0], 2: [0.5, 0.0]}))
    assert stats[1].discrimination is None
    assert REASON_LOW_DISCRIMINATION not in stats[1].reasons


@pytest.mark.parametrize(
    ("answer", "chosen"),
    [
        ({"option": "B"}, ("B",)),
        ({"options": ["A", "C"]}, ("A", "C")),
        ({"value": True}, ("true",)),
        ({"value": False}, ("false",)),
        ({"text": "x"}, ()),
        ({"value": 1.5}, ()),
        (None, ()),
    ],
)
def test_chosen_options(answer: object, chosen: tuple[str, ...]) -> None:
    assert chosen_options(answer) == chosen


def test_distractor_counts() -> None:
    stats = item_statistics(
        [
            ResponseRow(1, 7, 1.0, ("A",)),
            ResponseRow(2, 7, 0.0, ("B",)),
            ResponseRow(3, 7, 0.0, ("B",)),
        ]
    )
    assert stats[7].choices == {"A": 1, "B": 2}


def test_pearson_of_identical_series_is_one() -> None:
    assert pearson([0, 1, 2], [0, 1, 2]) == pytest.approx(1.0)
    assert pearson([1], [1]) is None


def test_the_icc_passes_through_its_difficulty() -> None:
    assert probability(0.5, 1.2, 0.5, 0.2) == pytest.approx(0.6)
    curve = icc(a=1.0, b=0.0, c=0.0)
    assert curve["b_x"] is not None
    assert len(curve["points"].split()) == 61
