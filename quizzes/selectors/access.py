"""Who may see what: the tenant boundary every read goes through."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from quizzes.models import Bank, Course, Institution, Membership


def educator_institution_ids(user: User | AnonymousUser) -> set[int]:
    """Institutions where the user teaches (instructor or admin of an active membership)."""
    if not user.is_authenticated:
        return set()
    return set(
        Membership.objects.filter(
            user=user, role__in=Membership.EDUCATOR_ROLES, is_active=True
        ).values_list("course__institution_id", flat=True)
    )


def is_educator(user: User | AnonymousUser) -> bool:
    return bool(educator_institution_ids(user))


def institutions_for_educator(user: User | AnonymousUser) -> QuerySet[Institution]:
    return Institution.objects.filter(pk__in=educator_institution_ids(user))


def banks_for_educator(user: User | AnonymousUser) -> QuerySet[Bank]:
    return Bank.objects.filter(institution_id__in=educator_institution_ids(user))


def courses_for_educator(user: User | AnonymousUser) -> QuerySet[Course]:
    return Course.objects.filter(institution_id__in=educator_institution_ids(user))
