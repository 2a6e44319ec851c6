"""Adaptive-engine benchmark: our engine against catsim 0.21.0 and girth 0.8.0, same run.

    .venv/bin/python benchmarks/engine/run.py            # from the project root
    .venv/bin/python benchmarks/engine/run.py --render-only   # rewrite the doc from results.json

It creates benchmarks/.venv-ref (Python 3.12 from pyenv, or $BENCH_REF_PYTHON) with the pinned
reference tools, generates seeded 2PL banks (300 / 3,000 / 30,000 items; a ~ lognormal(0,
0.25), b ~ N(0, 1)) and 500 examinees (theta ~ N(0, 1)), runs both sides one after the other
(never in parallel, so timings are not disturbed) through their command lines, and rewrites the
"## Adaptive engine" section of docs/benchmarks.md. Raw figures go to
benchmarks/engine/results.json. Takes ~15-25 minutes on 2 cores (catsim's 30,000-item runs).
"""

from __future__ import annotations

import glob
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
REF_VENV = ROOT / "benchmarks" / ".venv-ref"
DOC = ROOT / "docs" / "benchmarks.md"
HEADING = "## Adaptive engine"

BANK_SIZES = (300, 3000, 30000)
EXAMINEES = 500
THETA_SEED = 2024
LENGTHS = (10, 20, 30)
CATSIM_RMSE = {
    300: (0.464, 0.327, 0.276),
    3000: (0.408, 0.270, 0.214),
    30000: (0.332, 0.218, 0.177),
}
CATSIM_SE_LENGTH = {300: 26.1, 3000: 16.7, 30000: 11.8}
STEP_TARGET_MS = {300: 0.1, 3000: 0.2, 30000: 1.0}
SE_RULE_MAX_ITEMS = 100
CUT = 0.0
CALIBRATION_SETS = ((2000, 100, 100), (10000, 300, 300))  # persons, items, seed
SH_SETTINGS = {300: (2000, 12), 3000: (2000, 12), 30000: (1000, 8)}  # examinees, iterations
EXPOSURE_TEST_LENGTH = 30  # same 30-item tests as the uncontrolled run (the harder case)
ROBUSTNESS_SEEDS = (1, 2, 3, 4)  # extra response seeds for the SE-rule RMSE (ours only)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def reference_python() -> Path:
    python = REF_VENV / "bin" / "python"
    if python.exists():
        return python
    base = os.environ.get("BENCH_REF_PYTHON")
    if not base:
        root = subprocess.run(["pyenv", "root"], capture_output=True, text=True).stdout.strip()
        found = sorted(
            glob.glob(f"{root or os.path.expanduser('~/.pyenv')}/versions/3.12.*/bin/python")
        )
        base = found[-1] if found else "python3.12"
    log(f"creating {REF_VENV} with {base}")
    subprocess.run([base, "-m", "venv", str(REF_VENV)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "-r", str(HERE / "requirements.txt")],
        check=True,
    )
    return python


def run(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT)
    return time.perf_counter() - started


def rmse(estimates: Any, truth: np.ndarray) -> float:
    return float(np.sqrt(np.mean((np.asarray(estimates, dtype=float) - truth) ** 2)))


def ours_simulate(
    work: Path, name: str, items: Path, thetas: Path, *extra: str, seed: int = 0
) -> dict[str, Any]:
    out = work / f"ours-{name}.json"
    run(
        [
            sys.executable,
            "-m",
            "quizzes.engine.simulate",
            "--items",
            str(items),
            "--thetas",
            str(thetas),
            "--seed",
            str(seed),
            "--out",
            str(out),
            *extra,
        ]
    )
    return json.loads(out.read_text())


