from __future__ import annotations

from django.conf import settings
from django.db import models

from quizzes.models.quizzes import Quiz


class Grade(models.Model):
    """A learner's grade for a quiz by its grading method (0-100)."""

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="grades")
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="grades"
    )
    percent = models.FloatField()
    attempts_counted = models.PositiveIntegerField(default=0)
    passed = models.BooleanField(null=True, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["quiz", "learner"], name="grade_unique"),
            models.CheckConstraint(
                condition=models.Q(percent__gte=0, percent__lte=100), name="grade_percent_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.learner_id} on {self.quiz_id}: {self.percent:.1f}%"


class GradeOutbox(models.Model):
    """One grade change waiting for delivery to the LMS (written with the change)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed permanently"
        SKIPPED = "skipped", "No LMS to deliver to"

    grade = models.ForeignKey(Grade, on_delete=models.CASCADE, related_name="outbox")
    score_given = models.FloatField()
    score_maximum = models.FloatField(default=100.0)
    activity_progress = models.CharField(max_length=32, default="Completed")
    grading_progress = models.CharField(max_length=32, default="FullyGraded")
    timestamp = models.DateTimeField(help_text="When the grade changed (sent to the LMS).")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    tries = models.PositiveIntegerField(default=0)
    next_try_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    delivered_at = models.DateTimeField(null=True, blank=True)
    # The outcome per LMS placement (LtiResourceLink pk, as a string) -> {"status":
    # delivered | failed | retrying | skipped, "error", "at" (ISO 8601), "link" (its
    # label)}: a retry re-sends only to the links not delivered yet. The database default
    # covers rows written by raw inserts (the synthetic cohort's COPY).
    link_results = models.JSONField(
        default=dict,
        blank=True,
        db_default=models.Value({}, output_field=models.JSONField()),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["status", "next_try_at"], name="outbox_status_next_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score_given__gte=0)
                & models.Q(score_given__lte=models.F("score_maximum")),
                name="outbox_score_range",
            ),
        ]

    def __str__(self) -> str:
        return f"outbox {self.pk} ({self.status})"
