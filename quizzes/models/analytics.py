"""Calibration history: every run of the live calibration of a bank, and what it estimated
for each revision (applied or not), so an educator can see where parameters came from."""

from __future__ import annotations

from django.db import models

from quizzes.models.banks import Bank
from quizzes.models.questions import QuestionRevision


class CalibrationRun(models.Model):
    """One calibration of a bank from live responses (command, schedule or API)."""

    class Status(models.TextChoices):
        APPLIED = "applied", "Parameters updated"
        NOTHING_READY = "nothing_ready", "No item had enough responses"
        FAILED = "failed", "Failed"

    bank = models.ForeignKey(Bank, on_delete=models.CASCADE, related_name="calibration_runs")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices)
    message = models.TextField(blank=True, default="")
    trigger = models.CharField(max_length=16, default="command")
    model = models.CharField(max_length=8, default="2pl")
    min_responses = models.PositiveIntegerField()
    persons = models.PositiveIntegerField(default=0)
    responses = models.PositiveIntegerField(default=0)
    anchors = models.PositiveIntegerField(default=0)
    items_updated = models.PositiveIntegerField(default=0)
    items_waiting = models.PositiveIntegerField(default=0)
    latent_mean = models.FloatField(null=True, blank=True)
    latent_sd = models.FloatField(null=True, blank=True)
    iterations = models.PositiveIntegerField(default=0)
    converged = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["applied", "nothing_ready", "failed"]),
                name="calibration_run_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(model__in=["2pl", "3pl"]), name="calibration_run_model_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"calibration of {self.bank_id} at {self.started_at:%Y-%m-%d %H:%M} ({self.status})"


class ItemCalibration(models.Model):
    """A revision's estimate in one run; ``applied`` when it became the revision's
    parameters (``previous_*`` keep what it replaced)."""

    run = models.ForeignKey(CalibrationRun, on_delete=models.CASCADE, related_name="items")
    revision = models.ForeignKey(
        QuestionRevision, on_delete=models.CASCADE, related_name="calibrations"
    )
    responses = models.PositiveIntegerField()
    anchored = models.BooleanField(default=False)
    applied = models.BooleanField(default=False)
    a = models.FloatField()
    b = models.FloatField()
    c = models.FloatField(default=0.0)
    a_se = models.FloatField(null=True, blank=True)
    b_se = models.FloatField(null=True, blank=True)
    c_se = models.FloatField(null=True, blank=True)
    fit_rmsd = models.FloatField(null=True, blank=True)
    misfit = models.BooleanField(default=False)
    previous_a = models.FloatField(null=True, blank=True)
    previous_b = models.FloatField(null=True, blank=True)
    previous_c = models.FloatField(null=True, blank=True)
    previous_provenance = models.CharField(max_length=32, blank=True, default="")

    class Meta:
        ordering = ["run", "revision"]
        constraints = [
            models.UniqueConstraint(fields=["run", "revision"], name="item_calibration_unique"),
            models.CheckConstraint(condition=models.Q(a__gt=0), name="item_calibration_a_positive"),
            models.CheckConstraint(
                condition=models.Q(c__gte=0, c__lt=1), name="item_calibration_c_range"
            ),
        ]
        indexes = [models.Index(fields=["revision", "run"], name="item_calibration_rev_idx")]

    def __str__(self) -> str:
        return f"{self.revision_id} in run {self.run_id}"
