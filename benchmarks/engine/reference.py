"""Reference side of the benchmark: catsim 0.21.0 and girth 0.8.0.

Runs inside the benchmark's own environment (benchmarks/.venv-ref, made by run.py), never in
the project's. Usage:

    python reference.py catsim --items ITEMS.json --thetas THETAS.json --max-items N
        [--se-target S] [--seed K] --out RESULT.json
    python reference.py girth --responses R.npz --out PARAMS.json

catsim is configured as the issue's anchors were measured: start at 0, maximum-information
selection, MLE (NumericalSearchEstimator, bounded, Dodd's heuristic for constant patterns).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

_MASK64 = (1 << 64) - 1


def response_uniform(seed: int, examinee: int, item: int) -> float:
    """Same draw as quizzes.engine.simulation.response_uniform (common random numbers)."""
    x = seed * 0x9E3779B97F4A7C15 + examinee * 0xBF58476D1CE4E5B9 + item * 0x94D049BB133111EB
    x = (x + 0x9E3779B97F4A7C15) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    x ^= x >> 31
    return (x >> 11) / float(1 << 53)


def run_catsim(args: argparse.Namespace) -> dict:
    from catsim.estimation import NumericalSearchEstimator
    from catsim.initialization import FixedPointInitializer
    from catsim.item_bank import ItemBank
    from catsim.selection import MaxInfoSelector
    from catsim.simulation import Simulator
    from catsim.stopping import MinErrorStopper

    with open(args.items) as handle:
        items = json.load(handle)
    with open(args.thetas) as handle:
        thetas = np.asarray(json.load(handle), dtype=float)
    matrix = np.array(
        [[item["a"], item["b"], item.get("c", 0.0), 1.0] for item in items], dtype=float
    )
    bank = ItemBank(matrix)

    step_ns: list[int] = []
    pending = {"select": 0, "examinee": 0, "item": 0}

    class TimedSelector(MaxInfoSelector):
        def select(self, *a, **k):
            started = time.perf_counter_ns()
            result = super().select(*a, **k)
            pending["select"] = time.perf_counter_ns() - started
            pending["examinee"] = k.get("index", 0)
            pending["item"] = -1 if result is None else int(result)
            return result

    class CommonRandomNumbers:
        """Stands in for the simulator's generator: the draw for (examinee, item)."""

        def uniform(self) -> float:
            return response_uniform(args.seed, pending["examinee"], pending["item"])

    class TimedEstimator(NumericalSearchEstimator):
        def estimate(self, *a, **k):
            started = time.perf_counter_ns()
            result = super().estimate(*a, **k)
            step_ns.append(pending["select"] + time.perf_counter_ns() - started)
            return result

    # A tiny error target with max_items is a fixed-length test.
    se_target = args.se_target if args.se_target else 1e-9
    stopper = MinErrorStopper(se_target, max_items=args.max_items)
    simulator = Simulator(bank, thetas, seed=args.seed)
    # catsim draws each answer from its private generator; use the engine's draws instead so
    # both sides face identical examinees (its loop calls only .uniform() on it).
    simulator._Simulator__rng = CommonRandomNumbers()
    started = time.perf_counter()
    simulator.simulate(
        FixedPointInitializer(0.0), TimedSelector(), TimedEstimator(), stopper, verbose=False
    )
    elapsed = time.perf_counter() - started
    estimations = simulator.estimations
    lengths = [len(items_given) for items_given in simulator.administered_items]
    estimates_at = {}
    for length in (10, 20, 30):
        if all(n >= length for n in lengths):
            estimates_at[str(length)] = [float(e[length]) for e in estimations]
    usage = np.zeros(len(items))
    for items_given in simulator.administered_items:
        usage[np.asarray(items_given, dtype=int)] += 1
    step_ms = np.asarray(step_ns, dtype=float) / 1e6
    return {
        "estimates": [float(e[-1]) for e in estimations],
        "lengths": lengths,
        "estimates_at": estimates_at,
        "max_exposure": float(usage.max() / len(thetas)),
        "step_ms_median": float(np.median(step_ms)),
        "step_ms_p90": float(np.percentile(step_ms, 90)),
        "seconds": elapsed,
    }


def run_girth(args: argparse.Namespace) -> dict:
    from girth import twopl_mml

    responses = np.load(args.responses)["responses"]
    started = time.perf_counter()
    result = twopl_mml(responses.astype(int))
    elapsed = time.perf_counter() - started
    return {
        "a": np.asarray(result["Discrimination"], dtype=float).tolist(),
        "b": np.asarray(result["Difficulty"], dtype=float).tolist(),
        "seconds": elapsed,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("tool", choices=["catsim", "girth"])
    parser.add_argument("--items")
    parser.add_argument("--thetas")
    parser.add_argument("--max-items", type=int, default=30)
    parser.add_argument("--se-target", type=float)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--responses")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    result = run_catsim(args) if args.tool == "catsim" else run_girth(args)
    with open(args.out, "w") as handle:
        json.dump(result, handle)


if __name__ == "__main__":
    main()
