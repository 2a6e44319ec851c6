"""Sympson–Hetter exposure control with stored exposure parameters.

Each item ``i`` has an exposure parameter ``K_i`` in [0, 1]. At each step the available items
are considered best first; item ``i`` is administered with probability ``K_i``, otherwise it
is passed over and the next best is tried. Items with ``K_i = 1`` are never passed over. The
lottery draw of an item is keyed on (``attempt_key``, item), so an item passed over once is
passed over for the whole attempt (classic Sympson–Hetter) although the step function keeps
no state between requests. The parameters are computed offline by iterating on the
administration rate (:func:`quizzes.engine.simulation.sympson_hetter_parameters`): simulate
the quiz on a population with the current ``K``, measure each item's exposure ``P(A_i)``, set
``K_i = min(1, K_i * r_max / P(A_i))``, repeat. Store them per bank revision next to the bank
(one float per item id) and pass them to ``next_step(..., exposure_parameters=...)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from quizzes.engine.draws import stable_uniform
from quizzes.engine.item_bank import ItemBank
from quizzes.engine.selection.base import (
    BoolArray,
    FloatArray,
    ItemSelector,
    masked_information,
    top_candidates,
)

FIRST_BATCH = 16
LOTTERY = 0x5348  # distinguishes lottery draws from other draws keyed on the same attempt


class SympsonHetterSelector(ItemSelector):
    """Best-first lottery over the most informative items using stored ``K_i``."""

    name = "sympson-hetter"

    def __init__(self, *, exposure_parameters: npt.ArrayLike) -> None:
        parameters = np.asarray(exposure_parameters, dtype=np.float64)
        if parameters.ndim != 1 or not np.all(np.isfinite(parameters)):
            raise ValueError("Exposure parameters must be a finite 1-D array, one per item.")
        if np.any(parameters < 0) or np.any(parameters > 1):
            raise ValueError("Exposure parameters must be in [0, 1].")
        self.exposure_parameters: FloatArray = parameters

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
        if self.exposure_parameters.shape[0] != len(bank):
            raise ValueError(
                f"Exposure parameters have {self.exposure_parameters.shape[0]} values "
                f"for a bank of {len(bank)} items."
            )
        n_available = int(np.count_nonzero(available))
        if n_available == 0:
            return None
        information = masked_information(bank, ability, available)
        # Fast path: the best item usually wins its lottery (most K_i are 1 in a large bank),
        # so try it before any partial selection.
        best = int(np.argmax(information))
        parameters = self.exposure_parameters
        if n_available == 1 or stable_uniform(attempt_key, LOTTERY, best) < parameters[best]:
            return best
        information[best] = -np.inf
        n_available -= 1
        considered = 0
        batch = FIRST_BATCH
        while considered < n_available:
            candidates = top_candidates(information, min(batch, n_available))
            for item in candidates[considered:].tolist():
                if stable_uniform(attempt_key, LOTTERY, item) < parameters[item]:
                    return int(item)
            considered = candidates.shape[0]
            batch *= 4
        # Every available item lost its lottery: give the most informative one.
        return best
