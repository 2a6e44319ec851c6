"""Platform storage (LTI Client Side postMessages): the login puts state and nonce into
the platform's storage; a launch that comes back without the state cookie is confirmed
by the state read back from it, and only then."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from quizzes.lti import errors
from quizzes.lti.errors import LtiErrorKind
from quizzes.lti.oidc import STORAGE_FIELD, state_cookie_name
from quizzes.models import LtiLaunch, LtiLoginState, Quiz
from tests.lti.conftest import TOOL_LAUNCH_URL, ClientResponse, LtiBrowser
from tests.lti.platform import LoopbackPlatform

pytestmark = pytest.mark.django_db

TARGET = "post_message_forwarding"
TOOL_ORIGIN = "http://testserver"


def storage_data(response: ClientResponse) -> dict[str, Any]:
    """The JSON the page's script reads (json_script, id lti-storage)."""
    match = re.search(
        r'<script id="lti-storage" type="application/json">(.*?)</script>', response.text, re.S
    )
    assert match, response.text[:2000]
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def storage_login(
    browser: LtiBrowser, target: str = TARGET
) -> tuple[ClientResponse, dict[str, str]]:
    platform = browser.platform
    response = browser.client.post(
        "/lti/login/",
        {
            "iss": platform.issuer,
            "login_hint": "hint-1",
            "target_link_uri": TOOL_LAUNCH_URL,
            "client_id": platform.client_id,
            "lti_deployment_id": platform.deployment_id,
            "lti_storage_target": target,
        },
    )
    assert response.status_code == 200, response.content[:1000]
    redirect_url = storage_data(response)["redirect_url"]
    query = dict(parse_qsl(urlsplit(redirect_url).query))
    return response, platform.authorize(query, tool_redirect_uri=TOOL_LAUNCH_URL)


def signed_launch(platform: LoopbackPlatform, auth: dict[str, str], quiz: Quiz) -> str:
    return platform.sign(
        platform.launch_claims(nonce=auth["nonce"], custom={"quiz_id": str(quiz.pk)})
    )


def assert_refused(response: ClientResponse, kind: LtiErrorKind) -> None:
    assert response.status_code == kind.status, response.content.decode()[:500]
    assert response["X-LTI-Error"] == kind.code
    assert LtiLaunch.objects.count() == 0


# -- the login -----------------------------------------------------------------------------


def test_a_login_with_a_storage_target_renders_the_storage_page(
    browser: LtiBrowser, platform: LoopbackPlatform
) -> None:
    response, auth = storage_login(browser)
    data = storage_data(response)
    state, nonce = auth["state"], auth["nonce"]
    assert data["mode"] == "put"
    assert data["target"] == TARGET
    # postMessages go to (and answers count from) the OIDC auth URL's origin only.
    assert data["origin"] == platform.url
    assert data["items"] == [
        {"key": f"state_{state}", "value": state},
        {"key": f"nonce_{nonce}", "value": nonce},
    ]
    assert data["redirect_url"].startswith(platform.auth_login_url + "?")
    login = LtiLoginState.objects.get(state=state)
    assert login.nonce == nonce
    # The partitioned state cookie is set as well: browsers that keep it need no storage.
    assert response.cookies[state_cookie_name(state)].value == state
    # The script is a static file, under the strict CSP; the page works without it too.
    assert "/static/quizzes/lti/storage.js" in response.text
    assert f'href="{data["redirect_url"].replace("&", "&amp;")}"' in response.text
    policy = response["Content-Security-Policy"]
    assert "unsafe-inline" not in policy
    assert f"frame-ancestors 'self' {platform.url}" in policy


@pytest.mark.parametrize("target", ["", "two words", "x" * 65, "../frame", "a.b"])
def test_an_unusable_storage_target_means_a_plain_cookie_login(
    browser: LtiBrowser, platform: LoopbackPlatform, target: str
) -> None:
    response = browser.client.post(
        "/lti/login/",
        {
            "iss": platform.issuer,
            "login_hint": "hint-1",
            "target_link_uri": TOOL_LAUNCH_URL,
            "lti_storage_target": target,
        },
    )
    assert response.status_code == 302
    assert response["Location"].startswith(platform.auth_login_url)


# -- the launch ------------------------------------------------------------------------------


def test_a_launch_without_the_cookie_reads_the_state_from_storage_and_succeeds(
    browser: LtiBrowser, platform: LoopbackPlatform, quiz: Quiz
) -> None:
    _, auth = storage_login(browser)
    id_token = signed_launch(platform, auth, quiz)
    cookieless = Client()  # the browser that dropped the state cookie
    page = cookieless.post("/lti/launch/", {"id_token": id_token, "state": auth["state"]})
    assert page.status_code == 200
    data = storage_data(page)
    assert data == {
        "mode": "get",
        "target": TARGET,
        "origin": platform.url,
        "timeout_ms": data["timeout_ms"],
        "key": f"state_{auth['state']}",
        "field": STORAGE_FIELD,
    }
    assert f'name="id_token" value="{id_token}"' in page.text
    assert f'name="state" value="{auth["state"]}"' in page.text
    assert f"frame-ancestors 'self' {platform.url}" in page["Content-Security-Policy"]
    assert LtiLaunch.objects.count() == 0  # nothing happens before the state is confirmed

    # The page's script re-posts with what the platform's storage answered.
    response = cookieless.post(
        "/lti/launch/",
        {"id_token": id_token, "state": auth["state"], STORAGE_FIELD: auth["state"]},
        headers={"Origin": TOOL_ORIGIN},
    )
    assert response.status_code == 303, response.content[:500]
    launch = LtiLaunch.objects.get()
    assert response["Location"] == f"/lti/launches/{launch.token}/"
    assert launch.resource_link is not None
    assert launch.resource_link.quiz == quiz
    landing = cookieless.get(response["Location"])
    assert landing.status_code == 200
    assert quiz.title in landing.text


