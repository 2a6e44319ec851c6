from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models

from quizzes.models.banks import Bank
from quizzes.models.institutions import Course
from quizzes.models.questions import Question


class Quiz(models.Model):
    """A quiz of a course over one bank, with every delivery setting of DESIGN.md."""

    class Mode(models.TextChoices):
        ADAPTIVE = "adaptive", "Adaptive"
        FIXED = "fixed", "Fixed form"
        BLUEPRINT = "blueprint", "Random by blueprint"
        PRACTICE = "practice", "Practice"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        CLOSED = "closed", "Closed"

    class GradingMethod(models.TextChoices):
        HIGHEST = "highest", "Highest attempt"
        AVERAGE = "average", "Average of attempts"
        FIRST = "first", "First attempt"
        LAST = "last", "Last attempt"

    class FeedbackTiming(models.TextChoices):
        IMMEDIATE = "immediate", "Immediately after each item"
        DEFERRED = "deferred", "After the attempt"

    class Exposure(models.TextChoices):
        NONE = "none", "None"
        RANDOMESQUE = "randomesque", "Randomesque (top-k)"
        SYMPSON_HETTER = "sympson-hetter", "Sympson-Hetter"

    class Classification(models.TextChoices):
        CI = "ci", "95% confidence interval"
        SPRT = "sprt", "Sequential probability ratio test"

    class ReviewWhen(models.TextChoices):
        IMMEDIATELY = "immediately", "Right after the attempt"
        AFTER_CLOSE = "after_close", "After the quiz closes"
        NEVER = "never", "Never"

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="quizzes")
    bank = models.ForeignKey(Bank, on_delete=models.PROTECT, related_name="quizzes")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    mode = models.CharField(max_length=16, choices=Mode.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    # Topic path -> share (0..1, normalised) or count (integer >= 1); {} = the whole bank.
    blueprint = models.JSONField(default=dict, blank=True)
    # Fixed and blueprint forms: how many items; adaptive: see max/min items.
    length = models.PositiveIntegerField(default=10)
    max_items = models.PositiveIntegerField(default=20)
    min_items = models.PositiveIntegerField(default=5)
    se_target = models.FloatField(null=True, blank=True)
    ability_cut = models.FloatField(null=True, blank=True)
    classification = models.CharField(
        max_length=8, choices=Classification.choices, default=Classification.CI
    )
    exposure = models.CharField(
        max_length=16, choices=Exposure.choices, default=Exposure.RANDOMESQUE
    )
    exclude_seen = models.BooleanField(
        default=False, help_text="Adaptive: skip items the learner saw in earlier attempts."
    )
    time_limit = models.DurationField(null=True, blank=True)
    attempts_allowed = models.PositiveIntegerField(default=1, help_text="0 means unlimited.")
    grading_method = models.CharField(
        max_length=16, choices=GradingMethod.choices, default=GradingMethod.HIGHEST
    )
    feedback_timing = models.CharField(
        max_length=16, choices=FeedbackTiming.choices, default=FeedbackTiming.DEFERRED
    )
    shuffle_questions = models.BooleanField(default=True)
    shuffle_options = models.BooleanField(default=True)
    pass_mark = models.FloatField(null=True, blank=True, help_text="Percent needed to pass.")
    opens_at = models.DateTimeField(null=True, blank=True)
    closes_at = models.DateTimeField(null=True, blank=True)
    allow_navigation = models.BooleanField(
        default=False, help_text="Fixed and blueprint forms: learners may go back and flag."
    )
    allow_guests = models.BooleanField(
        default=False, help_text="Anonymous LTI launches may practise without an account."
    )
    review_when = models.CharField(
        max_length=16, choices=ReviewWhen.choices, default=ReviewWhen.IMMEDIATELY
    )
    review_show_answers = models.BooleanField(default=True)
    review_show_explanations = models.BooleanField(default=True)
    questions = models.ManyToManyField(
        Question, through="QuizQuestion", blank=True, related_name="quizzes"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["course", "title"]
        verbose_name_plural = "quizzes"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(mode__in=["adaptive", "fixed", "blueprint", "practice"]),
                name="quiz_mode_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(min_items__lte=models.F("max_items")),
                name="quiz_min_items_le_max",
            ),
            models.CheckConstraint(
                condition=models.Q(max_items__gte=1) & models.Q(length__gte=1),
                name="quiz_length_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(pass_mark__isnull=True)
                | models.Q(pass_mark__gte=0, pass_mark__lte=100),
                name="quiz_pass_mark_percent",
            ),
            models.CheckConstraint(
                condition=models.Q(se_target__isnull=True) | models.Q(se_target__gt=0),
                name="quiz_se_target_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(opens_at__isnull=True)
                | models.Q(closes_at__isnull=True)
                | models.Q(opens_at__lt=models.F("closes_at")),
                name="quiz_window_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(time_limit__isnull=True) | models.Q(time_limit__gt=timedelta(0)),
                name="quiz_time_limit_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class QuizQuestion(models.Model):
    """A question of a fixed form, in its position."""

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="form")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["quiz", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["quiz", "position"], name="quiz_question_position_unique"
            ),
            models.UniqueConstraint(fields=["quiz", "question"], name="quiz_question_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.quiz_id}#{self.position}"


class QuizOverride(models.Model):
    """An accommodation for one learner: extra time, extra attempts, another window."""

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="overrides")
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    extra_time = models.DurationField(null=True, blank=True)
    time_multiplier = models.FloatField(null=True, blank=True)
    extra_attempts = models.PositiveIntegerField(default=0)
    opens_at = models.DateTimeField(null=True, blank=True)
    closes_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["quiz", "learner"], name="quiz_override_unique"),
            models.CheckConstraint(
                condition=models.Q(time_multiplier__isnull=True) | models.Q(time_multiplier__gte=1),
                name="quiz_override_multiplier_ge_1",
            ),
            models.CheckConstraint(
                condition=models.Q(opens_at__isnull=True)
                | models.Q(closes_at__isnull=True)
                | models.Q(opens_at__lt=models.F("closes_at")),
                name="quiz_override_window_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"override for {self.learner_id} on {self.quiz_id}"
