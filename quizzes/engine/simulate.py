"""Command line: simulate adaptive tests on an item bank.

    python -m quizzes.engine.simulate --items ITEMS.json --thetas THETAS.json --max-items N
        [--min-items M] [--se-target S] [--exposure none|randomesque|sympson-hetter]
        [--seed K] --out RESULT.json

ITEMS.json: [{"id": str, "a": float, "b": float, "c": float (optional), "topic": str
(optional)}, ...]; THETAS.json: [true ability, ...]. Every examinee starts at ability 0 and
answers with the model's probability. RESULT.json::

    {"estimates": [...], "standard_errors": [...], "lengths": [...],
     "estimates_at": {"10": [...], "20": [...], "30": [...]},  # lengths every examinee reached
     "max_exposure": float, "step_ms_median": float, "step_ms_p90": float}

A step is one item selection plus one ability estimation. Optional extras: ``--estimator``,
``--randomesque-k``, ``--max-exposure`` and ``--sh-examinees`` / ``--sh-iterations`` (the
Sympson–Hetter parameters are computed first by the iterative procedure on a separate simulated
N(0, 1) population), ``--ability-cut`` with ``--classification ci|sprt`` (adds
"classifications" to the result).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from quizzes.engine.item_bank import ItemBank
from quizzes.engine.simulation import simulate, sympson_hetter_parameters
from quizzes.engine.step import EngineSettings


def _load_json(path: str, what: str) -> Any:
    try:
        return json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(f"Cannot read {what} from {path}: {error}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m quizzes.engine.simulate")
    parser.add_argument("--items", required=True)
    parser.add_argument("--thetas", required=True)
    parser.add_argument("--max-items", type=int, required=True)
    parser.add_argument("--min-items", type=int, default=0)
    parser.add_argument("--se-target", type=float)
    parser.add_argument(
        "--exposure", choices=["none", "randomesque", "sympson-hetter"], default="none"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True)
    parser.add_argument("--estimator", choices=["eap", "map", "mle"], default="eap")
    parser.add_argument("--randomesque-k", type=int, default=5)
    parser.add_argument("--max-exposure", type=float, default=0.2)
    parser.add_argument("--sh-examinees", type=int, default=1000)
    parser.add_argument("--sh-iterations", type=int, default=10)
    parser.add_argument("--ability-cut", type=float)
    parser.add_argument("--classification", choices=["ci", "sprt"], default="ci")
    return parser


def run(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = build_parser().parse_args(argv)
    bank = ItemBank.from_items(_load_json(args.items, "items"))
    thetas = _load_json(args.thetas, "thetas")
    if not isinstance(thetas, list):
        raise ValueError("THETAS.json must be a list of numbers.")
    settings = EngineSettings(
        estimator=args.estimator,
        max_items=args.max_items,
        min_items=args.min_items,
        se_target=args.se_target,
        exposure=args.exposure,
        randomesque_k=args.randomesque_k,
        ability_cut=args.ability_cut,
        classification=args.classification,
    )
    exposure_parameters = None
    if args.exposure == "sympson-hetter":
        exposure_parameters = sympson_hetter_parameters(
            bank=bank,
            settings=settings,
            max_exposure=args.max_exposure,
            examinees=args.sh_examinees,
            iterations=args.sh_iterations,
            seed=args.seed + 7919,  # a population apart from the evaluated examinees
        )
    result = simulate(
        bank=bank,
        abilities=thetas,
        settings=settings,
        seed=args.seed,
        exposure_parameters=exposure_parameters,
    )
    output: dict[str, Any] = {
        "estimates": result.estimates.tolist(),
        "standard_errors": result.standard_errors.tolist(),
        "lengths": result.lengths.tolist(),
        "estimates_at": {str(k): v.tolist() for k, v in result.estimates_at.items()},
        "max_exposure": result.max_exposure,
        "step_ms_median": float(np.median(result.step_ms)) if result.step_ms.size else 0.0,
        "step_ms_p90": float(np.percentile(result.step_ms, 90)) if result.step_ms.size else 0.0,
    }
    if args.ability_cut is not None:
        output["classifications"] = result.classifications
    Path(args.out).write_text(json.dumps(output))
    return output


def main(argv: Sequence[str] | None = None) -> int:
    try:
        run(argv)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
