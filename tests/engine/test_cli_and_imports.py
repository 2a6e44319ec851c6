from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_engine_loads_no_django():
    code = (
        "import sys, quizzes.engine, quizzes.engine.simulation, quizzes.engine.calibration;"
        "print([m for m in sys.modules if m.startswith('django')])"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert output.strip() == "[]"


def test_simulate_cli_contract(tmp_path):
    rng = np.random.default_rng(0)
    items = [
        {"id": f"q{i}", "a": float(rng.lognormal(0, 0.25)), "b": float(rng.normal()), "topic": "t"}
        for i in range(120)
    ]
    (tmp_path / "items.json").write_text(json.dumps(items))
    thetas = rng.normal(0, 1, 40).tolist()
    (tmp_path / "thetas.json").write_text(json.dumps(thetas))
    command = [
        sys.executable,
        "-m",
        "quizzes.engine.simulate",
        "--items",
        str(tmp_path / "items.json"),
        "--thetas",
        str(tmp_path / "thetas.json"),
        "--max-items",
        "20",
        "--min-items",
        "5",
        "--se-target",
        "0.2",
        "--exposure",
        "randomesque",
        "--seed",
        "3",
        "--out",
        str(tmp_path / "out.json"),
    ]
    subprocess.run(command, cwd=ROOT, check=True)
    result = json.loads((tmp_path / "out.json").read_text())
    assert set(result) == {
        "estimates",
        "standard_errors",
        "lengths",
        "estimates_at",
        "max_exposure",
        "step_ms_median",
        "step_ms_p90",
    }
    assert len(result["estimates"]) == len(result["standard_errors"]) == 40
    assert all(5 <= n <= 20 for n in result["lengths"])
    assert set(result["estimates_at"]) <= {"10", "20", "30"}
    assert 0 < result["max_exposure"] <= 1
    subprocess.run([*command[:-1], str(tmp_path / "again.json")], cwd=ROOT, check=True)
    assert json.loads((tmp_path / "again.json").read_text())["estimates"] == result["estimates"]


def test_simulate_cli_reports_bad_input(tmp_path):
    (tmp_path / "items.json").write_text(json.dumps([{"id": "q", "a": -1, "b": 0}]))
    (tmp_path / "thetas.json").write_text("[0.0]")
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "quizzes.engine.simulate",
            "--items",
            str(tmp_path / "items.json"),
            "--thetas",
            str(tmp_path / "thetas.json"),
            "--max-items",
            "5",
            "--out",
            str(tmp_path / "o.json"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 2
    assert "'a' must be in" in completed.stderr
