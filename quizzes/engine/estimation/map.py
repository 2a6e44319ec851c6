"""Maximum a posteriori (MAP, Bayes modal) estimation with a normal prior."""

from __future__ import annotations

from quizzes.engine.estimation.base import AbilityEstimate, AbilityEstimator, ResponseLikelihood


class MAPEstimator(AbilityEstimator):
    """Posterior mode by Fisher scoring from the best grid point.

    The standard error is ``1 / sqrt(test information + 1 / prior_sd^2)``.
    """

    name = "map"

    def estimate(
        self, likelihood: ResponseLikelihood, *, bounds: tuple[float, float]
    ) -> AbilityEstimate:
        start = self._grid_argmax(likelihood.log_likelihood + self.log_prior, bounds=bounds)
        return self._fisher_scoring(
            likelihood, start=start, bounds=bounds, prior_precision=1.0 / self.prior_sd**2
        )
