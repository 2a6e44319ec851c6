"""Randomesque exposure control: a random item among the k most informative."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from quizzes.engine.item_bank import ItemBank
from quizzes.engine.selection.base import BoolArray, ItemSelector, masked_information


class RandomesqueSelector(ItemSelector):
    """Uniform choice among the ``k`` most informative available items (Kingsbury & Zara)."""

    name = "randomesque"

    def __init__(self, *, k: int = 5) -> None:
        if not isinstance(k, int) or k < 1:
            raise ValueError("randomesque_k must be a positive integer.")
        self.k = k

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
        n_available = int(np.count_nonzero(available))
        if n_available == 0:
            return None
        k = min(self.k, n_available)
        information = masked_information(bank, ability, available)
        if k == 1:
            return int(np.argmax(information))
        n = information.shape[0]
        # argpartition puts the k largest (all available, as k <= n_available) last.
        top = np.argpartition(information, n - k)[n - k :]
        return int(top[int(rng.integers(k))])
