"""Browser tests: Playwright for Python driving Debian's Chromium (/usr/bin/chromium; no
browser is ever downloaded), against pytest-django's live server.

Every page visited is checked with axe-core (quizzes/static/quizzes/axe.min.js, from the
npm registry): no serious or critical violation of WCAG 2.0/2.1/2.2 A and AA. axe is
injected as an init script (the DevTools protocol, which the page's CSP does not apply
to), so the pages keep their real Content-Security-Policy; any CSP violation reported on
the console fails the test. Screenshots go to tests/web/screenshots/ (git-ignored).

Run them alone with ``pytest -m browser``; ``make test`` runs them with the rest.
"""

from __future__ import annotations

import http.server
import re
import shutil
import socketserver
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.http import QueryDict
from django.utils import timezone

from quizzes.models import Attempt, Quiz
from quizzes.models.lti import LtiContext, LtiDeployment, LtiLaunch, LtiPlatform, LtiResourceLink
from quizzes.services.attempts import attempt_finish, attempt_start
from quizzes.services.responses import response_submit
from quizzes.web.answers import parse_answer
from tests.browser import CHROMIUM
from tests.conftest import Cast
from tests.web.test_pages import form_answer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

playwright_sync = pytest.importorskip("playwright.sync_api")

PASSWORD = "correct horse battery staple"
SCREENSHOTS = Path(__file__).parent / "screenshots"
AXE = Path(settings.BASE_DIR) / "quizzes" / "static" / "quizzes" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING_IMPACTS = ("serious", "critical")

if not Path(CHROMIUM).exists():  # pragma: no cover - `make browsers` installs it
    pytest.skip(
        f"{CHROMIUM} is missing: run `make browsers` (apt-get install -y chromium)",
        allow_module_level=True,
    )


# -- fixtures -------------------------------------------------------------------------------


class Visit:
    """One browser context: navigates, screenshots and runs axe on every page it shows."""

    def __init__(self, browser: Any, base_url: str, name: str, **context: Any) -> None:
        self.context = browser.new_context(base_url=base_url, **context)
        self.context.add_init_script(path=str(AXE))
        self.context.set_default_timeout(15_000)
        self.page = self.context.new_page()
        self.name = name
        self.shots: list[str] = []
        self.csp_errors: list[str] = []
        self.page.on("console", self._console)

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.csp_errors.append(message.text)

    def check(self, step: str, *, frame: Any = None) -> None:
        """Screenshot the page and assert axe finds no serious or critical violation."""
        target = frame or self.page
        path = SCREENSHOTS / f"{self.name}--{step}.png"
        self.page.screenshot(path=str(path), full_page=True)
        self.shots.append(str(path.relative_to(Path(settings.BASE_DIR))))
        results = target.evaluate(
            "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
            AXE_TAGS,
        )
        blocking = [
            f"{v['id']} ({v['impact']}): {v['help']} at "
            + ", ".join(str(node["target"]) for node in v["nodes"][:3])
            for v in results["violations"]
            if v["impact"] in BLOCKING_IMPACTS
        ]
        assert not blocking, f"axe on {step} ({target.url}):\n" + "\n".join(blocking)

    def sign_in(self, username: str) -> None:
        self.page.goto("/accounts/login/")
        self.check("login")
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Password").fill(PASSWORD)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_url(re.compile(r"/$"))

    def close(self) -> None:
        self.context.close()
        assert not self.csp_errors, "CSP violations:\n" + "\n".join(self.csp_errors)


@pytest.fixture
def visit(chromium: Any, live_server: Any) -> Iterator[Callable[..., Visit]]:
    SCREENSHOTS.mkdir(exist_ok=True)
    visits: list[Visit] = []

    def open_visit(name: str, **context: Any) -> Visit:
        visits.append(Visit(chromium, live_server.url, name, **context))
        return visits[-1]

    yield open_visit
    for opened in visits:
        opened.close()


