"""The step function the quiz service calls once per question.

Contract::

    bank = ItemBank.from_items(items)            # cache per bank revision (picklable)
    settings = EngineSettings(max_items=30, se_target=0.3, exposure="randomesque")
    result = next_step(
        bank=bank,
        responses=[("q17", 1.0), ("q3", 0.0)],   # (item id, score in [0, 1]) so far, in order
        settings=settings,
        seed=attempt_seed,                       # e.g. hash(attempt id, position)
        excluded_ids=ids_seen_in_earlier_attempts,
        exposure_parameters=stored_sympson_hetter_parameters,  # only for "sympson-hetter"
        attempt_key=attempt_seed,                # e.g. hash(attempt id); same at every step
    )
    result.next_item_id   # str, or None when stopped
    result.ability, result.standard_error
    result.stopped, result.stop_reason
    # stop_reason: "max_items" | "se_target" | "classified" | "bank_exhausted"
    result.classification               # "pass" | "fail" | None (only with ability_cut)

* Fractional scores are partial credit: ``score * log P + (1 - score) * log(1 - P)``.
* ``next_step`` is a pure function of its arguments: the same inputs and seed give the same
  item. ``seed`` (vary it per position) drives randomesque choice; ``attempt_key`` (keep it
  fixed for the attempt; defaults to ``seed``) keys the Sympson–Hetter lottery, so an item
  passed over once stays passed over for the attempt, as the procedure assumes.
* An item is never given twice in an attempt; ``excluded_ids`` (e.g. items from the learner's
  earlier attempts) are never selected either. When no item is left the test stops with
  ``"bank_exhausted"``.
* When ``ability_cut`` is set, every stop carries a classification: the rule's decision when
  the classifier stopped the test (``"classified"``), otherwise the side of the cut the
  ability estimate is on.
* ``exposure_parameters`` (Sympson–Hetter ``K_i``) come from
  :func:`quizzes.engine.simulation.sympson_hetter_parameters`, run offline per bank revision;
  pass either an array aligned with the bank or a mapping item id -> K (missing ids: 1.0).
* Bad input raises ``ValueError`` with a message fit for a 4xx response.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from quizzes.engine.estimation import AbilityEstimator, ability_bounds, make_estimator
from quizzes.engine.item_bank import ItemBank
from quizzes.engine.selection import (
    ContentBalancedSelector,
    ItemSelector,
    MaxInfoSelector,
    RandomesqueSelector,
    SympsonHetterSelector,
    normalise_blueprint,
)
from quizzes.engine.stopping import (
    ConfidenceIntervalClassifier,
    SPRTClassifier,
    StandardErrorTarget,
    StopDecision,
    Stopper,
    StoppingRule,
)

EXPOSURE_METHODS = ("none", "randomesque", "sympson-hetter")
CLASSIFICATION_METHODS = ("ci", "sprt")


@dataclass(frozen=True)
class EngineSettings:
    """A quiz's adaptive-engine settings (validated on construction)."""

    estimator: str = "eap"
    max_items: int = 20
    min_items: int = 0
    se_target: float | None = None
    ability_cut: float | None = None
    classification: str = "ci"
    sprt_indifference: float = 0.3
    exposure: str = "none"
    randomesque_k: int = 5
    blueprint: Mapping[str, float] | None = field(default=None, hash=False)
    prior_mean: float = 0.0
    prior_sd: float = 1.0

    def __post_init__(self) -> None:
        if self.estimator not in ("eap", "map", "mle"):
            raise ValueError("estimator must be one of 'eap', 'map', 'mle'.")
        for name in ("max_items", "min_items", "randomesque_k"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError(f"{name} must be an integer.")
        if self.max_items < 1:
            raise ValueError("max_items must be at least 1.")
        if not 0 <= self.min_items <= self.max_items:
            raise ValueError("min_items must be between 0 and max_items.")
        if self.se_target is not None and not (
            math.isfinite(self.se_target) and self.se_target > 0
        ):
            raise ValueError("se_target must be a positive number.")
        if self.ability_cut is not None and not math.isfinite(self.ability_cut):
            raise ValueError("ability_cut must be a finite number.")
        if self.classification not in CLASSIFICATION_METHODS:
            raise ValueError("classification must be 'ci' or 'sprt'.")
        if not (math.isfinite(self.sprt_indifference) and self.sprt_indifference > 0):
            raise ValueError("sprt_indifference must be a positive number.")
        if self.exposure not in EXPOSURE_METHODS:
            raise ValueError(f"exposure must be one of {', '.join(EXPOSURE_METHODS)}.")
        if self.randomesque_k < 1:
            raise ValueError("randomesque_k must be at least 1.")
        if not self.blueprint:
            object.__setattr__(self, "blueprint", None)  # an empty blueprint means none
        else:
            # Normalised once here; stored as a plain dict so settings stay picklable.
            object.__setattr__(self, "blueprint", normalise_blueprint(self.blueprint))
        if not (math.isfinite(self.prior_mean) and abs(self.prior_mean) <= 6):
            raise ValueError("prior_mean must be within ±6.")
        if not (math.isfinite(self.prior_sd) and 0.1 <= self.prior_sd <= 5):
            raise ValueError("prior_sd must be in [0.1, 5].")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> EngineSettings:
        """Settings from stored JSON (unknown keys are an error, so typos surface)."""
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"Unknown engine settings: {sorted(unknown)}.")
        return cls(**dict(data))


