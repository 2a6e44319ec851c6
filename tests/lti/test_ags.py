"""Score delivery from the grade outbox to the platform (AGS), with retries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from quizzes.lti.ags import score_timestamp
from quizzes.lti.delivery import SKIP_NO_LTI, SKIP_SUPERSEDED, scores_deliver_due
from quizzes.models import Attempt, Grade, GradeOutbox, LtiLaunch, LtiResourceLink, Quiz
from tests.conftest import Cast
from tests.factories import GradeFactory, GradeOutboxFactory
from tests.lti.conftest import LtiBrowser
from tests.lti.platform import LoopbackPlatform

pytestmark = pytest.mark.django_db


def launched_learner(browser: LtiBrowser, quiz: Quiz) -> LtiLaunch:
    response = browser.launch(custom={"quiz_id": str(quiz.pk)})
    assert response.status_code == 303
    return LtiLaunch.objects.get()


def outbox_row(launch: LtiLaunch, quiz: Quiz, score: float = 80.0, **fields: object) -> GradeOutbox:
    grade = Grade.objects.filter(quiz=quiz, learner=launch.user).first()
    if grade is None:
        grade = GradeFactory.create(quiz=quiz, learner=launch.user, percent=score)
    return GradeOutboxFactory.create(grade=grade, score_given=score, **fields)


def refreshed(row: GradeOutbox) -> GradeOutbox:
    row.refresh_from_db()
    return row


def test_a_score_reaches_the_platform_and_reads_back(
    browser: LtiBrowser, platform: LoopbackPlatform, quiz: Quiz
) -> None:
    launch = launched_learner(browser, quiz)
    row = outbox_row(launch, quiz, 72.5)
    report = scores_deliver_due()
    assert report.delivered == 1
    row = refreshed(row)
    assert row.status == GradeOutbox.Status.DELIVERED
    assert row.delivered_at is not None
    # A line item was created for the quiz, and the gradebook holds the score.
    (lineitem,) = platform.lineitems.values()
    assert lineitem["resourceId"] == f"quiz-{quiz.pk}"
    assert lineitem["resourceLinkId"] == "link-1"
    result = platform.results(lineitem["id"])["learner-1"]
    assert result["scoreGiven"] == 72.5
    assert result["scoreMaximum"] == 100.0
    assert result["activityProgress"] == "Completed"
    assert result["gradingProgress"] == "FullyGraded"
    assert result["timestamp"] == score_timestamp(row.timestamp)
    assert set(result) == {
        "userId",
        "scoreGiven",
        "scoreMaximum",
        "activityProgress",
        "gradingProgress",
        "timestamp",
    }
    # The line item is remembered: the next score reuses it.
    assert LtiResourceLink.objects.get().lineitem_url == lineitem["id"]


def test_the_timestamp_has_sub_second_precision_and_an_offset() -> None:
    moment = timezone.now().replace(microsecond=0)
    assert score_timestamp(moment).endswith(".000000+00:00")


def test_the_line_item_from_the_launch_is_used(
    browser: LtiBrowser, platform: LoopbackPlatform, quiz: Quiz
) -> None:
    item_id = f"{platform.lineitems_url}/given"
    platform.lineitems[item_id] = {"id": item_id, "label": "Given", "scoreMaximum": 100}
    browser.launch(custom={"quiz_id": str(quiz.pk)}, lineitem=item_id)
    launch = LtiLaunch.objects.get()
    outbox_row(launch, quiz)
    assert scores_deliver_due().delivered == 1
    assert "learner-1" in platform.results(item_id)
    assert len(platform.lineitems) == 1


def test_an_existing_line_item_is_found_not_duplicated(
    browser: LtiBrowser, platform: LoopbackPlatform, quiz: Quiz
) -> None:
    item_id = f"{platform.lineitems_url}/existing"
    platform.lineitems[item_id] = {
        "id": item_id,
        "label": quiz.title,
        "scoreMaximum": 100,
        "resourceId": f"quiz-{quiz.pk}",
        "resourceLinkId": "link-1",
    }
    launch = launched_learner(browser, quiz)
    outbox_row(launch, quiz)
    assert scores_deliver_due().delivered == 1
    assert list(platform.lineitems) == [item_id]


def test_access_tokens_are_cached_and_assertions_are_unique(
    browser: LtiBrowser, platform: LoopbackPlatform, quiz: Quiz
) -> None:
    launch = launched_learner(browser, quiz)
    outbox_row(launch, quiz, 50)
    scores_deliver_due()
    first = platform.token_requests
    outbox_row(launch, quiz, 60)
    assert scores_deliver_due().delivered == 1
    assert platform.token_requests == first  # cached: no new token
    assert len(platform.used_jtis) == platform.token_requests  # the platform saw unique jtis


def test_a_401_gets_one_fresh_token_and_a_retry(
    browser: LtiBrowser, platform: LoopbackPlatform, quiz: Quiz
) -> None:
    launch = launched_learner(browser, quiz)
    outbox_row(launch, quiz, 40)
    scores_deliver_due()
    tokens_before = platform.token_requests
    platform.tokens.clear()  # the platform revokes every token
    outbox_row(launch, quiz, 45)
    report = scores_deliver_due()
    assert report.delivered == 1
    assert platform.token_requests == tokens_before + 1


def test_a_platform_that_is_down_receives_the_score_once_it_is_back(
    browser: LtiBrowser, platform: LoopbackPlatform, quiz: Quiz
) -> None:
    launch = launched_learner(browser, quiz)
    row = outbox_row(launch, quiz, 91)
    platform.down = True
    for tries in (1, 2, 3):
        report = scores_deliver_due()
        assert report.retrying == 1
        row = refreshed(row)
        assert row.status == GradeOutbox.Status.PENDING
        assert row.tries == tries
        assert row.next_try_at is not None
        assert row.next_try_at > timezone.now()
        assert "503" in row.last_error
        assert scores_deliver_due().retrying == 0  # not due yet: backoff
        GradeOutbox.objects.filter(pk=row.pk).update(next_try_at=timezone.now())
    platform.down = False
    assert scores_deliver_due().delivered == 1
    assert refreshed(row).status == GradeOutbox.Status.DELIVERED
    (lineitem,) = platform.lineitems
    assert platform.results(lineitem)["learner-1"]["scoreGiven"] == 91


def test_nothing_is_lost_when_the_lms_is_down_for_a_day(
    browser: LtiBrowser, platform: LoopbackPlatform, quiz: Quiz
) -> None:
    launch = launched_learner(browser, quiz)
    row = outbox_row(launch, quiz, 66)
    GradeOutbox.objects.filter(pk=row.pk).update(created_at=timezone.now() - timedelta(days=1))
    platform.down = True
    scores_deliver_due()
    assert refreshed(row).status == GradeOutbox.Status.PENDING
    platform.down = False
    GradeOutbox.objects.filter(pk=row.pk).update(next_try_at=timezone.now())
    assert scores_deliver_due().delivered == 1


def test_429_and_an_unreachable_lms_are_retried(
    browser: LtiBrowser, platform: LoopbackPlatform, quiz: Quiz
) -> None:
    launch = launched_learner(browser, quiz)
    row = outbox_row(launch, quiz)
    platform.fail_statuses = [429]
    assert scores_deliver_due().retrying == 1
    GradeOutbox.objects.filter(pk=row.pk).update(next_try_at=timezone.now())
    platform.stop()  # connection refused
    assert scores_deliver_due().retrying == 1
    assert refreshed(row).status == GradeOutbox.Status.PENDING
    platform.start()


def test_a_permanent_refusal_is_recorded_and_shown_to_the_instructor(
    browser: LtiBrowser, platform: LoopbackPlatform, quiz: Quiz, cast: Cast
) -> None:
    launch = launched_learner(browser, quiz)
    row = outbox_row(launch, quiz)
    scores_deliver_due()  # creates the line item and delivers
    assert refreshed(row).status == GradeOutbox.Status.DELIVERED
    row2 = outbox_row(launch, quiz, 85.0)
    (lineitem,) = list(platform.lineitems)
    del platform.lineitems[lineitem]  # the instructor deleted the grade column
    report = scores_deliver_due()
    assert report.failed == 1
    row2 = refreshed(row2)
    assert row2.status == GradeOutbox.Status.FAILED
    assert "404" in row2.last_error
    # The instructor's launch page lists it.
    from tests.lti.platform import ROLE_INSTRUCTOR

    browser.client.cookies.clear()
    response = browser.launch(sub="teacher-1", roles=[ROLE_INSTRUCTOR])
    page = browser.client.get(response["Location"])
    assert "Scores the LMS refused" in page.text
    assert "404" in page.text


def test_never_an_older_score_over_a_newer_one(
    browser: LtiBrowser, platform: LoopbackPlatform, quiz: Quiz
) -> None:
    launch = launched_learner(browser, quiz)
    now = timezone.now()
    grade = GradeFactory.create(quiz=quiz, learner=launch.user)
    newer = GradeOutboxFactory.create(grade=grade, score_given=90, timestamp=now)
    older = GradeOutboxFactory.create(
        grade=grade, score_given=30, timestamp=now - timedelta(seconds=5)
    )
    scores_deliver_due()
    assert refreshed(newer).status == GradeOutbox.Status.DELIVERED
    assert refreshed(older).status == GradeOutbox.Status.SKIPPED
    assert refreshed(older).last_error == SKIP_SUPERSEDED
    (lineitem,) = platform.lineitems
    assert platform.results(lineitem)["learner-1"]["scoreGiven"] == 90
    # A late older row after the newer one was delivered is skipped too.
    late = GradeOutboxFactory.create(
        grade=grade, score_given=10, timestamp=now - timedelta(seconds=1)
    )
    scores_deliver_due()
    assert refreshed(late).status == GradeOutbox.Status.SKIPPED
    assert platform.results(lineitem)["learner-1"]["scoreGiven"] == 90


def test_rows_of_learners_without_lti_are_skipped_with_a_reason(cast: Cast, quiz: Quiz) -> None:
    grade = GradeFactory.create(quiz=quiz, learner=cast.alice)
    row = GradeOutboxFactory.create(grade=grade)
    report = scores_deliver_due()
    assert report.skipped == 1
    row = refreshed(row)
    assert row.status == GradeOutbox.Status.SKIPPED
    assert row.last_error == SKIP_NO_LTI


def test_the_sweep_command_delivers_due_rows(
    browser: LtiBrowser, platform: LoopbackPlatform, quiz: Quiz
) -> None:
    launch = launched_learner(browser, quiz)
    row = outbox_row(launch, quiz)
    call_command("lti_deliver_scores")
    assert refreshed(row).status == GradeOutbox.Status.DELIVERED


def test_a_new_outbox_row_enqueues_delivery_on_commit(
    browser: LtiBrowser,
    platform: LoopbackPlatform,
    quiz: Quiz,
    django_capture_on_commit_callbacks: object,
) -> None:
    from django_tasks_db.models import DBTaskResult

    launch = launched_learner(browser, quiz)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        row = outbox_row(launch, quiz)
    task = DBTaskResult.objects.get()
    assert task.task_path == "quizzes.tasks.deliver_scores"
    # One worker cycle runs the task: it delivers the row. (The worker command itself
    # closes database connections, which a test transaction cannot survive on PostgreSQL.)
    from quizzes.tasks import deliver_scores

    assert deliver_scores.call()["delivered"] == 1
    assert refreshed(row).status == GradeOutbox.Status.DELIVERED


def test_end_to_end_launch_attempt_finish_and_the_score_reaches_the_lms(
    browser: LtiBrowser, platform: LoopbackPlatform, cast: Cast, quiz: Quiz
) -> None:
    """Launch -> start from the launch page -> finish -> one worker cycle -> gradebook."""
    from quizzes.services.attempts import attempt_finish
    from tests.factories import QuizQuestionFactory

    QuizQuestionFactory.create(quiz=quiz, position=1)
    Quiz.objects.filter(pk=quiz.pk).update(length=1)
    response = browser.launch(custom={"quiz_id": str(quiz.pk)})
    token = LtiLaunch.objects.get().token
    started = browser.client.post(f"/lti/launches/{token}/start/")
    assert started.status_code == 303, started.content.decode()[:500]
    page = browser.client.get(response["Location"])
    attempt = Attempt.objects.get(quiz=quiz)
    assert f'data-attempt="{attempt.pk}"' in page.text  # the page links to the attempt
    attempt_finish(attempt=attempt)
    row = GradeOutbox.objects.get(grade__quiz=quiz, grade__learner=attempt.learner)
    assert scores_deliver_due().delivered == 1
    assert refreshed(row).status == GradeOutbox.Status.DELIVERED
    (lineitem,) = platform.lineitems
    assert platform.results(lineitem)["learner-1"]["scoreGiven"] == row.score_given