def catsim_simulate(
    ref: Path, work: Path, name: str, items: Path, thetas: Path, *extra: str
) -> dict[str, Any]:
    out = work / f"catsim-{name}.json"
    run(
        [
            str(ref),
            str(HERE / "reference.py"),
            "catsim",
            "--items",
            str(items),
            "--thetas",
            str(thetas),
            "--seed",
            "0",
            "--out",
            str(out),
            *extra,
        ]
    )
    return json.loads(out.read_text())


def simulation_rows(ref: Path, work: Path, raw: dict[str, Any]) -> list[tuple[str, ...]]:
    thetas = np.random.default_rng(THETA_SEED).normal(0.0, 1.0, EXAMINEES)
    theta_path = work / "thetas.json"
    theta_path.write_text(json.dumps(thetas.tolist()))
    rows: list[tuple[str, ...]] = []
    for size in BANK_SIZES:
        rng = np.random.default_rng(size)
        a = rng.lognormal(0.0, 0.25, size)
        b = rng.normal(0.0, 1.0, size)
        items = [{"id": f"item-{i}", "a": float(a[i]), "b": float(b[i])} for i in range(size)]
        item_path = work / f"items-{size}.json"
        item_path.write_text(json.dumps(items))
        entry: dict[str, Any] = raw.setdefault(str(size), {})

        log(f"{size} items: fixed length 30")
        ours = ours_simulate(work, f"{size}-fixed", item_path, theta_path, "--max-items", "30")
        theirs = catsim_simulate(
            ref, work, f"{size}-fixed", item_path, theta_path, "--max-items", "30"
        )
        log(f"{size} items: SE < 0.3")
        ours_se = ours_simulate(
            work,
            f"{size}-se",
            item_path,
            theta_path,
            "--max-items",
            str(SE_RULE_MAX_ITEMS),
            "--se-target",
            "0.3",
        )
        theirs_se = catsim_simulate(
            ref,
            work,
            f"{size}-se",
            item_path,
            theta_path,
            "--max-items",
            str(SE_RULE_MAX_ITEMS),
            "--se-target",
            "0.3",
        )
        log(f"{size} items: SE < 0.3, response seeds {ROBUSTNESS_SEEDS}")
        other_seeds = []
        for seed in ROBUSTNESS_SEEDS:
            result = ours_simulate(
                work,
                f"{size}-se-{seed}",
                item_path,
                theta_path,
                "--max-items",
                str(SE_RULE_MAX_ITEMS),
                "--se-target",
                "0.3",
                seed=seed,
            )
            other_seeds.append(rmse(result["estimates"], thetas))
        entry["ours_se_rmse_other_seeds"] = other_seeds
        log(f"{size} items: exposure control")
        ours_rq = ours_simulate(
            work,
            f"{size}-randomesque",
            item_path,
            theta_path,
            "--max-items",
            str(EXPOSURE_TEST_LENGTH),
            "--exposure",
            "randomesque",
        )
        sh_examinees, sh_iterations = SH_SETTINGS[size]
        ours_sh = ours_simulate(
            work,
            f"{size}-sh",
            item_path,
            theta_path,
            "--max-items",
            str(EXPOSURE_TEST_LENGTH),
            "--exposure",
            "sympson-hetter",
            "--max-exposure",
            "0.2",
            "--sh-examinees",
            str(sh_examinees),
            "--sh-iterations",
            str(sh_iterations),
        )
        log(f"{size} items: classification")
        ours_ci = ours_simulate(
            work,
            f"{size}-ci",
            item_path,
            theta_path,
            "--max-items",
            "30",
            "--ability-cut",
            str(CUT),
            "--classification",
            "ci",
        )
        ours_sprt = ours_simulate(
            work,
            f"{size}-sprt",
            item_path,
            theta_path,
            "--max-items",
            "30",
            "--ability-cut",
            str(CUT),
            "--classification",
            "sprt",
        )
        entry.update(
            ours=ours,
            catsim=theirs,
            ours_se=ours_se,
            catsim_se=theirs_se,
            ours_randomesque=ours_rq,
            ours_sympson_hetter=ours_sh,
            ours_ci=ours_ci,
            ours_sprt=ours_sprt,
        )

        label = f"{size:,} items"
        for position, length in enumerate(LENGTHS):
            mine = rmse(ours["estimates_at"][str(length)], thetas)
            other = rmse(theirs["estimates_at"][str(length)], thetas)
            rows.append(
                row(
                    f"{label}: RMSE of θ at {length} items",
                    mine,
                    other,
                    f"≤ catsim (anchor {CATSIM_RMSE[size][position]:.3f})",
                    mine <= other,
                )
            )
        bias = float(np.mean(np.asarray(ours["estimates"]) - thetas))
        catsim_bias = float(np.mean(np.asarray(theirs["estimates"]) - thetas))
        rows.append(
            row(
                f"{label}: bias at 30 items",
                bias,
                catsim_bias,
                "|bias| ≤ 0.05",
                abs(bias) <= 0.05,
                ratio=False,
            )
        )
        reported = float(np.sqrt(np.mean(np.square(ours["standard_errors"]))))
        observed = rmse(ours["estimates"], thetas)
        rows.append(
            row(
                f"{label}: reported SE / observed RMSE at 30 items",
                reported / observed,
                None,
                "within 1 ± 0.10",
                abs(reported / observed - 1) <= 0.10,
                ratio=False,
            )
        )
        mine_len, other_len = (
            float(np.mean(ours_se["lengths"])),
            float(np.mean(theirs_se["lengths"])),
        )
        se_rmse = rmse(ours_se["estimates"], thetas)
        rows.append(
            row(
                f"{label}: mean length, SE < 0.3 rule",
                mine_len,
                other_len,
                f"≤ catsim (anchor {CATSIM_SE_LENGTH[size]})",
                mine_len <= other_len,
            )
        )
        rows.append(
            row(
                f"{label}: RMSE, SE < 0.3 rule",
                se_rmse,
                rmse(theirs_se["estimates"], thetas),
                "≤ 0.31",
                se_rmse <= 0.31,
            )
        )
        rows.append(
            row(
                f"{label}: RMSE, SE < 0.3 rule, response seeds 1–4 (mean; ours only)",
                float(np.mean(other_seeds)),
                None,
                "reported",
                None,
                ratio=False,
            )
        )
        rows.append(
            row(
                f"{label}: step median (ms)",
                ours["step_ms_median"],
                theirs["step_ms_median"],
                f"≤ {STEP_TARGET_MS[size]}",
                ours["step_ms_median"] <= STEP_TARGET_MS[size],
            )
        )
        rows.append(
            row(
                f"{label}: step p90 (ms)",
                ours["step_ms_p90"],
                theirs["step_ms_p90"],
                "reported",
                None,
            )
        )
        base20 = rmse(ours["estimates_at"]["20"], thetas)
        for name, result, judged in (
            ("Sympson–Hetter r=0.2", ours_sh, True),
            ("randomesque k=5 (for reference)", ours_rq, False),
        ):
            rows.append(
                row(
                    f"{label}: max exposure, {name}",
                    result["max_exposure"],
                    theirs["max_exposure"],
                    "≤ 0.25" if judged else "reported",
                    result["max_exposure"] <= 0.25 if judged else None,
                )
            )
            rmse20 = rmse(result["estimates_at"]["20"], thetas)
            rows.append(
                row(
                    f"{label}: RMSE at 20 items, {name} / none",
                    rmse20 / base20,
                    None,
                    "≤ 1.05" if judged else "reported",
                    rmse20 / base20 <= 1.05 if judged else None,
                    ratio=False,
                )
            )
        far = np.abs(thetas - CUT) > 0.5
        for name, result in (("95% CI", ours_ci), ("SPRT ±0.3", ours_sprt)):
            decisions = np.array([c == "pass" for c in result["classifications"]])
            correct = float(np.mean(decisions[far] == (thetas[far] >= CUT)))
            mean_length = float(np.mean(result["lengths"]))
            description = f"{label}: correct pass/fail (|θ−cut|>0.5), {name}"
            rows.append(
                row(
                    f"{description}; mean length {mean_length:.1f}",
                    correct,
                    None,
                    "≥ 0.95",
                    correct >= 0.95,
                    ratio=False,
                )
            )
    return rows


