"""Item response functions, log-likelihood and Fisher information (1PL/2PL/3PL).

All functions broadcast: pass an ability *grid* shaped ``(n_abilities, 1)`` and item parameter
arrays shaped ``(n_items,)`` to get ``(n_abilities, n_items)`` tables in one vectorised call.

The models are the logistic ones without the 1.7 scaling constant:

* 1PL: ``a = 1``, ``c = 0``
* 2PL: ``c = 0``
* 3PL: ``P = c + (1 - c) / (1 + exp(-a (ability - b)))``
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
ArrayLike = float | npt.ArrayLike

# Probabilities are kept away from 0 and 1 so that log-likelihoods stay finite even for
# extreme abilities; 1e-12 is far below anything a response pattern can distinguish.
PROBABILITY_FLOOR = 1e-12


def probability(
    ability: ArrayLike, *, a: ArrayLike = 1.0, b: ArrayLike = 0.0, c: ArrayLike = 0.0
) -> FloatArray:
    """Probability of a correct response (3PL; ``c=0`` gives the 2PL, ``a=1`` the 1PL)."""
    ability_arr = np.asarray(ability, dtype=np.float64)
    a_arr = np.asarray(a, dtype=np.float64)
    b_arr = np.asarray(b, dtype=np.float64)
    c_arr = np.asarray(c, dtype=np.float64)
    z = a_arr * (ability_arr - b_arr)
    # exp(-|z|) never overflows; the two branches are the same logistic function.
    e = np.exp(-np.abs(z))
    logistic = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    result: FloatArray = c_arr + (1.0 - c_arr) * logistic
    return result


def log_likelihood(
    ability: ArrayLike,
    *,
    scores: ArrayLike,
    a: ArrayLike,
    b: ArrayLike,
    c: ArrayLike = 0.0,
) -> FloatArray:
    """Log-likelihood of the scores at each ability, summed over items (the last axis).

    Scores may be fractional (partial credit): each item contributes
    ``score * log P + (1 - score) * log(1 - P)``.
    """
    ability_arr = np.asarray(ability, dtype=np.float64)
    scores_arr = np.asarray(scores, dtype=np.float64)
    if ability_arr.ndim == 0:
        ability_arr = ability_arr.reshape(1)
        squeeze = True
    else:
        squeeze = False
    p = probability(ability_arr[..., None], a=a, b=b, c=c)
    p = np.clip(p, PROBABILITY_FLOOR, 1.0 - PROBABILITY_FLOOR)
    per_item = scores_arr * np.log(p) + (1.0 - scores_arr) * np.log1p(-p)
    total: FloatArray = per_item.sum(axis=-1)
    return total[0] if squeeze else total


def item_information(
    ability: ArrayLike, *, a: ArrayLike = 1.0, b: ArrayLike = 0.0, c: ArrayLike = 0.0
) -> FloatArray:
    """Fisher information of each item at each ability.

    ``I = a^2 (Q / P) ((P - c) / (1 - c))^2``, which reduces to ``a^2 P Q`` for the 2PL.
    """
    c_arr = np.asarray(c, dtype=np.float64)
    a_arr = np.asarray(a, dtype=np.float64)
    p = probability(ability, a=a_arr, b=b, c=c_arr)
    p = np.clip(p, PROBABILITY_FLOOR, 1.0 - PROBABILITY_FLOOR)
    information: FloatArray = a_arr**2 * ((1.0 - p) / p) * ((p - c_arr) / (1.0 - c_arr)) ** 2
    return information


def test_information(ability: ArrayLike, *, a: ArrayLike, b: ArrayLike, c: ArrayLike) -> FloatArray:
    """Sum of the item information over items (the last axis) at each ability."""
    ability_arr = np.asarray(ability, dtype=np.float64)
    table = item_information(ability_arr[..., None], a=a, b=b, c=c)
    total: FloatArray = table.sum(axis=-1)
    return total


# pytest would collect ``test_information`` when imported into a test module by name.
test_information.__test__ = False  # type: ignore[attr-defined]
