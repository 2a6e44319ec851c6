"""Test-length rules: the maximum length stops; the minimum length forbids earlier stops."""

from __future__ import annotations

from quizzes.engine.estimation.base import AbilityEstimate, ResponseLikelihood
from quizzes.engine.stopping.base import CONTINUE, StopDecision, Stopper


class MaximumLength(Stopper):
    name = "max_items"

    def __init__(self, *, max_items: int) -> None:
        if not isinstance(max_items, int) or isinstance(max_items, bool) or max_items < 1:
            raise ValueError("max_items must be a positive integer.")
        self.max_items = max_items

    def check(
        self,
        *,
        items_administered: int,
        estimate: AbilityEstimate,
        likelihood: ResponseLikelihood,
    ) -> StopDecision:
        if items_administered >= self.max_items:
            return StopDecision(stop=True, reason="max_items")
        return CONTINUE


class MinimumLength:
    """Not a stopper: it vetoes the others until ``min_items`` items were given."""

    def __init__(self, *, min_items: int) -> None:
        if not isinstance(min_items, int) or isinstance(min_items, bool) or min_items < 0:
            raise ValueError("min_items must be a non-negative integer.")
        self.min_items = min_items

    def allows_stop(self, items_administered: int) -> bool:
        return items_administered >= self.min_items
