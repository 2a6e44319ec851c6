from __future__ import annotations

import numpy as np
import pytest

from quizzes.engine.selection import (
    ContentBalancedSelector,
    ItemSelector,
    MaxInfoSelector,
    RandomesqueSelector,
    SympsonHetterSelector,
)

from .conftest import make_bank

TOPICS = ("anatomy", "imaging", "valves")


def all_selectors(n_items: int) -> list[ItemSelector]:
    return [
        MaxInfoSelector(),
        RandomesqueSelector(k=5),
        SympsonHetterSelector(exposure_parameters=np.full(n_items, 0.5)),
        ContentBalancedSelector(inner=MaxInfoSelector(), blueprint={"valves": 2, "imaging": 1}),
    ]


SELECTOR_IDS = ["max-info", "randomesque", "sympson-hetter", "content-balanced"]


@pytest.mark.parametrize("position", range(4), ids=SELECTOR_IDS)
class TestSelectorContract:
    def test_never_returns_an_unavailable_item(self, position):
        bank = make_bank(60, topics=TOPICS)
        selector = all_selectors(len(bank))[position]
        rng = np.random.default_rng(1)
        available = np.ones(len(bank), dtype=bool)
        administered: list[int] = []
        for _ in range(len(bank)):
            item = selector.select(
                bank=bank, ability=0.3, available=available, administered=administered, rng=rng
            )
            assert item is not None
            assert available[item]
            available[item] = False
            administered.append(item)
        assert sorted(administered) == list(range(len(bank)))
        assert (
            selector.select(
                bank=bank, ability=0.3, available=available, administered=administered, rng=rng
            )
            is None
        )

    def test_is_deterministic_for_a_seed(self, position):
        bank = make_bank(200, topics=TOPICS)
        picks = []
        for _ in range(2):
            selector = all_selectors(len(bank))[position]
            picks.append(
                [
                    selector.select(
                        bank=bank,
                        ability=ability,
                        available=np.ones(len(bank), dtype=bool),
                        administered=[],
                        rng=np.random.default_rng(7),
                        attempt_key=11,
                    )
                    for ability in (-1.0, 0.0, 1.0)
                ]
            )
        assert picks[0] == picks[1]

    def test_does_not_sort_the_whole_bank(self, position, monkeypatch):
        # catsim sorts the whole bank by information at every step; we select partially.
        bank = make_bank(5000, topics=TOPICS)
        selector = all_selectors(len(bank))[position]
        original = np.argsort

        def guarded_argsort(values, *args, **kwargs):
            assert np.size(values) <= 1024, "full sort of the bank"
            return original(values, *args, **kwargs)

        def no_sort(*args, **kwargs):
            raise AssertionError("np.sort called during selection")

        monkeypatch.setattr(np, "argsort", guarded_argsort)
        monkeypatch.setattr(np, "sort", no_sort)
        item = selector.select(
            bank=bank,
            ability=0.0,
            available=np.ones(len(bank), dtype=bool),
            administered=[],
            rng=np.random.default_rng(0),
        )
        assert item is not None


def test_max_info_picks_the_most_informative_available_item():
    bank = make_bank(100)
    available = np.ones(len(bank), dtype=bool)
    information = bank.information_at(0.5)
    best = int(np.argmax(information))
    available[best] = False
    item = MaxInfoSelector().select(
        bank=bank,
        ability=0.5,
        available=available,
        administered=[best],
        rng=np.random.default_rng(0),
    )
    information[best] = -1
    assert item == int(np.argmax(information))


def test_randomesque_spreads_choices_over_the_top_k():
    bank = make_bank(300)
    top5 = set(np.argpartition(bank.information_at(0.0), 295)[295:].tolist())
    chosen = {
        RandomesqueSelector(k=5).select(
            bank=bank,
            ability=0.0,
            available=np.ones(300, dtype=bool),
            administered=[],
            rng=np.random.default_rng(seed),
        )
        for seed in range(200)
    }
    assert chosen == top5


def test_sympson_hetter_skips_items_with_zero_parameter_and_keeps_decision_per_attempt():
    bank = make_bank(100)
    best = int(np.argmax(bank.information_at(0.0)))
    parameters = np.ones(100)
    parameters[best] = 0.0
    selector = SympsonHetterSelector(exposure_parameters=parameters)
    item = selector.select(
        bank=bank,
        ability=0.0,
        available=np.ones(100, dtype=bool),
        administered=[],
        rng=np.random.default_rng(0),
    )
    assert item != best
    half = SympsonHetterSelector(exposure_parameters=np.full(100, 0.5))
    picks = {
        half.select(
            bank=bank,
            ability=0.0,
            available=np.ones(100, dtype=bool),
            administered=[],
            rng=np.random.default_rng(step),
            attempt_key=42,
        )
        for step in range(20)
    }
    assert len(picks) == 1  # same attempt: the same lottery outcome at every step


def test_content_balancing_follows_the_blueprint():
    bank = make_bank(600, topics=TOPICS)
    selector = ContentBalancedSelector(
        inner=MaxInfoSelector(), blueprint={"valves": 0.5, "imaging": 0.3, "anatomy": 0.2}
    )
    available = np.ones(len(bank), dtype=bool)
    administered: list[int] = []
    for _ in range(20):
        item = selector.select(
            bank=bank,
            ability=0.0,
            available=available,
            administered=administered,
            rng=np.random.default_rng(0),
        )
        assert item is not None
        available[item] = False
        administered.append(item)
    topics = [bank.topics[bank.topic_index[i]] for i in administered]
    assert topics.count("valves") == 10
    assert topics.count("imaging") == 6
    assert topics.count("anatomy") == 4
    assert topics[0] == "valves"  # largest target first


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (lambda: RandomesqueSelector(k=0), "randomesque_k"),
        (lambda: SympsonHetterSelector(exposure_parameters=[1.5]), r"\[0, 1\]"),
        (
            lambda: ContentBalancedSelector(inner=MaxInfoSelector(), blueprint={"a": -1}),
            "non-negative",
        ),
        (
            lambda: ContentBalancedSelector(inner=MaxInfoSelector(), blueprint={"a": 0}),
            "all be zero",
        ),
    ],
)
def test_bad_configuration_raises_value_error(factory, message):
    with pytest.raises(ValueError, match=message):
        factory()