@dataclass(frozen=True)
class StepResult:
    next_item_id: str | None
    ability: float
    standard_error: float
    stopped: bool
    stop_reason: str | None = None
    classification: str | None = None
    items_administered: int = 0


@dataclass(frozen=True)
class Engine:
    """The components one quiz's settings call for (built per call; all cheap)."""

    settings: EngineSettings
    estimator: AbilityEstimator
    selector: ItemSelector
    stopping_rule: StoppingRule

    @classmethod
    def build(
        cls,
        *,
        bank: ItemBank,
        settings: EngineSettings,
        exposure_parameters: npt.ArrayLike | Mapping[str, float] | None = None,
    ) -> Engine:
        estimator = make_estimator(
            settings.estimator, prior_mean=settings.prior_mean, prior_sd=settings.prior_sd
        )
        selector: ItemSelector
        if settings.exposure == "randomesque":
            selector = RandomesqueSelector(k=settings.randomesque_k)
        elif settings.exposure == "sympson-hetter":
            if exposure_parameters is None:
                raise ValueError("Sympson–Hetter exposure control needs exposure_parameters.")
            selector = SympsonHetterSelector(
                exposure_parameters=align_exposure_parameters(bank, exposure_parameters)
            )
        else:
            selector = MaxInfoSelector()
        if settings.blueprint:
            unknown = [t for t in settings.blueprint if t not in bank.topics]
            if unknown:
                raise ValueError(f"Blueprint topics not in the bank: {sorted(unknown)}.")
            selector = ContentBalancedSelector(inner=selector, blueprint=settings.blueprint)
        stoppers: list[Stopper] = []
        if settings.se_target is not None:
            stoppers.append(StandardErrorTarget(se_target=settings.se_target))
        if settings.ability_cut is not None:
            if settings.classification == "sprt":
                stoppers.append(
                    SPRTClassifier(
                        ability_cut=settings.ability_cut, indifference=settings.sprt_indifference
                    )
                )
            else:
                stoppers.append(ConfidenceIntervalClassifier(ability_cut=settings.ability_cut))
        rule = StoppingRule(
            max_items=settings.max_items,
            min_items=settings.min_items,
            stoppers=stoppers,
            ability_cut=settings.ability_cut,
        )
        return cls(settings=settings, estimator=estimator, selector=selector, stopping_rule=rule)

    def bounds(self, bank: ItemBank) -> tuple[float, float]:
        return ability_bounds(
            difficulty_range=bank.difficulty_range(), prior_mean=self.settings.prior_mean
        )


