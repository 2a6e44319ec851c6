from __future__ import annotations

import numpy as np
import pytest

from quizzes.engine.item_bank import ItemBank


def make_bank(size: int, *, seed: int = 0, topics: tuple[str, ...] = ()) -> ItemBank:
    rng = np.random.default_rng(seed)
    a = rng.lognormal(0.0, 0.25, size)
    b = rng.normal(0.0, 1.0, size)
    return ItemBank.from_items(
        [
            {
                "id": f"item-{i}",
                "a": float(a[i]),
                "b": float(b[i]),
                "topic": topics[i % len(topics)] if topics else "",
            }
            for i in range(size)
        ]
    )


@pytest.fixture
def bank() -> ItemBank:
    return make_bank(300)
