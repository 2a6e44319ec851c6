"""Every LTI refusal: a stable code, the HTTP status and what an administrator can do.

docs/lti.md lists them; the error page shows the title, the explanation and the code, and
tests assert the code (STYLE.md: error messages are constants)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from quizzes.exceptions import ApplicationError


@dataclass(frozen=True)
class LtiErrorKind:
    code: str
    status: int
    title: str
    explanation: str


def _kind(code: str, status: int, title: str, explanation: str) -> LtiErrorKind:
    return LtiErrorKind(code, status, title, explanation)


STATE_MISSING = _kind(
    "lti_state_missing",
    400,
    "The launch has no state",
    "The LMS posted a launch without the state of a login we started. Launch the tool "
    "again from the LMS.",
)
STATE_UNKNOWN = _kind(
    "lti_state_unknown",
    400,
    "This launch was not started here or has expired",
    "The state of this launch matches no login we started in the last minutes. Launch the "
    "tool again from the LMS.",
)
STATE_NOT_THIS_BROWSER = _kind(
    "lti_state_browser_mismatch",
    403,
    "This launch was started in another browser",
    "The login and the launch must happen in the same browser. If your browser blocks "
    "cookies in embedded pages, open the tool in a new window.",
)
STORAGE_STATE_INVALID = _kind(
    "lti_storage_state_invalid",
    403,
    "The LMS's storage did not confirm this launch",
    "The state read back from the LMS's storage is not the one of this launch, or the "
    "confirmation did not come from this tool's own page. Launch the tool again from the LMS.",
)
STORAGE_UNAVAILABLE = _kind(
    "lti_storage_unavailable",
    403,
    "The LMS's storage did not answer",
    "Your browser did not send this tool's cookie back and the LMS page did not answer the "
    "request for the launch's state. Reload the LMS page and launch again; if it persists, "
    "open the tool in a new window or allow cookies for this site.",
)
LAUNCH_SCOPE = _kind(
    "lti_launch_scope",
    403,
    "This page is not part of the quiz opened from the LMS",
    "A link opened from the LMS works for its own quiz and your attempts at it only. Go back "
    "to the LMS and open the link of the other quiz.",
)
TOKEN_MISSING = _kind(
    "lti_id_token_missing",
    400,
    "The launch has no id_token",
    "The LMS posted a launch without an id_token.",
)
TOKEN_MALFORMED = _kind(
    "lti_id_token_malformed",
    400,
    "The id_token is not a valid JWT",
    "The id_token could not be decoded.",
)
ALG_REFUSED = _kind(
    "lti_alg_refused",
    400,
    "The id_token is not signed with RS256",
    "LTI 1.3 requires RS256; tokens with other algorithms (none, HS256...) are refused.",
)
ISSUER_UNKNOWN = _kind(
    "lti_issuer_unknown",
    400,
    "Unknown LMS (issuer)",
    "No platform with this issuer (and client id) is registered. An administrator "
    "registers it in the admin or with manage.py lti_add_platform.",
)
ISSUER_MISMATCH = _kind(
    "lti_issuer_mismatch",
    400,
    "The id_token comes from another LMS than the login",
    "The issuer of the id_token is not the platform that started the login.",
)
KEY_UNKNOWN = _kind(
    "lti_key_unknown",
    400,
    "The id_token is signed with a key the LMS does not publish",
    "No key with this kid is in the platform's JWKS, even after fetching it again. Check "
    "the keyset URL of the platform registration.",
)
KEYSET_UNAVAILABLE = _kind(
    "lti_keyset_unavailable",
    503,
    "The LMS keyset could not be fetched",
    "The platform's JWKS URL did not answer with a key set. Try again; if it persists, "
    "check the keyset URL of the platform registration.",
)
SIGNATURE_INVALID = _kind(
    "lti_signature_invalid",
    400,
    "The id_token signature is invalid",
    "The id_token was not signed by the platform's key, or it was changed after signing.",
)
EXPIRED = _kind(
    "lti_token_expired",
    400,
    "The id_token has expired",
    "The launch took too long or the clocks of the LMS and the tool disagree.",
)
IAT_FUTURE = _kind(
    "lti_token_issued_in_future",
    400,
    "The id_token was issued in the future",
    "Its iat is later than now plus the allowed clock skew; check the LMS server clock.",
)
CLAIM_MISSING = _kind(
    "lti_claim_missing",
    400,
    "The id_token lacks a required claim",
    "A claim the LTI specification requires (iss, aud, exp, iat, nonce...) is missing.",
)
AUDIENCE_INVALID = _kind(
    "lti_audience_invalid",
    400,
    "The id_token is not meant for this tool",
    "Its aud does not contain this tool's client id.",
)
AZP_MISSING = _kind(
    "lti_azp_missing",
    400,
    "The id_token has several audiences and no azp",
    "When aud lists several clients, azp must name this tool's client id.",
)
AZP_INVALID = _kind(
    "lti_azp_invalid",
    400,
    "The id_token is authorized for another client (azp)",
    "Its azp is not this tool's client id.",
)
NONCE_MISSING = _kind(
    "lti_nonce_missing", 400, "The id_token has no nonce", "Launch the tool again from the LMS."
)
NONCE_UNKNOWN = _kind(
    "lti_nonce_unknown",
    400,
    "The id_token's nonce was not issued by this tool",
    "Launch the tool again from the LMS.",
)
NONCE_MISMATCH = _kind(
    "lti_nonce_mismatch",
    400,
    "The id_token belongs to another login",
    "The nonce of the id_token is not the one issued for this login.",
)
NONCE_REPLAYED = _kind(
    "lti_nonce_replayed",
    400,
    "This launch was already used",
    "An id_token is accepted once. Launch the tool again from the LMS.",
)
DEPLOYMENT_MISSING = _kind(
    "lti_deployment_missing",
    400,
    "The launch has no deployment id",
    "The LMS did not send a deployment_id claim.",
)
DEPLOYMENT_UNKNOWN = _kind(
    "lti_deployment_unknown",
    400,
    "This deployment of the tool is not registered",
    "The LMS launched the tool through a deployment this tool does not know. An "
    "administrator adds the deployment id below to the platform registration (admin, "
    "LTI platforms, or manage.py lti_add_platform with --deployment-id).",
)
VERSION_UNSUPPORTED = _kind(
    "lti_version_unsupported", 400, "Unsupported LTI version", "Only LTI 1.3.0 is supported."
)
MESSAGE_TYPE_UNSUPPORTED = _kind(
    "lti_message_type_unsupported",
    400,
    "Unsupported LTI message type",
    "This tool handles LtiResourceLinkRequest and LtiDeepLinkingRequest.",
)
ROLES_MISSING = _kind(
    "lti_roles_missing",
    400,
    "The launch has no roles claim",
    "The roles claim is required (it may be an empty list).",
)
RESOURCE_LINK_MISSING = _kind(
    "lti_resource_link_missing",
    400,
    "The launch has no resource link id",
    "A resource link launch must carry resource_link.id.",
)
TARGET_LINK_FOREIGN = _kind(
    "lti_target_link_uri_foreign",
    400,
    "The launch targets another tool",
    "target_link_uri is not one of this tool's launch URLs.",
)
ANONYMOUS_REFUSED = _kind(
    "lti_anonymous_refused",
    403,
    "Anonymous launches are not allowed for this quiz",
    "The LMS did not identify you (no sub). Only quizzes that allow guest practice accept "
    "anonymous launches; sign in to the LMS or ask your instructor.",
)
LOGIN_INVALID = _kind(
    "lti_login_invalid",
    400,
    "The login request is incomplete",
    "A login initiation needs iss, login_hint and target_link_uri.",
)
LINK_UNMAPPED = _kind(
    "lti_link_unmapped",
    404,
    "This link is not set up yet",
    "The LMS link is not attached to a quiz yet. Your instructor opens it once to choose the quiz.",
)
CONTEXT_MISSING = _kind(
    "lti_context_missing",
    400,
    "The launch has no course (context)",
    "This tool needs a launch from inside a course.",
)
NOT_INSTRUCTOR = _kind(
    "lti_not_instructor",
    403,
    "Only instructors can do this",
    "Choosing content for the LMS is for instructors of the course.",
)
LAUNCH_EXPIRED = _kind(
    "lti_launch_expired",
    403,
    "This page has expired",
    "Launch the tool again from the LMS.",
)


class LtiError(ApplicationError):
    """A refused LTI request; ``kind`` says which rule failed."""

    def __init__(self, kind: LtiErrorKind, detail: str = "", **context: Any) -> None:
        self.kind = kind
        self.status = kind.status
        self.context = context
        super().__init__(detail or kind.explanation, code=kind.code)


ALL_KINDS = [value for value in list(globals().values()) if isinstance(value, LtiErrorKind)]
