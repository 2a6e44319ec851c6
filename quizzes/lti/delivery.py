"""Score delivery from the grade outbox (the durable queue).

A row is due when pending and its ``next_try_at`` has passed. A worker leases the due rows
(``next_try_at`` pushed ahead, row locks skipped on PostgreSQL) so two workers never send
the same row, then sends it to every LMS placement of the quiz the learner launched from
(each with the learner's ``sub`` on that platform), recording the outcome per link in
``link_results``: a link that is down or answers 5xx/429 is retried with exponential
backoff, and only the links not delivered yet are sent again; another 4xx fails that link
(shown to instructors). The row is delivered when every link is, failed when a link
refused and none is left to retry, and skipped when the learner has no LTI route or a
newer score of the same grade supersedes it."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from quizzes.lti.ags import NoLineItem, score_post
from quizzes.lti.conf import lti_setting
from quizzes.lti.services_http import ServiceRefused, ServiceUnavailable
from quizzes.models import GradeOutbox, LtiLaunch, LtiResourceLink, LtiUser, Quiz

logger = logging.getLogger(__name__)

SKIP_NO_LTI = "The learner did not arrive through an LTI link of this quiz."
SKIP_SUPERSEDED = "Superseded by a newer score of the same grade."
SKIP_NO_LINEITEM = "The platform offers no grade column (AGS) for this link: "
FAILED_GAVE_UP = "Gave up after the retry window; last error: "

# The outcome of one row on one link (GradeOutbox.link_results[<link pk>]["status"]).
LINK_DELIVERED = "delivered"
LINK_FAILED = "failed"
LINK_RETRYING = "retrying"
LINK_SKIPPED = "skipped"
# Outcomes a worker cycle does not send again: delivered and skipped are final, failed
# waits for an instructor's retry (scores_retry).
LINK_SETTLED = {LINK_DELIVERED, LINK_SKIPPED, LINK_FAILED}


@dataclass
class DeliveryReport:
    """Counts of outbox rows by the outcome of this cycle."""

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


@dataclass(frozen=True)
class Route:
    """One placement to deliver a row to: the link and the learner's ``sub`` there."""

    link: LtiResourceLink
    user_id: str


def link_label(link: LtiResourceLink) -> str:
    """How instructors recognise a placement: platform, LMS course and link id."""
    course = link.context.title if link.context is not None else "no course"
    return f"{link.platform} / {course} / link {link.resource_link_id}"


def _routes(row: GradeOutbox) -> list[Route]:
    """Every link of this quiz the learner launched from (non-guest), in link order, each
    with their ``sub`` on its platform; when they launched from none, the first link of
    the quiz on a platform that knows them; else nothing."""
    grade = row.grade
    subs = dict(LtiUser.objects.filter(user_id=grade.learner_id).values_list("platform_id", "sub"))
    if not subs:
        return []
    links = LtiResourceLink.objects.filter(
        quiz_id=grade.quiz_id, platform_id__in=list(subs)
    ).select_related("platform", "context", "quiz")
    launched = links.filter(
        pk__in=LtiLaunch.objects.filter(
            user_id=grade.learner_id, resource_link__quiz_id=grade.quiz_id, is_guest=False
        ).values("resource_link_id")
    ).order_by("pk")
    routes = [Route(link, subs[link.platform_id]) for link in launched]
    if routes:
        return routes
    fallback = links.order_by("-pk").first()
    return [Route(fallback, subs[fallback.platform_id])] if fallback is not None else []


def _finish(row: GradeOutbox, **changes: object) -> None:
    GradeOutbox.objects.filter(pk=row.pk).update(**changes)


def _superseded(row: GradeOutbox) -> tuple[bool, set[str]]:
    """Whether a newer row of the grade is pending or delivered (this row is then not
    sent at all), and the links a newer row delivered to already (never an older score
    over a newer one, also when that newer row failed on another link)."""
    newer = GradeOutbox.objects.filter(grade_id=row.grade_id).filter(
        Q(timestamp__gt=row.timestamp) | Q(timestamp=row.timestamp, pk__gt=row.pk)
    )
    whole = False
    links: set[str] = set()
    for status, results in newer.values_list("status", "link_results"):
        if status in (GradeOutbox.Status.PENDING, GradeOutbox.Status.DELIVERED):
            whole = True
        for key, result in (results or {}).items():
            if isinstance(result, dict) and result.get("status") == LINK_DELIVERED:
                links.add(key)
    return whole, links


