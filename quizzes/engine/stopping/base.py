"""The stopping-rule contract.

A stopper looks at the test so far (number of items, current estimate, response likelihood)
and says whether to stop, why, and for classification rules the decision. ``StoppingRule``
combines them the way a quiz needs: the maximum length always stops; below the minimum
length nothing else may stop; otherwise the first stopper that fires wins.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from quizzes.engine.estimation.base import AbilityEstimate, ResponseLikelihood


@dataclass(frozen=True)
class StopDecision:
    stop: bool
    reason: str | None = None
    classification: str | None = None  # "pass" | "fail" | None


CONTINUE = StopDecision(stop=False)


class Stopper(ABC):
    """Contract: ``check`` returns a :class:`StopDecision` (``reason`` set when it stops)."""

    name: ClassVar[str]

    @abstractmethod
    def check(
        self,
        *,
        items_administered: int,
        estimate: AbilityEstimate,
        likelihood: ResponseLikelihood,
    ) -> StopDecision:
        """Whether the test can stop now."""


class StoppingRule:
    """Maximum length (hard), minimum length (veto), then the other stoppers in order."""

    def __init__(
        self,
        *,
        max_items: int,
        min_items: int = 0,
        stoppers: Sequence[Stopper] = (),
        ability_cut: float | None = None,
    ) -> None:
        from quizzes.engine.stopping.length import MaximumLength, MinimumLength

        self.maximum = MaximumLength(max_items=max_items)
        self.minimum = MinimumLength(min_items=min_items)
        if min_items > max_items:
            raise ValueError("min_items must not exceed max_items.")
        self.stoppers = tuple(stoppers)
        self.ability_cut = ability_cut

    def decide(
        self,
        *,
        items_administered: int,
        estimate: AbilityEstimate,
        likelihood: ResponseLikelihood,
    ) -> StopDecision:
        decision = self.maximum.check(
            items_administered=items_administered, estimate=estimate, likelihood=likelihood
        )
        if decision.stop:
            return self.with_point_classification(decision, estimate)
        if not self.minimum.allows_stop(items_administered):
            return CONTINUE
        for stopper in self.stoppers:
            decision = stopper.check(
                items_administered=items_administered, estimate=estimate, likelihood=likelihood
            )
            if decision.stop:
                return self.with_point_classification(decision, estimate)
        return CONTINUE

    def with_point_classification(
        self, decision: StopDecision, estimate: AbilityEstimate
    ) -> StopDecision:
        """When a cut is set, a stop without a decision is classified by the point estimate."""
        if self.ability_cut is None or decision.classification is not None:
            return decision
        classification = "pass" if estimate.ability >= self.ability_cut else "fail"
        return StopDecision(stop=True, reason=decision.reason, classification=classification)
