from __future__ import annotations

import pytest

from quizzes.engine.estimation import AbilityEstimate, EAPEstimator
from quizzes.engine.stopping import (
    ConfidenceIntervalClassifier,
    MaximumLength,
    SPRTClassifier,
    StandardErrorTarget,
    StoppingRule,
)

STOPPERS = [
    MaximumLength(max_items=10),
    StandardErrorTarget(se_target=0.3),
    ConfidenceIntervalClassifier(ability_cut=0.0),
    SPRTClassifier(ability_cut=0.0, indifference=0.3),
]


def likelihood_with(score: float, count: int):
    likelihood = EAPEstimator().new_likelihood()
    for i in range(count):
        likelihood.add(a=1.5, b=-0.5 + 0.05 * i, score=score)
    return likelihood


@pytest.mark.parametrize("stopper", STOPPERS, ids=lambda s: s.name)
class TestStopperContract:
    def test_never_stops_before_any_item(self, stopper):
        decision = stopper.check(
            items_administered=0,
            estimate=AbilityEstimate(ability=3.0, standard_error=0.01),
            likelihood=likelihood_with(1.0, 0),
        )
        assert not decision.stop
        assert decision.reason is None

    def test_stops_with_a_reason_on_overwhelming_evidence(self, stopper):
        decision = stopper.check(
            items_administered=40,
            estimate=AbilityEstimate(ability=2.5, standard_error=0.1),
            likelihood=likelihood_with(1.0, 40),
        )
        assert decision.stop
        assert decision.reason in {"max_items", "se_target", "classified"}
        if decision.reason == "classified":
            assert decision.classification == "pass"


@pytest.mark.parametrize(
    ("items", "estimate", "expected"),
    [
        (3, AbilityEstimate(0.0, 0.1), (False, None, None)),  # below min_items: veto
        (5, AbilityEstimate(0.0, 0.1), (True, "se_target", "pass")),
        (5, AbilityEstimate(-0.2, 0.5), (False, None, None)),
        (12, AbilityEstimate(-0.2, 0.5), (True, "max_items", "fail")),
    ],
)
def test_stopping_rule_table(items, estimate, expected):
    rule = StoppingRule(
        max_items=12,
        min_items=5,
        stoppers=[StandardErrorTarget(se_target=0.3)],
        ability_cut=0.0,
    )
    decision = rule.decide(
        items_administered=items, estimate=estimate, likelihood=likelihood_with(1.0, items)
    )
    assert (decision.stop, decision.reason, decision.classification) == expected


def test_sprt_fails_a_consistently_wrong_examinee():
    decision = SPRTClassifier(ability_cut=0.0).check(
        items_administered=30,
        estimate=AbilityEstimate(-2.0, 0.3),
        likelihood=likelihood_with(0.0, 30),
    )
    assert (decision.stop, decision.classification) == (True, "fail")


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (lambda: MaximumLength(max_items=0), "max_items"),
        (lambda: StandardErrorTarget(se_target=-1), "se_target"),
        (lambda: ConfidenceIntervalClassifier(ability_cut=float("inf")), "ability_cut"),
        (lambda: SPRTClassifier(ability_cut=0, indifference=0), "indifference"),
        (lambda: StoppingRule(max_items=5, min_items=6), "min_items"),
    ],
)
def test_bad_configuration_raises_value_error(factory, message):
    with pytest.raises(ValueError, match=message):
        factory()