def _send(row: GradeOutbox, route: Route) -> tuple[str, str, int | None]:
    """Post the row's score to one link: (link status, error, Retry-After seconds)."""
    try:
        score_post(
            link=route.link,
            user_id=route.user_id,
            score_given=row.score_given,
            score_maximum=row.score_maximum,
            activity_progress=row.activity_progress,
            grading_progress=row.grading_progress,
            timestamp=row.timestamp,
        )
    except NoLineItem as error:
        return LINK_SKIPPED, SKIP_NO_LINEITEM + str(error), None
    except ServiceRefused as error:
        return LINK_FAILED, str(error), None
    except ServiceUnavailable as error:
        return LINK_RETRYING, str(error), error.retry_after
    return LINK_DELIVERED, "", None


def _errors(results: list[tuple[Route, dict[str, Any]]], status: str) -> str:
    return "; ".join(
        f"{link_label(route.link)}: {result.get('error', '')}"
        for route, result in results
        if result.get("status") == status
    )


def _deliver_one(row: GradeOutbox, now: datetime, report: DeliveryReport) -> None:
    whole, delivered_by_newer = _superseded(row)
    if whole:
        _finish(row, status=GradeOutbox.Status.SKIPPED, last_error=SKIP_SUPERSEDED)
        report.skipped += 1
        return
    routes = _routes(row)
    if not routes:
        _finish(row, status=GradeOutbox.Status.SKIPPED, last_error=SKIP_NO_LTI)
        report.skipped += 1
        return
    tries = row.tries + 1
    give_up = timedelta(seconds=int(lti_setting("LTI_DELIVERY_GIVE_UP_SECONDS")))
    gave_up = row.created_at + give_up <= now
    results: dict[str, Any] = dict(row.link_results or {})
    retry_after: int | None = None
    for route in routes:
        key = str(route.link.pk)
        if results.get(key, {}).get("status") in LINK_SETTLED:
            continue
        if key in delivered_by_newer:
            status, error = LINK_SKIPPED, SKIP_SUPERSEDED
        else:
            status, error, wait_hint = _send(row, route)
            if status == LINK_RETRYING and gave_up:
                status, error = LINK_FAILED, FAILED_GAVE_UP + error
            elif wait_hint is not None:
                retry_after = max(retry_after or 0, wait_hint)
        results[key] = {
            "status": status,
            "error": error[:1000],
            "at": timezone.now().isoformat(),
            "link": link_label(route.link),
        }
        # Kept link by link: a crash later in this cycle re-sends none of these.
        _finish(row, link_results=results)
    outcomes = [(route, results[str(route.link.pk)]) for route in routes]
    statuses = {result["status"] for _, result in outcomes}
    if LINK_RETRYING in statuses:
        wait = backoff(tries)
        if retry_after is not None:
            wait = max(wait, timedelta(seconds=retry_after))
        last_error = "; ".join(
            text
            for text in (_errors(outcomes, LINK_RETRYING), _errors(outcomes, LINK_FAILED))
            if text
        )
        _finish(row, tries=tries, next_try_at=now + wait, last_error=last_error[:2000])
        report.retrying += 1
        logger.info("score %s: retry in %s (%s)", row.pk, wait, last_error)
    elif LINK_FAILED in statuses:
        last_error = _errors(outcomes, LINK_FAILED)
        _finish(row, status=GradeOutbox.Status.FAILED, tries=tries, last_error=last_error[:2000])
        report.failed += 1
        report.errors.append(last_error)
    elif LINK_DELIVERED in statuses:
        _finish(
            row,
            status=GradeOutbox.Status.DELIVERED,
            tries=tries,
            delivered_at=timezone.now(),
            last_error="",
        )
        report.delivered += 1
    else:  # every link skipped: no grade column anywhere, or newer scores there already
        _finish(
            row,
            status=GradeOutbox.Status.SKIPPED,
            tries=tries,
            last_error=_errors(outcomes, LINK_SKIPPED)[:2000],
        )
        report.skipped += 1


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


def failed_deliveries(quiz: Quiz) -> QuerySet[GradeOutbox]:
    """The quiz's scores an LMS refused for good (shown to instructors, who may retry)."""
    return GradeOutbox.objects.filter(grade__quiz=quiz, status=GradeOutbox.Status.FAILED)


def scores_retry(*, ids: list[int]) -> int:
    """Put failed rows back in the queue (an instructor fixed the LMS side): only the
    links not delivered (nor skipped) are sent again."""
    count = 0
    with transaction.atomic():
        rows = GradeOutbox.objects.select_for_update().filter(
            pk__in=ids, status=GradeOutbox.Status.FAILED
        )
        for pk, results in rows.values_list("pk", "link_results"):
            kept = {
                key: result
                for key, result in (results or {}).items()
                if isinstance(result, dict)
                and result.get("status") in (LINK_DELIVERED, LINK_SKIPPED)
            }
            GradeOutbox.objects.filter(pk=pk).update(
                status=GradeOutbox.Status.PENDING, next_try_at=None, link_results=kept
            )
            count += 1
    return count
