"""The one HTTP seam of the LTI client side (JWKS, tokens, AGS, NRPS): urllib, no redirects
for writes, bodies capped. Tests run it against a loopback platform."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from quizzes.lti.conf import lti_setting

MAX_BODY = 10 * 1024 * 1024


class TransportError(Exception):
    """The server could not be reached (DNS, refused, reset, timeout)."""


@dataclass
class HttpResponse:
    status: int
    headers: dict[str, str]
    body: bytes
    links: list[str] = field(default_factory=list)

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def request(
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    form: dict[str, str] | None = None,
    json_body: Any = None,
    content_type: str | None = None,
) -> HttpResponse:
    all_headers = {"User-Agent": "valvuloplasty-quizzes-lti/1"} | (headers or {})
    if form is not None:
        body = urlencode(form).encode()
        all_headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif json_body is not None:
        body = json.dumps(json_body).encode()
        all_headers["Content-Type"] = content_type or "application/json"
    req = urllib.request.Request(url, data=body, headers=all_headers, method=method)
    timeout = float(lti_setting("LTI_HTTP_TIMEOUT_SECONDS"))
    try:
        with urllib.request.urlopen(req, timeout=timeout) as answer:
            return _response(answer.status, answer.headers, answer.read(MAX_BODY))
    except urllib.error.HTTPError as error:
        with error:
            return _response(error.code, error.headers, error.read(MAX_BODY))
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise TransportError(f"{method} {url}: {error}") from error


def _response(status: int, headers: Any, body: bytes) -> HttpResponse:
    flat = {key.lower(): value for key, value in headers.items()}
    links = list(headers.get_all("Link") or [])
    return HttpResponse(status=status, headers=flat, body=body, links=links)
