"""Counter-based uniform draws: the same keys always give the same number.

Used where a random decision must not depend on what happened before it: a simulated
examinee's answer to an item (so two engines can face identical examinees), and the
Sympson–Hetter lottery of an item within one attempt (so an item passed over once stays
passed over for the attempt, even though the step function is stateless between requests).
"""

from __future__ import annotations

_MASK64 = (1 << 64) - 1


def stable_uniform(key: int, first: int, second: int) -> float:
    """A uniform number in [0, 1) from SplitMix64 of (key, first, second)."""
    x = key * 0x9E3779B97F4A7C15 + first * 0xBF58476D1CE4E5B9 + second * 0x94D049BB133111EB
    x = (x + 0x9E3779B97F4A7C15) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    x ^= x >> 31
    return (x >> 11) / float(1 << 53)