def align_exposure_parameters(
    bank: ItemBank, exposure_parameters: npt.ArrayLike | Mapping[str, float]
) -> npt.NDArray[np.float64]:
    """Sympson–Hetter parameters as an array aligned with the bank."""
    if isinstance(exposure_parameters, Mapping):
        aligned = np.ones(len(bank))
        for item_id, value in exposure_parameters.items():
            aligned[bank.index_of(item_id)] = float(value)
        return aligned
    aligned = np.asarray(exposure_parameters, dtype=np.float64)
    if aligned.shape != (len(bank),):
        raise ValueError(f"Exposure parameters must have one value per item ({len(bank)}).")
    return aligned


def next_step(
    *,
    bank: ItemBank,
    responses: Sequence[tuple[str, float]],
    settings: EngineSettings,
    seed: int,
    excluded_ids: Sequence[str] = (),
    exposure_parameters: npt.ArrayLike | Mapping[str, float] | None = None,
    attempt_key: int | None = None,
) -> StepResult:
    """Next item (or stop), ability and standard error for an attempt's responses so far."""
    if not isinstance(bank, ItemBank):
        raise ValueError("bank must be an ItemBank.")
    if not isinstance(settings, EngineSettings):
        raise ValueError("settings must be EngineSettings.")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError("seed must be a non-negative integer.")
    if attempt_key is not None and (not isinstance(attempt_key, int) or attempt_key < 0):
        raise ValueError("attempt_key must be a non-negative integer.")
    engine = Engine.build(bank=bank, settings=settings, exposure_parameters=exposure_parameters)
    likelihood = engine.estimator.new_likelihood()
    administered: list[int] = []
    seen: set[int] = set()
    for position, response in enumerate(responses):
        try:
            item_id, score = response
            score_value = float(score)
        except (TypeError, ValueError):
            raise ValueError(f"Response {position} must be an (item id, score) pair.") from None
        index = bank.index_of(item_id)
        if index in seen:
            raise ValueError(f"Item {item_id!r} was answered twice in one attempt.")
        if not (math.isfinite(score_value) and 0.0 <= score_value <= 1.0):
            raise ValueError(f"Score for item {item_id!r} must be in [0, 1].")
        seen.add(index)
        administered.append(index)
        likelihood.add(
            a=float(bank.a[index]),
            b=float(bank.b[index]),
            c=float(bank.c[index]),
            score=score_value,
        )
    bounds = engine.bounds(bank)
    estimate = engine.estimator.estimate(likelihood, bounds=bounds)
    decision = engine.stopping_rule.decide(
        items_administered=len(administered), estimate=estimate, likelihood=likelihood
    )
    if decision.stop:
        return StepResult(
            next_item_id=None,
            ability=estimate.ability,
            standard_error=estimate.standard_error,
            stopped=True,
            stop_reason=decision.reason,
            classification=decision.classification,
            items_administered=len(administered),
        )
    available = np.ones(len(bank), dtype=bool)
    if administered:
        available[np.asarray(administered, dtype=np.intp)] = False
    if excluded_ids:
        available[bank.indices_of(list(excluded_ids))] = False
    item = engine.selector.select(
        bank=bank,
        ability=estimate.ability,
        available=available,
        administered=administered,
        rng=np.random.default_rng(seed),
        attempt_key=seed if attempt_key is None else attempt_key,
    )
    if item is None:
        final = engine.stopping_rule.with_point_classification(
            StopDecision(stop=True, reason="bank_exhausted"), estimate
        )
        return StepResult(
            next_item_id=None,
            ability=estimate.ability,
            standard_error=estimate.standard_error,
            stopped=True,
            stop_reason="bank_exhausted",
            classification=final.classification,
            items_administered=len(administered),
        )
    return StepResult(
        next_item_id=bank.ids[item],
        ability=estimate.ability,
        standard_error=estimate.standard_error,
        stopped=False,
        items_administered=len(administered),
    )
