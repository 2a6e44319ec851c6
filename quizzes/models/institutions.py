from __future__ import annotations

from django.conf import settings
from django.db import models


class Institution(models.Model):
    """The tenant: courses, banks and LTI platforms belong to exactly one."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Course(models.Model):
    institution = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="courses")
    slug = models.SlugField(max_length=100)
    title = models.CharField(max_length=200)
    lti_context_id = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["institution", "slug"]
        constraints = [
            models.UniqueConstraint(fields=["institution", "slug"], name="course_slug_unique"),
        ]

    def __str__(self) -> str:
        return self.title


class Membership(models.Model):
    class Role(models.TextChoices):
        LEARNER = "learner", "Learner"
        INSTRUCTOR = "instructor", "Instructor"
        ADMIN = "admin", "Administrator"

    EDUCATOR_ROLES = (Role.INSTRUCTOR, Role.ADMIN)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="membership_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=["learner", "instructor", "admin"]),
                name="membership_role_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role}) in {self.course}"

    @property
    def is_educator(self) -> bool:
        return self.role in self.EDUCATOR_ROLES
