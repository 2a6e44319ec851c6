"""Maximum Fisher information selection."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from quizzes.engine.item_bank import ItemBank
from quizzes.engine.selection.base import BoolArray, ItemSelector, masked_information


class MaxInfoSelector(ItemSelector):
    """The available item with the most information at the current ability (one argmax)."""

    name = "max-info"

    def select(
        self,
        *,
        bank: ItemBank,
        ability: float,
        available: BoolArray,
        administered: Sequence[int],
        rng: np.random.Generator,
        attempt_key: int = 0,
    ) -> int | None:
        if not available.any():
            return None
        return int(np.argmax(masked_information(bank, ability, available)))
