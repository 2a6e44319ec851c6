from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from quizzes.services.attempts import attempts_finish_expired


class Command(BaseCommand):
    help = (
        "Finish every in-progress attempt whose deadline has passed (scored with what was "
        "answered, grade and LMS outbox row written): one sweep, or with --loop every "
        "--interval seconds. Run it from cron or a process manager; an attempt is also "
        "finished on its learner's next request, so the sweep only bounds the delay."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--loop", action="store_true")
        parser.add_argument("--interval", type=float, default=60.0)

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            finished = attempts_finish_expired()
            if finished or options["verbosity"] > 1:
                self.stdout.write(f"Finished {finished} expired attempt(s).")
            if not options["loop"]:
                return
            time.sleep(options["interval"])
