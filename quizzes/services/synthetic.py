"""Synthetic banks for load tests and query-budget tests: tens of thousands of calibrated
single-best-answer items, written in bulk (30,000 in a few seconds) rather than through
question_create, which validates, lints and sanitises one item at a time."""

from __future__ import annotations

import random
from collections.abc import Sequence

from django.db import transaction
from django.db.models import OuterRef, Subquery

from quizzes.models import Bank, Option, Question, QuestionRevision
from quizzes.services.banks import topic_ensure
from quizzes.services.questions import bank_touch

DEFAULT_OPTIONS = (("A", "Right", 1.0), ("B", "Wrong", 0.0))


@transaction.atomic
def synthetic_items_create(
    *,
    bank: Bank,
    size: int,
    topics: Sequence[str],
    options: Sequence[tuple[str, str, float]] = DEFAULT_OPTIONS,
    seed: int | None = None,
) -> list[int]:
    """``size`` published items with 2PL parameters a ~ U(0.8, 2.2), b ~ U(-2.5, 2.5),
    spread round-robin over ``topics``; returns the question ids."""
    topic_rows = [topic_ensure(bank=bank, path=path) for path in topics]
    rng = random.Random(size if seed is None else seed)
    questions = Question.objects.bulk_create(
        [
            Question(
                bank=bank,
                external_id=f"SYN-{index:05d}",
                topic=topic_rows[index % len(topic_rows)],
                status=Question.Status.PUBLISHED,
            )
            for index in range(size)
        ],
        batch_size=5000,
    )
    revisions = QuestionRevision.objects.bulk_create(
        [
            QuestionRevision(
                question=question,
                number=1,
                type=QuestionRevision.Type.SINGLE,
                stem=f"Synthetic item {question.external_id}: which statement is right?",
                lead_in="Which of the following is right?",
                explanation="Synthetic explanation.",
                irt_a=rng.uniform(0.8, 2.2),
                irt_b=rng.uniform(-2.5, 2.5),
                irt_provenance="synthetic",
                content_hash=f"synthetic-{question.external_id}",
            )
            for question in questions
        ],
        batch_size=5000,
    )
    Option.objects.bulk_create(
        [
            Option(revision=revision, key=key, position=position, text=text, fraction=fraction)
            for revision in revisions
            for position, (key, text, fraction) in enumerate(options)
        ],
        batch_size=10000,
    )
    Question.objects.filter(bank=bank, current_revision__isnull=True).update(
        current_revision=Subquery(
            QuestionRevision.objects.filter(question=OuterRef("pk")).values("pk")[:1]
        )
    )
    bank_touch(bank.pk)
    return [question.pk for question in questions]
