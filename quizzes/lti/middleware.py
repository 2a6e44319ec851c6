"""The launch token as the learner's credential on the attempt pages of the launched quiz.

Inside an LMS iframe the browser may keep no cookie of ours at all (no third-party
cookies, no partitioned cookies). The LTI pages then carry the launch's random token
(``?lti_launch=<token>`` on links, a hidden ``lti_launch`` field in forms). When a request
has no session, a valid, unexpired token authenticates it as the launch's user, for the
pages of the launch's quiz only: its intro and start, and that user's attempts at it
(attempt, answer, flag, finish, result, review). Anywhere else the token is ignored
(other quizzes, educator pages, the API, the admin): those see an anonymous request.

CSRF: a POST that carries the valid token *in its body* is not a cross-site forgery. A
forged request is one an attacker's page makes the victim's browser send; the attacker
can only put in it what they know, and the token is a 256-bit secret that only the
learner's frame received (in the launch's redirect, never in a cookie an attacker could
ride). So such a POST proves it comes from our page, as a CSRF token does; the token in
a URL's query string alone does not exempt a POST. Referrer-Policy ``same-origin`` keeps
the token out of Referer headers to other sites.

Redirects from those pages keep the token: their Location (or htmx's HX-Redirect) gets
``lti_launch`` when it points at another page in the token's scope.

Listed right after AuthenticationMiddleware (config/settings.py, LTI block), so the
decision is made before CsrfViewMiddleware's view check and before the view runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils.html import format_html
from django.utils.safestring import SafeString

from quizzes.lti import errors
from quizzes.lti.errors import LtiError
from quizzes.lti.launch import launch_for_token
from quizzes.models import Attempt, LtiLaunch

PARAM = "lti_launch"
# The learner pages (namespace "web") a launch token may open, by what identifies them.
QUIZ_PAGES = {"quiz", "quiz-start"}
ATTEMPT_PAGES = {"attempt", "answer", "flag", "finish", "result", "review"}


def _scoped_page(path: str) -> tuple[str, dict[str, Any]] | None:
    """(url name, kwargs) when the path is a page a launch token may open."""
    try:
        match = resolve(path)
    except Resolver404:
        return None
    if match.namespace != "web" or match.url_name not in QUIZ_PAGES | ATTEMPT_PAGES:
        return None
    return str(match.url_name), dict(match.kwargs)


def launch_covers(launch: LtiLaunch, name: str, kwargs: dict[str, Any]) -> bool:
    """Whether the launch's token opens this page: its own quiz, its user's attempts."""
    quiz = launch.resource_link.quiz if launch.resource_link else None
    if quiz is None or not launch.user.is_active:
        return False
    if name in QUIZ_PAGES:
        return bool(kwargs.get("quiz_id") == quiz.pk)
    attempt_id = kwargs.get("attempt_id")
    return isinstance(attempt_id, int) and (
        Attempt.objects.filter(pk=attempt_id, quiz=quiz, learner=launch.user).exists()
    )


def _with_token(url: str, token: str, host: str) -> str:
    parts = urlsplit(url)
    if parts.netloc and parts.netloc != host:
        return url
    if _scoped_page(parts.path) is None:
        return url
    query = [(key, value) for key, value in parse_qsl(parts.query) if key != PARAM]
    query.append((PARAM, token))
    return urlunsplit(parts._replace(query=urlencode(query)))


class LaunchTokenMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" or PARAM in request.GET:
            refusal = self._authenticate(request)
            if refusal is not None:
                return refusal
        response = self.get_response(request)
        launch: LtiLaunch | None = getattr(request, "lti_launch", None)
        if launch is not None:
            host = request.get_host()
            for header in ("Location", "HX-Redirect"):
                if header in response:
                    response[header] = _with_token(response[header], launch.token, host)
        return response

    def _authenticate(self, request: HttpRequest) -> HttpResponse | None:
        page = _scoped_page(request.path_info)
        if page is None:
            return None
        # Only the body's token counts for a POST (see the CSRF reasoning above).
        source = request.POST if request.method == "POST" else request.GET
        token = source.get(PARAM, "")
        if not token or request.user.is_authenticated:
            return None  # a session (or no token): the usual rules apply
        from quizzes.lti.views import error_page

        try:
            launch = launch_for_token(token)
        except LtiError as error:
            return error_page(request, error)
        if not launch_covers(launch, *page):
            return error_page(request, LtiError(errors.LAUNCH_SCOPE, platform=launch.platform))
        request.user = launch.user
        request.lti_launch = launch  # type: ignore[attr-defined]
        if request.method == "POST":
            request._dont_enforce_csrf_checks = True  # type: ignore[attr-defined]
        return None


def launch_token(request: HttpRequest) -> dict[str, str | SafeString]:
    """Template context: what links (``lti_query``, or ``lti_query_more`` after another
    parameter) and forms (``lti_launch_field``) add to carry the launch token."""
    launch: LtiLaunch | None = getattr(request, "lti_launch", None)
    if launch is None:
        return {"lti_query": "", "lti_query_more": "", "lti_launch_field": ""}
    query = urlencode({PARAM: launch.token})
    return {
        "lti_query": "?" + query,
        "lti_query_more": "&" + query,
        "lti_launch_field": format_html(
            '<input type="hidden" name="{}" value="{}">', PARAM, launch.token
        ),
    }
