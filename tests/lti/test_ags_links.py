"""One quiz placed in several LMS courses: a score goes to every link the learner launched
from, with per-link outcomes so that a retry re-sends only what is not delivered yet."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.contrib import admin
from django.test import Client
from django.utils import timezone

from quizzes.lti.admin import LtiScoreDeliveryAdmin
from quizzes.lti.delivery import (
    LINK_DELIVERED,
    LINK_FAILED,
    LINK_RETRYING,
    LINK_SKIPPED,
    SKIP_SUPERSEDED,
    link_label,
    scores_deliver_due,
    scores_retry,
)
from quizzes.lti.keys import published_jwks
from quizzes.lti.platforms import platform_register
from quizzes.models import (
    GradeOutbox,
    LtiLaunch,
    LtiPlatform,
    LtiResourceLink,
    LtiScoreDelivery,
    LtiUser,
    Quiz,
)
from tests.conftest import Cast
from tests.factories import GradeFactory, GradeOutboxFactory
from tests.lti.conftest import LtiBrowser
from tests.lti.platform import ROLE_INSTRUCTOR, LoopbackPlatform

pytestmark = pytest.mark.django_db

# The learner's user id on the second platform differs from the first's ("learner-1").
MOODLE_SUB = "ada-on-moodle"


@pytest.fixture
def moodle(registration: LtiPlatform) -> Iterator[LoopbackPlatform]:
    """A second LMS of the institution, with a course of its own."""
    running = LoopbackPlatform(client_id="tool-client-2", context_id="ctx-2").start()
    running.tool_jwks = published_jwks()  # the registration fixture made the tool key
    yield running
    running.stop()


@pytest.fixture
def moodle_registration(cast: Cast, moodle: LoopbackPlatform) -> LtiPlatform:
    return platform_register(
        institution=cast.institution,
        issuer=moodle.issuer,
        client_id=moodle.client_id,
        auth_login_url=moodle.auth_login_url,
        auth_token_url=moodle.token_url,
        keyset_url=moodle.keyset_url,
        deployment_ids=[moodle.deployment_id],
        name="Moodle",
    )


@pytest.fixture
def moodle_browser(moodle: LoopbackPlatform, moodle_registration: LtiPlatform) -> LtiBrowser:
    return LtiBrowser(platform=moodle, client=Client())


def launch(browser: LtiBrowser, quiz: Quiz, **claims: Any) -> LtiLaunch:
    response = browser.launch(custom={"quiz_id": str(quiz.pk)}, **claims)
    assert response.status_code == 303, response.content.decode()[:500]
    return LtiLaunch.objects.latest("pk")


def link_moodle_identity(launch: LtiLaunch, registration: LtiPlatform) -> None:
    """The same person on the second platform (an administrator linked the accounts)."""
    LtiUser.objects.create(platform=registration, sub=MOODLE_SUB, user=launch.user)


def launched_from_both(
    browser: LtiBrowser, moodle_browser: LtiBrowser, moodle_registration: LtiPlatform, quiz: Quiz
) -> LtiLaunch:
    canvas_launch = launch(browser, quiz)
    link_moodle_identity(canvas_launch, moodle_registration)
    moodle_launch = launch(moodle_browser, quiz, sub=MOODLE_SUB, resource_link_id="link-2")
    assert moodle_launch.user == canvas_launch.user
    return canvas_launch


def outbox_row(launch: LtiLaunch, quiz: Quiz, score: float = 80.0, **fields: object) -> GradeOutbox:
    grade = GradeFactory.create(quiz=quiz, learner=launch.user, percent=score)
    return GradeOutboxFactory.create(grade=grade, score_given=score, **fields)


def refreshed(row: GradeOutbox) -> GradeOutbox:
    row.refresh_from_db()
    return row


def links(quiz: Quiz) -> tuple[LtiResourceLink, LtiResourceLink]:
    canvas = LtiResourceLink.objects.get(quiz=quiz, resource_link_id="link-1")
    moodle = LtiResourceLink.objects.get(quiz=quiz, resource_link_id="link-2")
    return canvas, moodle


def statuses(row: GradeOutbox) -> dict[str, str]:
    return {key: result["status"] for key, result in refreshed(row).link_results.items()}


def score_posts(platform: LoopbackPlatform) -> int:
    return sum(1 for line in platform.log if "POST " in line and "/scores " in line)


def result_of(platform: LoopbackPlatform, user_id: str) -> dict[str, object]:
    (lineitem,) = platform.lineitems
    return platform.results(lineitem)[user_id]


def make_due(row: GradeOutbox) -> None:
    GradeOutbox.objects.filter(pk=row.pk).update(next_try_at=timezone.now())


def test_the_score_reaches_every_link_the_learner_launched_from_in_one_cycle(
    browser: LtiBrowser,
    platform: LoopbackPlatform,
    moodle_browser: LtiBrowser,
    moodle: LoopbackPlatform,
    moodle_registration: LtiPlatform,
    quiz: Quiz,
) -> None:
    learner_launch = launched_from_both(browser, moodle_browser, moodle_registration, quiz)
    row = outbox_row(learner_launch, quiz, 77.5)
    report = scores_deliver_due()
    assert (report.delivered, report.retrying, report.failed) == (1, 0, 0)
    row = refreshed(row)
    assert row.status == GradeOutbox.Status.DELIVERED
    assert row.delivered_at is not None
    assert row.last_error == ""
    # Each gradebook holds the score under the learner's id on that platform.
    assert result_of(platform, "learner-1")["scoreGiven"] == 77.5
    assert result_of(moodle, MOODLE_SUB)["scoreGiven"] == 77.5
    canvas, moodle_link = links(quiz)
    assert statuses(row) == {str(canvas.pk): LINK_DELIVERED, str(moodle_link.pk): LINK_DELIVERED}
    assert row.link_results[str(moodle_link.pk)]["link"] == link_label(moodle_link)
    assert "Moodle" in link_label(moodle_link)


def test_a_platform_that_is_down_gets_the_score_later_and_the_other_is_not_sent_again(
    browser: LtiBrowser,
    platform: LoopbackPlatform,
    moodle_browser: LtiBrowser,
    moodle: LoopbackPlatform,
    moodle_registration: LtiPlatform,
    quiz: Quiz,
) -> None:
    learner_launch = launched_from_both(browser, moodle_browser, moodle_registration, quiz)
    canvas, moodle_link = links(quiz)
    row = outbox_row(learner_launch, quiz, 64.0)
    moodle.down = True
    report = scores_deliver_due()
    assert (report.delivered, report.retrying) == (0, 1)
    row = refreshed(row)
    assert row.status == GradeOutbox.Status.PENDING
    assert row.next_try_at is not None
    assert row.next_try_at > timezone.now()
    assert statuses(row) == {str(canvas.pk): LINK_DELIVERED, str(moodle_link.pk): LINK_RETRYING}
    assert link_label(moodle_link) in row.last_error
    assert "503" in row.last_error
    assert link_label(canvas) not in row.last_error
    # Delivered to the platform that is up at once.
    assert result_of(platform, "learner-1")["scoreGiven"] == 64.0
    assert score_posts(platform) == 1
    assert scores_deliver_due().retrying == 0  # backoff: not due yet
    make_due(row)
    assert scores_deliver_due().retrying == 1  # still down
    assert refreshed(row).tries == 2
    moodle.down = False
    make_due(row)
    assert scores_deliver_due().delivered == 1
    row = refreshed(row)
    assert row.status == GradeOutbox.Status.DELIVERED
    assert row.last_error == ""
    assert result_of(moodle, MOODLE_SUB)["scoreGiven"] == 64.0
    assert statuses(row) == {str(canvas.pk): LINK_DELIVERED, str(moodle_link.pk): LINK_DELIVERED}
    assert score_posts(platform) == 1  # the delivered link was never sent again
    assert score_posts(moodle) == 1


def test_a_refusing_platform_fails_the_row_naming_its_link_and_the_retry_sends_only_it(
    browser: LtiBrowser,
    platform: LoopbackPlatform,
    moodle_browser: LtiBrowser,
    moodle: LoopbackPlatform,
    moodle_registration: LtiPlatform,
    quiz: Quiz,
    cast: Cast,
) -> None:
    learner_launch = launched_from_both(browser, moodle_browser, moodle_registration, quiz)
    canvas, moodle_link = links(quiz)
    row = outbox_row(learner_launch, quiz, 58.0)
    moodle.score_status = 400
    report = scores_deliver_due()
    assert (report.delivered, report.failed) == (0, 1)
    row = refreshed(row)
    assert row.status == GradeOutbox.Status.FAILED
    assert row.last_error.startswith(link_label(moodle_link) + ": ")
    assert "400" in row.last_error
    assert link_label(canvas) not in row.last_error
    assert statuses(row) == {str(canvas.pk): LINK_DELIVERED, str(moodle_link.pk): LINK_FAILED}
    assert result_of(platform, "learner-1")["scoreGiven"] == 58.0
    # Instructors see the per-link state: in the admin and on the launch page.
    shown = LtiScoreDeliveryAdmin(LtiScoreDelivery, admin.site).per_link(
        LtiScoreDelivery.objects.get(pk=row.pk)
    )
    assert f"{link_label(canvas)}: <strong>delivered</strong>" in shown
    assert f"{link_label(moodle_link)}: <strong>failed</strong>" in shown
    teacher = Client()
    response = LtiBrowser(platform=platform, client=teacher).launch(
        sub="teacher-1", roles=[ROLE_INSTRUCTOR]
    )
    page = teacher.get(response["Location"])
    assert 'data-link-status="failed"' in page.text
    assert 'data-link-status="delivered"' in page.text
    # The LMS side is fixed; the instructor sends again: only the refused link gets it.
    moodle.score_status = None
    assert scores_retry(ids=[row.pk]) == 1
    assert statuses(row) == {str(canvas.pk): LINK_DELIVERED}
    assert scores_deliver_due().delivered == 1
    assert refreshed(row).status == GradeOutbox.Status.DELIVERED
    assert result_of(moodle, MOODLE_SUB)["scoreGiven"] == 58.0
    assert score_posts(platform) == 1
    assert score_posts(moodle) == 2  # refused once, then accepted


def test_the_row_waits_for_a_down_link_before_failing_for_a_refusing_one(
    browser: LtiBrowser,
    platform: LoopbackPlatform,
    moodle_browser: LtiBrowser,
    moodle: LoopbackPlatform,
    moodle_registration: LtiPlatform,
    quiz: Quiz,
) -> None:
    learner_launch = launched_from_both(browser, moodle_browser, moodle_registration, quiz)
    canvas, moodle_link = links(quiz)
    row = outbox_row(learner_launch, quiz)
    platform.down = True
    moodle.score_status = 403
    assert scores_deliver_due().retrying == 1
    row = refreshed(row)
    assert row.status == GradeOutbox.Status.PENDING
    assert statuses(row) == {str(canvas.pk): LINK_RETRYING, str(moodle_link.pk): LINK_FAILED}
    assert link_label(canvas) in row.last_error
    assert link_label(moodle_link) in row.last_error
    platform.down = False
    make_due(row)
    assert scores_deliver_due().failed == 1
    row = refreshed(row)
    assert row.status == GradeOutbox.Status.FAILED
    assert statuses(row) == {str(canvas.pk): LINK_DELIVERED, str(moodle_link.pk): LINK_FAILED}
    assert link_label(moodle_link) in row.last_error
    assert "403" in row.last_error
    assert link_label(canvas) not in row.last_error
    assert score_posts(moodle) == 1  # a refused link is not re-sent until an instructor asks


def test_only_the_links_the_learner_launched_from_receive_the_score(
    browser: LtiBrowser,
    platform: LoopbackPlatform,
    moodle_browser: LtiBrowser,
    moodle: LoopbackPlatform,
    moodle_registration: LtiPlatform,
    quiz: Quiz,
) -> None:
    learner_launch = launch(browser, quiz)
    link_moodle_identity(learner_launch, moodle_registration)
    # The quiz is placed in the Moodle course too; an instructor opened it, not the learner.
    launch(
        moodle_browser, quiz, sub="teacher-2", roles=[ROLE_INSTRUCTOR], resource_link_id="link-2"
    )
    canvas, _ = links(quiz)
    row = outbox_row(learner_launch, quiz, 88.0)
    assert scores_deliver_due().delivered == 1
    assert statuses(row) == {str(canvas.pk): LINK_DELIVERED}
    assert result_of(platform, "learner-1")["scoreGiven"] == 88.0
    assert score_posts(moodle) == 0
    assert moodle.lineitems == {}


def test_a_learner_who_never_launched_gets_the_first_link_on_a_platform_that_knows_them(
    browser: LtiBrowser, platform: LoopbackPlatform, registration: LtiPlatform, quiz: Quiz
) -> None:
    """As before: a roster-synced learner's score goes to a link of the quiz."""
    launch(browser, quiz, sub="teacher-1", roles=[ROLE_INSTRUCTOR])  # creates the link
    grade = GradeFactory.create(quiz=quiz, percent=70.0)
    LtiUser.objects.create(platform=registration, sub="roster-7", user=grade.learner)
    row = GradeOutboxFactory.create(grade=grade, score_given=70.0)
    assert scores_deliver_due().delivered == 1
    (link,) = LtiResourceLink.objects.filter(quiz=quiz)
    assert statuses(row) == {str(link.pk): LINK_DELIVERED}
    assert result_of(platform, "roster-7")["scoreGiven"] == 70.0


