"""Questions and their immutable revisions.

A Question is the stable identity and classification (topic, objectives, Bloom level,
tags, status): editable in place. What a learner sees and how it is scored lives on a
QuestionRevision: once any attempt has served it (``served_at`` set) its content can be
neither changed nor deleted; an edit saves a new revision and attempts keep pointing at
the one they served. IRT parameters sit on the revision too, because calibration
estimates them for exactly that content; recalibration updates them in place (they are
statistics about the revision, not its content).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from quizzes.exceptions import RevisionImmutable
from quizzes.interop import drafts
from quizzes.models.banks import Bank, Objective, Tag, Topic


class Question(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        PUBLISHED = "published", "Published"
        RETIRED = "retired", "Retired"

    class Bloom(models.TextChoices):
        REMEMBER = "remember", "Remember"
        UNDERSTAND = "understand", "Understand"
        APPLY = "apply", "Apply"
        ANALYSE = "analyse", "Analyse"
        EVALUATE = "evaluate", "Evaluate"
        CREATE = "create", "Create"

    bank = models.ForeignKey(Bank, on_delete=models.CASCADE, related_name="questions")
    external_id = models.CharField(
        max_length=100, help_text="Stable id across imports and exports (e.g. BV-001)."
    )
    topic = models.ForeignKey(
        Topic, on_delete=models.SET_NULL, null=True, blank=True, related_name="questions"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    bloom = models.CharField(max_length=16, choices=Bloom.choices, blank=True, default="")
    objectives = models.ManyToManyField(Objective, blank=True, related_name="questions")
    tags = models.ManyToManyField(Tag, blank=True, related_name="questions")
    current_revision = models.OneToOneField(
        "QuestionRevision",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["bank", "external_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["bank", "external_id"], name="question_external_id_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["draft", "in_review", "published", "retired"]),
                name="question_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    bloom__in=[
                        "",
                        "remember",
                        "understand",
                        "apply",
                        "analyse",
                        "evaluate",
                        "create",
                    ]
                ),
                name="question_bloom_valid",
            ),
        ]
        indexes = [models.Index(fields=["bank", "status"], name="question_bank_status_idx")]

    def __str__(self) -> str:
        return self.external_id


class QuestionRevision(models.Model):
    class Type(models.TextChoices):
        SINGLE = "single", "Single best answer"
        MULTIPLE = "multiple", "Multiple response"
        TRUE_FALSE = "true_false", "True/false"
        SHORT_ANSWER = "short_answer", "Short answer"
        NUMERICAL = "numerical", "Numerical"
        MATCHING = "matching", "Matching"
        ORDERING = "ordering", "Ordering"

    CHOICE_TYPES = drafts.CHOICE_TYPES
    # Fields that make up what a learner sees and how it is scored; frozen once served.
    CONTENT_FIELDS = (
        "type",
        "stem",
        "lead_in",
        "title",
        "text_format",
        "payload",
        "explanation",
        "feedback",
        "source",
        "fact_refs",
        "difficulty",
        "negative_lead_in",
        "lint_exceptions",
        "content_hash",
    )

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    type = models.CharField(max_length=16, choices=Type.choices)
    title = models.CharField(max_length=255, blank=True, default="")
    stem = models.TextField()
    lead_in = models.TextField(blank=True, default="")
    text_format = models.CharField(max_length=16, default="plain")
    # The type's key fields other than options (accepted answers, numerical answers and
    # unit, matching stems/choices/pairs, ordering steps, embedded files), in the dict
    # form of quizzes.interop.drafts.
    payload = models.JSONField(default=dict, blank=True)
    explanation = models.TextField(blank=True, default="")
    feedback = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=500, blank=True, default="")
    fact_refs = models.JSONField(default=list, blank=True)
    difficulty = models.CharField(max_length=16, default="medium")
    negative_lead_in = models.BooleanField(default=False)
    lint_exceptions = models.JSONField(default=list, blank=True)
    irt_a = models.FloatField(default=1.0)
    irt_b = models.FloatField(default=0.0)
    irt_c = models.FloatField(default=0.0)
    irt_provenance = models.CharField(max_length=32, default="prior")
    irt_responses = models.PositiveIntegerField(default=0)
    # Sympson-Hetter exposure parameter: the probability that the item, once selected, is
    # administered (1 = never held back); set from simulations by the calibration tools.
    exposure_parameter = models.FloatField(default=1.0)
    content_hash = models.CharField(max_length=64)
    served_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["question", "number"]
        constraints = [
            models.UniqueConstraint(fields=["question", "number"], name="revision_number_unique"),
            models.CheckConstraint(
                condition=models.Q(number__gte=1), name="revision_number_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(
                    type__in=[
                        "single",
                        "multiple",
                        "true_false",
                        "short_answer",
                        "numerical",
                        "matching",
                        "ordering",
                    ]
                ),
                name="revision_type_valid",
            ),
            models.CheckConstraint(condition=models.Q(irt_a__gt=0), name="revision_irt_a_positive"),
            models.CheckConstraint(
                condition=models.Q(irt_c__gte=0, irt_c__lt=1), name="revision_irt_c_range"
            ),
            models.CheckConstraint(
                condition=models.Q(exposure_parameter__gt=0, exposure_parameter__lte=1),
                name="revision_exposure_parameter_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.question.external_id} r{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            stored = self._stored_content()
            if stored is not None and stored["served_at"] is not None:
                changed = [f for f in self.CONTENT_FIELDS if stored[f] != getattr(self, f)]
                if changed:
                    raise RevisionImmutable(fields={"changed": changed})
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if self.pk is not None and (self._stored_content() or {}).get("served_at") is not None:
            raise RevisionImmutable()
        return super().delete(*args, **kwargs)

    @property
    def is_served(self) -> bool:
        return self.served_at is not None

    def _stored_content(self) -> dict[str, Any] | None:
        row = QuestionRevision.objects.filter(pk=self.pk).values(*self.CONTENT_FIELDS, "served_at")
        return row.first()

    def clean(self) -> None:
        errors = drafts.validate_payload(self.as_draft())
        if errors:
            raise ValidationError({"payload": errors})

    # -- plain-data form ------------------------------------------------------------

    def as_draft(self, *, options: list[Option] | None = None) -> drafts.QuestionDraft:
        """This revision (and its question's classification) as a QuestionDraft."""
        question = self.question
        if options is None:
            options = list(self.options.all()) if self.pk else []
        payload = dict(self.payload)
        payload.update(
            {
                "id": question.external_id or "new",
                "type": self.type,
                "stem": self.stem,
                "lead_in": self.lead_in,
                "title": self.title,
                "text_format": self.text_format,
                "explanation": self.explanation,
                "feedback": self.feedback,
                "source": self.source,
                "fact_refs": self.fact_refs,
                "difficulty": self.difficulty,
                "negative_lead_in": self.negative_lead_in,
                "lint_exceptions": self.lint_exceptions,
                "options": [
                    {"id": o.key, "text": o.text, "fraction": o.fraction, "feedback": o.feedback}
                    for o in options
                ],
                "irt": {
                    "a": self.irt_a,
                    "b": self.irt_b,
                    "c": self.irt_c,
                    "provenance": self.irt_provenance,
                },
            }
        )
        draft = drafts.question_from_dict(payload)
        return draft


class Option(models.Model):
    """A choice of a single, multiple or true/false revision (immutable with it)."""

    revision = models.ForeignKey(QuestionRevision, on_delete=models.CASCADE, related_name="options")
    key = models.CharField(max_length=32, help_text="The author's option id (A-E, true/false).")
    position = models.PositiveIntegerField(default=0)
    text = models.TextField()
    fraction = models.FloatField(default=0.0)
    feedback = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["revision", "position"]
        constraints = [
            models.UniqueConstraint(fields=["revision", "key"], name="option_key_unique"),
            models.CheckConstraint(
                condition=models.Q(fraction__gte=-1.0, fraction__lte=1.0),
                name="option_fraction_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key}. {self.text[:40]}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self._revision_served():
            raise RevisionImmutable()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if self._revision_served():
            raise RevisionImmutable()
        return super().delete(*args, **kwargs)

    def _revision_served(self) -> bool:
        return QuestionRevision.objects.filter(
            pk=self.revision_id, served_at__isnull=False
        ).exists()


CONTENT_KEYS = (
    "type",
    "stem",
    "lead_in",
    "title",
    "text_format",
    "options",
    "accepted",
    "case_sensitive",
    "answers",
    "unit",
    "stems",
    "choices",
    "pairs",
    "steps",
    "files",
    "explanation",
    "feedback",
    "source",
    "fact_refs",
    "difficulty",
    "negative_lead_in",
    "lint_exceptions",
    "irt",
)
PAYLOAD_KEYS = (
    "accepted",
    "case_sensitive",
    "answers",
    "unit",
    "stems",
    "choices",
    "pairs",
    "steps",
    "files",
)


def content_of(draft: drafts.QuestionDraft) -> dict[str, Any]:
    """The part of a draft that belongs to a revision (not the question's classification)."""
    data = drafts.question_to_dict(draft)
    return {key: data[key] for key in CONTENT_KEYS if key in data}


def content_hash(draft: drafts.QuestionDraft) -> str:
    canonical = json.dumps(content_of(draft), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
