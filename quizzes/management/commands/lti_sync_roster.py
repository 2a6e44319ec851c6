from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from quizzes.lti.nrps import roster_sync
from quizzes.lti.services_http import ServiceRefused, ServiceUnavailable
from quizzes.models import LtiContext


class Command(BaseCommand):
    help = "Sync the roster (Names and Role Provisioning) of the LMS courses linked to a course."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--institution", required=True, help="institution slug")
        parser.add_argument("--course", required=True, help="course slug")

    def handle(self, *args: Any, **options: Any) -> None:
        contexts = LtiContext.objects.filter(
            course__institution__slug=options["institution"], course__slug=options["course"]
        ).select_related("platform", "course")
        if not contexts:
            raise CommandError("No LMS course is linked to this course.")
        for context in contexts:
            try:
                self.stdout.write(f"{context}: {roster_sync(context=context).summary()}")
            except (ServiceRefused, ServiceUnavailable) as error:
                raise CommandError(f"{context}: {error}") from error
