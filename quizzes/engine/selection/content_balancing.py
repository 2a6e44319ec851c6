"""Content balancing to a blueprint of topic shares (Kingsbury & Zara, 1989).

At each step the topic furthest below its target share is chosen (shares of the items given
so far; at the start the topic with the largest target), and the wrapped selector picks the
best item within that topic. Topics whose items are used up are skipped; if every blueprint
topic is used up, the whole bank is open again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from quizzes.engine.item_bank import ItemBank
from quizzes.engine.selection.base import BoolArray, ItemSelector


def normalise_blueprint(blueprint: Mapping[str, float]) -> dict[str, float]:
    """Shares scaled to sum to 1 (ValueError for negative, non-finite or all-zero shares)."""
    shares: dict[str, float] = {}
    for topic, share in blueprint.items():
        value = float(share)
        if not np.isfinite(value) or value < 0:
            raise ValueError(f"Blueprint share for topic {topic!r} must be a non-negative number.")
        shares[str(topic)] = value
    total = sum(shares.values())
    if total <= 0:
        raise ValueError("Blueprint shares must not all be zero.")
    return {topic: share / total for topic, share in shares.items()}


class ContentBalancedSelector(ItemSelector):
    """Wraps a selector: restricts each step to the blueprint topic most below its target."""

    name = "content-balanced"

    def __init__(self, *, inner: ItemSelector, blueprint: Mapping[str, float]) -> None:
        self.inner = inner
        self.blueprint = normalise_blueprint(blueprint)

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
        unknown = [t for t in self.blueprint if t not in bank.topics]
        if unknown:
            raise ValueError(f"Blueprint topics not in the bank: {sorted(unknown)}.")
        n_given = len(administered)
        counts = np.bincount(
            bank.topic_index[np.asarray(administered, dtype=np.intp)], minlength=len(bank.topics)
        )
        # Largest deficit first; ties broken by the larger target, then by name.
        ranked = sorted(
            (topic for topic, share in self.blueprint.items() if share > 0),
            key=lambda topic: (
                -(
                    self.blueprint[topic]
                    - (counts[bank.topics.index(topic)] / n_given if n_given else 0.0)
                ),
                -self.blueprint[topic],
                topic,
            ),
        )
        for topic in ranked:
            in_topic = available & (bank.topic_index == bank.topics.index(topic))
            if in_topic.any():
                return self.inner.select(
                    bank=bank,
                    ability=ability,
                    available=in_topic,
                    administered=administered,
                    rng=rng,
                )
        return self.inner.select(
            bank=bank,
            ability=ability,
            available=available,
            administered=administered,
            rng=rng,
            attempt_key=attempt_key,
        )