def test_an_older_score_never_reaches_a_link_that_has_a_newer_one(
    browser: LtiBrowser,
    platform: LoopbackPlatform,
    moodle_browser: LtiBrowser,
    moodle: LoopbackPlatform,
    moodle_registration: LtiPlatform,
    quiz: Quiz,
) -> None:
    """A newer row that failed on one link still supersedes the older on the links it
    reached."""
    learner_launch = launched_from_both(browser, moodle_browser, moodle_registration, quiz)
    canvas, moodle_link = links(quiz)
    now = timezone.now()
    newer = outbox_row(
        learner_launch,
        quiz,
        90.0,
        timestamp=now,
        status=GradeOutbox.Status.FAILED,
        link_results={
            str(canvas.pk): {"status": LINK_DELIVERED, "error": "", "at": now.isoformat()},
            str(moodle_link.pk): {"status": LINK_FAILED, "error": "400", "at": now.isoformat()},
        },
    )
    older = GradeOutboxFactory.create(
        grade=newer.grade, score_given=40.0, timestamp=now - timedelta(seconds=5)
    )
    assert scores_deliver_due().delivered == 1
    assert statuses(older) == {str(canvas.pk): LINK_SKIPPED, str(moodle_link.pk): LINK_DELIVERED}
    assert refreshed(older).link_results[str(canvas.pk)]["error"] == SKIP_SUPERSEDED
    assert score_posts(platform) == 0
    assert result_of(moodle, MOODLE_SUB)["scoreGiven"] == 40.0
