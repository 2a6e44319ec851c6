"""Deep linking round trip, roster sync (NRPS), keys and rotation on either side,
commands, admin scoping and configuration pages."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from io import StringIO
from typing import Any

import jwt
import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from quizzes.lti import claims
from quizzes.lti.keys import published_jwks, signing_key, tool_key_rotate
from quizzes.lti.nrps import next_link, roster_sync
from quizzes.lti.tokens import client_assertion
from quizzes.models import (
    LtiContext,
    LtiDeployment,
    LtiLaunch,
    LtiPlatform,
    LtiUser,
    Membership,
    Quiz,
)
from tests.conftest import Cast
from tests.lti.conftest import LtiBrowser, follow
from tests.lti.platform import ROLE_INSTRUCTOR, ROLE_LEARNER, LoopbackPlatform, Member

pytestmark = pytest.mark.django_db


# -- deep linking --------------------------------------------------------------------------


def _deep_link_response(platform: LoopbackPlatform, page_text: str) -> dict[str, Any]:
    action = unescape(re.search(r'action="([^"]+)"', page_text).group(1))  # type: ignore[union-attr]
    token = unescape(re.search(r'name="JWT" value="([^"]+)"', page_text).group(1))  # type: ignore[union-attr]
    assert action == platform.url + "/deep-link-return"
    return platform.verify_tool_jwt(token, audience=platform.issuer)


def test_deep_linking_round_trip_then_a_learner_launches_the_link(
    browser: LtiBrowser, other_browser: LtiBrowser, platform: LoopbackPlatform, quiz: Quiz
) -> None:
    page = follow(browser, browser.launch(deep_linking=True))
    assert quiz.title in page.text
    token = LtiLaunch.objects.get().token
    answer = browser.client.post(f"/lti/launches/{token}/deep-link/", {"quiz": quiz.pk})
    assert answer.status_code == 200
    payload = _deep_link_response(platform, answer.text)
    assert payload["iss"] == platform.client_id
    assert payload["aud"] == platform.issuer
    assert payload[claims.MESSAGE_TYPE] == "LtiDeepLinkingResponse"
    assert payload[claims.VERSION] == "1.3.0"
    assert payload[claims.DEPLOYMENT_ID] == platform.deployment_id
    assert payload[claims.DL_DATA] == "opaque-data-42"
    assert payload["nonce"]
    (item,) = payload[claims.DL_CONTENT_ITEMS]
    assert item["type"] == "ltiResourceLink"
    assert item["url"] == "http://testserver/lti/launch/"
    assert item["custom"] == {"quiz_id": str(quiz.pk)}
    assert item["lineItem"]["scoreMaximum"] == 100
    assert item["lineItem"]["resourceId"] == f"quiz-{quiz.pk}"
    assert f"{platform.url}" in answer["Content-Security-Policy"].split("form-action")[1]
    # The platform creates the link with the custom claim: a learner lands on the quiz.
    learner_page = follow(
        other_browser,
        other_browser.launch(resource_link_id="link-new", custom=item["custom"]),
    )
    assert quiz.title in learner_page.text


def test_deep_linking_creates_a_quiz_from_a_bank(
    browser: LtiBrowser, platform: LoopbackPlatform, cast: Cast
) -> None:
    follow(browser, browser.launch(deep_linking=True))
    token = LtiLaunch.objects.get().token
    answer = browser.client.post(
        f"/lti/launches/{token}/deep-link/",
        {"title": "New practice", "bank": cast.bank.pk, "mode": "practice", "blueprint": ""},
    )
    assert answer.status_code == 200, answer.content
    created = Quiz.objects.get(title="New practice")
    assert created.course == cast.course
    item = _deep_link_response(platform, answer.text)[claims.DL_CONTENT_ITEMS][0]
    assert item["custom"] == {"quiz_id": str(created.pk)}


def test_learners_cannot_deep_link(browser: LtiBrowser, platform: LoopbackPlatform) -> None:
    def as_learner(payload: dict[str, Any]) -> None:
        payload[claims.ROLES] = [ROLE_LEARNER]

    response = browser.launch(as_learner, deep_linking=True)
    assert response.status_code == 403
    assert response["X-LTI-Error"] == "lti_not_instructor"


def test_a_foreign_bank_cannot_be_used(browser: LtiBrowser, cast: Cast) -> None:
    follow(browser, browser.launch(deep_linking=True))
    token = LtiLaunch.objects.get().token
    answer = browser.client.post(
        f"/lti/launches/{token}/deep-link/",
        {"title": "x", "bank": cast.foreign_bank.pk, "mode": "practice"},
    )
    assert answer.status_code == 404
    assert not Quiz.objects.filter(title="x").exists()


# -- roster sync -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (['<https://lms/m?p=2>; rel="next"'], "https://lms/m?p=2"),
        (["<https://lms/m?p=2>; rel=next"], "https://lms/m?p=2"),
        (['<https://lms/m?p=1>; rel="first", <https://lms/m?p=3>; rel=next'], "https://lms/m?p=3"),
        (['<https://lms/m?a=1,2>; rel="prev next"'], "https://lms/m?a=1,2"),
        (
            ['<https://lms/m?p=1>; rel="first"', "<https://lms/m?p=2>; REL=NEXT"],
            "https://lms/m?p=2",
        ),
        (['<https://lms/m?p=1>; rel="first"'], None),
        ([], None),
    ],
)
def test_next_links_are_found_quoted_or_not(headers: list[str], expected: str | None) -> None:
    assert next_link(headers) == expected


def test_roster_sync_pages_maps_roles_and_marks_leavers_inactive(
    browser: LtiBrowser, platform: LoopbackPlatform, cast: Cast, quiz: Quiz
) -> None:
    browser.launch(custom={"quiz_id": str(quiz.pk)})  # learner-1 arrives and gets a membership
    context = LtiContext.objects.get()
    platform.members = [
        Member("teacher-1", [ROLE_INSTRUCTOR], "Tess Teacher", "tess@example.test"),
        Member("learner-2", [ROLE_LEARNER], "Lee Learner"),
        Member("learner-3", [ROLE_LEARNER], "Lou Learner"),
        Member("learner-4", [ROLE_LEARNER], "Gone Soon", status="Inactive"),
        Member("learner-5", [ROLE_LEARNER], "Max Member"),
    ]
    platform.page_size = 2  # three pages: rel=next unquoted, then quoted
    report = roster_sync(context=context)
    assert report.pages == 3
    assert report.active == 4
    assert report.deactivated == 1  # learner-1 is no longer on the roster
    active = Membership.objects.filter(course=cast.course, is_active=True)
    roles = {
        identity.sub: membership.role
        for membership in active
        for identity in LtiUser.objects.filter(user=membership.user)
    }
    assert roles == {
        "teacher-1": "instructor",
        "learner-2": "learner",
        "learner-3": "learner",
        "learner-5": "learner",
    }
    # Memberships made outside LTI are left alone.
    assert Membership.objects.get(user=cast.alice, course=cast.course).is_active
    assert LtiContext.objects.get().roster_synced_at is not None


def test_roster_sync_from_the_instructor_page(
    browser: LtiBrowser, platform: LoopbackPlatform, quiz: Quiz
) -> None:
    platform.members = [Member("learner-9", [ROLE_LEARNER])]
    response = browser.launch(
        sub="teacher-1", roles=[ROLE_INSTRUCTOR], custom={"quiz_id": str(quiz.pk)}
    )
    page = follow(browser, response)
    assert "Sync the roster" in page.text
    token = LtiLaunch.objects.get().token
    synced = browser.client.post(f"/lti/launches/{token}/roster/")
    assert "Roster synced: 1 page(s), 1 active" in synced.text


def test_learners_cannot_sync_the_roster(browser: LtiBrowser, quiz: Quiz) -> None:
    browser.launch(custom={"quiz_id": str(quiz.pk)})
    token = LtiLaunch.objects.get().token
    assert browser.client.post(f"/lti/launches/{token}/roster/").status_code == 403


# -- keys ------------------------------------------------------------------------------------


def test_the_jwks_publishes_rsa_2048_public_keys_only(registration: LtiPlatform) -> None:
    response = Client().get("/lti/jwks/")
    assert response.status_code == 200
    assert "max-age" in response["Cache-Control"]
    (key,) = response.json()["keys"]
    assert key["kty"] == "RSA"
    assert key["alg"] == "RS256"
    assert key["use"] == "sig"
    assert key["kid"]
    assert "d" not in key
    assert "p" not in key
    assert signing_key().private_key.key_size >= 2048


def test_tool_key_rotation_keeps_the_old_key_published(
    browser: LtiBrowser, platform: LoopbackPlatform, quiz: Quiz
) -> None:
    old = signing_key().kid
    old_assertion = client_assertion(LtiPlatform.objects.get())
    new = tool_key_rotate()
    # Published at once, signing only after our JWKS cache time.
    assert {k["kid"] for k in published_jwks()["keys"]} == {old, new.kid}
    assert signing_key().kid == old
    later = timezone.now() + timedelta(seconds=301)
    from unittest import mock

    with mock.patch("django.utils.timezone.now", return_value=later):
        assert signing_key().kid == new.kid
        assert {k["kid"] for k in published_jwks()["keys"]} == {old, new.kid}
    # The platform refreshes our JWKS and verifies tokens signed by either key.
    platform.tool_jwks = Client().get("/lti/jwks/").json()
    platform.verify_tool_jwt(old_assertion, audience=platform.token_url)
    call_command("lti_rotate_keys", "--now", stdout=StringIO())
    platform.tool_jwks = Client().get("/lti/jwks/").json()
    assert len(platform.tool_jwks["keys"]) == 3
    token = client_assertion(LtiPlatform.objects.get())
    assert jwt.get_unverified_header(token)["kid"] not in (old, new.kid)
    platform.verify_tool_jwt(token, audience=platform.token_url)
    platform.verify_tool_jwt(old_assertion, audience=platform.token_url)
    # Once every token it signed has expired, a retired key leaves the JWKS.
    much_later = timezone.now() + timedelta(hours=3)
    with mock.patch("django.utils.timezone.now", return_value=much_later):
        assert old not in {k["kid"] for k in published_jwks()["keys"]}


def test_small_keys_are_refused() -> None:
    from quizzes.exceptions import ValidationFailed

    with pytest.raises(ValidationFailed, match="2048"):
        tool_key_rotate(bits=1024)


def test_a_key_from_the_environment_signs(settings: Any, registration: LtiPlatform) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    settings.QUIZZES = {**settings.QUIZZES, "LTI_PRIVATE_KEY": pem}
    kid = signing_key().kid
    assert kid in {k["kid"] for k in published_jwks()["keys"]}


def test_platform_key_rotation_is_picked_up_by_one_refetch(
    browser: LtiBrowser, platform: LoopbackPlatform, quiz: Quiz, settings: Any
) -> None:
    settings.QUIZZES = {**settings.QUIZZES, "LTI_JWKS_MIN_REFETCH_SECONDS": 0}
    assert browser.launch(custom={"quiz_id": str(quiz.pk)}).status_code == 303
    assert platform.jwks_requests == 1
    # Cached per HTTP caching: the next launch does not fetch.
    assert browser.launch().status_code == 303
    assert platform.jwks_requests == 1
    platform.rotate_key()
    assert browser.launch().status_code == 303
    assert platform.jwks_requests == 2


def test_an_expired_jwks_cache_is_revalidated_with_its_etag(
    browser: LtiBrowser, platform: LoopbackPlatform, quiz: Quiz
) -> None:
    browser.launch(custom={"quiz_id": str(quiz.pk)})
    registered = LtiPlatform.objects.get()
    assert registered.jwks_etag
    LtiPlatform.objects.update(jwks_expires_at=timezone.now() - timedelta(seconds=1))
    assert browser.launch().status_code == 303
    assert platform.jwks_requests == 2
    assert LtiPlatform.objects.get().jwks_expires_at > timezone.now()  # type: ignore[operator]


# -- commands, admin, configuration ------------------------------------------------------------


def test_lti_add_platform_registers_and_is_idempotent(cast: Cast) -> None:
    args = [
        "lti_add_platform",
        "--institution", "one",
        "--issuer", "https://canvas.instructure.com",
        "--client-id", "10000000000001",
        "--deployment-id", "1:abc",
        "--auth-login-url", "https://sso.canvaslms.com/api/lti/authorize_redirect",
        "--auth-token-url", "https://sso.canvaslms.com/login/oauth2/token",
        "--keyset-url", "https://sso.canvaslms.com/api/lti/security/jwks",
    ]  # fmt: skip
    call_command(*args, stdout=StringIO())
    call_command(
        *args[:-2],
        "--keyset-url",
        args[-1],
        "--deployment-id",
        "2:def",
        stdout=StringIO(),
    )
    registered = LtiPlatform.objects.get()
    assert registered.institution == cast.institution
    assert set(LtiDeployment.objects.values_list("deployment_id", flat=True)) == {"1:abc", "2:def"}


def test_lti_add_platform_refuses_an_unknown_institution(db: None) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No institution"):
        call_command(
            "lti_add_platform", "--institution", "nope", "--issuer", "i", "--client-id", "c",
            "--auth-login-url", "https://a", "--auth-token-url", "https://t",
            "--keyset-url", "https://k",
        )  # fmt: skip


def test_an_instructor_sees_only_their_institutions_platforms(
    cast: Cast, registration: LtiPlatform
) -> None:
    from quizzes.lti.platforms import platform_register

    foreign = platform_register(
        institution=cast.other_institution,
        issuer="https://foreign.example",
        client_id="foreign-client",
        auth_login_url="https://foreign.example/auth",
        auth_token_url="https://foreign.example/token",
        keyset_url="https://foreign.example/jwks",
        deployment_ids=["f-1"],
    )
    bob, dave = Client(), Client()
    bob.force_login(cast.bob)
    dave.force_login(cast.dave)
    page = bob.get("/admin/quizzes/ltiplatform/")
    assert page.status_code == 200
    assert registration.issuer in page.text
    assert "foreign.example" not in page.text
    assert bob.get(f"/admin/quizzes/ltiplatform/{foreign.pk}/change/").status_code == 302
    assert registration.issuer not in dave.get("/admin/quizzes/ltiplatform/").text
    learner = Client()
    learner.force_login(cast.alice)
    assert learner.get("/admin/quizzes/ltiplatform/").status_code == 302


def test_score_deliveries_are_listed_for_the_instructor(cast: Cast) -> None:
    bob = Client()
    bob.force_login(cast.bob)
    assert bob.get("/admin/quizzes/ltiscoredelivery/").status_code == 200


@pytest.mark.parametrize("lms", ["canvas", "moodle", "blackboard", "d2l", "openedx"])
def test_a_configuration_page_per_lms(db: None, lms: str) -> None:
    page = Client().get(f"/lti/config/{lms}/")
    assert page.status_code == 200
    for url in ("/lti/login/", "/lti/launch/", "/lti/jwks/"):
        assert f"http://testserver{url}" in page.text


def test_the_canvas_json_is_pasteable(db: None) -> None:
    config = Client().get("/lti/config/canvas/?format=json").json()
    assert config["oidc_initiation_url"] == "http://testserver/lti/login/"
    assert config["target_link_uri"] == "http://testserver/lti/launch/"
    assert config["public_jwk_url"] == "http://testserver/lti/jwks/"
    assert claims.SCOPE_SCORE in config["scopes"]
    placements = config["extensions"][0]["settings"]["placements"]
    assert {p["message_type"] for p in placements} == {"LtiDeepLinkingRequest"}


def test_an_unknown_lms_has_no_page(db: None) -> None:
    assert Client().get("/lti/config/nope/").status_code == 404
