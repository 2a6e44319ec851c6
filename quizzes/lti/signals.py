"""Enqueue score delivery when a grade outbox row is written (after its transaction
commits). The row itself is the durable record: if the enqueue is lost, the periodic sweep
(manage.py scheduler enqueues it every LTI_SCORE_SWEEP_SECONDS) still delivers it."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from quizzes.models import GradeOutbox

logger = logging.getLogger(__name__)


def _enqueue() -> None:
    from quizzes.tasks import deliver_scores

    try:
        deliver_scores.enqueue()
    except Exception:  # the sweep delivers it anyway; never fail the grade write
        logger.exception("could not enqueue score delivery")


@receiver(post_save, sender=GradeOutbox, dispatch_uid="lti_outbox_enqueue")
def outbox_row_created(
    sender: type[GradeOutbox], instance: GradeOutbox, created: bool, **kwargs: Any
) -> None:
    if created and instance.status == GradeOutbox.Status.PENDING:
        transaction.on_commit(_enqueue)
