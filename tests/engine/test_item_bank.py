from __future__ import annotations

import pickle
import time

import numpy as np
import pytest

from quizzes.engine.irt import item_information
from quizzes.engine.item_bank import ItemBank

from .conftest import make_bank


def test_builds_arrays_and_topic_index_from_plain_data():
    bank = ItemBank.from_items(
        [
            {"id": "q1", "a": 1.2, "b": -0.5, "topic": "valves"},
            {"id": "q2", "a": 0.8, "b": 0.5, "c": 0.2, "topic": "imaging"},
            {"id": "q3", "a": 1.0, "b": 0.0},
        ]
    )
    assert bank.ids == ("q1", "q2", "q3")
    assert bank.a.tolist() == [1.2, 0.8, 1.0]
    assert bank.c.tolist() == [0.0, 0.2, 0.0]
    assert bank.topics == ("", "imaging", "valves")
    assert [bank.topics[i] for i in bank.topic_index] == ["valves", "imaging", ""]
    assert bank.index_of("q2") == 1


def test_is_immutable_and_picklable(bank):
    with pytest.raises(ValueError, match="read-only"):
        bank.a[0] = 2.0
    with pytest.raises(AttributeError, match="immutable"):
        bank.a = np.ones(len(bank))
    restored = pickle.loads(pickle.dumps(bank))
    assert restored.ids == bank.ids
    assert np.array_equal(restored.b, bank.b)
    assert not restored.a.flags.writeable


def test_fast_information_matches_reference_formula(bank):
    expected = item_information(0.3, a=bank.a, b=bank.b)
    assert np.allclose(bank.information_at(0.3), expected)


def test_30000_items_build_quickly():
    started = time.perf_counter()
    bank = make_bank(30_000)
    assert len(bank) == 30_000
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([], "at least one item"),
        ([{"id": "q1", "a": 1.0}], "lacks 'b'"),
        ([{"id": "q1", "a": "x", "b": 0}], "must be numbers"),
        ([{"id": "q1", "a": -1.0, "b": 0}], "'a' must be in"),
        ([{"id": "q1", "a": 1.0, "b": 99}], "'b' must be in"),
        ([{"id": "q1", "a": 1.0, "b": 0, "c": 0.9}], "'c' must be in"),
        ([{"id": "q1", "a": 1.0, "b": 0}, {"id": "q1", "a": 1.0, "b": 0}], "Duplicate item id"),
        ([{"id": 7, "a": 1.0, "b": 0}], "non-empty string"),
        ([{"id": "q1", "a": float("nan"), "b": 0}], "finite"),
        ("not a list", "list of mappings"),
    ],
)
def test_bad_items_raise_value_error(items, message):
    with pytest.raises(ValueError, match=message):
        ItemBank.from_items(items)


def test_unknown_id_raises_value_error(bank):
    with pytest.raises(ValueError, match="Unknown item id"):
        bank.index_of("nope")
