"""Simulated examinees: the library behind ``python -m quizzes.engine.simulate``, the tests and
the benchmark, plus the offline Sympson–Hetter procedure.

The simulator runs exactly the components :func:`quizzes.engine.step.next_step` uses, but keeps
each examinee's state (log-likelihood on the grid, availability mask) between steps instead of
rebuilding it from the response list, as a live attempt must.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from quizzes.engine.draws import stable_uniform
from quizzes.engine.irt import probability
from quizzes.engine.item_bank import ItemBank
from quizzes.engine.step import Engine, EngineSettings
from quizzes.engine.stopping import StopDecision

FloatArray = npt.NDArray[np.float64]

DEFAULT_RECORD_LENGTHS = (10, 20, 30)


def response_uniform(seed: int, examinee: int, item: int) -> float:
    """The uniform draw behind examinee ``examinee``'s answer to bank item ``item``.

    Counter-based (see :mod:`quizzes.engine.draws`) rather than a stream: the answer an
    examinee would give to an item does not depend on which items came before it. Two engines
    simulated with the same seed therefore face identical examinees (common random numbers),
    and comparisons between them are not drowned in response noise. The examinee answers
    correctly when the draw is below the model probability.
    """
    return stable_uniform(seed, examinee, item)


@dataclass(frozen=True)
class SimulationResult:
    true_abilities: FloatArray
    estimates: FloatArray
    standard_errors: FloatArray
    lengths: npt.NDArray[np.int64]
    estimates_at: dict[int, FloatArray]  # only lengths every examinee reached
    standard_errors_at: dict[int, FloatArray]
    stop_reasons: list[str | None]
    classifications: list[str | None]
    exposure: FloatArray  # share of examinees who saw each item
    step_ms: FloatArray  # selection + estimation time of every step

    @property
    def max_exposure(self) -> float:
        return float(self.exposure.max())


def simulate(
    *,
    bank: ItemBank,
    abilities: npt.ArrayLike,
    settings: EngineSettings,
    seed: int = 0,
    exposure_parameters: npt.ArrayLike | Mapping[str, float] | None = None,
    record_lengths: Sequence[int] = DEFAULT_RECORD_LENGTHS,
) -> SimulationResult:
    """Give each examinee (true ability) an adaptive test; responses follow the model.

    Every examinee starts at the prior mean (0 by default) and answers with the model's
    probability (see :func:`response_uniform`). ``seed`` fixes responses and any randomised
    selection, so the result is reproducible.
    """
    true_abilities = np.asarray(abilities, dtype=np.float64)
    if true_abilities.ndim != 1 or true_abilities.size == 0:
        raise ValueError("Abilities must be a non-empty list of numbers.")
    if not np.all(np.isfinite(true_abilities)):
        raise ValueError("Abilities must be finite.")
    engine = Engine.build(bank=bank, settings=settings, exposure_parameters=exposure_parameters)
    estimator, selector, rule = engine.estimator, engine.selector, engine.stopping_rule
    bounds = engine.bounds(bank)
    rng = np.random.default_rng(seed)
    n_examinees, n_items = true_abilities.size, len(bank)
    a_values, b_values, c_values = bank.a.tolist(), bank.b.tolist(), bank.c.tolist()
    record = sorted(set(record_lengths))

    estimates = np.empty(n_examinees)
    standard_errors = np.empty(n_examinees)
    lengths = np.zeros(n_examinees, dtype=np.int64)
    estimates_at = {length: np.full(n_examinees, np.nan) for length in record}
    standard_errors_at = {length: np.full(n_examinees, np.nan) for length in record}
    stop_reasons: list[str | None] = []
    classifications: list[str | None] = []
    usage = np.zeros(n_items, dtype=np.int64)
    step_ns: list[int] = []
    clock = time.perf_counter_ns

    for examinee, true_ability in enumerate(true_abilities.tolist()):
        likelihood = estimator.new_likelihood()
        available = np.ones(n_items, dtype=bool)
        administered: list[int] = []
        attempt_key = seed * 1_000_003 + examinee
        estimate = estimator.estimate(likelihood, bounds=bounds)
        reason: str | None
        while True:
            decision = rule.decide(
                items_administered=len(administered), estimate=estimate, likelihood=likelihood
            )
            if decision.stop:
                reason, classification = decision.reason, decision.classification
                break
            started = clock()
            item = selector.select(
                bank=bank,
                ability=estimate.ability,
                available=available,
                administered=administered,
                rng=rng,
                attempt_key=attempt_key,
            )
            selected = clock()
            if item is None:
                final = rule.with_point_classification(
                    StopDecision(stop=True, reason="bank_exhausted"), estimate
                )
                reason, classification = final.reason, final.classification
                break
            a, b, c = a_values[item], b_values[item], c_values[item]
            correct = float(
                response_uniform(seed, examinee, item)
                < float(probability(true_ability, a=a, b=b, c=c))
            )
            answered = clock()
            likelihood.add(a=a, b=b, c=c, score=correct)
            available[item] = False
            administered.append(item)
            estimate = estimator.estimate(likelihood, bounds=bounds)
            step_ns.append(selected - started + clock() - answered)
            if len(administered) in estimates_at:
                estimates_at[len(administered)][examinee] = estimate.ability
                standard_errors_at[len(administered)][examinee] = estimate.standard_error
        estimates[examinee] = estimate.ability
        standard_errors[examinee] = estimate.standard_error
        lengths[examinee] = len(administered)
        stop_reasons.append(reason)
        classifications.append(classification)
        usage[np.asarray(administered, dtype=np.intp)] += 1

    reached = {k: v for k, v in estimates_at.items() if not np.isnan(v).any()}
    return SimulationResult(
        true_abilities=true_abilities,
        estimates=estimates,
        standard_errors=standard_errors,
        lengths=lengths,
        estimates_at=reached,
        standard_errors_at={k: standard_errors_at[k] for k in reached},
        stop_reasons=stop_reasons,
        classifications=classifications,
        exposure=usage / n_examinees,
        step_ms=np.asarray(step_ns, dtype=np.float64) / 1e6,
    )


def sympson_hetter_parameters(
    *,
    bank: ItemBank,
    settings: EngineSettings,
    max_exposure: float = 0.2,
    examinees: int = 1000,
    iterations: int = 10,
    seed: int = 0,
) -> FloatArray:
    """Sympson–Hetter exposure parameters ``K_i`` by iterative simulation.

    Each round simulates ``examinees`` abilities drawn from N(prior mean, prior sd) with the
    current parameters, measures each item's exposure ``P(A_i)`` (share of examinees who saw
    it) and sets ``K_i = min(1, K_i * max_exposure / P(A_i))``: over-exposed items are damped,
    under-used ones recover towards 1. Run it offline per bank revision and settings and store
    the result as {item id: K}; pass it to ``next_step(..., exposure_parameters=...)``.
    """
    if not 0 < max_exposure <= 1:
        raise ValueError("max_exposure must be in (0, 1].")
    if examinees < 1 or iterations < 1:
        raise ValueError("examinees and iterations must be positive.")
    rng = np.random.default_rng(seed)
    population = rng.normal(settings.prior_mean, settings.prior_sd, examinees)
    sh_settings = replace(settings, exposure="sympson-hetter")
    parameters = np.ones(len(bank))
    for round_number in range(iterations):
        result = simulate(
            bank=bank,
            abilities=population,
            settings=sh_settings,
            seed=seed + 1 + round_number,
            exposure_parameters=parameters,
            record_lengths=(),
        )
        ratio = max_exposure / np.maximum(result.exposure, 1e-12)
        parameters = np.minimum(1.0, parameters * ratio)
    return parameters
