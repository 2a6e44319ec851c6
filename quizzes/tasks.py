"""Background work, run by Django's task framework (django-tasks-db's ``db_worker``).

Score delivery reads the grade outbox, which is the durable queue: a task only says "look
now"; ``manage.py lti_deliver_scores --loop`` sweeps it periodically for retries."""

from __future__ import annotations

from typing import Any

from django.tasks import task


@task
def deliver_scores() -> dict[str, Any]:
    from quizzes.lti.delivery import scores_deliver_due

    report = scores_deliver_due()
    return {
        "delivered": report.delivered,
        "retrying": report.retrying,
        "failed": report.failed,
        "skipped": report.skipped,
    }
