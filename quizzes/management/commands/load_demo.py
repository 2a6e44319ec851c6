from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from quizzes.services.demo import COHORT_PREFIX, demo_cohort_learners, demo_data_load


class Command(BaseCommand):
    help = (
        "Create or refresh the demo data (institution demo, its users, the valvuloplasty bank, "
        "one quiz per mode and a simulated cohort of learners who took the fixed, blueprint "
        "and adaptive quizzes). Idempotent. Password from DEMO_PASSWORD, else a random one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-cohort", action="store_true", help="skip the simulated cohort's attempts"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        result = demo_data_load(
            password=os.environ.get("DEMO_PASSWORD") or None, cohort=not options["no_cohort"]
        )
        questions = result.bank.questions.count()
        self.stdout.write(f"Demo data ready: bank {result.bank.title!r} ({questions} questions).")
        self.stdout.write(
            "Users: demo-instructor, demo-learner, demo-learner-2, demo-outsider; password: "
            + (result.password if result.password_generated else "from DEMO_PASSWORD")
        )
        if not options["no_cohort"]:
            size = len(demo_cohort_learners())
            self.stdout.write(
                f"Cohort: {size} simulated learners ({COHORT_PREFIX}01..{size:02d}, no password), "
                f"{result.cohort_attempts} attempts added."
            )
