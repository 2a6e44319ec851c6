from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from quizzes.lti.delivery import scores_deliver_due
from quizzes.lti.oidc import login_states_prune


class Command(BaseCommand):
    help = (
        "Deliver due scores from the grade outbox to the LMS (one cycle), or with --loop "
        "every --interval seconds: the sweep that retries deliveries while an LMS is down."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--loop", action="store_true")
        parser.add_argument("--interval", type=float, default=30.0)

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            report = scores_deliver_due()
            if options["verbosity"] > 1 or report.delivered or report.failed or report.retrying:
                self.stdout.write(report.summary())
            if not options["loop"]:
                return
            login_states_prune()
            time.sleep(options["interval"])
