"""LTI endpoints: JWKS, OIDC login, launch, the launched pages (quiz, instructor
picker, deep linking), configuration pages per LMS. Thin: the work is in the modules
beside this one."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.middleware.csp import get_nonce
from django.shortcuts import render
from django.urls import reverse
from django.utils.csp import CSP
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from quizzes.exceptions import ApplicationError
from quizzes.lti import claims, config_pages, errors
from quizzes.lti.conf import lti_setting
from quizzes.lti.cookies import set_iframe_cookie
from quizzes.lti.deep_linking import deep_linking_create_quiz, deep_linking_respond
from quizzes.lti.delivery import failed_deliveries, scores_retry
from quizzes.lti.errors import LtiError
from quizzes.lti.keys import published_jwks
from quizzes.lti.launch import launch_for_token, launch_record, resource_link_set_quiz
from quizzes.lti.nrps import roster_sync
from quizzes.lti.oidc import (
    STORAGE_FIELD,
    LoginStart,
    launch_storage_pending,
    launch_validate,
    login_start,
    origin_of,
    state_cookie_name,
    storage_key,
    storage_target_of,
    tool_base_url,
)
from quizzes.lti.platforms import frame_origins
from quizzes.lti.services_http import ServiceRefused, ServiceUnavailable
from quizzes.models import (
    Attempt,
    Bank,
    LtiLaunch,
    LtiLoginState,
    LtiPlatform,
    Membership,
    Quiz,
)
from quizzes.services.attempts import attempt_start

logger = logging.getLogger(__name__)

# How long the storage pages wait for the platform to answer a postMessage.
STORAGE_TIMEOUT_MS = 5000


def _tool_base(request: HttpRequest) -> str:
    return tool_base_url(request.build_absolute_uri("/"))


def _framable(
    response: HttpResponse,
    platform: LtiPlatform | None,
    *,
    form_targets: tuple[str, ...] | list[str] = (),
) -> HttpResponse:
    """Allow framing by the platform's origins only (the site default is DENY/'none'),
    keeping the site's Content-Security-Policy otherwise; our inline style and the deep
    linking auto-submit script run by nonce."""
    response.xframe_options_exempt = True
    ancestors = [CSP.SELF, *frame_origins(platform)] if platform else ["*"]
    policy: dict[str, Any] = dict(getattr(settings, "SECURE_CSP", None) or {})
    for directive in ("script-src", "style-src"):
        policy[directive] = [*policy.get(directive, [CSP.SELF]), CSP.NONCE]
    policy["frame-ancestors"] = ancestors
    if form_targets and "form-action" in policy:
        policy["form-action"] = [*policy["form-action"], *form_targets]
    response._csp_config = policy  # type: ignore[attr-defined]  # read by Django's CSP middleware
    if "django.middleware.csp.ContentSecurityPolicyMiddleware" not in settings.MIDDLEWARE:
        response["Content-Security-Policy"] = "frame-ancestors " + " ".join(ancestors)
    response["Cache-Control"] = "no-store"
    return response


def _render(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    nonce = get_nonce(request)
    context = context | {"csp_nonce": str(nonce) if nonce is not None else ""}
    return render(request, template, context, status=status)


def error_page(request: HttpRequest, error: LtiError) -> HttpResponse:
    """The page of a refusal: title, what to do, the code (also in X-LTI-Error)."""
    platform = error.context.get("platform")
    context = {
        "kind": error.kind,
        "detail": error.detail,
        "platform": platform,
        "deployment_id": error.context.get("deployment_id"),
        "issuer": error.context.get("issuer") or (platform.issuer if platform else ""),
    }
    logger.info("LTI refused: %s %s", error.kind.code, error.detail)
    response = _render(request, "quizzes/lti/error.html", context, status=error.status)
    response["X-LTI-Error"] = error.kind.code
    return _framable(response, platform)


@require_GET
def jwks(request: HttpRequest) -> JsonResponse:
    response = JsonResponse(published_jwks())
    response["Cache-Control"] = f"public, max-age={int(lti_setting('LTI_JWKS_MAX_AGE'))}"
    return response


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def oidc_login(request: HttpRequest) -> HttpResponse:
    params: dict[str, str] = (request.POST or request.GET).dict()
    try:
        start = login_start(params=params, tool_base=_tool_base(request))
    except LtiError as error:
        return error_page(request, error)
    if start.storage_target is not None:
        response = _storage_login_page(request, start)
    else:
        response = HttpResponseRedirect(start.redirect_url)
    set_iframe_cookie(
        response,
        state_cookie_name(start.state),
        start.state,
        max_age=int(lti_setting("LTI_LOGIN_STATE_SECONDS")),
    )
    return _framable(response, start.platform)


def _storage_login_page(request: HttpRequest, start: LoginStart) -> HttpResponse:
    """The login as a page: its script puts the state and nonce into the platform's
    storage (lti.put_data to the lti_storage_target frame, for the platform's origin only),
    then continues to the platform's auth endpoint (with or without an answer: the state
    cookie may do)."""
    storage = {
        "mode": "put",
        "target": start.storage_target,
        "origin": start.platform_origin,
        "timeout_ms": STORAGE_TIMEOUT_MS,
        "items": [
            {"key": storage_key("state", start.state), "value": start.state},
            {"key": storage_key("nonce", start.nonce), "value": start.nonce},
        ],
        "redirect_url": start.redirect_url,
    }
    context = {"storage": storage, "redirect_url": start.redirect_url}
    response = _render(request, "quizzes/lti/storage_login.html", context)
    return _framable(response, start.platform)


def _storage_launch_page(
    request: HttpRequest, login_state: LtiLoginState, form: dict[str, str]
) -> HttpResponse:
    """The launch arrived without the state cookie from a login that used platform
    storage: this page reads the state back (lti.get_data) and posts the launch again
    with it; launch_validate accepts it only if it is this login's state."""
    state = form["state"]
    storage = {
        "mode": "get",
        "target": storage_target_of(state),
        "origin": origin_of(login_state.platform.auth_login_url),
        "timeout_ms": STORAGE_TIMEOUT_MS,
        "key": storage_key("state", state),
        "field": STORAGE_FIELD,
    }
    context = {
        "storage": storage,
        "id_token": form["id_token"],
        "state": state,
        "field": STORAGE_FIELD,
        "failure": errors.STORAGE_UNAVAILABLE,
    }
    response = _render(request, "quizzes/lti/storage_launch.html", context)
    return _framable(response, login_state.platform)


