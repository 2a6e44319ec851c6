"""Stopping rules behind one contract (see base.py)."""

from __future__ import annotations

from quizzes.engine.stopping.base import CONTINUE, StopDecision, Stopper, StoppingRule
from quizzes.engine.stopping.classification import ConfidenceIntervalClassifier, SPRTClassifier
from quizzes.engine.stopping.length import MaximumLength, MinimumLength
from quizzes.engine.stopping.standard_error import StandardErrorTarget

__all__ = [
    "CONTINUE",
    "ConfidenceIntervalClassifier",
    "MaximumLength",
    "MinimumLength",
    "SPRTClassifier",
    "StandardErrorTarget",
    "StopDecision",
    "Stopper",
    "StoppingRule",
]
