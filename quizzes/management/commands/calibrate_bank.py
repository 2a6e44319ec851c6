from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from quizzes.analytics.calibration import bank_calibrate
from quizzes.engine.calibration import MODELS
from quizzes.exceptions import ApplicationError
from quizzes.models import Bank, CalibrationRun


def find_bank(reference: str, institution_slug: str | None) -> Bank:
    """A bank by id (digits) or by title (within --institution when several share it)."""
    reference = reference.strip()
    banks = Bank.objects.select_related("institution")
    if institution_slug:
        banks = banks.filter(institution__slug=institution_slug)
    if reference.isdigit():
        found = banks.filter(pk=int(reference)).first()
        if found is None:
            raise CommandError(f"No bank with id {reference}.")
        return found
    matches = list(banks.filter(title=reference)[:10])
    if not matches:
        where = f" in institution {institution_slug!r}" if institution_slug else ""
        raise CommandError(f"No bank titled {reference!r}{where}.")
    if len(matches) > 1:
        slugs = ", ".join(sorted(bank.institution.slug for bank in matches))
        raise CommandError(
            f"Several banks are titled {reference!r} (institutions {slugs}): "
            "add --institution SLUG or give the bank's id."
        )
    return matches[0]


class Command(BaseCommand):
    help = (
        "Calibrate a bank's items (IRT a, b, c) from the responses of finished attempts; "
        "items below --min-responses keep their parameters (docs/analytics.md)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--bank", required=True, help="bank id, or bank title")
        parser.add_argument("--institution", help="institution slug (to pick a bank by title)")
        parser.add_argument(
            "--min-responses",
            type=int,
            help="responses an item needs (default: QUIZZES CALIBRATION_MIN_RESPONSES, 200)",
        )
        parser.add_argument("--model", choices=MODELS, default="2pl")
        parser.add_argument(
            "--recalibrate",
            action="store_true",
            help="re-estimate items calibrated before too, on a new scale set by this population",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        bank = find_bank(str(options["bank"]), options.get("institution"))
        try:
            run = bank_calibrate(
                bank,
                min_responses=options.get("min_responses"),
                model=options["model"],
                recalibrate=options["recalibrate"],
                trigger="command",
            )
        except ApplicationError as error:
            raise CommandError(f"{error.code}: {error.detail}") from error
        summary = (
            f"Bank {bank.pk} ({bank.title}): {run.status}; {run.items_updated} items updated, "
            f"{run.anchors} anchors, {run.items_waiting} waiting for {run.min_responses} "
            f"responses; {run.persons} attempts, {run.responses} responses (run {run.pk})."
        )
        if run.status == CalibrationRun.Status.FAILED:
            raise CommandError(f"{summary} {run.message}")
        self.stdout.write(summary)
