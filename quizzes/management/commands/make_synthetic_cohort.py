from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from quizzes.exceptions import ApplicationError
from quizzes.services.synthetic import synthetic_cohort_create


class Command(BaseCommand):
    help = (
        "Create a synthetic cohort for analytics benchmarks in the configured database: "
        "institution SLUG with a course, a bank of calibrated items, blueprint quizzes and "
        "learners with finished attempts, responses simulated from a 2PL, grades and grade "
        "outbox rows. Deterministic for a seed; refuses when the institution exists unless "
        "--replace. COPY on PostgreSQL (10,000 x 150 responses in under a minute); it locks "
        "the attempt tables while it runs: for benchmark and staging databases."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--learners", type=int, default=10_000)
        parser.add_argument("--items", type=int, default=300, help="items in the bank")
        parser.add_argument("--per-learner", type=int, default=150, help="items drawn per attempt")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--quizzes",
            type=int,
            default=1,
            help="quizzes in the course; the first has responses, the others grades only",
        )
        parser.add_argument(
            "--second-attempts",
            type=float,
            default=0.05,
            help="share of learners with a second attempt on the first quiz",
        )
        parser.add_argument("--slug", default="synthetic", help="the cohort's institution")
        parser.add_argument(
            "--replace", action="store_true", help="delete an existing cohort of this slug first"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = synthetic_cohort_create(
                learners=options["learners"],
                items=options["items"],
                per_learner=options["per_learner"],
                seed=options["seed"],
                quizzes=options["quizzes"],
                second_attempts=options["second_attempts"],
                slug=options["slug"],
                replace=options["replace"],
            )
        except ApplicationError as error:
            raise CommandError(f"{error.detail} ({error.code})") from error
        statuses = ", ".join(f"{k} {v:,}" for k, v in summary.outbox_statuses.items())
        self.stdout.write(
            f"Cohort {summary.institution.slug!r} ready in {summary.seconds:.1f} s: "
            f"{summary.learners:,} learners, {len(summary.quizzes)} quiz(zes) "
            f"(first: id {summary.quizzes[0].pk}), {summary.attempts:,} attempts, "
            f"{summary.responses:,} responses, {summary.grades:,} grades, "
            f"{summary.outbox:,} outbox rows ({statuses})."
        )
