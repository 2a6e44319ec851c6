from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from quizzes.exceptions import ApplicationError
from quizzes.interop.registry import EXPORTERS
from quizzes.selectors.banks import bank_by_title
from quizzes.services.imports import export_bank


class Command(BaseCommand):
    help = "Export a bank (current revisions) as Moodle XML, GIFT, QTI (zip) or JSON."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--institution", required=True, help="institution slug")
        parser.add_argument("--bank", required=True, help="bank title")
        parser.add_argument("--format", required=True, choices=sorted(EXPORTERS))
        parser.add_argument("--out", required=True, help='file to write ("-" for stdout)')

    def handle(self, *args: Any, **options: Any) -> None:
        bank = bank_by_title(institution_slug=options["institution"], title=options["bank"])
        if bank is None:
            raise CommandError(
                f"No bank titled {options['bank']!r} in institution {options['institution']!r}."
            )
        try:
            exported = export_bank(bank=bank, format=options["format"])
        except ApplicationError as error:
            raise CommandError(f"{error.code}: {error.detail}") from error
        if options["out"] == "-":
            buffer = getattr(self.stdout._out, "buffer", None)
            if buffer is None:
                raise CommandError("--out - needs a binary standard output; name a file.")
            buffer.write(exported.content)
            return
        Path(options["out"]).write_bytes(exported.content)
        self.stderr.write(
            f"Wrote {exported.filename} ({len(exported.content)} bytes) to {options['out']}."
        )
