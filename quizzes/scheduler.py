"""The scheduler behind ``manage.py scheduler``: enqueues the periodic tasks of
quizzes/tasks.py at their intervals and prunes old LTI login states.

- deliver_scores, every LTI_SCORE_SWEEP_SECONDS (30 s): the grade outbox sweep;
- sync_rosters, every LTI_ROSTER_CHECK_SECONDS (15 min): NRPS sync of the rosters last
  synced over LTI_ROSTER_SYNC_SECONDS (6 h) ago;
- calibrate_banks, every CALIBRATION_INTERVAL_SECONDS (24 h): banks with new responses;
- prune_login_states, hourly, inline (no task): logins that expired a day ago.

The tasks decide themselves what is due (outbox rows, rosters, banks), so the schedule
lives in memory: a restarted scheduler (or ``--once``) enqueues each job at once, which
costs one cheap check. A task still waiting in the queue is not enqueued again, so a
worker that is down for a day finds one sweep waiting, not thousands. A job that fails
(the queue's database is down) is tried again after FAILURE_RETRY_SECONDS.

It replaces ``lti_deliver_scores --loop`` (which still works) in ``make run``."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.tasks import TaskResultStatus
from django.tasks.exceptions import TaskException
from django.utils import timezone

from quizzes.conf import calibration_interval_seconds
from quizzes.lti.conf import lti_setting

logger = logging.getLogger(__name__)

FAILURE_RETRY_SECONDS = 30.0
PRUNE_SECONDS = 3600.0


def calibration_interval() -> float:
    """CALIBRATION_INTERVAL_SECONDS (quizzes/conf.py, default 24 h)."""
    return float(calibration_interval_seconds())


class Enqueue:
    """Enqueue a task unless its previous enqueue is still waiting in the queue."""

    def __init__(self, task: Any) -> None:
        self.task = task
        self.waiting: Any = None

    def __call__(self) -> str:
        if self.waiting is not None:
            try:
                self.waiting.refresh()
            except (NotImplementedError, TaskException):
                self.waiting = None  # a backend that cannot tell: enqueue anyway
            if self.waiting is not None and self.waiting.status == TaskResultStatus.READY:
                return "still queued"
        self.waiting = self.task.enqueue()
        return "enqueued"


@dataclass
class Job:
    name: str
    interval_seconds: float
    run: Callable[[], object]


@dataclass
class PassReport:
    ran: dict[str, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)

    def summary(self) -> str:
        parts = [f"{name}: {outcome}" for name, outcome in self.ran.items()]
        parts += [f"{name} FAILED: {error}" for name, error in self.failed.items()]
        return "; ".join(parts) or "nothing due"


class Scheduler:
    def __init__(
        self, jobs: Iterable[Job], *, clock: Callable[[], datetime] = timezone.now
    ) -> None:
        self.jobs = list(jobs)
        self.clock = clock
        self.next_at: dict[str, datetime] = {}

    def due(self, now: datetime) -> list[Job]:
        return [job for job in self.jobs if now >= self.next_at.get(job.name, now)]

    def run_pending(self, now: datetime | None = None) -> PassReport:
        """Run every due job once; each failure is reported and retried later, the other
        jobs still run."""
        now = now or self.clock()
        report = PassReport()
        for job in self.due(now):
            try:
                outcome = job.run()
            except Exception as error:  # the queue may be down: retry, keep the others going
                logger.exception("Scheduled job %s failed", job.name)
                report.failed[job.name] = f"{type(error).__name__}: {error}"
                retry = min(job.interval_seconds, FAILURE_RETRY_SECONDS)
                self.next_at[job.name] = now + timedelta(seconds=retry)
                continue
            report.ran[job.name] = str(outcome)
            self.next_at[job.name] = now + timedelta(seconds=job.interval_seconds)
        return report

    def seconds_until_next(self, now: datetime) -> float:
        waits = [
            (self.next_at[job.name] - now).total_seconds() if job.name in self.next_at else 0.0
            for job in self.jobs
        ]
        return max(0.0, min(waits, default=0.0))

    def run_forever(
        self,
        *,
        sleep: Callable[[float], None] = time.sleep,
        on_pass: Callable[[PassReport], None] = lambda report: None,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> None:
        while not should_stop():
            on_pass(self.run_pending())
            # At least a second between passes: a clock that goes backwards cannot spin.
            sleep(max(1.0, self.seconds_until_next(self.clock())))


def default_jobs() -> list[Job]:
    from quizzes import tasks
    from quizzes.lti.oidc import login_states_prune

    def prune() -> str:
        return f"{login_states_prune()} pruned"

    return [
        Job(
            "deliver_scores",
            float(lti_setting("LTI_SCORE_SWEEP_SECONDS")),
            Enqueue(tasks.deliver_scores),
        ),
        Job(
            "sync_rosters",
            float(lti_setting("LTI_ROSTER_CHECK_SECONDS")),
            Enqueue(tasks.sync_rosters),
        ),
        Job("calibrate_banks", calibration_interval(), Enqueue(tasks.calibrate_banks)),
        Job("prune_login_states", PRUNE_SECONDS, prune),
    ]
