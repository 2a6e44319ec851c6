from __future__ import annotations

from django.db import models

from quizzes.models.institutions import Institution


class Bank(models.Model):
    institution = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="banks")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    # Whether the item linter's errors block a save or import (else they are warnings).
    lint_blocking = models.BooleanField(default=False)
    # Bumped by every write to the bank's questions: the adaptive engine caches the bank's
    # parameter arrays under (bank, content_version), so a stale cache is never read.
    content_version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["institution", "title"]
        constraints = [
            models.UniqueConstraint(fields=["institution", "title"], name="bank_title_unique"),
        ]

    def __str__(self) -> str:
        return self.title


class Topic(models.Model):
    """A node of a bank's topic tree; ``path`` is the slug path ("risks/complications")."""

    bank = models.ForeignKey(Bank, on_delete=models.CASCADE, related_name="topics")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )
    slug = models.SlugField(max_length=100)
    path = models.CharField(max_length=500)
    title = models.CharField(max_length=200)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["bank", "path"]
        constraints = [
            models.UniqueConstraint(fields=["bank", "path"], name="topic_path_unique"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def root_path(self) -> str:
        return self.path.split("/", 1)[0]


class Objective(models.Model):
    """A learning objective of a bank ("M4": describe the access route for each valve)."""

    bank = models.ForeignKey(Bank, on_delete=models.CASCADE, related_name="objectives")
    code = models.CharField(max_length=32)
    text = models.TextField()
    bloom = models.CharField(max_length=16, blank=True, default="")
    topic = models.ForeignKey(
        Topic, on_delete=models.SET_NULL, null=True, blank=True, related_name="objectives"
    )
    source = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["bank", "code"]
        constraints = [
            models.UniqueConstraint(fields=["bank", "code"], name="objective_code_unique"),
        ]

    def __str__(self) -> str:
        return self.code


class Tag(models.Model):
    bank = models.ForeignKey(Bank, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["bank", "name"]
        constraints = [models.UniqueConstraint(fields=["bank", "name"], name="tag_name_unique")]

    def __str__(self) -> str:
        return self.name
