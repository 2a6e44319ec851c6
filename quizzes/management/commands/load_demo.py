from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand

from quizzes.services.demo import demo_data_load


class Command(BaseCommand):
    help = (
        "Create or refresh the demo data (institution demo, its users, the valvuloplasty bank "
        "and one quiz per mode). Idempotent. Password from DEMO_PASSWORD, else a random one."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = demo_data_load(password=os.environ.get("DEMO_PASSWORD") or None)
        questions = result.bank.questions.count()
        self.stdout.write(f"Demo data ready: bank {result.bank.title!r} ({questions} questions).")
        self.stdout.write(
            "Users: demo-instructor, demo-learner, demo-learner-2, demo-outsider; password: "
            + (result.password if result.password_generated else "from DEMO_PASSWORD")
        )
