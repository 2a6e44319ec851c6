"""Ability estimators: EAP (default), MAP and MLE, behind one contract (see base.py)."""

from __future__ import annotations

from quizzes.engine.estimation.base import (
    AbilityEstimate,
    AbilityEstimator,
    ResponseLikelihood,
    ability_bounds,
    quadrature_grid,
)
from quizzes.engine.estimation.eap import EAPEstimator
from quizzes.engine.estimation.map import MAPEstimator
from quizzes.engine.estimation.mle import MLEEstimator

ESTIMATORS: dict[str, type[AbilityEstimator]] = {
    cls.name: cls for cls in (EAPEstimator, MAPEstimator, MLEEstimator)
}


def make_estimator(
    name: str, *, prior_mean: float = 0.0, prior_sd: float = 1.0
) -> AbilityEstimator:
    """The estimator registered under ``name`` ("eap", "map" or "mle")."""
    try:
        cls = ESTIMATORS[name]
    except KeyError:
        raise ValueError(
            f"Unknown estimator {name!r}; choose one of {sorted(ESTIMATORS)}."
        ) from None
    return cls(prior_mean=prior_mean, prior_sd=prior_sd)


__all__ = [
    "ESTIMATORS",
    "AbilityEstimate",
    "AbilityEstimator",
    "EAPEstimator",
    "MAPEstimator",
    "MLEEstimator",
    "ResponseLikelihood",
    "ability_bounds",
    "make_estimator",
    "quadrature_grid",
]
