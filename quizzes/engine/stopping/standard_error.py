"""Stop once the standard error of the ability estimate is below a target."""

from __future__ import annotations

import math

from quizzes.engine.estimation.base import AbilityEstimate, ResponseLikelihood
from quizzes.engine.stopping.base import CONTINUE, StopDecision, Stopper


class StandardErrorTarget(Stopper):
    name = "se_target"

    def __init__(self, *, se_target: float) -> None:
        if not math.isfinite(se_target) or se_target <= 0:
            raise ValueError("se_target must be a positive number.")
        self.se_target = se_target

    def check(
        self,
        *,
        items_administered: int,
        estimate: AbilityEstimate,
        likelihood: ResponseLikelihood,
    ) -> StopDecision:
        # No items means the SE is the prior's: never stop on it.
        if items_administered > 0 and estimate.standard_error < self.se_target:
            return StopDecision(stop=True, reason="se_target")
        return CONTINUE
