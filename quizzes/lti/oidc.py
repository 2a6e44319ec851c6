"""OIDC login initiation and id_token validation: every check of the 1EdTech Security
Framework and LTI Core, in the order that gives the most useful refusal.

The state travels in a cookie (SameSite=None; Secure; Partitioned) so it is bound to the
browser that started the login; the nonce is ours, stored with the state and consumed
exactly once, so a replayed id_token is refused from any browser.

When the login initiation names an ``lti_storage_target`` (1EdTech LTI Client Side
postMessages, Platform Storage), the state and nonce are also put into the platform's
storage from the browser, and the login's state records it (``ps.<target>.<random>``). A
launch that then arrives without the state cookie (a browser without partitioned cookies)
is confirmed by reading the state back from that storage (docs/lti.md)."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import jwt
from django.db import transaction
from django.utils import timezone

from quizzes.lti import claims, errors
from quizzes.lti.conf import lti_setting
from quizzes.lti.errors import LtiError
from quizzes.lti.platforms import platform_public_key, platforms_for_issuer
from quizzes.models import LtiDeployment, LtiLoginState, LtiPlatform

LAUNCH_PATH = "/lti/launch/"
STATE_COOKIE_PREFIX = "lti1p3-state-"
# Platform storage: the states of logins that used it start with this prefix and name the
# storage frame; the launch's re-post carries the state read back from the storage in
# this field.
STORAGE_STATE_PREFIX = "ps."
STORAGE_FIELD = "lti_storage_state"
STORAGE_TARGET = re.compile(r"[A-Za-z0-9_-]{1,64}")


def state_cookie_name(state: str) -> str:
    # Per-login cookie names: two links launched side by side do not overwrite each other.
    return STATE_COOKIE_PREFIX + hashlib.sha256(state.encode()).hexdigest()[:16]


def tool_base_url(request_base: str) -> str:
    """Our public origin: LTI_TOOL_URL when set, else the request's."""
    return (lti_setting("LTI_TOOL_URL") or request_base).rstrip("/")


def origin_of(url: str) -> str:
    """scheme://host[:port] of a URL, lower-cased; empty when it has none."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}".lower()


def storage_target_of(state: str) -> str | None:
    """The platform storage frame a login put its state into, or None (cookie only)."""
    if not state.startswith(STORAGE_STATE_PREFIX):
        return None
    target, separator, _ = state[len(STORAGE_STATE_PREFIX) :].partition(".")
    return target if separator and STORAGE_TARGET.fullmatch(target) else None


def storage_key(kind: str, value: str) -> str:
    """The platform storage key of a login's state or nonce (one key per login, so two
    launches side by side do not overwrite each other)."""
    return f"{kind}_{value}"


def is_our_target(uri: str, tool_base: str) -> bool:
    target, ours = urlsplit(uri), urlsplit(tool_base)
    return (
        target.scheme == ours.scheme
        and target.netloc.lower() == ours.netloc.lower()
        and target.path == LAUNCH_PATH
        and not target.fragment
    )


@dataclass(frozen=True)
class LoginStart:
    redirect_url: str
    state: str
    nonce: str
    platform: LtiPlatform
    # The platform storage frame (lti_storage_target) when the login uses it.
    storage_target: str | None = None

    @property
    def platform_origin(self) -> str:
        """Where the platform storage answers from: the OIDC auth URL's origin."""
        return origin_of(self.platform.auth_login_url)


