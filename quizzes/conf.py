"""The app's own knobs: ``QUIZZES = {...}`` in the settings, resolved here with defaults.

Read a knob with ``quiz_setting("IMPORT_MAX_BYTES")``: the value comes from the settings at
call time (so ``override_settings(QUIZZES=...)`` works in tests), else the default below.
A name that is not a knob is a programming error and raises KeyError.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # Largest file accepted by a bank import (API upload and manage.py import_bank), bytes.
    "IMPORT_MAX_BYTES": 5 * 1024 * 1024,
    # Calibration from live responses (quizzes/analytics/calibration.py): an item is
    # re-estimated once it has this many responses from finished attempts ...
    "CALIBRATION_MIN_RESPONSES": 200,
    # ... from at most this many of the most recent finished attempts of the bank (the
    # fit holds an items x attempts matrix in memory) ...
    "CALIBRATION_MAX_PERSONS": 20_000,
    # ... and the scheduler enqueues the calibration of banks with new data this often.
    "CALIBRATION_INTERVAL_SECONDS": 24 * 3600,
    # Gradebook streams (quizzes/analytics/gradebook.py): rows fetched from the database
    # per round trip; bounds the memory a gradebook export holds, whatever its size.
    "GRADEBOOK_CHUNK_SIZE": 2000,
}


def quiz_setting(name: str) -> Any:
    if name not in DEFAULTS:
        raise KeyError(f"QUIZZES has no knob {name!r}; known: {', '.join(sorted(DEFAULTS))}")
    overrides = getattr(settings, "QUIZZES", None) or {}
    return overrides.get(name, DEFAULTS[name])


def import_max_bytes() -> int:
    return int(quiz_setting("IMPORT_MAX_BYTES"))


def calibration_min_responses() -> int:
    return int(quiz_setting("CALIBRATION_MIN_RESPONSES"))


def calibration_max_persons() -> int:
    return int(quiz_setting("CALIBRATION_MAX_PERSONS"))


def calibration_interval_seconds() -> int:
    return int(quiz_setting("CALIBRATION_INTERVAL_SECONDS"))
