from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from quizzes.scheduler import PassReport, Scheduler, default_jobs


class Command(BaseCommand):
    help = (
        "Enqueue the periodic background tasks at their intervals (score sweep, roster "
        "sync, calibration) and prune old LTI logins; runs until stopped, or one pass with "
        "--once. The worker (manage.py db_worker) runs the tasks (docs/lti.md)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--once", action="store_true", help="one pass: every job, then exit")

    def handle(self, *args: Any, **options: Any) -> None:
        scheduler = Scheduler(default_jobs())
        verbose = options["verbosity"] > 1

        def report(result: PassReport) -> None:
            if verbose or result.failed:
                self.stdout.write(result.summary())

        if options["once"]:
            result = scheduler.run_pending()
            if result.failed:
                raise CommandError(result.summary())
            self.stdout.write(result.summary())
            return
        scheduler.run_forever(on_pass=report)
