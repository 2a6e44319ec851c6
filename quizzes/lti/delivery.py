"""Score delivery from the grade outbox (the durable queue).

A row is due when pending and its ``next_try_at`` has passed. A worker leases the due rows
(``next_try_at`` pushed ahead, row locks skipped on PostgreSQL) so two workers never send
the same row, then sends each: delivered; retried with exponential backoff while the LMS
is down or answers 5xx/429; failed on another 4xx (shown to instructors); skipped when the
learner has no LTI route or a newer score of the same grade supersedes it."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from quizzes.lti.ags import NoLineItem, score_post
from quizzes.lti.conf import lti_setting
from quizzes.lti.services_http import ServiceRefused, ServiceUnavailable
from quizzes.models import GradeOutbox, LtiLaunch, LtiResourceLink, LtiUser

logger = logging.getLogger(__name__)

SKIP_NO_LTI = "The learner did not arrive through an LTI link of this quiz."
SKIP_SUPERSEDED = "Superseded by a newer score of the same grade."
SKIP_NO_LINEITEM = "The platform offers no grade column (AGS) for this link: "
FAILED_GAVE_UP = "Gave up after the retry window; last error: "


@dataclass
class DeliveryReport:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.delivered} delivered, {self.retrying} to retry, {self.failed} failed, "
            f"{self.skipped} skipped"
        )


def backoff(tries: int) -> timedelta:
    base = int(lti_setting("LTI_DELIVERY_BACKOFF_BASE_SECONDS"))
    ceiling = int(lti_setting("LTI_DELIVERY_BACKOFF_MAX_SECONDS"))
    return timedelta(seconds=min(ceiling, base * 2 ** max(0, tries - 1)))


def _due(now: datetime) -> Q:
    return Q(status=GradeOutbox.Status.PENDING) & (
        Q(next_try_at__isnull=True) | Q(next_try_at__lte=now)
    )


def _lease(now: datetime, limit: int) -> list[int]:
    lease_until = now + timedelta(seconds=int(lti_setting("LTI_DELIVERY_LEASE_SECONDS")))
    with transaction.atomic():
        ids = list(
            GradeOutbox.objects.select_for_update(skip_locked=True)
            .filter(_due(now))
            .order_by("timestamp", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        GradeOutbox.objects.filter(pk__in=ids).update(next_try_at=lease_until)
    return ids


def _route(row: GradeOutbox) -> tuple[LtiResourceLink, str] | None:
    """The link and platform user id to deliver this grade to: the link the learner last
    launched for this quiz, else any link of the quiz on a platform that knows them."""
    grade = row.grade
    launch = (
        LtiLaunch.objects.filter(
            user_id=grade.learner_id, resource_link__quiz_id=grade.quiz_id, is_guest=False
        )
        .select_related("resource_link", "resource_link__platform", "resource_link__context")
        .order_by("-created_at")
        .first()
    )
    links = [launch.resource_link] if launch and launch.resource_link else []
    links += list(
        LtiResourceLink.objects.filter(quiz_id=grade.quiz_id)
        .select_related("platform", "context")
        .order_by("-pk")
    )
    for link in links:
        identity = LtiUser.objects.filter(platform=link.platform, user_id=grade.learner_id).first()
        if identity is not None:
            return link, identity.sub
    return None


def _finish(row: GradeOutbox, **changes: object) -> None:
    GradeOutbox.objects.filter(pk=row.pk).update(**changes)


def _deliver_one(row: GradeOutbox, now: datetime, report: DeliveryReport) -> None:
    superseded = (
        GradeOutbox.objects.filter(grade_id=row.grade_id)
        .filter(
            Q(timestamp__gt=row.timestamp) | Q(timestamp=row.timestamp, pk__gt=row.pk),
            status__in=[GradeOutbox.Status.PENDING, GradeOutbox.Status.DELIVERED],
        )
        .exists()
    )
    if superseded:
        _finish(row, status=GradeOutbox.Status.SKIPPED, last_error=SKIP_SUPERSEDED)
        report.skipped += 1
        return
    route = _route(row)
    if route is None:
        _finish(row, status=GradeOutbox.Status.SKIPPED, last_error=SKIP_NO_LTI)
        report.skipped += 1
        return
    link, user_id = route
    tries = row.tries + 1
    try:
        score_post(
            link=link,
            user_id=user_id,
            score_given=row.score_given,
            score_maximum=row.score_maximum,
            activity_progress=row.activity_progress,
            grading_progress=row.grading_progress,
            timestamp=row.timestamp,
        )
    except NoLineItem as error:
        _finish(
            row,
            status=GradeOutbox.Status.SKIPPED,
            tries=tries,
            last_error=SKIP_NO_LINEITEM + str(error),
        )
        report.skipped += 1
    except ServiceRefused as error:
        _finish(row, status=GradeOutbox.Status.FAILED, tries=tries, last_error=str(error)[:2000])
        report.failed += 1
        report.errors.append(str(error))
    except ServiceUnavailable as error:
        give_up = timedelta(seconds=int(lti_setting("LTI_DELIVERY_GIVE_UP_SECONDS")))
        if row.created_at + give_up <= now:
            _finish(
                row,
                status=GradeOutbox.Status.FAILED,
                tries=tries,
                last_error=(FAILED_GAVE_UP + str(error))[:2000],
            )
            report.failed += 1
            return
        wait = backoff(tries)
        if error.retry_after is not None:
            wait = max(wait, timedelta(seconds=error.retry_after))
        _finish(row, tries=tries, next_try_at=now + wait, last_error=str(error)[:2000])
        report.retrying += 1
        logger.info("score %s: retry in %s (%s)", row.pk, wait, error)
    else:
        _finish(
            row,
            status=GradeOutbox.Status.DELIVERED,
            tries=tries,
            delivered_at=timezone.now(),
            last_error="",
        )
        report.delivered += 1


def scores_deliver_due(*, limit: int | None = None) -> DeliveryReport:
    """Deliver every due outbox row (one worker cycle)."""
    report = DeliveryReport()
    now = timezone.now()
    ids = _lease(now, limit or int(lti_setting("LTI_DELIVERY_BATCH")))
    rows = (
        GradeOutbox.objects.filter(pk__in=ids).select_related("grade").order_by("timestamp", "pk")
    )
    for row in rows:
        try:
            _deliver_one(row, now, report)
        except Exception as error:  # one bad row must not stop the others
            logger.exception("score %s: delivery crashed", row.pk)
            _finish(
                row,
                tries=row.tries + 1,
                next_try_at=now + backoff(row.tries + 1),
                last_error=f"internal error: {error}"[:2000],
            )
            report.retrying += 1
    return report


def scores_retry(*, ids: list[int]) -> int:
    """Put failed rows back in the queue (an instructor fixed the LMS side)."""
    return GradeOutbox.objects.filter(pk__in=ids, status=GradeOutbox.Status.FAILED).update(
        status=GradeOutbox.Status.PENDING, next_try_at=None
    )