def answer_current_item(page: Any) -> str:
    """Answer the item on screen with the keyboard-operable controls of its type."""
    form = page.locator("form.item-form")
    kind = form.get_attribute("data-item-type")
    if kind in ("single", "true_false", "multiple"):
        form.locator("fieldset input").first.check()
    elif kind == "short_answer":
        form.get_by_label("Your answer").fill("commissurotomy")
    elif kind == "numerical":
        form.get_by_label(re.compile("Your answer")).fill("1.5")
    elif kind == "matching":
        for select in form.locator("select").all():
            select.select_option(index=1)
    elif kind == "ordering":
        # Keyboard only: focus the first step's "Move down" button and press Enter.
        form.get_by_role("button", name=re.compile("^Move down")).first.focus()
        page.keyboard.press("Enter")
    form.get_by_role("button", name=re.compile("Submit the answer|Check the answer")).click()
    return str(kind)


# -- the learner ----------------------------------------------------------------------------


def test_a_learner_takes_an_adaptive_quiz_to_the_end(
    visit: Callable[..., Visit], cast: Cast, make_quiz: Callable[..., Quiz]
) -> None:
    """Sign in, intro, one item of each of the seven types, result chart, review."""
    quiz = make_quiz("adaptive", max_items=7, min_items=7, pass_mark=50.0, ability_cut=None)
    browser = visit("adaptive")
    page = browser.page
    browser.sign_in("alice")
    browser.check("home")
    page.get_by_role("link", name=quiz.title).click()
    page.get_by_role("heading", name=quiz.title).wait_for()
    browser.check("intro")
    page.get_by_role("button", name="Start the quiz").click()
    seen: set[str] = set()
    for number in range(1, 8):
        page.get_by_role("heading", name=re.compile(f"^Question {number}")).wait_for()
        progress = page.locator("#progress-text").inner_text()
        assert f"{number - 1} answered of at most 7" in progress
        kind = page.locator("form.item-form").get_attribute("data-item-type")
        assert kind is not None
        if kind not in seen:
            browser.check(f"attempt-{kind}")
        seen.add(answer_current_item(page))
    assert seen == {"single", "multiple", "true_false", "short_answer", "numerical",
                    "matching", "ordering"}  # fmt: skip
    page.get_by_role("heading", name="Your result").wait_for()
    chart = page.locator("svg.chart[role=img]")
    assert chart.is_visible()
    assert page.locator("[data-band]").inner_text() in (
        "Beginning", "Developing", "Proficient", "Advanced",
    )  # fmt: skip
    browser.check("result")
    page.get_by_role("link", name="Review your answers").click()
    page.get_by_role("heading", name=re.compile("Review of attempt 1")).wait_for()
    assert page.locator("article.review-item").count() == 7
    browser.check("review")
    attempt = Attempt.objects.get(quiz=quiz, learner=cast.alice)
    assert attempt.state == Attempt.State.FINISHED
    assert attempt.responses.count() == 7


def test_a_practice_quiz_shows_feedback_after_each_item(
    visit: Callable[..., Visit], cast: Cast, make_quiz: Callable[..., Quiz]
) -> None:
    quiz = make_quiz("practice", feedback_timing=Quiz.FeedbackTiming.IMMEDIATE, length=3)
    # On a phone: the pages are responsive down to 360 px.
    browser = visit("practice", viewport={"width": 390, "height": 844}, is_mobile=True)
    page = browser.page
    browser.sign_in("alice")
    page.goto(f"/quizzes/{quiz.pk}/")
    page.get_by_role("button", name="Start the quiz").click()
    for number in range(1, 4):
        page.get_by_role("heading", name=re.compile(f"^Question {number}")).wait_for()
        answer_current_item(page)
        feedback = page.locator("#feedback-heading")
        feedback.wait_for()
        assert re.match(
            rf"Question {number}: (Correct|Partly correct|Incorrect)", feedback.inner_text()
        )
        assert page.get_by_role("heading", name="Explanation").is_visible()
        assert page.locator("[data-correct-answer]").inner_text().strip()
        # Focus moved to the feedback heading for keyboard and screen-reader users.
        assert page.evaluate("document.activeElement.id") == "feedback-heading"
        if number == 1:
            browser.check("feedback")
        link = "See your result" if number == 3 else "Next question"
        page.get_by_role("link", name=link).click()
    page.get_by_role("heading", name="Your result").wait_for()
    browser.check("result")


