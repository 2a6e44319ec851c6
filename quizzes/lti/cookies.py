"""Cookies that survive inside an LMS iframe: SameSite=None; Secure; Partitioned (CHIPS).

Python's http.cookies (before 3.14) and Django's set_cookie do not know Partitioned, so
the attribute is appended by a Morsel subclass."""

from __future__ import annotations

from collections.abc import Callable, Container
from http.cookies import Morsel

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class PartitionedMorsel(Morsel[str]):
    def OutputString(self, attrs: Container[str] | None = None) -> str:  # noqa: N802 (stdlib name)
        output = super().OutputString(attrs)
        return output if "Partitioned" in output else output + "; Partitioned"


def partition(response: HttpResponse, name: str) -> None:
    """Mark an already-set cookie Partitioned (needs Secure; SameSite=None)."""
    morsel = response.cookies.get(name)
    if morsel is None or not morsel["secure"] or isinstance(morsel, PartitionedMorsel):
        return
    partitioned = PartitionedMorsel()
    partitioned.set(morsel.key, morsel.value, morsel.coded_value)
    partitioned.update({key: value for key, value in morsel.items() if value})
    response.cookies[name] = partitioned


def set_iframe_cookie(response: HttpResponse, name: str, value: str, *, max_age: int) -> None:
    response.set_cookie(
        name, value, max_age=max_age, secure=True, httponly=True, samesite="None", path="/lti/"
    )
    partition(response, name)


class PartitionedCookiesMiddleware:
    """Marks the session and CSRF cookies Partitioned when they are SameSite=None and
    Secure, so the LMS iframe keeps its own session where third-party cookies are blocked.
    Listed before SessionMiddleware (config/settings.py, LTI block)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        for name in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME):
            morsel = response.cookies.get(name)
            if morsel is not None and str(morsel["samesite"]).lower() == "none":
                partition(response, name)
        return response