def login_start(*, params: dict[str, str], tool_base: str) -> LoginStart:
    """Validate a third-party login initiation and build the authentication request."""
    issuer, login_hint = params.get("iss", ""), params.get("login_hint", "")
    target_link_uri = params.get("target_link_uri", "")
    if not issuer or not login_hint or not target_link_uri:
        raise LtiError(errors.LOGIN_INVALID)
    candidates = platforms_for_issuer(issuer, params.get("client_id") or None)
    if len(candidates) != 1:
        detail = (
            "Several registrations share this issuer; the LMS must send client_id."
            if candidates
            else ""
        )
        raise LtiError(errors.ISSUER_UNKNOWN, detail, issuer=issuer)
    platform = candidates[0]
    deployment_id = params.get("lti_deployment_id")
    if (
        deployment_id
        and not LtiDeployment.objects.filter(
            platform=platform, deployment_id=deployment_id
        ).exists()
    ):
        raise LtiError(errors.DEPLOYMENT_UNKNOWN, platform=platform, deployment_id=deployment_id)
    if not is_our_target(target_link_uri, tool_base):
        raise LtiError(errors.TARGET_LINK_FOREIGN, platform=platform)
    storage_target = params.get("lti_storage_target", "")
    uses_storage = bool(STORAGE_TARGET.fullmatch(storage_target))
    random_state = secrets.token_urlsafe(32)
    now = timezone.now()
    state = LtiLoginState.objects.create(
        platform=platform,
        state=f"{STORAGE_STATE_PREFIX}{storage_target}.{random_state}"
        if uses_storage
        else random_state,
        nonce=secrets.token_urlsafe(32),
        target_link_uri=target_link_uri,
        created_at=now,
        expires_at=now + timedelta(seconds=int(lti_setting("LTI_LOGIN_STATE_SECONDS"))),
    )
    query = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": platform.client_id,
        "redirect_uri": tool_base + LAUNCH_PATH,
        "login_hint": login_hint,
        "state": state.state,
        "nonce": state.nonce,
    }
    if params.get("lti_message_hint"):
        query["lti_message_hint"] = params["lti_message_hint"]
    separator = "&" if "?" in platform.auth_login_url else "?"
    return LoginStart(
        redirect_url=platform.auth_login_url + separator + urlencode(query),
        state=state.state,
        nonce=state.nonce,
        platform=platform,
        storage_target=storage_target if uses_storage else None,
    )


@dataclass
class ValidatedLaunch:
    platform: LtiPlatform
    deployment: LtiDeployment
    login_state: LtiLoginState
    payload: dict[str, Any]
    message_type: str
    roles: list[str]
    sub: str | None
    extra: dict[str, Any] = field(default_factory=dict)

    def claim(self, name: str, default: Any = None) -> Any:
        return self.payload.get(name, default)


def _has_state_cookie(state: str, cookies: dict[str, str]) -> bool:
    cookie = cookies.get(state_cookie_name(state), "")
    return bool(cookie) and secrets.compare_digest(cookie.encode(), state.encode())


def _check_storage_proof(
    form: dict[str, str], origin: str, tool_base: str, platform: LtiPlatform
) -> None:
    """The launch re-posted by our storage page: the state it read from the platform's
    storage must be this login's, and the post must come from our own page (the browser
    sets Origin; a page elsewhere cannot post a state it read in its own browser)."""
    if not origin or origin_of(origin) != origin_of(tool_base):
        raise LtiError(
            errors.STORAGE_STATE_INVALID,
            "The confirmation did not come from this tool's page.",
            platform=platform,
        )
    fetched = form.get(STORAGE_FIELD, "")
    if not fetched or not secrets.compare_digest(fetched.encode(), form["state"].encode()):
        raise LtiError(errors.STORAGE_STATE_INVALID, platform=platform)


def _fresh_login_state(state: str) -> LtiLoginState:
    login_state = (
        LtiLoginState.objects.filter(state=state, expires_at__gt=timezone.now())
        .select_related("platform", "platform__institution")
        .first()
    )
    if login_state is None:
        raise LtiError(errors.STATE_UNKNOWN)
    return login_state


