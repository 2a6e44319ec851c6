"""Test settings: the real settings with a throwaway key and plain HTTP.

Every other value (DATABASE_URL, REDIS_URL, ...) still comes from the environment, so the
same suite runs on SQLite (default) and PostgreSQL (DATABASE_URL=postgres://...).
"""

import os
import secrets

os.environ.setdefault("SECRET_KEY", "test-" + secrets.token_urlsafe(32))
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed: tests only
STATIC_ROOT = None  # type: ignore[assignment]  # nothing collected in tests; WhiteNoise would warn about a missing dir
WHITENOISE_AUTOREFRESH = True
# Templates reference static files that are not collected in tests.
STORAGES = STORAGES | {  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
}