def test_a_timed_quiz_finishes_itself_when_time_runs_out(
    visit: Callable[..., Visit], cast: Cast, make_quiz: Callable[..., Quiz]
) -> None:
    quiz = make_quiz("fixed", time_limit=timedelta(seconds=6))
    browser = visit("timed")
    page = browser.page
    browser.sign_in("alice")
    page.goto(f"/quizzes/{quiz.pk}/")
    page.get_by_role("button", name="Start the quiz").click()
    timer = page.locator("#timer")
    timer.wait_for()
    assert page.locator("[role=timer]").count() == 1
    browser.check("attempt")
    page.get_by_role("heading", name="Your result").wait_for(timeout=20_000)
    assert "time ran out" in page.locator(".subtitle").inner_text()
    browser.check("result")
    attempt = Attempt.objects.get(quiz=quiz, learner=cast.alice)
    assert attempt.finish_reason == Attempt.FinishReason.TIME_UP


# -- the educator ---------------------------------------------------------------------------


def test_an_educator_previews_an_item_creates_a_blueprint_quiz_and_downloads_grades(
    visit: Callable[..., Visit], cast: Cast, make_quiz: Callable[..., Quiz], tmp_path: Path
) -> None:
    graded = make_quiz("fixed", attempts_allowed=0)
    for right in (True, False, True):
        attempt = attempt_start(quiz=graded, learner=cast.alice).attempt
        for item in attempt.items.order_by("position"):
            view = item.presentation["view"]
            response_submit(
                attempt=attempt,
                question_id=item.revision.question_id,
                answer=parse_answer(
                    view, QueryDict(urlencode(form_answer(view, right=right), doseq=True))
                ),
                key=f"k-{item.pk}",
            )
        attempt_finish(attempt=attempt)
    browser = visit("educator")
    page = browser.page
    browser.sign_in("bob")
    page.get_by_role("link", name="Teaching", exact=True).click()
    page.get_by_role("heading", name="Teaching").wait_for()
    browser.check("dashboard")
    page.get_by_role("link", name=cast.bank.title).click()
    page.get_by_label("Type").select_option("single")
    page.get_by_role("button", name="Filter").click()
    page.get_by_role("link", name="T-single").click()
    page.get_by_role("heading", name="Linter findings").wait_for()
    browser.check("question")
    page.get_by_role("link", name="Preview as a learner").click()
    browser.check("preview")
    page.get_by_label("Mitral stenosis").check()
    page.get_by_role("button", name="Check the answer").click()
    page.get_by_role("heading", name="Correct").wait_for()
    browser.check("preview-feedback")

    page.goto("/teach/quizzes/new/")
    page.get_by_label("Title").fill("Valves by blueprint")
    page.get_by_label("Mode").select_option("blueprint")
    page.get_by_label("Status").select_option("published")
    page.get_by_label("Length").fill("4")
    page.get_by_label("Valves").fill("100")
    browser.check("quiz-new")
    page.get_by_role("button", name="Create the quiz").click()
    page.get_by_text("Saved.").wait_for()
    browser.check("quiz-edit")
    created = Quiz.objects.get(title="Valves by blueprint")
    assert created.mode == Quiz.Mode.BLUEPRINT
    assert created.blueprint == {"valves": 1.0}

    page.goto(f"/teach/quizzes/{graded.pk}/gradebook/")
    page.get_by_role("heading", name=re.compile("Gradebook")).wait_for()
    browser.check("gradebook")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download as CSV").click()
    saved = tmp_path / "gradebook.csv"
    download_info.value.save_as(saved)
    text = saved.read_text(encoding="utf-8")
    assert text.startswith("quiz_id,quiz_title,learner_id,username,name,")
    assert "alice" in text

    page.goto(f"/teach/quizzes/{graded.pk}/items/")
    page.get_by_role("heading", name=re.compile("Item analysis")).wait_for()
    assert page.locator("svg.icc").count() == 7
    browser.check("item-analysis")


