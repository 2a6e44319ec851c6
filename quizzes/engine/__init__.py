"""Adaptive-testing engine: IRT, item banks, estimation, selection, stopping, calibration.

Pure Python + numpy; never imports Django. The quiz service needs only::

    from quizzes.engine import ItemBank, EngineSettings, next_step

See ``step.py`` for the step-function contract, ``simulation.py`` for simulated examinees and
the offline Sympson–Hetter procedure, ``calibration.py`` for item calibration.
"""

from __future__ import annotations

from quizzes.engine.item_bank import ItemBank
from quizzes.engine.step import EngineSettings, StepResult, next_step

__all__ = ["EngineSettings", "ItemBank", "StepResult", "next_step"]
