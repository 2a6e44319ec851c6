"""The LTI knobs, read from ``settings.QUIZZES`` with these defaults (docs/lti.md)."""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # Tolerated clock skew (seconds) for iat and exp of platform tokens.
    "LTI_LEEWAY_SECONDS": 60,
    # How long a login (state + nonce) may wait for its launch.
    "LTI_LOGIN_STATE_SECONDS": 600,
    # How long a launch token (the pages' credential inside the LMS iframe) lives.
    "LTI_LAUNCH_SECONDS": 8 * 3600,
    # Platform JWKS: cache time when the response has no caching headers, and the minimum
    # time between two refetches caused by unknown kids (a storm of forged kids is cheap).
    "LTI_JWKS_DEFAULT_TTL_SECONDS": 3600,
    "LTI_JWKS_MIN_REFETCH_SECONDS": 10,
    # Tool keys: RSA size, and how long a retired key stays published (must exceed the
    # lifetime of every token we sign with it: client assertions and deep-linking responses).
    "LTI_KEY_BITS": 2048,
    # Cache time of our /lti/jwks/ response; a rotated-in key signs only after it.
    "LTI_JWKS_MAX_AGE": 300,
    "LTI_SIGNED_TOKEN_SECONDS": 300,
    "LTI_RETIRED_KEY_PUBLISH_SECONDS": 3600,
    # A PEM private key from the environment (LTI_PRIVATE_KEY or LTI_PRIVATE_KEY_FILE),
    # used as the signing key instead of the database keys; set in config/settings.py.
    "LTI_PRIVATE_KEY": None,
    # Our public base URL (https://quizzes.example.edu); empty means the request's host.
    "LTI_TOOL_URL": "",
    # Score delivery: backoff (seconds) doubling from base up to max, and when to give up.
    "LTI_DELIVERY_BACKOFF_BASE_SECONDS": 30,
    "LTI_DELIVERY_BACKOFF_MAX_SECONDS": 3600,
    "LTI_DELIVERY_GIVE_UP_SECONDS": 14 * 24 * 3600,
    "LTI_DELIVERY_LEASE_SECONDS": 300,
    "LTI_DELIVERY_BATCH": 100,
    "LTI_HTTP_TIMEOUT_SECONDS": 15,
    # Roster paging: a bound so a platform whose next link loops cannot hold a worker.
    "LTI_ROSTER_MAX_PAGES": 1000,
    # Scheduled roster sync: a context's roster is synced again once its last sync is
    # this old; the scheduler asks which rosters are due every LTI_ROSTER_CHECK_SECONDS.
    "LTI_ROSTER_SYNC_SECONDS": 6 * 3600,
    "LTI_ROSTER_CHECK_SECONDS": 900,
    # How often the scheduler enqueues the sweep of the grade outbox (retries, backoff).
    "LTI_SCORE_SWEEP_SECONDS": 30,
}


def lti_setting(name: str) -> Any:
    configured = getattr(settings, "QUIZZES", {}) or {}
    if name in configured:
        return configured[name]
    return DEFAULTS[name]
