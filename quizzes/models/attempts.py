from __future__ import annotations

from django.conf import settings
from django.db import models

from quizzes.models.questions import QuestionRevision
from quizzes.models.quizzes import Quiz


class Attempt(models.Model):
    class State(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        FINISHED = "finished", "Finished"

    class FinishReason(models.TextChoices):
        SUBMITTED = "submitted", "Submitted by the learner"
        STOPPING_RULE = "stopping_rule", "Stopping rule met"
        TIME_UP = "time_up", "Time ran out"
        COMPLETED = "completed", "All items answered"

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="attempts")
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attempts"
    )
    number = models.PositiveIntegerField()
    state = models.CharField(max_length=16, choices=State.choices, default=State.IN_PROGRESS)
    seed = models.BigIntegerField(default=0)
    started_at = models.DateTimeField()
    deadline = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    finish_reason = models.CharField(max_length=16, choices=FinishReason.choices, blank=True)
    score = models.FloatField(null=True, blank=True)
    max_score = models.FloatField(null=True, blank=True)
    percent = models.FloatField(null=True, blank=True)
    ability = models.FloatField(null=True, blank=True)
    standard_error = models.FloatField(null=True, blank=True)
    passed = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ["quiz", "learner", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["quiz", "learner", "number"], name="attempt_number_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(number__gte=1), name="attempt_number_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=["in_progress", "finished"]),
                name="attempt_state_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(state="in_progress", finished_at__isnull=True)
                | models.Q(state="finished", finished_at__isnull=False),
                name="attempt_finished_has_time",
            ),
            models.CheckConstraint(
                condition=models.Q(percent__isnull=True)
                | models.Q(percent__gte=0, percent__lte=100),
                name="attempt_percent_range",
            ),
        ]
        indexes = [models.Index(fields=["state", "deadline"], name="attempt_state_deadline_idx")]

    def __str__(self) -> str:
        return f"{self.quiz} #{self.number} by {self.learner}"


class AttemptItem(models.Model):
    """The revision served at a position of an attempt (PROTECT: served content stays)."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()
    revision = models.ForeignKey(QuestionRevision, on_delete=models.PROTECT, related_name="+")
    # Learner-facing order of option public ids (or of steps/choices) for this attempt.
    presentation = models.JSONField(default=dict, blank=True)
    served_at = models.DateTimeField()
    flagged = models.BooleanField(default=False)

    class Meta:
        # On PostgreSQL migration 0005 adds a covering index for the quiz statistics
        # (attempt_item_stats_idx: attempt_id INCLUDE id, revision_id, position).
        ordering = ["attempt", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["attempt", "position"], name="attempt_item_position_unique"
            ),
            models.UniqueConstraint(
                fields=["attempt", "revision"], name="attempt_item_revision_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(position__gte=1), name="attempt_item_position_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.attempt_id}:{self.position}"


class Response(models.Model):
    """The learner's answer to one attempt item: one at most, idempotent by key."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="responses")
    item = models.OneToOneField(AttemptItem, on_delete=models.CASCADE, related_name="response")
    key = models.CharField(max_length=100)
    answer = models.JSONField()
    fraction = models.FloatField()
    ability_after = models.FloatField(null=True, blank=True)
    standard_error_after = models.FloatField(null=True, blank=True)
    submitted_at = models.DateTimeField()

    class Meta:
        ordering = ["attempt", "submitted_at"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "key"], name="response_key_unique"),
            models.CheckConstraint(
                condition=models.Q(fraction__gte=0.0, fraction__lte=1.0),
                name="response_fraction_range",
            ),
        ]

    def __str__(self) -> str:
        return f"response to {self.item_id}"
