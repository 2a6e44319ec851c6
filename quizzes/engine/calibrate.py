"""Command line: calibrate items from a response matrix.

    python -m quizzes.engine.calibrate --responses R.npz --out PARAMS.json [--anchors ANCHORS.json]
        [--model 2pl|3pl]

R.npz holds a 0/1 matrix items x persons, -1 for missing, under the key "responses" (or as
its only array) and optionally "ids" (item ids; default "0", "1", ...). ANCHORS.json lists
items to keep fixed: [{"id": str, "a": float, "b": float, "c": float (optional)}, ...]; the
new items are then calibrated on the anchors' scale. PARAMS.json::

    {"model": "2pl", "converged": true, "iterations": int, "log_likelihood": float,
     "latent_mean": float, "latent_sd": float,
     "items": [{"id", "a", "b", "c", "a_se", "b_se", "c_se", "fit_rmsd", "misfit",
                "anchored"}, ...]}

Its "items" list is accepted as ITEMS.json by ``python -m quizzes.engine.simulate``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from quizzes.engine.calibration import calibrate


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m quizzes.engine.calibrate")
    parser.add_argument("--responses", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--anchors")
    parser.add_argument("--model", choices=["2pl", "3pl"], default="2pl")
    return parser


def run(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = build_parser().parse_args(argv)
    try:
        with np.load(args.responses, allow_pickle=False) as archive:
            keys = list(archive.keys())
            if "responses" in archive:
                matrix = archive["responses"]
            elif len(keys) == 1:
                matrix = archive[keys[0]]
            else:
                raise ValueError("R.npz must hold a 'responses' array.")
            ids = [str(i) for i in archive["ids"]] if "ids" in archive else None
    except (OSError, ValueError) as error:
        raise ValueError(f"Cannot read responses from {args.responses}: {error}") from None
    if matrix.ndim != 2:
        raise ValueError("The responses must be a 2-D matrix items x persons.")
    if ids is None:
        ids = [str(i) for i in range(matrix.shape[0])]
    if len(ids) != matrix.shape[0] or len(set(ids)) != len(ids):
        raise ValueError("'ids' must hold one distinct id per item row.")
    anchors: dict[int, tuple[float, float, float]] = {}
    if args.anchors:
        try:
            anchor_items = json.loads(Path(args.anchors).read_text())
        except (OSError, json.JSONDecodeError) as error:
            raise ValueError(f"Cannot read anchors from {args.anchors}: {error}") from None
        row_of = {item_id: row for row, item_id in enumerate(ids)}
        for item in anchor_items:
            if item.get("id") not in row_of:
                raise ValueError(f"Anchor {item.get('id')!r} is not a row of the responses.")
            anchors[row_of[item["id"]]] = (
                float(item["a"]),
                float(item["b"]),
                float(item.get("c", 0.0) or 0.0),
            )
    result = calibrate(matrix, model=args.model, anchors=anchors or None)
    output: dict[str, Any] = {
        "model": args.model,
        "converged": result.converged,
        "iterations": result.iterations,
        "log_likelihood": result.log_likelihood,
        "latent_mean": result.latent_mean,
        "latent_sd": result.latent_sd,
        "items": [
            {
                "id": item_id,
                "a": float(result.a[i]),
                "b": float(result.b[i]),
                "c": float(result.c[i]),
                "a_se": float(result.a_standard_error[i]),
                "b_se": float(result.b_standard_error[i]),
                "c_se": float(result.c_standard_error[i]),
                "fit_rmsd": float(result.fit_rmsd[i]),
                "misfit": bool(result.misfit[i]),
                "anchored": bool(result.anchored[i]),
            }
            for i, item_id in enumerate(ids)
        ],
    }
    Path(args.out).write_text(json.dumps(output, indent=1))
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
