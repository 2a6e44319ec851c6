"""An immutable item bank: parameter arrays built once from plain data and reused across requests.

Build it from the JSON-like items the quiz service stores::

    bank = ItemBank.from_items([{"id": "q1", "a": 1.2, "b": -0.3, "topic": "valves"}, ...])

The bank is immutable (its arrays are read-only) and picklable, so the service can cache it
per bank revision (Django's cache, possibly Redis) and share it between requests. Building a
bank of 30,000 items takes a few tens of milliseconds; everything per-step is precomputed here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from quizzes.engine.irt import item_information

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

# Parameter bounds: wide enough for any calibrated bank, narrow enough that the fast
# information formula (cosh of a * (ability - b) / 2) can never overflow.
MAX_DISCRIMINATION = 10.0
MAX_ABS_DIFFICULTY = 10.0
MAX_GUESSING = 0.5


def _readonly(values: npt.ArrayLike, dtype: type) -> Any:
    array: npt.NDArray[Any] = np.array(values, dtype=dtype)
    array.setflags(write=False)
    return array


class ItemBank:
    """Parameter arrays ``ids``, ``a``, ``b``, ``c``; ``topic_index`` indexes ``topics``."""

    __slots__ = (
        "_half_a",
        "_half_intercept",
        "_index",
        "_quarter_a_squared",
        "a",
        "b",
        "c",
        "has_guessing",
        "ids",
        "topic_index",
        "topics",
    )

    ids: tuple[str, ...]
    a: FloatArray
    b: FloatArray
    c: FloatArray
    topics: tuple[str, ...]
    topic_index: IntArray
    has_guessing: bool

    def __init__(
        self,
        *,
        ids: Sequence[str],
        a: npt.ArrayLike,
        b: npt.ArrayLike,
        c: npt.ArrayLike | None = None,
        topics: Sequence[str] | None = None,
    ) -> None:
        """Build from parallel arrays; ``topics`` holds one topic name per item ("" for none)."""
        a_arr = np.asarray(a, dtype=np.float64)
        b_arr = np.asarray(b, dtype=np.float64)
        n_items = len(ids)
        c_arr = np.zeros(n_items) if c is None else np.asarray(c, dtype=np.float64)
        item_topics = [""] * n_items if topics is None else list(topics)
        if n_items == 0:
            raise ValueError("An item bank needs at least one item.")
        for name, values in (("a", a_arr), ("b", b_arr), ("c", c_arr)):
            if values.shape != (n_items,):
                raise ValueError(f"'{name}' must have one value per item ({n_items}).")
            if not np.all(np.isfinite(values)):
                raise ValueError(f"'{name}' must be finite for every item.")
        if len(item_topics) != n_items:
            raise ValueError(f"'topics' must have one value per item ({n_items}).")
        if np.any(a_arr <= 0) or np.any(a_arr > MAX_DISCRIMINATION):
            bad = ids[int(np.argmax((a_arr <= 0) | (a_arr > MAX_DISCRIMINATION)))]
            raise ValueError(f"Item {bad!r}: 'a' must be in (0, {MAX_DISCRIMINATION}].")
        if np.any(np.abs(b_arr) > MAX_ABS_DIFFICULTY):
            bad = ids[int(np.argmax(np.abs(b_arr) > MAX_ABS_DIFFICULTY))]
            raise ValueError(
                f"Item {bad!r}: 'b' must be in [-{MAX_ABS_DIFFICULTY}, {MAX_ABS_DIFFICULTY}]."
            )
        if np.any(c_arr < 0) or np.any(c_arr > MAX_GUESSING):
            bad = ids[int(np.argmax((c_arr < 0) | (c_arr > MAX_GUESSING)))]
            raise ValueError(f"Item {bad!r}: 'c' must be in [0, {MAX_GUESSING}].")
        index: dict[str, int] = {}
        for position, item_id in enumerate(ids):
            if not isinstance(item_id, str) or not item_id:
                raise ValueError(f"Item at position {position}: 'id' must be a non-empty string.")
            if item_id in index:
                raise ValueError(f"Duplicate item id {item_id!r}.")
            index[item_id] = position
        topic_names = tuple(sorted(set(item_topics)))
        topic_position = {name: i for i, name in enumerate(topic_names)}

        self.ids = tuple(ids)
        self.a = _readonly(a_arr, np.float64)
        self.b = _readonly(b_arr, np.float64)
        self.c = _readonly(c_arr, np.float64)
        self.topics = topic_names
        self.topic_index = _readonly([topic_position[t] for t in item_topics], np.intp)
        self.has_guessing = bool(np.any(c_arr > 0))
        # Precomputed for the 2PL information a^2 P Q = (a^2 / 4) / cosh^2(a (ability - b) / 2).
        self._half_a = _readonly(a_arr / 2.0, np.float64)
        self._half_intercept = _readonly(-a_arr * b_arr / 2.0, np.float64)
        self._quarter_a_squared = _readonly(a_arr * a_arr / 4.0, np.float64)
        self._index = index  # set last: from here on the bank is immutable (see __setattr__)

    @classmethod
    def from_items(cls, items: Sequence[Mapping[str, Any]]) -> ItemBank:
        """Build from ``{"id": str, "a": float, "b": float, "c": float = 0, "topic": str = ""}``."""
        if isinstance(items, (str, bytes)) or not isinstance(items, Sequence):
            raise ValueError("Items must be a list of mappings.")
        ids: list[str] = []
        a: list[float] = []
        b: list[float] = []
        c: list[float] = []
        topics: list[str] = []
        for position, item in enumerate(items):
            if not isinstance(item, Mapping):
                raise ValueError(f"Item at position {position} must be a mapping.")
            try:
                ids.append(item["id"])
                a.append(float(item["a"]))
                b.append(float(item["b"]))
                c.append(float(item.get("c", 0.0) or 0.0))
            except KeyError as error:
                raise ValueError(f"Item at position {position} lacks {error.args[0]!r}.") from None
            except (TypeError, ValueError):
                raise ValueError(
                    f"Item at position {position}: 'a', 'b', 'c' must be numbers."
                ) from None
            topic = item.get("topic", "") or ""
            if not isinstance(topic, str):
                raise ValueError(f"Item at position {position}: 'topic' must be a string.")
            topics.append(topic)
        return cls(ids=ids, a=a, b=b, c=c, topics=topics)

    def to_items(self) -> list[dict[str, Any]]:
        """The plain-data form accepted by :meth:`from_items`."""
        return [
            {
                "id": item_id,
                "a": float(self.a[i]),
                "b": float(self.b[i]),
                "c": float(self.c[i]),
                "topic": self.topics[int(self.topic_index[i])],
            }
            for i, item_id in enumerate(self.ids)
        ]

    def __len__(self) -> int:
        return len(self.ids)

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuild through __init__ so the unpickled arrays are read-only again.
        topic_names = [self.topics[int(t)] for t in self.topic_index]
        return (_rebuild, (self.ids, self.a, self.b, self.c, topic_names))

    def __setattr__(self, name: str, value: Any) -> None:
        if hasattr(self, "_index"):
            raise AttributeError("ItemBank is immutable.")
        object.__setattr__(self, name, value)

    def index_of(self, item_id: str) -> int:
        """Position of an item id in the bank's arrays."""
        try:
            return self._index[item_id]
        except KeyError:
            raise ValueError(f"Unknown item id {item_id!r}.") from None

    def indices_of(self, item_ids: Sequence[str]) -> IntArray:
        """Positions of several item ids (ValueError for an unknown id)."""
        return np.array([self.index_of(i) for i in item_ids], dtype=np.intp)

    def difficulty_range(self) -> tuple[float, float]:
        return float(self.b.min()), float(self.b.max())

    def information_at(self, ability: float) -> FloatArray:
        """Fisher information of every item at one ability (a fresh array, safe to modify)."""
        if not math.isfinite(ability):
            raise ValueError("Ability must be finite.")
        if self.has_guessing:
            return item_information(ability, a=self.a, b=self.b, c=self.c)
        # 2PL fast path: five vectorised operations, no exp overflow (bounded parameters).
        half_z = self._half_a * ability
        half_z += self._half_intercept
        np.cosh(half_z, out=half_z)
        np.multiply(half_z, half_z, out=half_z)
        np.divide(self._quarter_a_squared, half_z, out=half_z)
        return half_z


def _rebuild(
    ids: tuple[str, ...], a: FloatArray, b: FloatArray, c: FloatArray, topics: list[str]
) -> ItemBank:
    return ItemBank(ids=ids, a=a, b=b, c=c, topics=topics)
