from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from quizzes.exceptions import ApplicationError
from quizzes.interop.registry import IMPORTERS
from quizzes.models import Institution
from quizzes.selectors.banks import bank_by_title
from quizzes.services.banks import bank_create
from quizzes.services.imports import ImportFailed, import_bank, import_size_check


class Command(BaseCommand):
    help = (
        "Import a Moodle XML, GIFT, QTI or JSON file into a bank (created when missing). "
        "All or nothing: any error and nothing is saved. --dry-run reports without saving."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", help="the file to import")
        parser.add_argument("--institution", required=True, help="institution slug")
        parser.add_argument("--bank", required=True, help="bank title (created when missing)")
        parser.add_argument(
            "--format", default="", choices=["", *sorted(IMPORTERS)], help="sniffed when absent"
        )
        parser.add_argument("--dry-run", action="store_true", help="report, save nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        institution = Institution.objects.filter(slug=options["institution"]).first()
        if institution is None:
            raise CommandError(f"No institution with slug {options['institution']!r}.")
        path = Path(options["file"])
        try:
            import_size_check(path.stat().st_size)
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error}") from error
        except ApplicationError as error:
            raise CommandError(error.detail) from error
        try:
            with transaction.atomic():
                bank = bank_by_title(
                    institution_slug=institution.slug, title=options["bank"]
                ) or bank_create(institution=institution, title=options["bank"])
                report = import_bank(
                    bank=bank,
                    data=data,
                    filename=path.name,
                    format=options["format"],
                    dry_run=options["dry_run"],
                )
                if options["dry_run"]:
                    transaction.set_rollback(True)
        except ImportFailed as failure:
            for line in failure.report.errors:
                self.stderr.write(f"error: {line}")
            raise CommandError(failure.detail) from failure
        except ApplicationError as error:
            raise CommandError(f"{error.code}: {error.detail}") from error
        for line in report.warnings:
            self.stdout.write(f"warning: {line}")
        for label, ids in (
            ("created", report.created),
            ("updated", report.updated),
            ("skipped", report.skipped),
        ):
            if ids:
                self.stdout.write(f"{label}: {', '.join(ids)}")
        self.stdout.write(f"{bank.title}: {report.summary()}")
