from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from quizzes.engine import irt

abilities = st.floats(-8, 8)
discriminations = st.floats(0.1, 4)
difficulties = st.floats(-4, 4)
guessings = st.floats(0, 0.4)


@given(abilities, abilities, discriminations, difficulties, guessings)
def test_probability_is_monotone_in_ability(low, high, a, b, c):
    low, high = min(low, high), max(low, high)
    assert irt.probability(low, a=a, b=b, c=c) <= irt.probability(high, a=a, b=b, c=c)


@given(abilities, discriminations, difficulties)
def test_2pl_probability_is_symmetric_about_difficulty(ability, a, b):
    mirrored = 2 * b - ability
    total = irt.probability(ability, a=a, b=b) + irt.probability(mirrored, a=a, b=b)
    assert np.isclose(total, 1.0)


@given(st.floats(-1e6, 1e6), discriminations, difficulties, guessings)
def test_probability_is_finite_and_within_bounds(ability, a, b, c):
    p = float(irt.probability(ability, a=a, b=b, c=c))
    assert c - 1e-12 <= p <= 1.0


@given(abilities, discriminations, difficulties, guessings)
def test_information_is_finite_and_non_negative(ability, a, b, c):
    information = float(irt.item_information(ability, a=a, b=b, c=c))
    assert np.isfinite(information)
    assert information >= 0


@given(discriminations, difficulties)
def test_2pl_information_peaks_at_difficulty(a, b):
    assert np.isclose(irt.item_information(b, a=a, b=b), a * a / 4)


@given(abilities, st.lists(st.floats(0, 1), min_size=1, max_size=20))
def test_log_likelihood_is_finite_and_non_positive(ability, scores):
    n = len(scores)
    value = irt.log_likelihood(ability, scores=scores, a=np.ones(n), b=np.zeros(n))
    assert np.isfinite(value)
    assert value <= 1e-12


def test_functions_vectorise_over_items_and_grid():
    grid = np.linspace(-3, 3, 7)[:, None]
    a, b, c = np.array([1.0, 2.0]), np.array([0.0, 1.0]), np.array([0.0, 0.2])
    assert irt.probability(grid, a=a, b=b, c=c).shape == (7, 2)
    assert irt.item_information(grid, a=a, b=b, c=c).shape == (7, 2)
    assert irt.test_information(grid[:, 0], a=a, b=b, c=c).shape == (7,)
    scores = np.array([1.0, 0.0])
    assert irt.log_likelihood(grid[:, 0], scores=scores, a=a, b=b, c=c).shape == (7,)


def test_1pl_is_2pl_with_unit_discrimination():
    assert np.isclose(irt.probability(0.7, b=0.2), irt.probability(0.7, a=1.0, b=0.2, c=0.0))
