"""Writes for institutions, courses and memberships (enrolment without LTI)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction

from quizzes.exceptions import ValidationFailed
from quizzes.models import Course, Institution, Membership


@transaction.atomic
def institution_ensure(*, slug: str, name: str) -> Institution:
    institution, created = Institution.objects.get_or_create(slug=slug, defaults={"name": name})
    if not created and institution.name != name:
        institution.name = name
        institution.full_clean()
        institution.save(update_fields=["name"])
    return institution


@transaction.atomic
def course_create(*, institution: Institution, slug: str, title: str) -> Course:
    course = Course(institution=institution, slug=slug, title=title)
    course.full_clean()
    course.save()
    return course


@transaction.atomic
def course_ensure(*, institution: Institution, slug: str, title: str) -> Course:
    course = Course.objects.filter(institution=institution, slug=slug).first()
    if course is None:
        return course_create(institution=institution, slug=slug, title=title)
    if course.title != title:
        course.title = title
        course.save(update_fields=["title"])
    return course


@transaction.atomic
def user_ensure(
    *, username: str, email: str = "", password: str | None = None, first_name: str = ""
) -> User:
    """The user with this username, created when new; sets the password when given."""
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=username, defaults={"email": email, "first_name": first_name}
    )
    if password is not None:
        user.set_password(password)
        user.save(update_fields=["password"])
    elif created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


@transaction.atomic
def membership_set(*, course: Course, user: User, role: str) -> Membership:
    if role not in Membership.Role.values:
        raise ValidationFailed(
            f"role must be one of {', '.join(Membership.Role.values)}.",
            code="invalid_role",
            fields={"role": [role]},
        )
    membership, created = Membership.objects.get_or_create(
        course=course, user=user, defaults={"role": role}
    )
    if not created and (membership.role != role or not membership.is_active):
        membership.role = role
        membership.is_active = True
        membership.save(update_fields=["role", "is_active"])
    return membership


@transaction.atomic
def staff_ensure(*, user: User) -> User:
    """Let an educator into the admin site (what they see there is scoped to their
    institutions by quizzes.admin.ScopedAdmin)."""
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return user
