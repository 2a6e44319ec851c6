"""The ability-estimator contract and the response likelihood every estimator reads.

Every estimator reads a :class:`ResponseLikelihood`: the responses so far, and their
log-likelihood tabulated on a fixed quadrature grid that is updated one response at a time
(one 81-point vector operation per response, so a step never re-scans the whole history).
Estimators return an :class:`AbilityEstimate`, always finite and always with a standard error,
clipped to the ``bounds`` given (the bank's difficulty range widened by one logit, so a
near-perfect pattern can never send the estimate far outside the bank; see
:func:`ability_bounds`).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from quizzes.engine.irt import PROBABILITY_FLOOR

FloatArray = npt.NDArray[np.float64]

# Quadrature spacing: 0.15 logits keeps posterior moments exact to many digits down to
# posterior standard deviations of ~0.1, far below any stopping target.
GRID_SPACING = 0.15
GRID_HALF_WIDTH = 6.0
# Bounds widen the bank's difficulty range by this much (see ability_bounds).
BOUND_MARGIN = 1.0


@dataclass(frozen=True)
class AbilityEstimate:
    ability: float
    standard_error: float


def quadrature_grid(*, prior_mean: float = 0.0, prior_sd: float = 1.0) -> FloatArray:
    """Evenly spaced ability points covering the prior and the usual ability range."""
    low = min(-GRID_HALF_WIDTH, prior_mean - GRID_HALF_WIDTH * prior_sd)
    high = max(GRID_HALF_WIDTH, prior_mean + GRID_HALF_WIDTH * prior_sd)
    points = math.ceil((high - low) / GRID_SPACING) + 1
    return np.linspace(low, high, points)


def ability_bounds(
    *, difficulty_range: tuple[float, float], prior_mean: float = 0.0
) -> tuple[float, float]:
    """Estimates are kept within the bank's difficulty range (and the start) widened by 1 logit.

    Including the prior mean (the start) keeps a run of wrong answers from ever moving the
    estimate *up* when the start lies below every item (a defect of catsim's Dodd heuristic).
    """
    low, high = difficulty_range
    return (min(low, prior_mean) - BOUND_MARGIN, max(high, prior_mean) + BOUND_MARGIN)


class ResponseLikelihood:
    """Responses so far (item parameters and scores) and their log-likelihood on a grid."""

    def __init__(self, grid: FloatArray) -> None:
        self.grid = grid
        self.log_likelihood: FloatArray = np.zeros_like(grid)
        self._a: list[float] = []
        self._b: list[float] = []
        self._c: list[float] = []
        self._scores: list[float] = []
        self._any_below_one = False
        self._any_above_zero = False

    def __len__(self) -> int:
        return len(self._scores)

    def add(self, *, a: float, b: float, c: float = 0.0, score: float) -> None:
        """Add one response; ``score`` in [0, 1] (fractional scores are partial credit)."""
        if not 0.0 <= score <= 1.0:
            raise ValueError(f"Scores must be in [0, 1], got {score!r}.")
        z = a * (self.grid - b)
        if c == 0.0:
            # log P = -log(1 + e^-z) and log(1 - P) = log P - z: one exp, one log1p.
            log_p = -np.log1p(np.exp(-z))
            self.log_likelihood += log_p - (1.0 - score) * z
        else:
            p = c + (1.0 - c) / (1.0 + np.exp(-z))
            p = np.clip(p, PROBABILITY_FLOOR, 1.0 - PROBABILITY_FLOOR)
            self.log_likelihood += score * np.log(p) + (1.0 - score) * np.log1p(-p)
        self._a.append(a)
        self._b.append(b)
        self._c.append(c)
        self._scores.append(score)
        self._any_below_one |= score < 1.0
        self._any_above_zero |= score > 0.0

    @property
    def is_mixed(self) -> bool:
        """True when the pattern has both credit and lack of it (a finite MLE exists)."""
        return self._any_below_one and self._any_above_zero

    def arrays(self) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """Parameters and scores of the answered items: (a, b, c, scores)."""
        return (
            np.array(self._a),
            np.array(self._b),
            np.array(self._c),
            np.array(self._scores),
        )

    def log_likelihood_at(self, ability: float) -> float:
        """Exact log-likelihood at one ability (used by the SPRT)."""
        if not self._scores:
            return 0.0
        a, b, c, scores = self.arrays()
        p = c + (1.0 - c) / (1.0 + np.exp(-a * (ability - b)))
        p = np.clip(p, PROBABILITY_FLOOR, 1.0 - PROBABILITY_FLOOR)
        return float(np.sum(scores * np.log(p) + (1.0 - scores) * np.log1p(-p)))

    def score_and_information(self, ability: float) -> tuple[float, float]:
        """First derivative of the log-likelihood and the test information at one ability."""
        if not self._scores:
            return 0.0, 0.0
        a, b, c, scores = self.arrays()
        logistic = 1.0 / (1.0 + np.exp(-a * (ability - b)))
        p = np.clip(c + (1.0 - c) * logistic, PROBABILITY_FLOOR, 1.0 - PROBABILITY_FLOOR)
        slope = a * (1.0 - c) * logistic * (1.0 - logistic)  # dP/d(ability)
        pq = p * (1.0 - p)
        gradient = float(np.sum((scores - p) * slope / pq))
        information = float(np.sum(slope * slope / pq))
        return gradient, information


class AbilityEstimator(ABC):
    """Contract: estimate ability and its standard error from a response likelihood.

    Implementations must return a finite ability within ``bounds`` and a finite positive
    standard error for every pattern, including none, all-correct and all-wrong.
    """

    name: ClassVar[str]

    def __init__(self, *, prior_mean: float = 0.0, prior_sd: float = 1.0) -> None:
        if not math.isfinite(prior_mean) or abs(prior_mean) > GRID_HALF_WIDTH:
            raise ValueError(f"Prior mean must be within ±{GRID_HALF_WIDTH}.")
        if not math.isfinite(prior_sd) or not 0.1 <= prior_sd <= 5.0:
            raise ValueError("Prior standard deviation must be in [0.1, 5].")
        self.prior_mean = prior_mean
        self.prior_sd = prior_sd
        self.grid = quadrature_grid(prior_mean=prior_mean, prior_sd=prior_sd)
        self.log_prior: FloatArray = -0.5 * ((self.grid - prior_mean) / prior_sd) ** 2

    def new_likelihood(self) -> ResponseLikelihood:
        """An empty likelihood on this estimator's grid."""
        return ResponseLikelihood(self.grid)

    @abstractmethod
    def estimate(
        self, likelihood: ResponseLikelihood, *, bounds: tuple[float, float]
    ) -> AbilityEstimate:
        """Ability and standard error given the responses in ``likelihood``."""

    # Shared by MAP and MLE: Fisher scoring from the best grid point.
    def _fisher_scoring(
        self,
        likelihood: ResponseLikelihood,
        *,
        start: float,
        bounds: tuple[float, float],
        prior_precision: float,
    ) -> AbilityEstimate:
        ability = start
        information = 0.0
        for _ in range(20):
            gradient, information = likelihood.score_and_information(ability)
            gradient -= (ability - self.prior_mean) * prior_precision
            total = information + prior_precision
            step = gradient / total if total > 0 else 0.0
            # A grid start is within half a spacing of the mode: cap steps at one spacing.
            step = max(-GRID_SPACING, min(GRID_SPACING, step))
            ability = min(max(ability + step, bounds[0]), bounds[1])
            if abs(step) < 1e-6:
                break
        _, information = likelihood.score_and_information(ability)
        total = information + prior_precision
        standard_error = 1.0 / math.sqrt(total) if total > 0 else float(self.prior_sd)
        return AbilityEstimate(ability=float(ability), standard_error=float(standard_error))

    def _grid_argmax(self, values: FloatArray, *, bounds: tuple[float, float]) -> float:
        inside = (self.grid >= bounds[0]) & (self.grid <= bounds[1])
        masked = np.where(inside, values, -np.inf)
        return float(self.grid[int(np.argmax(masked))])
