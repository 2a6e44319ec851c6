"""The attempt pages inside an LMS iframe that keeps no cookie at all: the launch token,
carried by links and forms, is the learner's credential there, for the launched quiz only."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from quizzes.lti import errors
from quizzes.lti.errors import LtiErrorKind
from quizzes.models import Attempt, LtiLaunch, Quiz, Response
from quizzes.services.attempts import attempt_start
from tests.conftest import Cast
from tests.lti.conftest import ClientResponse, LtiBrowser
from tests.web.test_pages import form_answer

pytestmark = pytest.mark.django_db


class CookielessClient(Client):
    """A browser frame that keeps no cookie: every request goes out without any, and
    CSRF is enforced as for a real browser."""

    def __init__(self) -> None:
        super().__init__(enforce_csrf_checks=True)

    def request(self, **request: Any) -> Any:
        self.cookies.clear()
        response = super().request(**request)
        self.cookies.clear()
        return response


@pytest.fixture
def launched(browser: LtiBrowser, make_quiz: Callable[..., Quiz]) -> tuple[LtiLaunch, Quiz]:
    quiz = make_quiz("fixed")
    response = browser.launch(custom={"quiz_id": str(quiz.pk)})
    assert response.status_code == 303
    return LtiLaunch.objects.get(), quiz


def assert_refused(response: ClientResponse, kind: LtiErrorKind) -> None:
    assert response.status_code == kind.status, response.content.decode()[:500]
    assert response["X-LTI-Error"] == kind.code


def test_a_learner_takes_the_quiz_with_the_token_alone(launched: tuple[LtiLaunch, Quiz]) -> None:
    launch, quiz = launched
    token = launch.token
    frame = CookielessClient()
    landing = frame.post(f"/lti/launches/{token}/start/")
    assert landing.status_code == 303
    page = frame.get(landing["Location"])
    link = re.search(r'href="([^"]+)" data-attempt', page.text)
    assert link, page.text
    url = link.group(1).replace("&amp;", "&")
    assert url.endswith(f"?lti_launch={token}")
    attempt = Attempt.objects.get(quiz=quiz)
    assert attempt.learner == launch.user

    answered = 0
    while True:
        page = frame.get(url)
        assert page.status_code == 200, page.content[:500]
        if "/result/" in url:
            break
        # Every form of the page carries the token.
        forms = page.text.count("<form")
        fields = page.text.count(f'name="lti_launch" value="{token}"')
        assert fields >= 2  # the answer form and the finish form
        assert fields == forms - 1  # all but the logout form of the site's header
        view = page.context["view"]
        response = frame.post(
            f"/attempts/{attempt.pk}/answer/",
            {
                "item": page.context["question_id"],
                "key": secrets.token_urlsafe(8),
                "lti_launch": token,
                **form_answer(view),
            },
        )
        assert response.status_code == 303, response.content[:500]
        answered += 1
        # Redirects keep the token, so the next page opens too.
        assert f"lti_launch={token}" in response["Location"]
        url = response["Location"]
    attempt.refresh_from_db()
    assert attempt.state == Attempt.State.FINISHED
    assert answered == attempt.items.count() == 7
    assert Response.objects.filter(item__attempt=attempt).count() == 7
    assert f"/attempts/{attempt.pk}/review/?lti_launch={token}" in page.text
    review = frame.get(f"/attempts/{attempt.pk}/review/?lti_launch={token}")
    assert review.status_code == 200  # the quiz allows review at once (the default)
    assert "X-LTI-Error" not in review


def test_the_token_opens_the_quiz_intro_and_starts_an_attempt(
    launched: tuple[LtiLaunch, Quiz],
) -> None:
    launch, quiz = launched
    frame = CookielessClient()
    intro = frame.get(f"/quizzes/{quiz.pk}/?lti_launch={launch.token}")
    assert intro.status_code == 200
    assert f'name="lti_launch" value="{launch.token}"' in intro.text
    started = frame.post(f"/quizzes/{quiz.pk}/start/", {"lti_launch": launch.token})
    assert started.status_code == 303
    attempt = Attempt.objects.get(quiz=quiz, learner=launch.user)
    assert started["Location"] == f"/attempts/{attempt.pk}/?lti_launch={launch.token}"


def test_a_wrong_or_expired_token_is_refused(launched: tuple[LtiLaunch, Quiz]) -> None:
    launch, quiz = launched
    attempt = attempt_start(quiz=quiz, learner=launch.user).attempt
    frame = CookielessClient()
    assert_refused(
        frame.get(f"/attempts/{attempt.pk}/?lti_launch=forged-token"), errors.LAUNCH_EXPIRED
    )
    answer = frame.post(f"/attempts/{attempt.pk}/finish/", {"lti_launch": "forged-token"})
    assert_refused(answer, errors.LAUNCH_EXPIRED)
    LtiLaunch.objects.filter(pk=launch.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_refused(
        frame.get(f"/attempts/{attempt.pk}/?lti_launch={launch.token}"), errors.LAUNCH_EXPIRED
    )
    finish = frame.post(f"/attempts/{attempt.pk}/finish/", {"lti_launch": launch.token})
    assert_refused(finish, errors.LAUNCH_EXPIRED)
    attempt.refresh_from_db()
    assert attempt.state == Attempt.State.IN_PROGRESS


def test_the_token_opens_nothing_of_another_quiz_or_learner(
    launched: tuple[LtiLaunch, Quiz], cast: Cast, make_quiz: Callable[..., Quiz]
) -> None:
    launch, quiz = launched
    other_quiz = make_quiz("practice")
    own_other = attempt_start(quiz=other_quiz, learner=launch.user).attempt
    alices = attempt_start(quiz=quiz, learner=cast.alice).attempt
    frame = CookielessClient()
    query = f"?lti_launch={launch.token}"
    for url in (
        f"/quizzes/{other_quiz.pk}/{query}",
        f"/attempts/{own_other.pk}/{query}",
        f"/attempts/{own_other.pk}/result/{query}",
        f"/attempts/{alices.pk}/{query}",
        f"/attempts/{alices.pk}/review/{query}",
        f"/attempts/999999/{query}",
    ):
        assert_refused(frame.get(url), errors.LAUNCH_SCOPE)
    for url in (f"/attempts/{alices.pk}/finish/", f"/quizzes/{other_quiz.pk}/start/"):
        assert_refused(frame.post(url, {"lti_launch": launch.token}), errors.LAUNCH_SCOPE)
    alices.refresh_from_db()
    assert alices.state == Attempt.State.IN_PROGRESS
    assert Attempt.objects.filter(quiz=other_quiz).count() == 1


def test_the_token_grants_no_other_page(launched: tuple[LtiLaunch, Quiz]) -> None:
    """Educator pages, the home page, the API, the admin: the token is ignored there."""
    launch, quiz = launched
    attempt = attempt_start(quiz=quiz, learner=launch.user).attempt
    frame = CookielessClient()
    query = f"?lti_launch={launch.token}"
    for url in ("/", "/teach/", f"/teach/quizzes/{quiz.pk}/gradebook/", "/admin/"):
        response = frame.get(url + query)
        assert response.status_code == 302, url
        assert "login" in response["Location"]
    for url in (f"/api/v1/attempts/{attempt.pk}/", f"/api/v1/quizzes/{quiz.pk}/"):
        assert frame.get(url + query).status_code in (401, 403), url
    api_finish = frame.post(f"/api/v1/attempts/{attempt.pk}/finish/", {"lti_launch": launch.token})
    assert api_finish.status_code in (401, 403)
    attempt.refresh_from_db()
    assert attempt.state == Attempt.State.IN_PROGRESS


def test_a_post_with_the_token_only_in_the_url_is_a_forgery(
    launched: tuple[LtiLaunch, Quiz],
) -> None:
    """The body's token exempts a POST from the CSRF cookie check; a URL's does not (a
    leaked link must not let another site post in the learner's name)."""
    launch, quiz = launched
    attempt = attempt_start(quiz=quiz, learner=launch.user).attempt
    frame = CookielessClient()
    response = frame.post(f"/attempts/{attempt.pk}/finish/?lti_launch={launch.token}")
    assert response.status_code == 403
    attempt.refresh_from_db()
    assert attempt.state == Attempt.State.IN_PROGRESS
    finished = frame.post(f"/attempts/{attempt.pk}/finish/", {"lti_launch": launch.token})
    assert finished.status_code == 303
    assert finished["Location"] == f"/attempts/{attempt.pk}/result/?lti_launch={launch.token}"
    attempt.refresh_from_db()
    assert attempt.state == Attempt.State.FINISHED


def test_a_session_still_works_without_the_token(
    browser: LtiBrowser, launched: tuple[LtiLaunch, Quiz]
) -> None:
    """Where cookies work, the launch's session opens the pages as before, and no token
    is added to them."""
    launch, quiz = launched
    attempt = attempt_start(quiz=quiz, learner=launch.user).attempt
    page = browser.client.get(f"/attempts/{attempt.pk}/")
    assert page.status_code == 200
    assert "lti_launch" not in page.text
