from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quizzes.engine.estimation import (
    ESTIMATORS,
    AbilityEstimator,
    EAPEstimator,
    ability_bounds,
    make_estimator,
)

ESTIMATOR_CLASSES = sorted(ESTIMATORS.values(), key=lambda cls: cls.name)
BOUNDS = (-4.0, 4.0)


def likelihood_for(estimator: AbilityEstimator, a, b, scores):
    likelihood = estimator.new_likelihood()
    for item_a, item_b, score in zip(a, b, scores, strict=True):
        likelihood.add(a=float(item_a), b=float(item_b), score=float(score))
    return likelihood


@pytest.mark.parametrize("estimator_class", ESTIMATOR_CLASSES, ids=lambda cls: cls.name)
class TestEstimatorContract:
    def test_no_responses_gives_the_start(self, estimator_class):
        estimate = estimator_class(prior_mean=0.5).estimate(
            estimator_class(prior_mean=0.5).new_likelihood(), bounds=BOUNDS
        )
        assert estimate.ability == pytest.approx(0.5, abs=1e-6)
        assert estimate.standard_error > 0

    @pytest.mark.parametrize("score", [0.0, 1.0])
    def test_constant_patterns_are_finite_and_within_bounds(self, estimator_class, score):
        estimator = estimator_class()
        likelihood = likelihood_for(estimator, [1.5] * 25, np.linspace(-2, 2, 25), [score] * 25)
        estimate = estimator.estimate(likelihood, bounds=BOUNDS)
        assert np.isfinite(estimate.ability)
        assert BOUNDS[0] <= estimate.ability <= BOUNDS[1]
        assert np.isfinite(estimate.standard_error)
        assert estimate.standard_error > 0
        assert (estimate.ability > 0) == (score == 1.0)

    @settings(max_examples=40, deadline=None)
    @given(scores=st.lists(st.floats(0, 1), min_size=1, max_size=30))
    def test_any_pattern_gives_finite_estimate_and_error(self, estimator_class, scores):
        estimator = estimator_class()
        n = len(scores)
        likelihood = likelihood_for(estimator, np.ones(n), np.linspace(-1, 1, n), scores)
        estimate = estimator.estimate(likelihood, bounds=BOUNDS)
        assert np.isfinite(estimate.ability)
        assert BOUNDS[0] <= estimate.ability <= BOUNDS[1]
        assert np.isfinite(estimate.standard_error)
        assert estimate.standard_error > 0

    @settings(max_examples=40, deadline=None)
    @given(
        scores=st.lists(st.sampled_from([0.0, 1.0]), min_size=2, max_size=20),
        flip=st.integers(0, 19),
    )
    def test_more_credit_never_lowers_the_estimate(self, estimator_class, scores, flip):
        flip %= len(scores)
        if scores[flip] == 1.0:
            return
        if estimator_class.name == "mle" and (
            1.0 not in scores or 0.0 not in scores[:flip] + scores[flip + 1 :]
        ):
            # The MLE only exists for mixed patterns (before that it is the MAP fallback),
            # so monotonicity is a property among mixed patterns.
            return
        better = list(scores)
        better[flip] = 1.0
        estimator = estimator_class()
        n = len(scores)
        a, b = np.full(n, 1.2), np.linspace(-1.5, 1.5, n)
        low = estimator.estimate(likelihood_for(estimator, a, b, scores), bounds=BOUNDS)
        high = estimator.estimate(likelihood_for(estimator, a, b, better), bounds=BOUNDS)
        assert high.ability >= low.ability - 1e-6

    def test_rejects_bad_prior(self, estimator_class):
        with pytest.raises(ValueError, match="Prior standard deviation"):
            estimator_class(prior_sd=0.0)

    def test_rejects_scores_outside_unit_interval(self, estimator_class):
        with pytest.raises(ValueError, match="Scores must be in"):
            estimator_class().new_likelihood().add(a=1.0, b=0.0, score=1.5)


@settings(max_examples=30, deadline=None)
@given(scores=st.lists(st.sampled_from([0.0, 1.0]), min_size=1, max_size=15))
def test_eap_is_symmetric_under_mirroring(scores):
    # Mirroring difficulties and flipping every answer mirrors the EAP estimate (prior N(0, 1)).
    estimator = EAPEstimator()
    n = len(scores)
    b = np.linspace(-1.0, 2.0, n)
    forward = estimator.estimate(likelihood_for(estimator, np.ones(n), b, scores), bounds=BOUNDS)
    mirrored = estimator.estimate(
        likelihood_for(estimator, np.ones(n), -b, [1 - s for s in scores]), bounds=BOUNDS
    )
    assert forward.ability == pytest.approx(-mirrored.ability, abs=1e-9)
    assert forward.standard_error == pytest.approx(mirrored.standard_error, abs=1e-9)


@pytest.mark.parametrize("name", ["eap", "map", "mle"])
def test_seeded_recovery(name):
    # 200 items around each true ability: every estimator recovers it, with an honest SE.
    rng = np.random.default_rng(3)
    estimator = make_estimator(name)
    errors, reported = [], []
    for truth in (-1.5, 0.0, 1.2):
        for _ in range(10):
            a = rng.lognormal(0, 0.25, 60)
            b = rng.normal(truth, 1.0, 60)
            scores = (rng.random(60) < 1 / (1 + np.exp(-a * (truth - b)))).astype(float)
            estimate = estimator.estimate(likelihood_for(estimator, a, b, scores), bounds=BOUNDS)
            errors.append(estimate.ability - truth)
            reported.append(estimate.standard_error)
    assert abs(np.mean(errors)) < 0.15
    assert np.sqrt(np.mean(np.square(errors))) < 1.5 * np.sqrt(np.mean(np.square(reported)))


def test_partial_credit_lies_between_wrong_and_right():
    estimator = EAPEstimator()
    results = []
    for score in (0.0, 0.5, 1.0):
        likelihood = likelihood_for(estimator, [1.0, 1.0], [0.0, 0.5], [1.0, score])
        results.append(estimator.estimate(likelihood, bounds=BOUNDS).ability)
    assert results[0] < results[1] < results[2]


def test_bounds_include_the_start():
    assert ability_bounds(difficulty_range=(-1.0, 2.0), prior_mean=-3.0) == (-4.0, 3.0)


def test_unknown_estimator_is_rejected():
    with pytest.raises(ValueError, match="Unknown estimator"):
        make_estimator("bayes-magic")
