"""Maximum-likelihood estimation (MLE), finite for every pattern."""

from __future__ import annotations

from quizzes.engine.estimation.base import AbilityEstimate, AbilityEstimator, ResponseLikelihood


class MLEEstimator(AbilityEstimator):
    """Likelihood maximum by Fisher scoring; the standard error is ``1 / sqrt(information)``.

    The MLE is infinite until the pattern is mixed (some credit and some lack of it). Until
    then the estimator returns the MAP estimate under the configured prior: it moves down
    after every wrong answer and up after every right one, wherever the start lies (catsim's
    Dodd heuristic moves *up* after wrong answers when the start is below every item). The
    estimate is kept within ``bounds`` so near-perfect patterns stay near the bank's range.
    """

    name = "mle"

    def estimate(
        self, likelihood: ResponseLikelihood, *, bounds: tuple[float, float]
    ) -> AbilityEstimate:
        if not likelihood.is_mixed:
            start = self._grid_argmax(likelihood.log_likelihood + self.log_prior, bounds=bounds)
            return self._fisher_scoring(
                likelihood, start=start, bounds=bounds, prior_precision=1.0 / self.prior_sd**2
            )
        start = self._grid_argmax(likelihood.log_likelihood, bounds=bounds)
        return self._fisher_scoring(likelihood, start=start, bounds=bounds, prior_precision=0.0)
