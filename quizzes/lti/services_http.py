"""Authorized calls to a platform's services (AGS, NRPS): bearer token, one retry with a
fresh token after a 401, and a classification of failures into retry-later and
permanent."""

from __future__ import annotations

from typing import Any

from quizzes.lti.http import HttpResponse, TransportError, request
from quizzes.lti.tokens import TokenRefused, TokenUnavailable, access_token, forget_token
from quizzes.models import LtiPlatform


class ServiceUnavailable(Exception):
    """Down, 5xx, 429 or unreachable: try again later."""

    def __init__(self, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ServiceRefused(Exception):
    """A 4xx other than 401-then-retry and 429: retrying the same request will not help."""


def _retry_after(answer: HttpResponse) -> int | None:
    value = answer.headers.get("retry-after", "")
    return int(value) if value.isdigit() else None


def call(
    platform: LtiPlatform,
    scopes: list[str],
    method: str,
    url: str,
    *,
    accept: str,
    json_body: Any = None,
    content_type: str | None = None,
) -> HttpResponse:
    for attempt in range(2):
        try:
            token = access_token(platform, scopes, fresh=attempt > 0)
        except TokenUnavailable as error:
            raise ServiceUnavailable(f"access token: {error}") from error
        except TokenRefused as error:
            raise ServiceRefused(f"access token: {error}") from error
        headers = {"Authorization": f"Bearer {token}", "Accept": accept}
        try:
            answer = request(
                method, url, headers=headers, json_body=json_body, content_type=content_type
            )
        except TransportError as error:
            raise ServiceUnavailable(str(error)) from error
        if answer.status == 401 and attempt == 0:
            forget_token(platform, scopes)
            continue
        if answer.ok:
            return answer
        summary = f"{method} {url} answered {answer.status}: " + answer.body[:300].decode(
            errors="replace"
        )
        if answer.status >= 500 or answer.status in (408, 429):
            raise ServiceUnavailable(summary, _retry_after(answer))
        raise ServiceRefused(summary)
    raise AssertionError("unreachable")  # pragma: no cover
