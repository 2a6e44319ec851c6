"""Pass/fail classification around an ability cut: confidence interval or SPRT."""

from __future__ import annotations

import math

from quizzes.engine.estimation.base import AbilityEstimate, ResponseLikelihood
from quizzes.engine.stopping.base import CONTINUE, StopDecision, Stopper

Z_95 = 1.959963984540054


class ConfidenceIntervalClassifier(Stopper):
    """Stop when the 95% interval ``ability ± 1.96 SE`` lies entirely above or below the cut."""

    name = "ci"

    def __init__(self, *, ability_cut: float, z: float = Z_95) -> None:
        if not math.isfinite(ability_cut):
            raise ValueError("ability_cut must be a finite number.")
        if not math.isfinite(z) or z <= 0:
            raise ValueError("The confidence multiplier must be positive.")
        self.ability_cut = ability_cut
        self.z = z

    def check(
        self,
        *,
        items_administered: int,
        estimate: AbilityEstimate,
        likelihood: ResponseLikelihood,
    ) -> StopDecision:
        if items_administered == 0:
            return CONTINUE
        half_width = self.z * estimate.standard_error
        if estimate.ability - half_width > self.ability_cut:
            return StopDecision(stop=True, reason="classified", classification="pass")
        if estimate.ability + half_width < self.ability_cut:
            return StopDecision(stop=True, reason="classified", classification="fail")
        return CONTINUE


class SPRTClassifier(Stopper):
    """Wald's SPRT of ``cut + delta`` against ``cut - delta`` (error rates alpha = beta)."""

    name = "sprt"

    def __init__(
        self, *, ability_cut: float, indifference: float = 0.3, error_rate: float = 0.05
    ) -> None:
        if not math.isfinite(ability_cut):
            raise ValueError("ability_cut must be a finite number.")
        if not math.isfinite(indifference) or indifference <= 0:
            raise ValueError("The SPRT indifference half-width must be positive.")
        if not 0 < error_rate < 0.5:
            raise ValueError("The SPRT error rate must be in (0, 0.5).")
        self.ability_cut = ability_cut
        self.indifference = indifference
        self.upper = math.log((1 - error_rate) / error_rate)
        self.lower = -self.upper

    def check(
        self,
        *,
        items_administered: int,
        estimate: AbilityEstimate,
        likelihood: ResponseLikelihood,
    ) -> StopDecision:
        if items_administered == 0:
            return CONTINUE
        log_ratio = likelihood.log_likelihood_at(
            self.ability_cut + self.indifference
        ) - likelihood.log_likelihood_at(self.ability_cut - self.indifference)
        if log_ratio >= self.upper:
            return StopDecision(stop=True, reason="classified", classification="pass")
        if log_ratio <= self.lower:
            return StopDecision(stop=True, reason="classified", classification="fail")
        return CONTINUE