# -- inside an LMS iframe -----------------------------------------------------------------------


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def lms_site(tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """A page on another origin that frames a URL of ours, as an LMS does."""
    server = socketserver.ThreadingTCPServer(
        ("127.0.0.1", 0),
        lambda *a: _Quiet(*a, directory=str(tmp_path)),
    )
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    # Another origin (port) on the same site as the live server ("localhost"): the test
    # session's cookies are SameSite=Lax over plain HTTP. A real LMS is another site; there
    # the LTI settings make the cookies SameSite=None; Secure; Partitioned (settings.py).
    origin = f"http://localhost:{server.server_address[1]}"

    def page_framing(url: str) -> str:
        (tmp_path / "course.html").write_text(
            "<!doctype html><html lang='en'><head><title>LMS course</title></head><body>"
            "<main><h1>Cardiology course (the LMS)</h1>"
            f"<iframe id='tool' title='Quiz' src='{url}' width='900' height='900'></iframe>"
            "</main></body></html>",
            encoding="utf-8",
        )
        return f"{origin}/course.html"

    page_framing.origin = origin  # type: ignore[attr-defined]
    yield page_framing
    server.shutdown()
    server.server_close()


def test_the_lti_landing_page_and_the_attempt_work_inside_an_lms_iframe(
    visit: Callable[..., Visit],
    cast: Cast,
    make_quiz: Callable[..., Quiz],
    lms_site: Any,
    live_server: Any,
) -> None:
    quiz = make_quiz("fixed")
    platform = LtiPlatform.objects.create(
        institution=cast.institution,
        issuer="https://lms.example.edu",
        client_id="tool",
        auth_login_url="https://lms.example.edu/auth",
        auth_token_url="https://lms.example.edu/token",
        keyset_url="https://lms.example.edu/jwks",
        frame_origins=lms_site.origin,
    )
    deployment = LtiDeployment.objects.create(platform=platform, deployment_id="d1")
    context = LtiContext.objects.create(platform=platform, context_id="ctx", course=cast.course)
    link = LtiResourceLink.objects.create(
        platform=platform, context=context, resource_link_id="rl", quiz=quiz
    )
    now = timezone.now()
    launch = LtiLaunch.objects.create(
        token="browser-test-launch-token",
        platform=platform,
        deployment=deployment,
        message_type="LtiResourceLinkRequest",
        user=cast.alice,
        role="learner",
        context=context,
        resource_link=link,
        created_at=now,
        expires_at=now + timedelta(hours=1),
    )
    browser = visit("lti-iframe")
    page = browser.page
    # The launch's POST logs the learner in; here the session comes from the sign-in page.
    browser.sign_in("alice")
    page.goto(lms_site(f"{live_server.url}/lti/launches/{launch.token}/"))
    frame = page.frame_locator("#tool")
    frame.get_by_role("heading", name=quiz.title).wait_for()
    tool = next(f for f in page.frames if f.url.startswith(live_server.url))
    browser.check("lti-landing", frame=tool)
    frame.get_by_role("button", name="Start the quiz").click()
    frame.get_by_role("link", name=re.compile("Resume attempt")).click()
    frame.get_by_role("heading", name=re.compile("^Question 1")).wait_for()
    tool = next(f for f in page.frames if f.url.startswith(live_server.url))
    assert "/attempts/" in tool.url
    browser.check("attempt-in-iframe", frame=tool)
    answer_current_item(tool)
    frame.get_by_role("heading", name=re.compile("^Question 2")).wait_for()
    assert Attempt.objects.get(quiz=quiz).responses.count() == 1

    # A page not meant for framing is refused by the browser (frame-ancestors 'none'): the
    # frame never renders it. (Chromium logs the refusal to the console only sometimes, so
    # the test looks at what the frame shows, not at the log.)
    page.goto(lms_site(f"{live_server.url}/teach/"))
    page.wait_for_load_state("load")
    page.locator("#tool").wait_for(state="attached")
    teach = f"{live_server.url}/teach/"
    rendered = [f for f in page.frames if f.url.startswith(teach) and f.locator("body *").count()]
    browser.csp_errors.clear()  # a refusal, when logged, is the expected CSP report
    assert rendered == [], [f.url for f in rendered]


def test_the_chromium_is_debians() -> None:
    assert shutil.which("chromium") == CHROMIUM or Path(CHROMIUM).exists()
