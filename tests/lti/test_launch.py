"""OIDC login and launch: the happy path end to end, then every refusal on its own."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from quizzes.lti import claims, errors
from quizzes.lti.errors import LtiErrorKind
from quizzes.models import Attempt, LtiLaunch, LtiUser, Membership, Quiz
from tests.conftest import Cast
from tests.factories import AttemptFactory
from tests.lti.conftest import ClientResponse, LtiBrowser, b64, b64_json, follow
from tests.lti.platform import ROLE_INSTRUCTOR, LoopbackPlatform, new_key

pytestmark = pytest.mark.django_db


def assert_refused(response: ClientResponse, kind: LtiErrorKind) -> None:
    assert response.status_code == kind.status, response.content.decode()[:500]
    assert response["X-LTI-Error"] == kind.code
    assert kind.code in response.text
    assert LtiLaunch.objects.count() == 0


# -- the happy path ------------------------------------------------------------------------


def test_a_learner_launch_lands_on_the_quiz_page(
    browser: LtiBrowser, platform: LoopbackPlatform, cast: Cast, quiz: Quiz
) -> None:
    response = browser.launch(custom={"quiz_id": str(quiz.pk)})
    page = follow(browser, response)
    assert page.status_code == 200
    assert quiz.title in page.text
    assert "Start the quiz" in page.text
    launch = LtiLaunch.objects.get()
    user = launch.user
    assert LtiUser.objects.get(user=user).sub == "learner-1"
    assert user.email == "ada@example.test"
    membership = Membership.objects.get(user=user, course=cast.course)
    assert membership.role == Membership.Role.LEARNER
    assert launch.resource_link is not None
    assert launch.resource_link.quiz == quiz
    # Framed by the platform only, not DENY; never cached.
    assert f"frame-ancestors 'self' {platform.url}" in page["Content-Security-Policy"]
    assert "X-Frame-Options" not in page
    assert "no-store" in page["Cache-Control"]


def test_the_session_cookie_works_in_an_iframe(browser: LtiBrowser, quiz: Quiz) -> None:
    response = browser.launch(custom={"quiz_id": str(quiz.pk)})
    session = response.cookies["sessionid"].output()
    assert "SameSite=None" in session
    assert "Secure" in session
    assert "Partitioned" in session


def test_the_state_cookie_is_partitioned_and_bound_to_the_login(
    browser: LtiBrowser, platform: LoopbackPlatform
) -> None:
    response = browser.client.post(
        "/lti/login/",
        {
            "iss": platform.issuer,
            "login_hint": "x",
            "target_link_uri": "http://testserver/lti/launch/",
        },
    )
    (cookie,) = [c for c in response.cookies.values() if c.key.startswith("lti1p3-state-")]
    text = cookie.output()
    for attribute in ("SameSite=None", "Secure", "Partitioned", "HttpOnly"):
        assert attribute in text


def test_the_launch_page_works_without_cookies(browser: LtiBrowser, quiz: Quiz) -> None:
    """Third-party cookies blocked: the launch token in the URL carries the page."""
    response = browser.launch(custom={"quiz_id": str(quiz.pk)})
    browser.client.cookies.clear()
    page = browser.client.get(response["Location"])
    assert page.status_code == 200
    assert quiz.title in page.text


def test_login_works_by_get_too(browser: LtiBrowser, platform: LoopbackPlatform) -> None:
    response = browser.client.get(
        "/lti/login/",
        {
            "iss": platform.issuer,
            "login_hint": "x",
            "target_link_uri": "http://testserver/lti/launch/",
        },
    )
    assert response.status_code == 302


def test_relaunching_reopens_the_attempt_in_progress(
    browser: LtiBrowser, other_browser: LtiBrowser, quiz: Quiz
) -> None:
    follow(browser, browser.launch(custom={"quiz_id": str(quiz.pk)}))
    learner = LtiLaunch.objects.get().user
    attempt = AttemptFactory.create(quiz=quiz, learner=learner, number=1)
    page = follow(other_browser, other_browser.launch())  # same link, mapped already
    assert page.status_code == 200
    assert f'data-attempt="{attempt.pk}"' in page.text
    assert "Resume attempt 1" in page.text
    assert LtiLaunch.objects.filter(user=learner).count() == 2


def test_an_instructor_launch_maps_to_instructor_and_can_pick_the_quiz(
    browser: LtiBrowser, cast: Cast, quiz: Quiz
) -> None:
    response = browser.launch(sub="teacher-1", roles=[ROLE_INSTRUCTOR])
    page = follow(browser, response)
    assert "Choose the quiz for this link" in page.text
    launch = LtiLaunch.objects.get()
    assert Membership.objects.get(user=launch.user, course=cast.course).role == "instructor"
    picked = browser.client.post(f"/lti/launches/{launch.token}/link/", {"quiz": quiz.pk})
    page = browser.client.get(picked["Location"])
    assert quiz.title in page.text
    assert "For instructors" in page.text


def test_a_learner_on_an_unmapped_link_gets_a_clear_page(browser: LtiBrowser) -> None:
    page = follow(browser, browser.launch())
    assert page.status_code == 404
    assert page["X-LTI-Error"] == errors.LINK_UNMAPPED.code


def test_starting_an_attempt_from_the_launch_page(browser: LtiBrowser, quiz: Quiz) -> None:
    from tests.factories import QuizQuestionFactory

    QuizQuestionFactory.create(quiz=quiz, position=1)
    Quiz.objects.filter(pk=quiz.pk).update(length=1)
    browser.launch(custom={"quiz_id": str(quiz.pk)})
    launch = LtiLaunch.objects.get()
    started = browser.client.post(f"/lti/launches/{launch.token}/start/")
    assert started.status_code == 303, started.content
    assert launch.user.attempts.filter(quiz=quiz).count() == 1


def test_an_anonymous_launch_practises_where_the_quiz_allows_guests(
    browser: LtiBrowser, quiz: Quiz
) -> None:
    Quiz.objects.filter(pk=quiz.pk).update(allow_guests=True)
    page = follow(browser, browser.launch(sub=None, custom={"quiz_id": str(quiz.pk)}))
    assert page.status_code == 200
    assert LtiLaunch.objects.get().is_guest
    assert LtiUser.objects.count() == 0


def test_an_anonymous_launch_is_refused_where_guests_are_not_allowed(
    browser: LtiBrowser, quiz: Quiz
) -> None:
    response = browser.launch(sub=None, custom={"quiz_id": str(quiz.pk)})
    assert_refused(response, errors.ANONYMOUS_REFUSED)


def test_a_quiz_of_another_institution_is_never_linked(browser: LtiBrowser, cast: Cast) -> None:
    from tests.factories import QuizFactory

    foreign = QuizFactory.create(course=cast.foreign_course, bank=cast.foreign_bank)
    page = follow(browser, browser.launch(custom={"quiz_id": str(foreign.pk)}))
    assert page["X-LTI-Error"] == errors.LINK_UNMAPPED.code


# -- refusals: the signature -----------------------------------------------------------------


def _login_and_payload(browser: LtiBrowser) -> tuple[dict[str, str], dict[str, Any]]:
    auth = browser.login()
    return auth, browser.platform.launch_claims(nonce=auth["nonce"])


def test_a_tampered_payload_is_refused(browser: LtiBrowser) -> None:
    auth, payload = _login_and_payload(browser)
    header, _, signature = browser.platform.sign(payload).split(".")
    payload[claims.ROLES] = [ROLE_INSTRUCTOR]
    forged = f"{header}.{b64_json(payload)}.{signature}"
    assert_refused(browser.post_launch(forged, auth["state"]), errors.SIGNATURE_INVALID)


def test_an_attacker_key_reusing_the_platform_kid_is_refused(browser: LtiBrowser) -> None:
    auth, payload = _login_and_payload(browser)
    forged = browser.platform.sign(payload, key=new_key(), kid=browser.platform.kid)
    assert_refused(browser.post_launch(forged, auth["state"]), errors.SIGNATURE_INVALID)


def test_alg_none_is_refused(browser: LtiBrowser) -> None:
    auth, payload = _login_and_payload(browser)
    forged = f"{b64_json({'alg': 'none', 'typ': 'JWT', 'kid': browser.platform.kid})}."
    forged += f"{b64_json(payload)}."
    assert_refused(browser.post_launch(forged, auth["state"]), errors.ALG_REFUSED)


def test_hs256_keyed_with_the_public_key_is_refused(browser: LtiBrowser) -> None:
    auth, payload = _login_and_payload(browser)
    public_pem = browser.platform.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = (
        f"{b64_json({'alg': 'HS256', 'typ': 'JWT', 'kid': browser.platform.kid})}."
        f"{b64_json(payload)}"
    )
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    forged = f"{signing_input}.{b64(signature)}"
    assert_refused(browser.post_launch(forged, auth["state"]), errors.ALG_REFUSED)


def test_an_unknown_kid_after_a_refetch_is_refused(browser: LtiBrowser) -> None:
    auth, payload = _login_and_payload(browser)
    forged = browser.platform.sign(payload, key=new_key(), kid="nobody-knows-me")
    assert_refused(browser.post_launch(forged, auth["state"]), errors.KEY_UNKNOWN)


# -- refusals: the claims --------------------------------------------------------------------


def _set(name: str, value: Any) -> Any:
    def mutate(payload: dict[str, Any]) -> None:
        payload[name] = value

    return mutate


def _drop(name: str) -> Any:
    def mutate(payload: dict[str, Any]) -> None:
        payload.pop(name, None)

    return mutate


def test_an_expired_token_is_refused(browser: LtiBrowser) -> None:
    now = int(time.time())

    def expired(payload: dict[str, Any]) -> None:
        payload.update(iat=now - 600, exp=now - 61 - 60)

    assert_refused(browser.launch(expired), errors.EXPIRED)


def test_an_expiry_within_the_leeway_is_accepted(browser: LtiBrowser, quiz: Quiz) -> None:
    now = int(time.time())

    def slightly_expired(payload: dict[str, Any]) -> None:
        payload.update(iat=now - 300, exp=now - 30)

    response = browser.launch(slightly_expired, custom={"quiz_id": str(quiz.pk)})
    assert response.status_code == 303


def test_iat_beyond_the_leeway_is_refused(browser: LtiBrowser) -> None:
    now = int(time.time())

    def future(payload: dict[str, Any]) -> None:
        payload.update(iat=now + 120, exp=now + 600)

    assert_refused(browser.launch(future), errors.IAT_FUTURE)


def test_iat_within_the_leeway_is_accepted(browser: LtiBrowser, quiz: Quiz) -> None:
    now = int(time.time())

    def skewed(payload: dict[str, Any]) -> None:
        payload.update(iat=now + 45, exp=now + 600)

    response = browser.launch(skewed, custom={"quiz_id": str(quiz.pk)})
    assert response.status_code == 303


def test_a_wrong_audience_is_refused(browser: LtiBrowser) -> None:
    assert_refused(browser.launch(_set("aud", "some-other-tool")), errors.AUDIENCE_INVALID)


def test_an_untrusted_extra_audience_without_azp_is_refused(
    browser: LtiBrowser, platform: LoopbackPlatform
) -> None:
    response = browser.launch(_set("aud", [platform.client_id, "untrusted-client"]))
    assert_refused(response, errors.AZP_MISSING)


def test_several_audiences_with_our_azp_are_accepted(
    browser: LtiBrowser, platform: LoopbackPlatform, quiz: Quiz
) -> None:
    def mutate(payload: dict[str, Any]) -> None:
        payload.update(aud=[platform.client_id, "another"], azp=platform.client_id)

    assert browser.launch(mutate, custom={"quiz_id": str(quiz.pk)}).status_code == 303


def test_an_azp_mismatch_is_refused(browser: LtiBrowser, platform: LoopbackPlatform) -> None:
    def mutate(payload: dict[str, Any]) -> None:
        payload.update(aud=[platform.client_id, "another"], azp="another")

    assert_refused(browser.launch(mutate), errors.AZP_INVALID)


def test_a_foreign_azp_with_one_audience_is_refused(browser: LtiBrowser) -> None:
    assert_refused(browser.launch(_set("azp", "another")), errors.AZP_INVALID)


def test_an_unknown_issuer_is_refused_at_launch(browser: LtiBrowser) -> None:
    assert_refused(browser.launch(_set("iss", "https://evil.example")), errors.ISSUER_UNKNOWN)


def test_an_unknown_issuer_is_refused_at_login(browser: LtiBrowser) -> None:
    response = browser.client.post(
        "/lti/login/",
        {
            "iss": "https://evil.example",
            "login_hint": "x",
            "target_link_uri": "http://testserver/lti/launch/",
        },
    )
    assert_refused(response, errors.ISSUER_UNKNOWN)


def test_a_missing_nonce_is_refused(browser: LtiBrowser) -> None:
    assert_refused(browser.launch(_drop("nonce")), errors.NONCE_MISSING)


def test_an_unknown_nonce_is_refused(browser: LtiBrowser) -> None:
    assert_refused(browser.launch(_set("nonce", "not-ours")), errors.NONCE_UNKNOWN)


def test_a_replayed_id_token_is_refused_in_the_same_browser(
    browser: LtiBrowser, quiz: Quiz
) -> None:
    auth = browser.login()
    payload = browser.platform.launch_claims(nonce=auth["nonce"], custom={"quiz_id": str(quiz.pk)})
    token = browser.platform.sign(payload)
    assert browser.post_launch(token, auth["state"]).status_code == 303
    browser.client.cookies[next(iter(browser.client.cookies))] = auth["state"]  # keep state
    replay = browser.client.post("/lti/launch/", {"id_token": token, "state": auth["state"]})
    assert replay["X-LTI-Error"] in (errors.NONCE_REPLAYED.code, errors.STATE_NOT_THIS_BROWSER.code)
    # And even with the state cookie put back, the nonce is spent.
    from quizzes.lti.oidc import state_cookie_name

    browser.client.cookies[state_cookie_name(auth["state"])] = auth["state"]
    replay = browser.post_launch(token, auth["state"])
    assert replay.status_code == errors.NONCE_REPLAYED.status
    assert replay["X-LTI-Error"] == errors.NONCE_REPLAYED.code
    assert LtiLaunch.objects.count() == 1


def test_a_replayed_id_token_is_refused_from_another_browser(
    browser: LtiBrowser, other_browser: LtiBrowser, quiz: Quiz
) -> None:
    auth = browser.login()
    payload = browser.platform.launch_claims(nonce=auth["nonce"], custom={"quiz_id": str(quiz.pk)})
    token = browser.platform.sign(payload)
    assert browser.post_launch(token, auth["state"]).status_code == 303
    # The attacker starts a login of their own, so their state cookie is valid.
    their = other_browser.login()
    replay = other_browser.post_launch(token, their["state"])
    assert replay["X-LTI-Error"] == errors.NONCE_REPLAYED.code
    assert LtiLaunch.objects.count() == 1


def test_a_stolen_unused_id_token_is_refused_from_another_browser(
    browser: LtiBrowser, other_browser: LtiBrowser
) -> None:
    auth = browser.login()
    token = browser.platform.sign(browser.platform.launch_claims(nonce=auth["nonce"]))
    their = other_browser.login()
    response = other_browser.post_launch(token, their["state"])
    assert_refused(response, errors.NONCE_MISMATCH)
    # Posting the victim's state from the attacker's browser fails the browser binding.
    response = other_browser.post_launch(token, auth["state"])
    assert_refused(response, errors.STATE_NOT_THIS_BROWSER)


def test_an_unknown_deployment_gets_a_page_an_administrator_can_act_on(
    browser: LtiBrowser, platform: LoopbackPlatform
) -> None:
    response = browser.launch(_set(claims.DEPLOYMENT_ID, "deployment-new"))
    assert_refused(response, errors.DEPLOYMENT_UNKNOWN)
    assert "deployment-new" in response.text
    assert "lti_add_platform" in response.text
    assert platform.client_id in response.text


def test_an_unknown_deployment_is_refused_at_login_too(browser: LtiBrowser) -> None:
    response = browser.client.post(
        "/lti/login/",
        {
            "iss": browser.platform.issuer,
            "login_hint": "x",
            "target_link_uri": "http://testserver/lti/launch/",
            "lti_deployment_id": "deployment-new",
        },
    )
    assert_refused(response, errors.DEPLOYMENT_UNKNOWN)


def test_a_missing_deployment_is_refused(browser: LtiBrowser) -> None:
    assert_refused(browser.launch(_drop(claims.DEPLOYMENT_ID)), errors.DEPLOYMENT_MISSING)


def test_a_wrong_version_is_refused(browser: LtiBrowser) -> None:
    assert_refused(browser.launch(_set(claims.VERSION, "1.1")), errors.VERSION_UNSUPPORTED)


def test_an_unknown_message_type_is_refused(browser: LtiBrowser) -> None:
    response = browser.launch(_set(claims.MESSAGE_TYPE, "LtiSubmissionReviewRequest"))
    assert_refused(response, errors.MESSAGE_TYPE_UNSUPPORTED)


def test_missing_roles_are_refused(browser: LtiBrowser) -> None:
    assert_refused(browser.launch(_drop(claims.ROLES)), errors.ROLES_MISSING)


def test_empty_roles_are_accepted_as_a_learner(browser: LtiBrowser, quiz: Quiz) -> None:
    response = browser.launch(roles=[], custom={"quiz_id": str(quiz.pk)})
    assert response.status_code == 303
    assert LtiLaunch.objects.get().role == Membership.Role.LEARNER


def test_a_missing_resource_link_id_is_refused(browser: LtiBrowser) -> None:
    assert_refused(
        browser.launch(_set(claims.RESOURCE_LINK, {"title": "x"})), errors.RESOURCE_LINK_MISSING
    )


def test_a_foreign_target_link_uri_is_refused(browser: LtiBrowser) -> None:
    response = browser.launch(target_link_uri="https://evil.example/lti/launch/")
    assert_refused(response, errors.TARGET_LINK_FOREIGN)


def test_a_foreign_target_link_uri_is_refused_at_login(browser: LtiBrowser) -> None:
    response = browser.client.post(
        "/lti/login/",
        {
            "iss": browser.platform.issuer,
            "login_hint": "x",
            "target_link_uri": "https://evil.example/",
        },
    )
    assert_refused(response, errors.TARGET_LINK_FOREIGN)


def test_a_missing_state_is_refused(browser: LtiBrowser) -> None:
    auth = browser.login()
    token = browser.platform.sign(browser.platform.launch_claims(nonce=auth["nonce"]))
    response = browser.client.post("/lti/launch/", {"id_token": token})
    assert_refused(response, errors.STATE_MISSING)


def test_an_unknown_state_is_refused(browser: LtiBrowser) -> None:
    from quizzes.lti.oidc import state_cookie_name

    browser.client.cookies[state_cookie_name("forged")] = "forged"
    response = browser.client.post("/lti/launch/", {"id_token": "x.y.z", "state": "forged"})
    assert_refused(response, errors.STATE_UNKNOWN)


def test_a_missing_id_token_is_refused(browser: LtiBrowser) -> None:
    auth = browser.login()
    response = browser.client.post("/lti/launch/", {"state": auth["state"]})
    assert_refused(response, errors.TOKEN_MISSING)


def test_a_launch_by_get_is_not_allowed(browser: LtiBrowser) -> None:
    assert browser.client.get("/lti/launch/").status_code == 405


@pytest.mark.parametrize("kind", errors.ALL_KINDS, ids=lambda kind: kind.code)
def test_every_error_code_is_documented(kind: LtiErrorKind) -> None:
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[2] / "docs" / "lti.md").read_text()
    assert kind.code in docs


def test_error_pages_are_json_free_and_name_the_code(browser: LtiBrowser) -> None:
    response = browser.launch(_set(claims.VERSION, "1.1"))
    assert response["Content-Type"].startswith("text/html")
    assert json.dumps(errors.VERSION_UNSUPPORTED.code).strip('"') in response.text
    assert jwt.__name__  # PyJWT imported for the forged tokens above
    assert Attempt.objects.count() == 0
