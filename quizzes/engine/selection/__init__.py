"""Item selectors behind one contract (see base.py)."""

from __future__ import annotations

from quizzes.engine.selection.base import ItemSelector, masked_information, top_candidates
from quizzes.engine.selection.content_balancing import ContentBalancedSelector, normalise_blueprint
from quizzes.engine.selection.max_info import MaxInfoSelector
from quizzes.engine.selection.randomesque import RandomesqueSelector
from quizzes.engine.selection.sympson_hetter import SympsonHetterSelector

__all__ = [
    "ContentBalancedSelector",
    "ItemSelector",
    "MaxInfoSelector",
    "RandomesqueSelector",
    "SympsonHetterSelector",
    "masked_information",
    "normalise_blueprint",
    "top_candidates",
]