def calibration_rows(ref: Path, work: Path, raw: dict[str, Any]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for persons, n_items, seed in CALIBRATION_SETS:
        rng = np.random.default_rng(seed)
        a = rng.lognormal(0.0, 0.25, n_items)
        b = rng.normal(0.0, 1.0, n_items)
        thetas = rng.normal(0.0, 1.0, persons)
        p = 1.0 / (1.0 + np.exp(-a[:, None] * (thetas[None, :] - b[:, None])))
        responses = (rng.random((n_items, persons)) < p).astype(np.int8)
        path = work / f"responses-{persons}x{n_items}.npz"
        np.savez(path, responses=responses)
        log(f"calibration {persons} x {n_items}")
        ours_out = work / f"ours-cal-{persons}.json"
        ours_seconds = run(
            [
                sys.executable,
                "-m",
                "quizzes.engine.calibrate",
                "--responses",
                str(path),
                "--out",
                str(ours_out),
            ]
        )
        girth_out = work / f"girth-{persons}.json"
        run(
            [
                str(ref),
                str(HERE / "reference.py"),
                "girth",
                "--responses",
                str(path),
                "--out",
                str(girth_out),
            ]
        )
        ours = json.loads(ours_out.read_text())
        girth = json.loads(girth_out.read_text())
        ours_a = np.array([item["a"] for item in ours["items"]])
        ours_b = np.array([item["b"] for item in ours["items"]])
        label = f"calibration {persons:,} persons x {n_items} items"
        for name, mine, other in (("a", ours_a, girth["a"]), ("b", ours_b, girth["b"])):
            mine_rmse, other_rmse = (
                rmse(mine, a if name == "a" else b),
                rmse(other, a if name == "a" else b),
            )
            rows.append(
                row(
                    f"{label}: RMSE of {name}",
                    mine_rmse,
                    other_rmse,
                    "≤ 1.05 × girth",
                    mine_rmse <= 1.05 * other_rmse,
                )
            )
        rows.append(
            row(
                f"{label}: seconds (ours: whole CLI run)",
                ours_seconds,
                girth["seconds"],
                "≥ 5× faster (ratio ≤ 0.2)",
                ours_seconds <= girth["seconds"] / 5,
            )
        )
        raw[f"calibration-{persons}x{n_items}"] = {
            "ours_seconds": ours_seconds,
            "girth_seconds": girth["seconds"],
            "ours_iterations": ours["iterations"],
            "ours_converged": ours["converged"],
        }
    return rows


def row(
    metric: str,
    ours: float,
    theirs: float | None,
    target: str,
    met: bool | None,
    *,
    ratio: bool = True,
) -> tuple[str, ...]:
    ratio_text = f"{ours / theirs:.3f}" if ratio and theirs else "–"
    theirs_text = "–" if theirs is None else f"{theirs:.4g}"
    met_text = "–" if met is None else ("yes" if met else "**no**")
    return (metric, f"{ours:.4g}", theirs_text, ratio_text, target, met_text)


def write_section(rows: list[tuple[str, ...]], seconds: float) -> None:
    table = [
        "| metric | ours | catsim / girth | ratio | target | met? |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    # Cells such as "|bias|" hold pipes: escape them so the table keeps its columns.
    table += ["| " + " | ".join(cell.replace("|", "\\|") for cell in r) + " |" for r in rows]
    missed = [r[0] for r in rows if r[5] == "**no**"]
    section = f"""{HEADING}

Our engine (`quizzes/engine`, EAP with a N(0, 1) prior, maximum-information selection) against
catsim 0.21.0 (start 0, maximum information, MLE with Dodd's heuristic) and girth 0.8.0
(`twopl_mml`), measured side by side in one run of `benchmarks/engine/run.py` on this machine
({platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python
{platform.python_version()}; the reference tools run in `benchmarks/.venv-ref`, Python 3.12).
Run took {seconds / 60:.1f} minutes.

How to reproduce (from the project root; creates `benchmarks/.venv-ref` on first run):

    .venv/bin/python benchmarks/engine/run.py

Setup: seeded 2PL banks of 300 / 3,000 / 30,000 items (a ~ lognormal(0, 0.25), b ~ N(0, 1);
seed = bank size), 500 examinees (θ ~ N(0, 1), seed {THETA_SEED}), every examinee starting at
θ = 0. Both simulators draw each answer from the same counter-based uniform for
(seed, examinee, item) (common random numbers), so both engines face identical examinees and
the comparison is not drowned in response noise. Fixed-length runs give 30 items; the SE rule
stops at SE < 0.3 (at most {SE_RULE_MAX_ITEMS} items; our SE is the posterior SD, catsim's
1/√information at the MLE). A step is one selection plus one estimation (the simulated answer
is not timed). Sympson–Hetter parameters are computed by our offline procedure on a separate
simulated population (target exposure 0.2, so that the 500-examinee sampling noise stays
under 0.25) before the evaluated run; exposure rows use {EXPOSURE_TEST_LENGTH}-item tests and
compare RMSE at 20 items with the uncontrolled engine (catsim column: its maximum exposure).
Classification: cut θ = {CUT}, at most 30 items, decisions checked for examinees with
|θ − cut| > 0.5. Calibration: 2PL response matrices simulated with seeds 100 / 300; our
time is the whole `python -m quizzes.engine.calibrate` process (start-up and file I/O
included), girth's is the `twopl_mml` call alone. Ratio = ours / reference (lower is better).

{chr(10).join(table)}

"""
    if missed:
        section += "Targets missed in this run: " + "; ".join(missed) + ". See below.\n\n"
    section += "<!-- notes -->\n"
    notes = HERE / "NOTES.md"
    if notes.exists():
        section += notes.read_text().strip() + "\n\n"
    existing = DOC.read_text() if DOC.exists() else "# Benchmarks\n\n"
    if HEADING in existing:
        start = existing.index(HEADING)
        end = existing.find("\n## ", start + len(HEADING))
        existing = existing[:start] + section + (existing[end + 1 :] if end != -1 else "")
    else:
        existing = existing.rstrip() + "\n\n" + section
    DOC.write_text(existing)


def main() -> None:
    if "--render-only" in sys.argv[1:]:
        # Re-render the section (e.g. after editing NOTES.md) from the last run's figures.
        saved = json.loads((HERE / "results.json").read_text())
        write_section([tuple(r) for r in saved["rows"]], saved["seconds"])
        log(f"re-rendered {DOC} from results.json")
        return
    started = time.perf_counter()
    ref = reference_python()
    raw: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="engine-bench-") as directory:
        work = Path(directory)
        rows = simulation_rows(ref, work, raw)
        rows += calibration_rows(ref, work, raw)
    seconds = time.perf_counter() - started
    summary: dict[str, Any] = {k: v for k, v in raw.items() if k.startswith("calibration")}
    summary["se_rule_rmse_other_seeds"] = {
        k: v.get("ours_se_rmse_other_seeds") for k, v in raw.items() if k.isdigit()
    }
    summary["seconds"] = seconds
    summary["rows"] = rows
    (HERE / "results.json").write_text(json.dumps(summary, indent=1))
    write_section(rows, seconds)
    log(f"done in {seconds / 60:.1f} min; wrote {DOC}")


if __name__ == "__main__":
    main()
