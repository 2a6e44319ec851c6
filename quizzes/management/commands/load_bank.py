from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from quizzes.exceptions import ApplicationError
from quizzes.interop.drafts import DraftFormatError
from quizzes.interop.json import read_bank_dir
from quizzes.models import Institution
from quizzes.services.banks import bank_load


class Command(BaseCommand):
    help = (
        "Load a bank from a directory of JSON documents (fixtures/valvuloplasty/). Idempotent: "
        "unchanged questions are left alone, changed ones get a new revision."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("path", help="directory of quizzes-bank/1 JSON documents")
        parser.add_argument("--institution", default="demo", help="institution slug (default demo)")

    def handle(self, *args: Any, **options: Any) -> None:
        institution = Institution.objects.filter(slug=options["institution"]).first()
        if institution is None:
            raise CommandError(f"No institution with slug {options['institution']!r}.")
        try:
            report = bank_load(institution=institution, draft=read_bank_dir(options["path"]))
        except (DraftFormatError, ApplicationError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(report.summary())
