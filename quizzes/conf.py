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
}


def quiz_setting(name: str) -> Any:
    if name not in DEFAULTS:
        raise KeyError(f"QUIZZES has no knob {name!r}; known: {', '.join(sorted(DEFAULTS))}")
    overrides = getattr(settings, "QUIZZES", None) or {}
    return overrides.get(name, DEFAULTS[name])


def import_max_bytes() -> int:
    return int(quiz_setting("IMPORT_MAX_BYTES"))
