"""Deep Linking 2.0: the signed LtiDeepLinkingResponse for the quiz an instructor picked."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from quizzes.lti import claims, errors
from quizzes.lti.ags import resource_id
from quizzes.lti.conf import lti_setting
from quizzes.lti.errors import LtiError
from quizzes.lti.keys import sign
from quizzes.lti.oidc import LAUNCH_PATH
from quizzes.models import Bank, LtiLaunch, Membership, Quiz
from quizzes.services.quizzes import quiz_create


@dataclass(frozen=True)
class DeepLinkingResponse:
    return_url: str
    jwt: str


def _require_instructor(launch: LtiLaunch) -> None:
    if launch.message_type != claims.DEEP_LINKING_REQUEST or launch.role == Membership.Role.LEARNER:
        raise LtiError(errors.NOT_INSTRUCTOR, platform=launch.platform)


def content_item(quiz: Quiz, *, tool_base: str, with_line_item: bool) -> dict[str, Any]:
    item: dict[str, Any] = {
        "type": "ltiResourceLink",
        "title": quiz.title,
        "url": tool_base + LAUNCH_PATH,
        "custom": {"quiz_id": str(quiz.pk)},
    }
    if quiz.description:
        item["text"] = quiz.description[:1000]
    if with_line_item:
        item["lineItem"] = {
            "scoreMaximum": 100,
            "label": quiz.title,
            "resourceId": resource_id(quiz),
            "tag": "grade",
        }
    return item


def deep_linking_respond(*, launch: LtiLaunch, quiz: Quiz, tool_base: str) -> DeepLinkingResponse:
    _require_instructor(launch)
    assert launch.context is not None
    if quiz.course.institution_id != launch.platform.institution_id:
        raise LtiError(errors.NOT_INSTRUCTOR, "This quiz belongs to another institution.")
    dl_settings = launch.deep_linking_settings
    accept_types = dl_settings.get("accept_types") or ["ltiResourceLink"]
    if "ltiResourceLink" not in accept_types:
        raise LtiError(
            errors.MESSAGE_TYPE_UNSUPPORTED,
            "The LMS does not accept LTI resource links at this place.",
            platform=launch.platform,
        )
    platform = launch.platform
    now = int(time.time())
    payload: dict[str, Any] = {
        "iss": platform.client_id,
        "aud": platform.issuer,
        "iat": now,
        "exp": now + int(lti_setting("LTI_SIGNED_TOKEN_SECONDS")),
        "nonce": secrets.token_urlsafe(16),
        claims.DEPLOYMENT_ID: launch.deployment.deployment_id,
        claims.MESSAGE_TYPE: claims.DEEP_LINKING_RESPONSE,
        claims.VERSION: claims.LTI_VERSION,
        claims.DL_CONTENT_ITEMS: [
            content_item(
                quiz,
                tool_base=tool_base,
                with_line_item=dl_settings.get("accept_lineitem", True) is not False,
            )
        ],
    }
    if "data" in dl_settings:
        payload[claims.DL_DATA] = dl_settings["data"]
    return DeepLinkingResponse(return_url=dl_settings["deep_link_return_url"], jwt=sign(payload))


@transaction.atomic
def deep_linking_create_quiz(
    *, launch: LtiLaunch, bank: Bank, title: str, mode: str, blueprint: dict[str, Any]
) -> Quiz:
    """An instructor creates a quiz from a bank (and a blueprint) while deep linking."""
    _require_instructor(launch)
    assert launch.context is not None
    return quiz_create(
        course=launch.context.course,
        bank=bank,
        title=title,
        mode=mode,
        blueprint=blueprint,
        status=Quiz.Status.PUBLISHED,
    )
