from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from quizzes.engine import EngineSettings, next_step
from quizzes.engine.simulation import simulate, sympson_hetter_parameters

from .conftest import make_bank


def test_first_step_picks_the_most_informative_item_at_the_start():
    bank = make_bank(300)
    result = next_step(bank=bank, responses=[], settings=EngineSettings(), seed=1)
    assert not result.stopped
    assert result.next_item_id == bank.ids[int(np.argmax(bank.information_at(0.0)))]
    assert result.ability == pytest.approx(0.0, abs=1e-9)
    assert result.standard_error == pytest.approx(1.0, abs=0.01)


def test_a_whole_attempt_never_repeats_an_item_and_stops_at_max_items():
    bank = make_bank(300)
    settings = EngineSettings(max_items=12, exposure="randomesque")
    responses: list[tuple[str, float]] = []
    while True:
        result = next_step(bank=bank, responses=responses, settings=settings, seed=len(responses))
        if result.stopped:
            break
        assert result.next_item_id is not None
        assert result.next_item_id not in {item for item, _ in responses}
        responses.append((result.next_item_id, float(len(responses) % 2)))
    assert len(responses) == 12
    assert result.stop_reason == "max_items"


def test_is_deterministic_for_a_seed():
    bank = make_bank(300)
    settings = EngineSettings(exposure="randomesque")
    responses = [("item-1", 1.0), ("item-2", 0.5)]
    first = next_step(bank=bank, responses=responses, settings=settings, seed=99)
    assert first == next_step(bank=bank, responses=responses, settings=settings, seed=99)


@pytest.mark.parametrize(
    ("settings", "responses", "reason", "classification"),
    [
        (EngineSettings(max_items=2), [("item-1", 1.0), ("item-2", 0.0)], "max_items", None),
        (
            EngineSettings(max_items=50, se_target=0.9),
            [("item-1", 1.0), ("item-2", 0.0)],
            "se_target",
            None,
        ),
        (
            EngineSettings(max_items=50, ability_cut=-2.5),
            [(f"item-{i}", 1.0) for i in range(25)],
            "classified",
            "pass",
        ),
        (
            EngineSettings(max_items=3, ability_cut=5.0),
            [(f"item-{i}", 1.0) for i in range(3)],
            "max_items",
            "fail",
        ),
    ],
)
def test_stop_reasons(settings, responses, reason, classification):
    result = next_step(bank=make_bank(300), responses=responses, settings=settings, seed=0)
    assert result.stopped
    assert result.next_item_id is None
    assert (result.stop_reason, result.classification) == (reason, classification)


def test_excluded_items_and_bank_exhaustion():
    bank = make_bank(5)
    result = next_step(
        bank=bank,
        responses=[("item-0", 1.0), ("item-1", 0.0)],
        settings=EngineSettings(max_items=5),
        seed=0,
        excluded_ids=["item-2", "item-3"],
    )
    assert result.next_item_id == "item-4"
    result = next_step(
        bank=bank,
        responses=[("item-0", 1.0), ("item-1", 0.0)],
        settings=EngineSettings(max_items=5),
        seed=0,
        excluded_ids=["item-2", "item-3", "item-4"],
    )
    assert (result.stopped, result.stop_reason) == (True, "bank_exhausted")


def test_content_blueprint_through_the_step_function():
    bank = make_bank(300, topics=("a", "b"))
    settings = EngineSettings(max_items=10, blueprint={"b": 1.0})
    result = next_step(bank=bank, responses=[], settings=settings, seed=0)
    assert result.next_item_id is not None
    assert bank.topics[bank.topic_index[bank.index_of(result.next_item_id)]] == "b"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"responses": [("nope", 1.0)]}, "Unknown item id"),
        ({"responses": [("item-1", 1.0), ("item-1", 0.0)]}, "answered twice"),
        ({"responses": [("item-1", 2.0)]}, r"must be in \[0, 1\]"),
        ({"responses": [("item-1",)]}, "pair"),
        ({"seed": -1}, "seed"),
        ({"settings": EngineSettings(exposure="sympson-hetter")}, "exposure_parameters"),
        ({"settings": EngineSettings(blueprint={"zzz": 1})}, "Blueprint topics"),
        ({"exposure_parameters": [0.5]}, None),
    ],
)
def test_bad_input_raises_value_error(kwargs, message):
    arguments: dict[str, Any] = {
        "bank": make_bank(30),
        "responses": [],
        "settings": EngineSettings(),
        "seed": 0,
    }
    arguments.update(kwargs)
    if message is None:  # exposure parameters are ignored without sympson-hetter
        next_step(**arguments)
        return
    with pytest.raises(ValueError, match=message):
        next_step(**arguments)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"estimator": "magic"}, "estimator"),
        ({"max_items": 0}, "max_items"),
        ({"min_items": 30, "max_items": 20}, "min_items"),
        ({"se_target": 0.0}, "se_target"),
        ({"classification": "vote"}, "classification"),
        ({"exposure": "hide"}, "exposure"),
        ({"prior_sd": 0.0}, "prior_sd"),
    ],
)
def test_bad_settings_raise_value_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        EngineSettings(**kwargs)


def test_settings_from_mapping_rejects_unknown_keys():
    assert EngineSettings.from_mapping({"max_items": 5}).max_items == 5
    with pytest.raises(ValueError, match="Unknown engine settings"):
        EngineSettings.from_mapping({"max_itemz": 5})


def test_simulation_recovers_abilities_with_an_honest_standard_error():
    bank = make_bank(300)
    thetas = np.random.default_rng(5).normal(0, 1, 150)
    result = simulate(bank=bank, abilities=thetas, settings=EngineSettings(max_items=30), seed=1)
    rmse = float(np.sqrt(np.mean((result.estimates - thetas) ** 2)))
    reported = float(np.sqrt(np.mean(result.standard_errors**2)))
    assert rmse < 0.35
    assert abs(np.mean(result.estimates - thetas)) < 0.1
    assert abs(reported / rmse - 1) < 0.2
    assert set(result.estimates_at) == {10, 20, 30}


def test_sympson_hetter_parameters_cap_exposure():
    bank = make_bank(200)
    settings = EngineSettings(max_items=10, exposure="sympson-hetter")
    parameters = sympson_hetter_parameters(
        bank=bank, settings=settings, max_exposure=0.3, examinees=200, iterations=6, seed=3
    )
    assert parameters.min() < 1.0
    result = simulate(
        bank=bank,
        abilities=np.random.default_rng(9).normal(0, 1, 200),
        settings=settings,
        exposure_parameters=parameters,
    )
    unrestricted = simulate(
        bank=bank,
        abilities=np.random.default_rng(9).normal(0, 1, 200),
        settings=EngineSettings(max_items=10),
    )
    assert unrestricted.max_exposure == 1.0
    assert result.max_exposure < 0.45