def launch_storage_pending(
    *, form: dict[str, str], cookies: dict[str, str]
) -> LtiLoginState | None:
    """The login of a launch that must first read its state from the platform's storage:
    no state cookie came back, the login put its state into platform storage, and the
    post does not carry the state read back yet. None for every other launch (validated
    as usual)."""
    state = form.get("state", "")
    if (
        not state
        or not form.get("id_token")
        or STORAGE_FIELD in form
        or storage_target_of(state) is None
        or _has_state_cookie(state, cookies)
    ):
        return None
    login_state = _fresh_login_state(state)
    if login_state.consumed_at is not None:
        raise LtiError(errors.NONCE_REPLAYED, platform=login_state.platform)
    return login_state


def _login_state(
    form: dict[str, str], cookies: dict[str, str], *, origin: str, tool_base: str
) -> LtiLoginState:
    state = form.get("state", "")
    if not state:
        raise LtiError(errors.STATE_MISSING)
    if not form.get("id_token"):
        raise LtiError(errors.TOKEN_MISSING)
    if _has_state_cookie(state, cookies):
        return _fresh_login_state(state)
    if storage_target_of(state) is None or STORAGE_FIELD not in form:
        raise LtiError(errors.STATE_NOT_THIS_BROWSER)
    login_state = _fresh_login_state(state)
    _check_storage_proof(form, origin, tool_base, login_state.platform)
    return login_state


def _verified_payload(token: str, platform: LtiPlatform) -> dict[str, Any]:
    try:
        header = jwt.get_unverified_header(token)
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as error:
        raise LtiError(errors.TOKEN_MALFORMED) from error
    if header.get("alg") != "RS256":
        raise LtiError(errors.ALG_REFUSED, platform=platform)
    issuer = unverified.get("iss")
    if not isinstance(issuer, str) or not issuer:
        raise LtiError(errors.CLAIM_MISSING, "The id_token has no iss.", platform=platform)
    if issuer != platform.issuer:
        if not platforms_for_issuer(issuer):
            raise LtiError(errors.ISSUER_UNKNOWN, issuer=issuer, platform=platform)
        raise LtiError(errors.ISSUER_MISMATCH, platform=platform)
    key = platform_public_key(platform, header.get("kid"))
    try:
        return jwt.decode(
            token,
            key,
            algorithms=["RS256"],
            leeway=int(lti_setting("LTI_LEEWAY_SECONDS")),
            options={
                "require": ["iss", "aud", "exp", "iat"],
                "verify_aud": False,  # checked below, with azp, for precise refusals
                "verify_iss": False,  # compared above, before fetching keys
            },
        )
    except jwt.InvalidSignatureError as error:
        raise LtiError(errors.SIGNATURE_INVALID, platform=platform) from error
    except jwt.ExpiredSignatureError as error:
        raise LtiError(errors.EXPIRED, platform=platform) from error
    except jwt.ImmatureSignatureError as error:
        raise LtiError(errors.IAT_FUTURE, platform=platform) from error
    except jwt.MissingRequiredClaimError as error:
        raise LtiError(errors.CLAIM_MISSING, str(error), platform=platform) from error
    except jwt.PyJWTError as error:
        raise LtiError(errors.TOKEN_MALFORMED, str(error), platform=platform) from error


def _check_audience(payload: dict[str, Any], platform: LtiPlatform) -> None:
    audience = payload.get("aud")
    audiences = [audience] if isinstance(audience, str) else audience
    if not isinstance(audiences, list) or platform.client_id not in audiences:
        raise LtiError(errors.AUDIENCE_INVALID, platform=platform)
    azp = payload.get("azp")
    if len(audiences) > 1 and azp is None:
        raise LtiError(errors.AZP_MISSING, platform=platform)
    if azp is not None and azp != platform.client_id:
        raise LtiError(errors.AZP_INVALID, platform=platform)


