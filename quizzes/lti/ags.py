"""Assignment and Grade Services: a line item per quiz (found or created) and scores."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from quizzes.lti import claims
from quizzes.lti.services_http import ServiceRefused, call
from quizzes.models import LtiResourceLink, Quiz


class NoLineItem(Exception):
    """The platform offers no line item for this link (AGS not enabled or not allowed)."""


def _with_path_suffix(url: str, suffix: str) -> str:
    """``https://lms/lineitems/1?type=x`` + ``/scores`` -> ``https://lms/lineitems/1/scores?type=x``."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + suffix))


def _with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit(parts._replace(query=query))


def resource_id(quiz: Quiz) -> str:
    return f"quiz-{quiz.pk}"


def lineitem_ensure(link: LtiResourceLink) -> str:
    """The line item URL for the link's quiz: the one the launch named, else found in the
    context's line items by resourceId/resourceLinkId, else created."""
    if link.lineitem_url:
        return link.lineitem_url
    context = link.context
    if context is None or not context.lineitems_url or link.quiz is None:
        raise NoLineItem("The platform did not offer a line items service for this link.")
    platform, quiz = link.platform, link.quiz
    scopes = context.ags_scopes or []
    if claims.SCOPE_LINEITEM not in scopes:
        raise NoLineItem("The platform did not grant the line item scope.")
    answer = call(
        platform,
        [claims.SCOPE_LINEITEM],
        "GET",
        _with_query(context.lineitems_url, resource_link_id=link.resource_link_id),
        accept=claims.MEDIA_LINEITEMS,
    )
    items: Any = answer.json()
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and (
            item.get("resourceId") == resource_id(quiz)
            or item.get("resourceLinkId") == link.resource_link_id
        ):
            link.lineitem_url = str(item["id"])
            link.save(update_fields=["lineitem_url"])
            return link.lineitem_url
    created = call(
        platform,
        [claims.SCOPE_LINEITEM],
        "POST",
        context.lineitems_url,
        accept=claims.MEDIA_LINEITEM,
        json_body={
            "scoreMaximum": 100,
            "label": quiz.title,
            "resourceId": resource_id(quiz),
            "resourceLinkId": link.resource_link_id,
            "tag": "grade",
        },
        content_type=claims.MEDIA_LINEITEM,
    ).json()
    if not isinstance(created, dict) or not created.get("id"):
        raise ServiceRefused("The platform created a line item without an id.")
    link.lineitem_url = str(created["id"])
    link.save(update_fields=["lineitem_url"])
    return link.lineitem_url


def score_timestamp(moment: datetime) -> str:
    """ISO 8601 with sub-second precision and an offset, as AGS requires."""
    return moment.isoformat(timespec="microseconds")


def score_post(
    *,
    link: LtiResourceLink,
    user_id: str,
    score_given: float,
    score_maximum: float,
    activity_progress: str,
    grading_progress: str,
    timestamp: datetime,
) -> None:
    lineitem = lineitem_ensure(link)
    call(
        link.platform,
        [claims.SCOPE_SCORE],
        "POST",
        _with_path_suffix(lineitem, "/scores"),
        accept="application/json",
        json_body={
            "userId": user_id,
            "scoreGiven": score_given,
            "scoreMaximum": score_maximum,
            "activityProgress": activity_progress,
            "gradingProgress": grading_progress,
            "timestamp": score_timestamp(timestamp),
        },
        content_type=claims.MEDIA_SCORE,
    )
