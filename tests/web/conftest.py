"""Fixtures of the page tests: the delivery fixtures (every_type, make_quiz), and the
``browser`` marker (the Playwright tests: selectable with ``-m browser``, run by default)."""

from __future__ import annotations

import pytest

from tests.delivery.conftest import every_type, make_quiz

__all__ = ["every_type", "make_quiz"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser: drives Debian's Chromium with Playwright (tests/web/test_browser.py)"
    )
