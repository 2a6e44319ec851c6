"""Writes and reads of platform registrations, and the platform's JWKS with HTTP caching."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone

from quizzes.lti import errors
from quizzes.lti.conf import lti_setting
from quizzes.lti.errors import LtiError
from quizzes.lti.http import TransportError, request
from quizzes.models import Institution, LtiDeployment, LtiPlatform


@transaction.atomic
def platform_register(
    *,
    institution: Institution,
    issuer: str,
    client_id: str,
    auth_login_url: str,
    auth_token_url: str,
    keyset_url: str,
    deployment_ids: list[str],
    name: str = "",
) -> LtiPlatform:
    """Register (or update) a platform and add its deployment ids; idempotent."""
    platform = LtiPlatform.objects.filter(issuer=issuer, client_id=client_id).first()
    if platform is None:
        platform = LtiPlatform(issuer=issuer, client_id=client_id, institution=institution)
    elif platform.institution_id != institution.pk:
        from quizzes.exceptions import Conflict

        raise Conflict(
            "This issuer and client id are registered for another institution.",
            code="lti_platform_other_institution",
        )
    platform.name = name or platform.name
    platform.auth_login_url = auth_login_url
    platform.auth_token_url = auth_token_url
    if platform.keyset_url != keyset_url:
        platform.jwks, platform.jwks_etag, platform.jwks_last_modified = {}, "", ""
        platform.jwks_expires_at = None
    platform.keyset_url = keyset_url
    platform.full_clean()
    platform.save()
    for deployment_id in deployment_ids:
        deployment_add(platform=platform, deployment_id=deployment_id)
    return platform


@transaction.atomic
def deployment_add(*, platform: LtiPlatform, deployment_id: str) -> LtiDeployment:
    deployment, _ = LtiDeployment.objects.get_or_create(
        platform=platform, deployment_id=deployment_id
    )
    return deployment


def platforms_for_issuer(issuer: str, client_id: str | None = None) -> list[LtiPlatform]:
    queryset = LtiPlatform.objects.filter(issuer=issuer, is_active=True)
    if client_id:
        queryset = queryset.filter(client_id=client_id)
    return list(queryset.select_related("institution"))


def frame_origins(platform: LtiPlatform) -> list[str]:
    """Origins allowed to frame our LTI pages for this platform."""
    origins = []
    for url in (platform.issuer, platform.auth_login_url):
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and parts.netloc:
            origins.append(f"{parts.scheme}://{parts.netloc}")
    origins.extend(platform.frame_origins.split())
    return list(dict.fromkeys(origins))


# The platform's JWKS ---------------------------------------------------------------------

_MAX_AGE = re.compile(r"max-age\s*=\s*(\d+)", re.IGNORECASE)


def _expiry(headers: dict[str, str]) -> Any:
    now = timezone.now()
    cache_control = headers.get("cache-control", "")
    if "no-store" in cache_control or "no-cache" in cache_control:
        return now
    match = _MAX_AGE.search(cache_control)
    if match:
        age = int(headers.get("age", "0") or 0) if headers.get("age", "").isdigit() else 0
        return now + timedelta(seconds=max(0, int(match.group(1)) - age))
    if "expires" in headers:
        try:
            return parsedate_to_datetime(headers["expires"])
        except (TypeError, ValueError):
            return now
    return now + timedelta(seconds=int(lti_setting("LTI_JWKS_DEFAULT_TTL_SECONDS")))


def _fetch_jwks(platform: LtiPlatform) -> None:
    """Fetch the platform's JWKS, conditionally when we hold a validator."""
    headers = {"Accept": "application/json"}
    if platform.jwks and platform.jwks_etag:
        headers["If-None-Match"] = platform.jwks_etag
    if platform.jwks and platform.jwks_last_modified:
        headers["If-Modified-Since"] = platform.jwks_last_modified
    try:
        answer = request("GET", platform.keyset_url, headers=headers)
    except TransportError as error:
        raise LtiError(errors.KEYSET_UNAVAILABLE, str(error)) from error
    now = timezone.now()
    if answer.status == 304 and platform.jwks:
        pass
    elif answer.ok:
        try:
            jwks = answer.json()
        except ValueError as error:
            raise LtiError(errors.KEYSET_UNAVAILABLE, "The JWKS is not JSON.") from error
        if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
            raise LtiError(errors.KEYSET_UNAVAILABLE, "The JWKS has no keys list.")
        platform.jwks = jwks
        platform.jwks_etag = answer.headers.get("etag", "")
        platform.jwks_last_modified = answer.headers.get("last-modified", "")
    else:
        raise LtiError(errors.KEYSET_UNAVAILABLE, f"The JWKS URL answered {answer.status}.")
    platform.jwks_fetched_at = now
    platform.jwks_expires_at = _expiry(answer.headers)
    LtiPlatform.objects.filter(pk=platform.pk).update(
        jwks=platform.jwks,
        jwks_etag=platform.jwks_etag,
        jwks_last_modified=platform.jwks_last_modified,
        jwks_fetched_at=platform.jwks_fetched_at,
        jwks_expires_at=platform.jwks_expires_at,
    )


def _find_key(platform: LtiPlatform, kid: str | None) -> dict[str, Any] | None:
    keys = [key for key in platform.jwks.get("keys", []) if isinstance(key, dict)]
    if kid is None:
        # Without a kid only an unambiguous key set is usable.
        signing = [key for key in keys if key.get("use", "sig") == "sig"]
        return signing[0] if len(signing) == 1 else None
    return next((key for key in keys if key.get("kid") == kid), None)


def platform_public_key(platform: LtiPlatform, kid: str | None) -> Any:
    """The platform's public key for ``kid``: from the cache while it is fresh, refetched
    once when the kid is unknown (the platform rotated its key)."""
    now = timezone.now()
    fetched = False
    if not platform.jwks or platform.jwks_expires_at is None or platform.jwks_expires_at <= now:
        _fetch_jwks(platform)
        fetched = True
    jwk = _find_key(platform, kid)
    if jwk is None and not fetched:
        minimum = timedelta(seconds=int(lti_setting("LTI_JWKS_MIN_REFETCH_SECONDS")))
        if platform.jwks_fetched_at is None or platform.jwks_fetched_at + minimum <= now:
            _fetch_jwks(platform)
            jwk = _find_key(platform, kid)
    if jwk is None:
        raise LtiError(errors.KEY_UNKNOWN, f"No key with kid {kid!r} in {platform.keyset_url}.")
    if jwk.get("kty") != "RSA" or jwk.get("alg", "RS256") != "RS256":
        raise LtiError(errors.KEY_UNKNOWN, f"The key {kid!r} is not an RS256 key.")
    from jwt.algorithms import RSAAlgorithm

    return RSAAlgorithm.from_jwk(json.dumps(jwk))
