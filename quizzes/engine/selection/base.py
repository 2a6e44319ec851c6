"""The item-selector contract.

A selector picks the next item for an ability estimate among the ``available`` items (a boolean
mask over the bank: items already given in this attempt, and optionally items seen in earlier
attempts, are ``False``). It never returns an unavailable item, returns ``None`` when nothing is
available, and never sorts the whole bank: it works on a masked information vector with
``argmax`` / ``argpartition`` (O(n) per step).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from quizzes.engine.item_bank import ItemBank

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class ItemSelector(ABC):
    """Contract: ``select`` returns the index of an available item, or ``None`` if none is left."""

    name: ClassVar[str]

    @abstractmethod
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
        """Index (into the bank) of the next item.

        ``rng`` drives per-step randomness (randomesque). ``attempt_key`` is stable for the
        whole attempt: decisions keyed on it (the Sympson–Hetter lottery of an item) are the
        same at every step of the attempt.
        """


def masked_information(bank: ItemBank, ability: float, available: BoolArray) -> FloatArray:
    """Item information at ``ability`` with unavailable items set to -inf."""
    information = bank.information_at(ability)
    np.copyto(information, -np.inf, where=~available)
    return information


def top_candidates(information: FloatArray, count: int) -> npt.NDArray[np.intp]:
    """Indices of the ``count`` most informative items, best first (partial selection only)."""
    count = min(count, information.shape[0])
    if count >= information.shape[0]:
        top = np.arange(information.shape[0])
    else:
        top = np.argpartition(information, information.shape[0] - count)[-count:]
    # Sorting the few candidates is O(count log count), independent of the bank size.
    ordered: npt.NDArray[np.intp] = top[np.argsort(-information[top], kind="stable")]
    return ordered
