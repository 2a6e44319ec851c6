from __future__ import annotations

import json

import numpy as np
import pytest

from quizzes.engine.calibration import calibrate


def simulate_responses(a, b, thetas, rng, c=None):
    c = np.zeros_like(a) if c is None else c
    p = c[:, None] + (1 - c[:, None]) / (1 + np.exp(-a[:, None] * (thetas[None, :] - b[:, None])))
    return (rng.random(p.shape) < p).astype(np.int8)


def test_2pl_recovery_with_standard_errors():
    rng = np.random.default_rng(11)
    a, b = rng.lognormal(0, 0.25, 30), rng.normal(0, 1, 30)
    responses = simulate_responses(a, b, rng.normal(0, 1, 1500), rng)
    result = calibrate(responses)
    assert result.converged
    a_rmse = np.sqrt(np.mean((result.a - a) ** 2))
    b_rmse = np.sqrt(np.mean((result.b - b) ** 2))
    assert a_rmse < 0.15
    assert b_rmse < 0.15
    # reported standard errors are of the size of the actual errors
    assert 0.5 < a_rmse / np.sqrt(np.mean(result.a_standard_error**2)) < 1.6
    assert 0.5 < b_rmse / np.sqrt(np.mean(result.b_standard_error**2)) < 1.6
    assert not result.misfit.any()


def test_missing_responses_are_allowed():
    rng = np.random.default_rng(12)
    a, b = rng.lognormal(0, 0.25, 20), rng.normal(0, 1, 20)
    responses = simulate_responses(a, b, rng.normal(0, 1, 2000), rng).astype(float)
    responses[rng.random(responses.shape) < 0.3] = -1
    result = calibrate(responses)
    assert np.sqrt(np.mean((result.b - b) ** 2)) < 0.2


def test_anchored_calibration_puts_new_items_on_the_anchor_scale():
    # The live population is shifted (mean 0.7, sd 1.2); anchors carry the scale.
    rng = np.random.default_rng(13)
    a, b = rng.lognormal(0, 0.25, 30), rng.normal(0, 1, 30)
    thetas = rng.normal(0.7, 1.2, 2500)
    responses = simulate_responses(a, b, thetas, rng)
    anchors = {i: (float(a[i]), float(b[i]), 0.0) for i in range(20)}
    result = calibrate(responses, anchors=anchors)
    assert result.anchored[:20].all()
    assert not result.anchored[20:].any()
    assert np.allclose(result.a[:20], a[:20])
    assert np.allclose(result.b[:20], b[:20])
    assert result.latent_mean == pytest.approx(0.7, abs=0.1)
    assert np.sqrt(np.mean((result.b[20:] - b[20:]) ** 2)) < 0.2
    unanchored = calibrate(responses)
    # without anchors the new items land on the live population's scale instead
    assert np.mean(unanchored.b[20:] - b[20:]) < -0.3


def test_3pl_with_prior_on_guessing():
    rng = np.random.default_rng(14)
    a, b = rng.lognormal(0.2, 0.2, 25), rng.normal(0, 1, 25)
    c = np.full(25, 0.2)
    responses = simulate_responses(a, b, rng.normal(0, 1, 3000), rng, c)
    result = calibrate(responses, model="3pl")
    assert np.all((result.c > 0) & (result.c < 0.5))
    assert np.sqrt(np.mean((result.b - b) ** 2)) < 0.35
    assert np.all(result.c_standard_error > 0)


def test_misfitting_item_is_flagged():
    rng = np.random.default_rng(15)
    a, b = rng.lognormal(0, 0.25, 20), rng.normal(0, 1, 20)
    thetas = rng.normal(0, 1, 2000)
    responses = simulate_responses(a, b, thetas, rng)
    # item 0 is answered right by the middle of the distribution only (not monotone)
    responses[0] = (np.abs(thetas) < 0.7).astype(np.int8)
    result = calibrate(responses)
    assert result.misfit[0]
    assert not result.misfit[1:].any()


@pytest.mark.parametrize(
    ("responses", "kwargs", "message"),
    [
        (np.zeros(5), {}, "2-D"),
        (np.full((2, 4), 2), {}, "0, 1"),
        (np.zeros((2, 4)), {"model": "4pl"}, "model"),
        (np.full((2, 4), -1), {}, "at least one observed"),
        (np.zeros((2, 4)), {"anchors": {9: (1.0, 0.0, 0.0)}}, "outside"),
    ],
)
def test_bad_input_raises_value_error(responses, kwargs, message):
    with pytest.raises(ValueError, match=message):
        calibrate(responses, **kwargs)


def test_calibrate_cli_with_anchors(tmp_path):
    from quizzes.engine.calibrate import main

    rng = np.random.default_rng(16)
    a, b = rng.lognormal(0, 0.25, 12), rng.normal(0, 1, 12)
    responses = simulate_responses(a, b, rng.normal(0, 1, 800), rng).astype(np.int8)
    responses[0, :10] = -1
    ids = np.array([f"q{i}" for i in range(12)])
    np.savez(tmp_path / "r.npz", responses=responses, ids=ids)
    (tmp_path / "anchors.json").write_text(
        json.dumps([{"id": "q1", "a": float(a[1]), "b": float(b[1])}])
    )
    code = main(
        [
            "--responses",
            str(tmp_path / "r.npz"),
            "--out",
            str(tmp_path / "p.json"),
            "--anchors",
            str(tmp_path / "anchors.json"),
        ]
    )
    assert code == 0
    params = json.loads((tmp_path / "p.json").read_text())
    assert [item["id"] for item in params["items"]] == list(ids)
    assert params["items"][1]["anchored"]
    assert params["items"][1]["a"] == pytest.approx(a[1])
    assert {"a_se", "b_se", "fit_rmsd", "misfit"} <= set(params["items"][0])
