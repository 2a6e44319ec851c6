"""Platform storage and token-carried pages in a real browser (Playwright driving Debian's
Chromium, as tests/web/test_browser.py does).

The loopback platform serves an LMS course page (its origin, 127.0.0.1:<port>) framing the
tool (the live server, localhost:<port>: another site) beside a storage frame that answers
lti.put_data / lti.get_data. The browser drops every cookie of the tool between the login
and the launch and again before each step afterwards, as a browser without partitioned
cookies does: the launch must then go through the storage round trip, and the attempt
pages through the launch token alone. The tool's pages keep their CSP: any violation on
the console fails the test.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from quizzes.models import Attempt, LtiLaunch, LtiPlatform, Quiz
from tests.browser import CHROMIUM
from tests.lti.platform import STORAGE_FRAME, LoopbackPlatform

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

playwright_sync = pytest.importorskip("playwright.sync_api")

if not Path(CHROMIUM).exists():  # pragma: no cover - `make browsers` installs it
    pytest.skip(f"{CHROMIUM} is missing: run `make browsers`", allow_module_level=True)

from tests.web.test_browser import Visit, answer_current_item  # noqa: E402


@pytest.fixture
def lms(
    platform: LoopbackPlatform,
    registration: LtiPlatform,
    live_server: Any,
    make_quiz: Callable[..., Quiz],
) -> tuple[LoopbackPlatform, Quiz, str]:
    quiz = make_quiz("fixed")
    tool = live_server.url
    login = {
        "iss": platform.issuer,
        "login_hint": "hint-1",
        "target_link_uri": f"{tool}/lti/launch/",
        "client_id": platform.client_id,
        "lti_deployment_id": platform.deployment_id,
        "lti_storage_target": STORAGE_FRAME,
    }
    platform.browser_launch = {
        "login_url": f"{tool}/lti/login/?{urlencode(login)}",
        "launch_url": f"{tool}/lti/launch/",
        "claims": {"custom": {"quiz_id": str(quiz.pk)}},
    }
    platform.hold_auth = True
    return platform, quiz, tool


@pytest.fixture
def visit(chromium: Any, live_server: Any) -> Iterator[Callable[[str], Visit]]:
    visits: list[Visit] = []

    def open_visit(name: str) -> Visit:
        visits.append(Visit(chromium, live_server.url, name))
        return visits[-1]

    yield open_visit
    for opened in visits:
        opened.close()  # asserts no CSP violation was reported


def storage_log(page: Any) -> list[dict[str, str]]:
    frame = page.frame(name=STORAGE_FRAME)
    assert frame is not None
    log: list[dict[str, str]] = frame.evaluate("window.ltiStorageLog")
    return log


def tool_frame(page: Any, tool: str) -> Any:
    return next(frame for frame in page.frames if frame.url.startswith(tool))


def test_a_cookieless_launch_goes_through_platform_storage_and_the_token_pages(
    visit: Callable[[str], Visit], lms: tuple[LoopbackPlatform, Quiz, str]
) -> None:
    platform, quiz, tool = lms
    browser = visit("lti-storage")
    page = browser.page
    page.goto(platform.url + "/course")
    frame = page.frame_locator("#tool")
    # The login page put the state and nonce into the platform's storage, then went on to
    # the platform's auth endpoint.
    frame.get_by_role("button", name="Continue").wait_for()
    puts = [entry for entry in storage_log(page) if entry["subject"] == "lti.put_data"]
    assert sorted(entry["key"].split("_", 1)[0] for entry in puts) == ["nonce", "state"]
    assert {entry["origin"] for entry in puts} == {tool}

    browser.context.clear_cookies()  # the state cookie is lost
    frame.get_by_role("button", name="Continue").click()
    frame.get_by_role("heading", name=quiz.title).wait_for()
    gets = [entry for entry in storage_log(page) if entry["subject"] == "lti.get_data"]
    assert len(gets) == 1
    assert gets[0]["key"] == next(e["key"] for e in puts if e["key"].startswith("state_"))
    launch = LtiLaunch.objects.get()
    assert launch.resource_link is not None
    assert launch.resource_link.quiz == quiz
    browser.check("lti-storage-landing", frame=tool_frame(page, tool))

    # Without any cookie, the launch token carries the learner through the attempt.
    browser.context.clear_cookies()
    frame.get_by_role("button", name="Start the quiz").click()
    browser.context.clear_cookies()
    frame.get_by_role("link", name=re.compile("Resume attempt")).click()
    frame.get_by_role("heading", name=re.compile("^Question 1")).wait_for()
    assert f"lti_launch={launch.token}" in tool_frame(page, tool).url
    for number in (2, 3):
        browser.context.clear_cookies()
        answer_current_item(tool_frame(page, tool))
        frame.get_by_role("heading", name=re.compile(f"^Question {number}")).wait_for()
    attempt = Attempt.objects.get(quiz=quiz)
    assert attempt.learner == launch.user
    assert attempt.responses.count() == 2
    browser.check("lti-token-attempt", frame=tool_frame(page, tool))


def test_a_platform_storage_without_the_state_refuses_the_launch(
    visit: Callable[[str], Visit], lms: tuple[LoopbackPlatform, Quiz, str]
) -> None:
    platform, _, tool = lms
    platform.storage_forgets = True
    browser = visit("lti-storage-refused")
    page = browser.page
    page.goto(platform.url + "/course")
    frame = page.frame_locator("#tool")
    frame.get_by_role("button", name="Continue").wait_for()
    browser.context.clear_cookies()
    frame.get_by_role("button", name="Continue").click()
    alert = frame.get_by_role("alert")
    alert.wait_for()
    assert "lti_storage_unavailable" in alert.inner_text()
    assert LtiLaunch.objects.count() == 0
    browser.check("lti-storage-refused", frame=tool_frame(page, tool))
