"""Expected a posteriori (EAP) estimation with a normal prior: the default estimator."""

from __future__ import annotations

import math

import numpy as np

from quizzes.engine.estimation.base import AbilityEstimate, AbilityEstimator, ResponseLikelihood


class EAPEstimator(AbilityEstimator):
    """Posterior mean on the quadrature grid; the standard error is the posterior SD.

    Always finite (the prior keeps the posterior proper for all-correct and all-wrong
    patterns) and, unlike MLE, well calibrated: its posterior SD matches the observed error.
    """

    name = "eap"

    def estimate(
        self, likelihood: ResponseLikelihood, *, bounds: tuple[float, float]
    ) -> AbilityEstimate:
        log_posterior = likelihood.log_likelihood + self.log_prior
        weights = np.exp(log_posterior - log_posterior.max())
        total = weights.sum()
        grid = self.grid
        mean = float(weights @ grid) / total
        variance = float(weights @ (grid * grid)) / total - mean * mean
        ability = float(min(max(mean, bounds[0]), bounds[1]))
        return AbilityEstimate(ability=ability, standard_error=math.sqrt(max(variance, 1e-12)))
