"""Background work, run by Django's task framework (django-tasks-db's ``db_worker``).

Score delivery reads the grade outbox, which is the durable queue: a task only says "look
now". ``manage.py scheduler`` enqueues the periodic ones (score sweep, roster sync,
calibration) at their intervals (docs/configuration.md)."""

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


@task
def calibrate_banks() -> dict[str, Any]:
    """Calibrate every bank that has new responses since its last calibration run."""
    from quizzes.analytics.calibration import banks_calibrate_due

    runs = banks_calibrate_due()
    return {"runs": [{"bank": run.bank_id, "status": run.status} for run in runs]}


@task
def sync_rosters() -> dict[str, Any]:
    """Names and Role Provisioning sync of every LTI context whose roster is due."""
    from quizzes.lti.nrps import rosters_sync_due

    reports = rosters_sync_due()
    return {"contexts": [report.summary() for report in reports]}