@csrf_exempt
@never_cache
@require_POST
def launch(request: HttpRequest) -> HttpResponse:
    form: dict[str, str] = request.POST.dict()
    try:
        pending = launch_storage_pending(form=form, cookies=dict(request.COOKIES))
        if pending is not None:
            return _storage_launch_page(request, pending, form)
        validated = launch_validate(
            form=form,
            cookies=dict(request.COOKIES),
            tool_base=_tool_base(request),
            origin=request.headers.get("Origin", ""),
        )
        record = launch_record(launch=validated)
    except LtiError as error:
        return error_page(request, error)
    login(request, record.user, backend="django.contrib.auth.backends.ModelBackend")
    response = HttpResponseRedirect(reverse("lti:launched", args=[record.token]), status=303)
    response.delete_cookie(state_cookie_name(form["state"]), path="/lti/", samesite="None")
    return _framable(response, record.platform)


def attempt_url(attempt: Attempt, token: str) -> str:
    """The attempt's page, carrying the launch token (quizzes/lti/middleware.py)."""
    return reverse("web:attempt", args=[attempt.pk]) + f"?lti_launch={token}"


def _launch(token: str) -> LtiLaunch:
    try:
        return launch_for_token(token)
    except LtiError as error:
        raise Http404(error.detail) from error


def _page(request: HttpRequest, launch: LtiLaunch, template: str, **context: Any) -> HttpResponse:
    status = context.pop("status", 200)
    form_targets = context.pop("form_targets", [])
    context |= {"launch": launch, "token": launch.token}
    response = _render(request, template, context, status=status)
    return _framable(response, launch.platform, form_targets=form_targets)


@never_cache
@require_GET
def launched(request: HttpRequest, token: str) -> HttpResponse:
    """The page a launch lands on; the token in the URL is the iframe's credential."""
    try:
        launch = launch_for_token(token)
    except LtiError as error:
        return error_page(request, error)
    is_educator = launch.role != Membership.Role.LEARNER
    if launch.message_type == claims.DEEP_LINKING_REQUEST:
        return _deep_linking_page(request, launch)
    link = launch.resource_link
    assert link is not None
    assert launch.context is not None
    quiz = link.quiz
    if quiz is None:
        if not is_educator:
            return error_page(request, LtiError(errors.LINK_UNMAPPED, platform=launch.platform))
        quizzes = Quiz.objects.filter(course=launch.context.course).order_by("title")
        return _page(request, launch, "quizzes/lti/pick_quiz.html", quizzes=quizzes)
    attempt = (
        Attempt.objects.filter(quiz=quiz, learner=launch.user, state=Attempt.State.IN_PROGRESS)
        .order_by("-number")
        .first()
    )
    failures = (
        failed_deliveries(quiz).select_related("grade__learner").order_by("-created_at")[:50]
        if is_educator
        else []
    )
    return _page(
        request,
        launch,
        "quizzes/lti/quiz.html",
        quiz=quiz,
        attempt=attempt,
        attempt_link=attempt_url(attempt, token) if attempt else "",
        is_educator=is_educator,
        failures=failures,
        can_sync_roster=is_educator and bool(launch.context.memberships_url),
    )


@csrf_exempt  # the unguessable launch token in the URL is the credential
@require_POST
def launched_start(request: HttpRequest, token: str) -> HttpResponse:
    launch = _launch(token)
    quiz = launch.resource_link.quiz if launch.resource_link else None
    if quiz is None:
        raise Http404("No quiz")
    try:
        attempt_start(quiz=quiz, learner=launch.user)
    except ApplicationError as error:
        return _page(
            request, launch, "quizzes/lti/message.html", message=error.detail, status=error.status
        )
    return HttpResponseRedirect(reverse("lti:launched", args=[token]), status=303)


