"""OAuth 2 client_credentials access tokens with a signed JWT assertion (LTI Security
Framework 4.1), cached until they expire."""

from __future__ import annotations

import hashlib
import time
import uuid
from typing import Any

from django.core.cache import cache

from quizzes.lti.conf import lti_setting
from quizzes.lti.http import TransportError, request
from quizzes.lti.keys import sign
from quizzes.models import LtiPlatform

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
EXPIRY_MARGIN_SECONDS = 30


class TokenUnavailable(Exception):
    """The token endpoint is unreachable or failing (retry later)."""


class TokenRefused(Exception):
    """The token endpoint refused us (a configuration problem; retrying will not help)."""


def client_assertion(platform: LtiPlatform) -> str:
    now = int(time.time())
    return sign(
        {
            "iss": platform.client_id,
            "sub": platform.client_id,
            "aud": platform.auth_audience or platform.auth_token_url,
            "iat": now,
            "exp": now + int(lti_setting("LTI_SIGNED_TOKEN_SECONDS")),
            "jti": uuid.uuid4().hex,
        }
    )


def _cache_key(platform: LtiPlatform, scopes: list[str]) -> str:
    digest = hashlib.sha256(" ".join(sorted(scopes)).encode()).hexdigest()[:16]
    return f"lti:token:{platform.pk}:{digest}"


def access_token(platform: LtiPlatform, scopes: list[str], *, fresh: bool = False) -> str:
    key = _cache_key(platform, scopes)
    if not fresh:
        cached = cache.get(key)
        if cached:
            return str(cached)
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": client_assertion(platform),
        "scope": " ".join(sorted(scopes)),
    }
    try:
        answer = request(
            "POST", platform.auth_token_url, form=form, headers={"Accept": "application/json"}
        )
    except TransportError as error:
        raise TokenUnavailable(str(error)) from error
    if answer.status >= 500 or answer.status == 429:
        raise TokenUnavailable(f"token endpoint answered {answer.status}")
    if not answer.ok:
        raise TokenRefused(
            f"token endpoint answered {answer.status}: {answer.body[:300].decode(errors='replace')}"
        )
    try:
        data: dict[str, Any] = answer.json()
        token = str(data["access_token"])
    except (ValueError, KeyError, TypeError) as error:
        raise TokenUnavailable("token endpoint answered without an access_token") from error
    expires_in = int(data.get("expires_in") or 3600)
    timeout = expires_in - EXPIRY_MARGIN_SECONDS
    if timeout > 0:
        cache.set(key, token, timeout=timeout)
    return token


def forget_token(platform: LtiPlatform, scopes: list[str]) -> None:
    cache.delete(_cache_key(platform, scopes))