def _check_nonce(payload: dict[str, Any], login_state: LtiLoginState) -> None:
    nonce = payload.get("nonce")
    platform = login_state.platform
    if not isinstance(nonce, str) or not nonce:
        raise LtiError(errors.NONCE_MISSING, platform=platform)
    issued = LtiLoginState.objects.filter(nonce=nonce).first()
    if issued is None:
        raise LtiError(errors.NONCE_UNKNOWN, platform=platform)
    if issued.consumed_at is not None:
        raise LtiError(errors.NONCE_REPLAYED, platform=platform)
    if issued.pk != login_state.pk:
        raise LtiError(errors.NONCE_MISMATCH, platform=platform)


def launch_validate(
    *, form: dict[str, str], cookies: dict[str, str], tool_base: str, origin: str = ""
) -> ValidatedLaunch:
    """Validate an authentication response (the launch); consumes its nonce on success.
    ``origin`` is the request's Origin header (checked for platform storage re-posts)."""
    login_state = _login_state(form, cookies, origin=origin, tool_base=tool_base)
    platform = login_state.platform
    payload = _verified_payload(form["id_token"], platform)
    _check_audience(payload, platform)
    _check_nonce(payload, login_state)

    deployment_id = payload.get(claims.DEPLOYMENT_ID)
    if not isinstance(deployment_id, str) or not deployment_id:
        raise LtiError(errors.DEPLOYMENT_MISSING, platform=platform)
    deployment = LtiDeployment.objects.filter(
        platform=platform, deployment_id=deployment_id
    ).first()
    if deployment is None:
        raise LtiError(errors.DEPLOYMENT_UNKNOWN, platform=platform, deployment_id=deployment_id)
    if payload.get(claims.VERSION) != claims.LTI_VERSION:
        raise LtiError(errors.VERSION_UNSUPPORTED, platform=platform)
    message_type = payload.get(claims.MESSAGE_TYPE)
    if message_type not in claims.MESSAGE_TYPES:
        raise LtiError(errors.MESSAGE_TYPE_UNSUPPORTED, platform=platform)
    roles = payload.get(claims.ROLES)
    if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
        raise LtiError(errors.ROLES_MISSING, platform=platform)
    if message_type == claims.RESOURCE_LINK_REQUEST:
        link = payload.get(claims.RESOURCE_LINK)
        if not isinstance(link, dict) or not isinstance(link.get("id"), str) or not link["id"]:
            raise LtiError(errors.RESOURCE_LINK_MISSING, platform=platform)
    else:
        dl_settings = payload.get(claims.DEEP_LINKING_SETTINGS)
        if not isinstance(dl_settings, dict) or not dl_settings.get("deep_link_return_url"):
            raise LtiError(
                errors.CLAIM_MISSING,
                "A deep linking request needs deep_linking_settings.deep_link_return_url.",
                platform=platform,
            )
    target = payload.get(claims.TARGET_LINK_URI)
    must_target = message_type == claims.RESOURCE_LINK_REQUEST or target is not None
    if must_target and (not isinstance(target, str) or not is_our_target(target, tool_base)):
        raise LtiError(errors.TARGET_LINK_FOREIGN, platform=platform)
    sub = payload.get("sub")
    if sub is not None and (not isinstance(sub, str) or not sub):
        sub = None

    with transaction.atomic():
        consumed = LtiLoginState.objects.filter(pk=login_state.pk, consumed_at__isnull=True).update(
            consumed_at=timezone.now()
        )
    if consumed != 1:  # a concurrent request won the race for this nonce
        raise LtiError(errors.NONCE_REPLAYED, platform=platform)
    return ValidatedLaunch(
        platform=platform,
        deployment=deployment,
        login_state=login_state,
        payload=payload,
        message_type=message_type,
        roles=roles,
        sub=sub,
    )


def login_states_prune() -> int:
    """Forget logins that expired a day ago (their nonces can no longer be replayed
    because their tokens expired long before)."""
    cutoff = timezone.now() - timedelta(days=1)
    deleted, _ = LtiLoginState.objects.filter(expires_at__lt=cutoff).delete()
    return deleted
