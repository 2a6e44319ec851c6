"""Item calibration: 2PL / 3PL marginal maximum likelihood by EM (Bock & Aitkin, 1981).

``calibrate(responses)`` takes a 0/1 matrix shaped items x persons (-1 or NaN for a missing
response) and returns item parameters with standard errors and an item-fit flag.

* E-step: posterior weights of every person over a fixed quadrature grid (matrix products;
  missing responses simply drop out of the likelihood).
* M-step: one batched Fisher-scoring step per item on (a, d, c) with ``z = a * ability + d``
  (``b = -d / a``), solved for all items at once.
* 3PL: a Beta prior on ``c`` (default Beta(5, 17), mean ~0.23) and a weak lognormal prior on
  ``a`` keep the lower asymptote identified, as in BILOG-MG.
* Anchored calibration: items given in ``anchors`` keep their parameters, and the latent mean
  and SD are estimated instead of fixed at N(0, 1), so new items land on the anchors' scale
  (fixed-item-parameter calibration). Use it to calibrate new items from live responses.
* Standard errors come from the inverse expected information of each item at the last
  E-step (item-wise, the usual approximation); ``b``'s by the delta method.
* Fit: RMSD between the pseudo-observed and the model item response function over the
  posterior ability distribution (the statistic PISA uses); ``misfit`` when RMSD > 0.1.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

MODELS = ("2pl", "3pl")
MIN_DISCRIMINATION, MAX_DISCRIMINATION = 0.05, 8.0
MAX_GUESSING = 0.5
MAX_ABS_INTERCEPT = 30.0
DEFAULT_MISFIT_RMSD = 0.1


@dataclass(frozen=True)
class CalibrationResult:
    a: FloatArray
    b: FloatArray
    c: FloatArray
    a_standard_error: FloatArray
    b_standard_error: FloatArray
    c_standard_error: FloatArray  # 0 for the 2PL and for anchored items
    fit_rmsd: FloatArray
    misfit: BoolArray
    anchored: BoolArray
    iterations: int
    converged: bool
    log_likelihood: float
    latent_mean: float
    latent_sd: float


def _prepare(responses: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    matrix = np.asarray(responses, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[0] < 1 or matrix.shape[1] < 2:
        raise ValueError("Responses must be a 2-D matrix items x persons (at least 2 persons).")
    observed = ~(np.isnan(matrix) | (matrix == -1))
    values = np.where(observed, matrix, 0.0)
    if np.any((values != 0) & (values != 1)):
        raise ValueError("Responses must be 0, 1, or -1 / NaN for missing.")
    return values, observed.astype(np.float64)


def calibrate(
    responses: npt.ArrayLike,
    *,
    model: str = "2pl",
    anchors: Mapping[int, tuple[float, float, float]] | None = None,
    guessing_prior: tuple[float, float] = (5.0, 17.0),
    discrimination_prior_sd: float | None = None,
    quadrature_points: int = 41,
    max_iterations: int = 500,
    tolerance: float = 1e-4,
    misfit_rmsd: float = DEFAULT_MISFIT_RMSD,
) -> CalibrationResult:
    """Calibrate items from a items x persons response matrix; see the module docstring.

    ``anchors`` maps item row -> (a, b, c) held fixed. ``discrimination_prior_sd`` is the SD of
    a lognormal(0, sd) prior on ``a`` (default: none for the 2PL, 0.5 for the 3PL).
    """
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}.")
    if quadrature_points < 11 or max_iterations < 1 or not tolerance > 0:
        raise ValueError("Need quadrature_points >= 11, max_iterations >= 1, tolerance > 0.")
    alpha, beta = guessing_prior
    if model == "3pl" and not (alpha >= 1 and beta >= 1):
        raise ValueError("The Beta prior on c needs both shapes >= 1.")
    if discrimination_prior_sd is None and model == "3pl":
        discrimination_prior_sd = 0.5
    values, observed = _prepare(responses)
    n_items, n_persons = values.shape
    anchored = np.zeros(n_items, dtype=bool)
    a = np.ones(n_items)
    c = np.zeros(n_items)
    d = np.zeros(n_items)

    # Starting values: biserial-based slopes, logit-based intercepts.
    counts = observed.sum(axis=1)
    if np.any(counts < 1):
        raise ValueError("Every item needs at least one observed response.")
    p_correct = np.clip(values.sum(axis=1) / counts, 0.02, 0.98)
    totals = (values * observed).sum(axis=0) / np.maximum(observed.sum(axis=0), 1)
    centred_totals = totals - totals.mean()
    for_cov = (values - p_correct[:, None]) * observed
    covariance = for_cov @ centred_totals / counts
    spread = np.sqrt(p_correct * (1 - p_correct)) * max(float(centred_totals.std()), 1e-6)
    correlation = np.clip(covariance / spread, 0.05, 0.9)
    a = np.clip(1.7 * correlation / np.sqrt(1 - correlation**2), 0.3, 3.0)
    if model == "3pl":
        c[:] = (alpha - 1) / (alpha + beta - 2)
    guess = np.clip((p_correct - c) / (1 - c), 0.02, 0.98)
    d = np.log(guess / (1 - guess)) * np.sqrt(1 + a**2 / 2.89)

    if anchors:
        for row, (anchor_a, anchor_b, anchor_c) in anchors.items():
            if not 0 <= row < n_items:
                raise ValueError(f"Anchor row {row} is outside the response matrix.")
            if not (anchor_a > 0 and math.isfinite(anchor_b) and 0 <= anchor_c < 1):
                raise ValueError(f"Anchor row {row} has invalid parameters.")
            anchored[row] = True
            a[row], d[row], c[row] = anchor_a, -anchor_a * anchor_b, anchor_c
    free = ~anchored
    estimate_latent = bool(anchored.any())
    latent_mean, latent_sd = 0.0, 1.0

    nodes = (
        np.linspace(-6.0, 6.0, quadrature_points)
        if estimate_latent
        else np.linspace(-5.0, 5.0, quadrature_points)
    )
    any_missing = bool(np.any(observed == 0))
    values_t = np.ascontiguousarray(values.T)
    observed_t = np.ascontiguousarray(observed.T)
    n_params = 3 if model == "3pl" else 2
    previous_log_likelihood = -np.inf
    converged = False
    iteration = 0
    weights = np.empty((n_persons, quadrature_points))
    log_likelihood = -np.inf

    for iteration in range(1, max_iterations + 1):
        # ---- E-step
        p = _probability(nodes, a, d, c)  # items x nodes
        log_p, log_q = np.log(p), np.log1p(-p)
        log_prior = -0.5 * ((nodes - latent_mean) / latent_sd) ** 2
        log_prior -= np.log(np.exp(log_prior).sum())
        person_log = values_t @ (log_p - log_q)
        if any_missing:
            person_log += observed_t @ log_q
        else:
            person_log += log_q.sum(axis=0)
        person_log += log_prior
        row_max = person_log.max(axis=1, keepdims=True)
        np.exp(person_log - row_max, out=weights)
        row_sum = weights.sum(axis=1, keepdims=True)
        weights /= row_sum
        log_likelihood = float(np.sum(np.log(row_sum) + row_max))
        correct_counts = values @ weights  # items x nodes
        if any_missing:
            totals_at_node = observed @ weights
        else:
            totals_at_node = np.broadcast_to(weights.sum(axis=0), (n_items, quadrature_points))

        if estimate_latent:
            mass = weights.sum(axis=0)
            latent_mean = float(mass @ nodes / n_persons)
            latent_sd = float(np.sqrt(max(mass @ (nodes - latent_mean) ** 2 / n_persons, 1e-4)))

        # ---- M-step: one Fisher-scoring step for every free item at once
        old = np.stack([a, d, c])
        a, d, c = _fisher_step(
            nodes=nodes,
            a=a,
            d=d,
            c=c,
            correct=correct_counts,
            total=totals_at_node,
            free=free,
            n_params=n_params,
            guessing_prior=(alpha, beta),
            discrimination_prior_sd=discrimination_prior_sd,
        )
        change = float(np.max(np.abs(np.stack([a, d, c]) - old)))
        gain = log_likelihood - previous_log_likelihood
        previous_log_likelihood = log_likelihood
        if change < tolerance or (iteration > 5 and 0 <= gain < tolerance * 1e-2):
            converged = True
            break

    information = _information(
        nodes=nodes,
        a=a,
        d=d,
        c=c,
        total=totals_at_node,
        n_params=n_params,
        guessing_prior=(alpha, beta),
        discrimination_prior_sd=discrimination_prior_sd,
    )
    covariance = np.linalg.inv(information + np.eye(n_params) * 1e-9)
    var_a = covariance[:, 0, 0]
    var_d = covariance[:, 1, 1]
    cov_ad = covariance[:, 0, 1]
    b = -d / a
    # delta method: b = -d / a, db/da = d / a^2, db/dd = -1 / a
    grad_a, grad_d = d / a**2, -1.0 / a
    var_b = grad_a**2 * var_a + grad_d**2 * var_d + 2 * grad_a * grad_d * cov_ad
    a_se = np.where(anchored, 0.0, np.sqrt(np.maximum(var_a, 0)))
    b_se = np.where(anchored, 0.0, np.sqrt(np.maximum(var_b, 0)))
    c_se = (
        np.where(anchored, 0.0, np.sqrt(np.maximum(covariance[:, 2, 2], 0)))
        if n_params == 3
        else np.zeros(n_items)
    )
    p = _probability(nodes, a, d, c)
    node_mass = totals_at_node / np.maximum(totals_at_node.sum(axis=1, keepdims=True), 1e-12)
    observed_rate = correct_counts / np.maximum(totals_at_node, 1e-12)
    rmsd = np.sqrt(np.sum(node_mass * (observed_rate - p) ** 2, axis=1))
    return CalibrationResult(
        a=a,
        b=b,
        c=c,
        a_standard_error=a_se,
        b_standard_error=b_se,
        c_standard_error=c_se,
        fit_rmsd=rmsd,
        misfit=rmsd > misfit_rmsd,
        anchored=anchored,
        iterations=iteration,
        converged=converged,
        log_likelihood=log_likelihood,
        latent_mean=latent_mean,
        latent_sd=latent_sd,
    )


def _probability(nodes: FloatArray, a: FloatArray, d: FloatArray, c: FloatArray) -> FloatArray:
    z = a[:, None] * nodes[None, :] + d[:, None]
    logistic = 1.0 / (1.0 + np.exp(-z))
    result: FloatArray = np.clip(c[:, None] + (1 - c[:, None]) * logistic, 1e-10, 1 - 1e-10)
    return result


def _derivatives(
    nodes: FloatArray, a: FloatArray, d: FloatArray, c: FloatArray, n_params: int
) -> tuple[FloatArray, FloatArray]:
    """P (items x nodes) and dP/d(a, d[, c]) (items x nodes x params)."""
    z = a[:, None] * nodes[None, :] + d[:, None]
    logistic = 1.0 / (1.0 + np.exp(-z))
    p = np.clip(c[:, None] + (1 - c[:, None]) * logistic, 1e-10, 1 - 1e-10)
    slope = (1 - c[:, None]) * logistic * (1 - logistic)
    derivatives = np.empty((*p.shape, n_params))
    derivatives[..., 0] = slope * nodes[None, :]
    derivatives[..., 1] = slope
    if n_params == 3:
        derivatives[..., 2] = 1 - logistic
    return p, derivatives


def _prior_terms(
    a: FloatArray,
    c: FloatArray,
    n_params: int,
    guessing_prior: tuple[float, float],
    discrimination_prior_sd: float | None,
) -> tuple[FloatArray, FloatArray]:
    """Gradient and (negative) curvature of the log-priors, per item and parameter."""
    gradient = np.zeros((a.shape[0], n_params))
    curvature = np.zeros((a.shape[0], n_params))
    if discrimination_prior_sd is not None:
        variance = discrimination_prior_sd**2
        gradient[:, 0] = -1.0 / a - np.log(a) / (a * variance)
        curvature[:, 0] = 1.0 / (a * a * variance)
    if n_params == 3:
        alpha, beta = guessing_prior
        cc = np.clip(c, 1e-6, 1 - 1e-6)
        gradient[:, 2] = (alpha - 1) / cc - (beta - 1) / (1 - cc)
        curvature[:, 2] = (alpha - 1) / cc**2 + (beta - 1) / (1 - cc) ** 2
    return gradient, curvature


def _information(
    *,
    nodes: FloatArray,
    a: FloatArray,
    d: FloatArray,
    c: FloatArray,
    total: FloatArray,
    n_params: int,
    guessing_prior: tuple[float, float],
    discrimination_prior_sd: float | None,
) -> FloatArray:
    p, derivatives = _derivatives(nodes, a, d, c, n_params)
    weight = total / (p * (1 - p))
    information: FloatArray = np.einsum("iq,iqk,iql->ikl", weight, derivatives, derivatives)
    _, curvature = _prior_terms(a, c, n_params, guessing_prior, discrimination_prior_sd)
    information[:, np.arange(n_params), np.arange(n_params)] += curvature
    return information


def _fisher_step(
    *,
    nodes: FloatArray,
    a: FloatArray,
    d: FloatArray,
    c: FloatArray,
    correct: FloatArray,
    total: FloatArray,
    free: BoolArray,
    n_params: int,
    guessing_prior: tuple[float, float],
    discrimination_prior_sd: float | None,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    p, derivatives = _derivatives(nodes, a, d, c, n_params)
    residual = (correct - total * p) / (p * (1 - p))
    gradient = np.einsum("iq,iqk->ik", residual, derivatives)
    weight = total / (p * (1 - p))
    information = np.einsum("iq,iqk,iql->ikl", weight, derivatives, derivatives)
    prior_gradient, prior_curvature = _prior_terms(
        a, c, n_params, guessing_prior, discrimination_prior_sd
    )
    gradient += prior_gradient
    information[:, np.arange(n_params), np.arange(n_params)] += prior_curvature + 1e-8
    step = np.linalg.solve(information, gradient[..., None])[..., 0]
    # Damp large steps (early iterations, near-degenerate items) to keep EM monotone-ish.
    largest = np.max(np.abs(step), axis=1, keepdims=True)
    step *= np.minimum(1.0, 1.0 / np.maximum(largest, 1e-12))
    step[~free] = 0.0
    new_a = np.clip(a + step[:, 0], MIN_DISCRIMINATION, MAX_DISCRIMINATION)
    new_d = np.clip(d + step[:, 1], -MAX_ABS_INTERCEPT, MAX_ABS_INTERCEPT)
    new_c = np.clip(c + step[:, 2], 1e-4, MAX_GUESSING) if n_params == 3 else c
    return new_a, new_d, new_c