def test_a_storage_login_whose_cookie_came_back_launches_at_once(
    browser: LtiBrowser, platform: LoopbackPlatform, quiz: Quiz
) -> None:
    _, auth = storage_login(browser)
    response = browser.post_launch(signed_launch(platform, auth, quiz), auth["state"])
    assert response.status_code == 303
    assert LtiLaunch.objects.count() == 1


def _confirm(
    platform: LoopbackPlatform, auth: dict[str, str], quiz: Quiz, **overrides: Any
) -> ClientResponse:
    form = {
        "id_token": signed_launch(platform, auth, quiz),
        "state": auth["state"],
        STORAGE_FIELD: auth["state"],
    }
    headers = {"Origin": overrides.pop("origin", TOOL_ORIGIN)}
    form |= overrides
    return Client().post("/lti/launch/", form, headers={k: v for k, v in headers.items() if v})


def test_a_wrong_storage_state_is_refused(
    browser: LtiBrowser, platform: LoopbackPlatform, quiz: Quiz
) -> None:
    _, auth = storage_login(browser)
    _, other = storage_login(browser)  # another login's state, as another frame would hold
    response = _confirm(platform, auth, quiz, **{STORAGE_FIELD: other["state"]})
    assert_refused(response, errors.STORAGE_STATE_INVALID)
    assert_refused(
        _confirm(platform, auth, quiz, **{STORAGE_FIELD: ""}), errors.STORAGE_STATE_INVALID
    )
    # Refused changes nothing: the login can still complete with the right state.
    assert _confirm(platform, auth, quiz).status_code == 303


@pytest.mark.parametrize("origin", ["http://attacker.example", "null", ""])
def test_a_storage_confirmation_from_another_page_is_refused(
    browser: LtiBrowser, platform: LoopbackPlatform, quiz: Quiz, origin: str
) -> None:
    """A page elsewhere that knows a state (its own login's) cannot post it for a victim:
    the browser sets Origin, and only our own storage page's post is accepted."""
    _, auth = storage_login(browser)
    assert_refused(_confirm(platform, auth, quiz, origin=origin), errors.STORAGE_STATE_INVALID)


def test_a_replayed_storage_launch_is_refused(
    browser: LtiBrowser, platform: LoopbackPlatform, quiz: Quiz
) -> None:
    _, auth = storage_login(browser)
    id_token = signed_launch(platform, auth, quiz)
    form = {"id_token": id_token, "state": auth["state"], STORAGE_FIELD: auth["state"]}
    assert Client().post("/lti/launch/", form, headers={"Origin": TOOL_ORIGIN}).status_code == 303
    again = Client().post("/lti/launch/", form, headers={"Origin": TOOL_ORIGIN})
    assert again.status_code == errors.NONCE_REPLAYED.status
    assert again["X-LTI-Error"] == errors.NONCE_REPLAYED.code
    # Nor does the used login serve the storage page again.
    page = Client().post("/lti/launch/", {"id_token": id_token, "state": auth["state"]})
    assert page["X-LTI-Error"] == errors.NONCE_REPLAYED.code
    assert LtiLaunch.objects.count() == 1


def test_an_expired_storage_login_is_refused(
    browser: LtiBrowser, platform: LoopbackPlatform, quiz: Quiz
) -> None:
    _, auth = storage_login(browser)
    LtiLoginState.objects.filter(state=auth["state"]).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    page = Client().post(
        "/lti/launch/", {"id_token": signed_launch(platform, auth, quiz), "state": auth["state"]}
    )
    assert_refused(page, errors.STATE_UNKNOWN)
    assert_refused(_confirm(platform, auth, quiz), errors.STATE_UNKNOWN)


def test_a_cookie_login_cannot_be_confirmed_through_storage(
    browser: LtiBrowser, platform: LoopbackPlatform, quiz: Quiz
) -> None:
    """A login that did not use platform storage needs its cookie, whatever is posted."""
    auth = browser.login()
    response = _confirm(platform, auth, quiz)
    assert_refused(response, errors.STATE_NOT_THIS_BROWSER)
    plain = Client().post(
        "/lti/launch/", {"id_token": signed_launch(platform, auth, quiz), "state": auth["state"]}
    )
    assert_refused(plain, errors.STATE_NOT_THIS_BROWSER)


def test_the_storage_state_does_not_lift_the_other_checks(
    browser: LtiBrowser, platform: LoopbackPlatform, quiz: Quiz
) -> None:
    """The id_token of another login, posted with this login's confirmed state."""
    _, auth = storage_login(browser)
    _, other = storage_login(browser)
    response = Client().post(
        "/lti/launch/",
        {
            "id_token": signed_launch(platform, other, quiz),
            "state": auth["state"],
            STORAGE_FIELD: auth["state"],
        },
        headers={"Origin": TOOL_ORIGIN},
    )
    assert_refused(response, errors.NONCE_MISMATCH)
