"""Scheduled roster sync (rosters_sync_due) and the scheduler's due logic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from quizzes.lti.nrps import rosters_due, rosters_sync_due
from quizzes.models import LtiContext, LtiLoginState, LtiPlatform, Membership
from quizzes.scheduler import (
    FAILURE_RETRY_SECONDS,
    Enqueue,
    Job,
    Scheduler,
    calibration_interval,
    default_jobs,
)
from quizzes.tasks import deliver_scores, sync_rosters
from tests.conftest import Cast
from tests.lti.platform import ROLE_LEARNER, LoopbackPlatform, Member

pytestmark = pytest.mark.django_db

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def contexts(
    cast: Cast, platform: LoopbackPlatform, registration: LtiPlatform
) -> dict[str, LtiContext]:
    platform.members = [
        Member("learner-7", [ROLE_LEARNER], name="Grace", email="grace@example.test"),
        Member("learner-8", [ROLE_LEARNER], name="Linus"),
        Member("learner-9", [ROLE_LEARNER], name="Barbara"),
    ]
    now = timezone.now()
    make = LtiContext.objects.create
    return {
        # Never synced, and its roster URL answers 404: a failure that must not stop the rest.
        "broken": make(
            platform=registration,
            context_id="broken",
            course=cast.other_course,
            memberships_url=platform.url + "/contexts/broken/nowhere",
        ),
        "due": make(
            platform=registration,
            context_id=platform.context_id,
            course=cast.course,
            memberships_url=platform.memberships_url,
            roster_synced_at=now - timedelta(hours=7),
        ),
        "fresh": make(
            platform=registration,
            context_id="fresh",
            course=cast.course,
            memberships_url=platform.memberships_url,
            roster_synced_at=now - timedelta(hours=1),
        ),
        "no_nrps": make(platform=registration, context_id="no-nrps", course=cast.course),
    }


def test_rosters_due_are_the_stale_ones_with_a_roster_service(
    contexts: dict[str, LtiContext], registration: LtiPlatform
) -> None:
    now = timezone.now()
    assert [c.context_id for c in rosters_due(now)] == ["broken", contexts["due"].context_id]
    # Six hours on, the fresh one is due as well; a platform switched off never is.
    later = now + timedelta(hours=6)
    assert {c.pk for c in rosters_due(later)} == {
        contexts["broken"].pk,
        contexts["due"].pk,
        contexts["fresh"].pk,
    }
    LtiPlatform.objects.filter(pk=registration.pk).update(is_active=False)
    assert rosters_due(later) == []


def test_rosters_sync_due_syncs_each_due_roster_and_records_failures(
    contexts: dict[str, LtiContext], cast: Cast, settings: Any
) -> None:
    before = timezone.now()
    reports = rosters_sync_due()
    assert len(reports) == 2
    broken, due = reports
    assert "broken" in broken.context
    assert "404" in broken.error
    assert "failed" in broken.summary()
    assert due.error == ""
    assert (due.pages, due.active) == (2, 3)
    contexts["due"].refresh_from_db()
    assert contexts["due"].roster_synced_at is not None
    assert contexts["due"].roster_synced_at >= before
    learners = Membership.objects.filter(
        course=cast.course, role=Membership.Role.LEARNER, user__lti_identities__isnull=False
    )
    assert learners.count() == 3
    # The failed one stays due (tried again at the next check); the synced one does not.
    contexts["broken"].refresh_from_db()
    assert contexts["broken"].roster_synced_at is None
    assert [c.context_id for c in rosters_due()] == ["broken"]
    # A shorter LTI_ROSTER_SYNC_SECONDS makes the fresh one due at once.
    settings.QUIZZES = {**settings.QUIZZES, "LTI_ROSTER_SYNC_SECONDS": 60}
    assert "fresh" in {c.context_id for c in rosters_due()}


def test_a_platform_that_is_down_is_reported_and_the_others_still_sync(
    contexts: dict[str, LtiContext], platform: LoopbackPlatform
) -> None:
    platform.fail_statuses = [503]  # the token request of the first context
    reports = rosters_sync_due()
    assert [bool(report.error) for report in reports] == [True, False]
    assert "503" in reports[0].error


# -- the scheduler -------------------------------------------------------------------------


class Counter:
    def __init__(self, fail: int = 0) -> None:
        self.calls = 0
        self.fail = fail

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.fail:
            raise RuntimeError("queue down")
        return "ok"


def test_jobs_run_at_their_intervals() -> None:
    fast, slow = Counter(), Counter()
    scheduler = Scheduler([Job("fast", 30, fast), Job("slow", 3600, slow)], clock=lambda: T0)
    assert set(scheduler.run_pending(T0).ran) == {"fast", "slow"}  # everything at start
    assert scheduler.run_pending(T0 + timedelta(seconds=10)).ran == {}
    assert scheduler.seconds_until_next(T0 + timedelta(seconds=10)) == 20
    assert list(scheduler.run_pending(T0 + timedelta(seconds=30)).ran) == ["fast"]
    assert list(scheduler.run_pending(T0 + timedelta(seconds=61)).ran) == ["fast"]
    assert set(scheduler.run_pending(T0 + timedelta(hours=1)).ran) == {"fast", "slow"}
    assert (fast.calls, slow.calls) == (4, 2)


def test_a_failing_job_is_retried_soon_and_does_not_stop_the_others() -> None:
    broken, fine = Counter(fail=1), Counter()
    scheduler = Scheduler([Job("broken", 3600, broken), Job("fine", 3600, fine)])
    report = scheduler.run_pending(T0)
    assert "queue down" in report.failed["broken"]
    assert list(report.ran) == ["fine"]
    assert "broken FAILED" in report.summary()
    assert scheduler.run_pending(T0 + timedelta(seconds=FAILURE_RETRY_SECONDS - 1)).ran == {}
    again = scheduler.run_pending(T0 + timedelta(seconds=FAILURE_RETRY_SECONDS))
    assert list(again.ran) == ["broken"]
    assert (broken.calls, fine.calls) == (2, 1)


def test_run_forever_sleeps_until_the_next_due_job() -> None:
    now = [T0]
    sleeps: list[float] = []
    job = Counter()

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += timedelta(seconds=seconds)

    scheduler = Scheduler([Job("sweep", 30, job)], clock=lambda: now[0])
    scheduler.run_forever(sleep=sleep, should_stop=lambda: len(sleeps) >= 3)
    assert sleeps == [30, 30, 30]
    assert job.calls == 3


def test_a_task_still_queued_is_not_enqueued_again() -> None:
    enqueue = Enqueue(deliver_scores)
    assert enqueue() == "enqueued"
    assert enqueue() == "still queued"
    assert DBTaskResult.objects.count() == 1
    DBTaskResult.objects.update(status="SUCCESSFUL", finished_at=timezone.now())
    assert enqueue() == "enqueued"
    assert DBTaskResult.objects.count() == 2


def test_the_default_jobs_follow_the_settings(settings: Any) -> None:
    intervals = {job.name: job.interval_seconds for job in default_jobs()}
    assert intervals == {
        "deliver_scores": 30,
        "sync_rosters": 900,
        "calibrate_banks": 24 * 3600,
        "prune_login_states": 3600,
    }
    settings.QUIZZES = {
        **settings.QUIZZES,
        "LTI_SCORE_SWEEP_SECONDS": 5,
        "LTI_ROSTER_CHECK_SECONDS": 60,
        "CALIBRATION_INTERVAL_SECONDS": 600,
    }
    intervals = {job.name: job.interval_seconds for job in default_jobs()}
    assert (intervals["deliver_scores"], intervals["sync_rosters"]) == (5, 60)
    assert calibration_interval() == intervals["calibrate_banks"] == 600


def test_scheduler_once_enqueues_every_task_and_prunes_old_logins(
    registration: LtiPlatform,
) -> None:
    long_ago = timezone.now() - timedelta(days=3)
    LtiLoginState.objects.create(
        platform=registration,
        state="old",
        nonce="old",
        target_link_uri="http://testserver/lti/launch/",
        created_at=long_ago,
        expires_at=long_ago + timedelta(minutes=10),
    )
    out = StringIO()
    call_command("scheduler", "--once", stdout=out)
    paths = sorted(DBTaskResult.objects.values_list("task_path", flat=True))
    assert paths == [
        "quizzes.tasks.calibrate_banks",
        "quizzes.tasks.deliver_scores",
        "quizzes.tasks.sync_rosters",
    ]
    assert not LtiLoginState.objects.filter(state="old").exists()
    assert "prune_login_states: 1 pruned" in out.getvalue()


def test_scheduler_once_fails_loudly_when_the_queue_is_down(monkeypatch: Any) -> None:
    def down(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database is down")

    monkeypatch.setattr(type(sync_rosters), "enqueue", down)
    with pytest.raises(CommandError, match="database is down"):
        call_command("scheduler", "--once", stdout=StringIO())


def test_the_sweep_command_still_works(registration: LtiPlatform) -> None:
    out = StringIO()
    call_command("lti_deliver_scores", "-v", "2", stdout=out)
    assert "delivered" in out.getvalue()
