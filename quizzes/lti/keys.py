"""Our RSA signing keys, their rotation and the JWKS we publish at /lti/jwks/.

The newest unretired database key signs, unless a PEM comes from the environment
(``LTI_PRIVATE_KEY`` or ``LTI_PRIVATE_KEY_FILE``), which then signs and is published too.
Rotation creates a new key and retires the old one; a retired key stays published for
``LTI_RETIRED_KEY_PUBLISH_SECONDS`` (longer than any token we sign lives) so platforms can
still verify tokens it signed."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from quizzes.exceptions import ValidationFailed
from quizzes.lti.conf import lti_setting
from quizzes.models import LtiToolKey

MIN_KEY_BITS = 2048


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: rsa.RSAPrivateKey
    public_jwk: dict[str, Any]


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def public_jwk(private_key: rsa.RSAPrivateKey, kid: str | None = None) -> dict[str, Any]:
    numbers = private_key.public_key().public_numbers()
    e, n = _b64(numbers.e), _b64(numbers.n)
    if kid is None:  # RFC 7638 thumbprint: stable for the same key
        canonical = json.dumps({"e": e, "kty": "RSA", "n": n}, separators=(",", ":"))
        kid = base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).decode()
        kid = kid.rstrip("=")
    return {"kty": "RSA", "alg": "RS256", "use": "sig", "kid": kid, "e": e, "n": n}


def _load_pem(pem: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < MIN_KEY_BITS:
        raise ValidationFailed(
            f"The LTI private key must be an RSA key of at least {MIN_KEY_BITS} bits.",
            code="lti_key_invalid",
        )
    return key


def _environment_key() -> SigningKey | None:
    pem = lti_setting("LTI_PRIVATE_KEY")
    if not pem:
        return None
    key = _load_pem(pem)
    jwk = public_jwk(key)
    return SigningKey(kid=jwk["kid"], private_key=key, public_jwk=jwk)


@transaction.atomic
def tool_key_rotate(*, bits: int | None = None, immediately: bool = False) -> LtiToolKey:
    """Create a new signing key and retire the current one.

    The new key is published at once and signs from ``activates_at`` (after our JWKS cache
    time, unless ``immediately`` or there is no key yet); the old key signs until then and
    stays published ``LTI_RETIRED_KEY_PUBLISH_SECONDS`` longer, past the expiry of every
    token it signed."""
    bits = bits or int(lti_setting("LTI_KEY_BITS"))
    if bits < MIN_KEY_BITS:
        raise ValidationFailed(
            f"RSA keys must have at least {MIN_KEY_BITS} bits.", code="lti_key_too_small"
        )
    now = timezone.now()
    current = LtiToolKey.objects.select_for_update().filter(retired_at__isnull=True)
    delay = 0 if immediately or not current.exists() else int(lti_setting("LTI_JWKS_MAX_AGE"))
    activates_at = now + timedelta(seconds=delay)
    publish_until = activates_at + timedelta(
        seconds=int(lti_setting("LTI_RETIRED_KEY_PUBLISH_SECONDS"))
    )
    current.update(retired_at=activates_at, publish_until=publish_until)
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    kid = uuid.uuid4().hex
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    key = LtiToolKey(
        kid=kid,
        private_pem=pem,
        public_jwk=public_jwk(private_key, kid),
        created_at=now,
        activates_at=activates_at,
    )
    key.full_clean()
    key.save()
    return key


def tool_keys_prune() -> int:
    """Delete retired keys no longer published; returns how many."""
    deleted, _ = LtiToolKey.objects.filter(publish_until__lt=timezone.now()).delete()
    return deleted


def signing_key() -> SigningKey:
    """The key that signs now; the first call without any key creates one."""
    environment = _environment_key()
    if environment is not None:
        return environment
    now = timezone.now()
    key = (
        LtiToolKey.objects.filter(activates_at__lte=now)
        .filter(Q(retired_at__isnull=True) | Q(retired_at__gt=now))
        .order_by("-activates_at")
        .first()
    )
    if key is None:
        key = tool_key_rotate()
    return SigningKey(
        kid=key.kid, private_key=_load_pem(key.private_pem), public_jwk=key.public_jwk
    )


def published_jwks() -> dict[str, Any]:
    now = timezone.now()
    keys = [
        key.public_jwk
        for key in LtiToolKey.objects.filter(
            Q(publish_until__isnull=True) | Q(publish_until__gt=now)
        ).order_by("-created_at")
    ]
    environment = _environment_key()
    if environment is not None:
        keys.insert(0, environment.public_jwk)
    if not keys:
        keys.append(signing_key().public_jwk)
    return {"keys": keys}


def sign(payload: dict[str, Any]) -> str:
    key = signing_key()
    return jwt.encode(payload, key.private_key, algorithm="RS256", headers={"kid": key.kid})