@csrf_exempt
@require_POST
def launched_link(request: HttpRequest, token: str) -> HttpResponse:
    launch = _launch(token)
    try:
        resource_link_set_quiz(launch=launch, quiz_id=int(request.POST.get("quiz", "0") or 0))
    except ValueError:
        raise Http404("No such quiz") from None
    except LtiError as error:
        return error_page(request, error)
    except ApplicationError as error:
        return _page(
            request, launch, "quizzes/lti/message.html", message=error.detail, status=error.status
        )
    return HttpResponseRedirect(reverse("lti:launched", args=[token]), status=303)


@csrf_exempt
@require_POST
def launched_roster(request: HttpRequest, token: str) -> HttpResponse:
    launch = _launch(token)
    if launch.role == Membership.Role.LEARNER or launch.context is None:
        return error_page(request, LtiError(errors.NOT_INSTRUCTOR, platform=launch.platform))
    try:
        message = "Roster synced: " + roster_sync(context=launch.context).summary() + "."
    except (ServiceRefused, ServiceUnavailable) as error:
        message = f"The roster could not be synced: {error}"
    return _page(request, launch, "quizzes/lti/message.html", message=message)


@csrf_exempt
@require_POST
def launched_retry(request: HttpRequest, token: str) -> HttpResponse:
    launch = _launch(token)
    quiz = launch.resource_link.quiz if launch.resource_link else None
    if launch.role == Membership.Role.LEARNER or quiz is None:
        return error_page(request, LtiError(errors.NOT_INSTRUCTOR, platform=launch.platform))
    ids = list(failed_deliveries(quiz).values_list("pk", flat=True))
    count = scores_retry(ids=ids)
    return _page(
        request, launch, "quizzes/lti/message.html", message=f"{count} score(s) queued again."
    )


def _deep_linking_page(request: HttpRequest, launch: LtiLaunch, **extra: Any) -> HttpResponse:
    assert launch.context is not None
    return _page(
        request,
        launch,
        "quizzes/lti/deep_link.html",
        quizzes=Quiz.objects.filter(course=launch.context.course).order_by("title"),
        banks=Bank.objects.filter(institution=launch.platform.institution).order_by("title"),
        modes=Quiz.Mode.choices,
        **extra,
    )


@csrf_exempt
@require_POST
def launched_deep_link(request: HttpRequest, token: str) -> HttpResponse:
    launch = _launch(token)
    if launch.message_type != claims.DEEP_LINKING_REQUEST or launch.context is None:
        raise Http404("Not a deep linking launch")
    try:
        if request.POST.get("quiz"):
            quiz = Quiz.objects.filter(
                pk=int(request.POST["quiz"]), course=launch.context.course
            ).first()
            if quiz is None:
                raise Http404("No such quiz in this course")
        else:
            bank = Bank.objects.filter(
                pk=int(request.POST.get("bank") or 0), institution=launch.platform.institution
            ).first()
            if bank is None:
                raise Http404("No such bank")
            quiz = deep_linking_create_quiz(
                launch=launch,
                bank=bank,
                title=request.POST.get("title", "").strip(),
                mode=request.POST.get("mode", ""),
                blueprint=_blueprint(request.POST.get("blueprint", "")),
            )
        answer = deep_linking_respond(launch=launch, quiz=quiz, tool_base=_tool_base(request))
    except ValueError:
        raise Http404("Bad id") from None
    except LtiError as error:
        return error_page(request, error)
    except ApplicationError as error:
        return _deep_linking_page(request, launch, error=error.detail, status=error.status)
    return _page(
        request,
        launch,
        "quizzes/lti/deep_link_return.html",
        return_url=answer.return_url,
        jwt=answer.jwt,
    )


def _blueprint(text: str) -> dict[str, Any]:
    """``mechanism=0.5, risks=0.5`` -> {"mechanism": 0.5, "risks": 0.5}."""
    blueprint: dict[str, Any] = {}
    for part in text.split(","):
        if "=" in part:
            topic, share = part.split("=", 1)
            number = float(share)
            blueprint[topic.strip()] = (
                int(number) if number.is_integer() and number >= 1 else number
            )
    return blueprint


@require_GET
def configuration_index(request: HttpRequest) -> HttpResponse:
    context = {
        "lms_list": config_pages.LMS_LIST,
        "urls": config_pages.tool_urls(_tool_base(request)),
    }
    return render(request, "quizzes/lti/config_index.html", context)


@require_GET
def configuration(request: HttpRequest, lms: str) -> HttpResponse:
    page = config_pages.page(lms, _tool_base(request))
    if page is None:
        raise Http404("Unknown LMS")
    if request.GET.get("format") == "json" and page.json is not None:
        return JsonResponse(page.json, json_dumps_params={"indent": 2})
    return render(
        request, "quizzes/lti/config_lms.html", {"page": page, "lms_list": config_pages.LMS_LIST}
    )
