"""Fixtures for the LTI tests: the loopback platform, its registration and a browser."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.core.cache import cache
from django.test import Client

from quizzes.lti.keys import published_jwks, tool_key_rotate
from quizzes.lti.platforms import platform_register
from quizzes.models import LtiPlatform, Quiz
from tests.conftest import Cast
from tests.delivery.conftest import every_type, make_quiz
from tests.factories import QuizFactory
from tests.lti.platform import LoopbackPlatform

# The delivery fixtures (a quiz with one item of each type), for the token-carried pages.
__all__ = ["every_type", "make_quiz"]

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as ClientResponse
else:
    from django.http import HttpResponse as ClientResponse

TOOL_LAUNCH_URL = "http://testserver/lti/launch/"


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def platform() -> Iterator[LoopbackPlatform]:
    running = LoopbackPlatform().start()
    yield running
    running.stop()


@pytest.fixture
def registration(cast: Cast, platform: LoopbackPlatform) -> LtiPlatform:
    registered = platform_register(
        institution=cast.institution,
        issuer=platform.issuer,
        client_id=platform.client_id,
        auth_login_url=platform.auth_login_url,
        auth_token_url=platform.token_url,
        keyset_url=platform.keyset_url,
        deployment_ids=[platform.deployment_id],
    )
    tool_key_rotate()
    platform.tool_jwks = published_jwks()
    # The LMS course is tied to cast.course, as an administrator does once.
    cast.course.lti_context_id = platform.context_id
    cast.course.save(update_fields=["lti_context_id"])
    return registered


@pytest.fixture
def quiz(cast: Cast) -> Quiz:
    return QuizFactory.create(
        course=cast.course, bank=cast.bank, title="Balloon valvuloplasty: fixed"
    )


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64_json(value: Any) -> str:
    return b64(json.dumps(value).encode())


@dataclass
class LtiBrowser:
    """One browser: its own cookies, driving login -> platform -> launch."""

    platform: LoopbackPlatform
    client: Client

    def login(self, **params: str) -> dict[str, str]:
        data = {
            "iss": self.platform.issuer,
            "login_hint": "hint-1",
            "target_link_uri": TOOL_LAUNCH_URL,
            "client_id": self.platform.client_id,
            "lti_deployment_id": self.platform.deployment_id,
        } | params
        response = self.client.post("/lti/login/", data)
        assert response.status_code == 302, response.content
        query = dict(parse_qsl(urlsplit(response["Location"]).query))
        assert response["Location"].startswith(self.platform.auth_login_url + "?")
        return self.platform.authorize(query, tool_redirect_uri=TOOL_LAUNCH_URL)

    def post_launch(self, id_token: str, state: str) -> ClientResponse:
        return self.client.post("/lti/launch/", {"id_token": id_token, "state": state})

    def launch(
        self,
        mutate: Callable[[dict[str, Any]], None] | None = None,
        *,
        deep_linking: bool = False,
        **claims: Any,
    ) -> ClientResponse:
        auth = self.login()
        if deep_linking:
            payload = self.platform.deep_linking_claims(nonce=auth["nonce"])
        else:
            payload = self.platform.launch_claims(nonce=auth["nonce"], **claims)
        if mutate is not None:
            mutate(payload)
        return self.post_launch(self.platform.sign(payload), auth["state"])


@pytest.fixture
def browser(platform: LoopbackPlatform, registration: LtiPlatform) -> LtiBrowser:
    return LtiBrowser(platform=platform, client=Client())


@pytest.fixture
def other_browser(platform: LoopbackPlatform, registration: LtiPlatform) -> LtiBrowser:
    return LtiBrowser(platform=platform, client=Client())


def follow(browser: LtiBrowser, response: ClientResponse) -> ClientResponse:
    assert response.status_code == 303, response.content.decode()[:2000]
    return browser.client.get(response["Location"])


@pytest.fixture(autouse=True)
def _urls(settings: Any) -> None:
    """While another change's URL module is still missing, route with ours alone."""
    try:
        import config.urls  # noqa: F401
    except ImportError:
        settings.ROOT_URLCONF = "tests.lti.urls"


def pytest_configure(config: pytest.Config) -> None:
    # As in tests/web/conftest.py: the Playwright tests (test_browser_storage.py).
    config.addinivalue_line(
        "markers", "browser: drives Debian's Chromium with Playwright (tests/web/test_browser.py)"
    )
