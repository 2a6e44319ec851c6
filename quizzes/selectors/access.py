"""Who may see what: the tenant boundary every read goes through."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from quizzes.exceptions import ValidationFailed
from quizzes.models import Bank, Course, Institution, Membership

CODE_INSTITUTION_REQUIRED = "institution_required"
CODE_UNKNOWN_INSTITUTION = "unknown_institution"


def educator_institution_ids(user: User | AnonymousUser) -> set[int]:
    """Institutions where the user teaches (instructor or admin of an active membership)."""
    if not user.is_authenticated:
        return set()
    return set(
        Membership.objects.filter(
            user=user, role__in=Membership.EDUCATOR_ROLES, is_active=True
        ).values_list("course__institution_id", flat=True)
    )


def taught_course_ids(user: User | AnonymousUser) -> set[int]:
    """Courses the user teaches (instructor or admin of an active membership in the course
    itself): learners' grades and a quiz's statistics are theirs to read, not every
    educator's of the institution."""
    if not user.is_authenticated:
        return set()
    return set(
        Membership.objects.filter(
            user=user, role__in=Membership.EDUCATOR_ROLES, is_active=True
        ).values_list("course_id", flat=True)
    )


def is_educator(user: User | AnonymousUser) -> bool:
    return bool(educator_institution_ids(user))


def institutions_for_educator(user: User | AnonymousUser) -> QuerySet[Institution]:
    return Institution.objects.filter(pk__in=educator_institution_ids(user))


def banks_for_educator(user: User | AnonymousUser) -> QuerySet[Bank]:
    return Bank.objects.filter(institution_id__in=educator_institution_ids(user))


def courses_for_educator(user: User | AnonymousUser) -> QuerySet[Course]:
    return Course.objects.filter(institution_id__in=educator_institution_ids(user))


def educator_institution(
    *, user: User | AnonymousUser, institution_id: int | None = None, slug: str = ""
) -> Institution:
    """The institution an educator creates something in: the one named (by id or slug),
    else their only one. Raises ValidationFailed (institution_required when they teach in
    several and named none, unknown_institution when they do not teach in the one named)."""
    allowed = institutions_for_educator(user)
    if institution_id is None and not slug:
        ids = educator_institution_ids(user)
        if len(ids) != 1:
            raise ValidationFailed(
                "You teach in several institutions: name the institution.",
                code=CODE_INSTITUTION_REQUIRED,
                fields={"institution": ["required: you teach in several institutions"]},
            )
        return allowed.get()
    named = (
        allowed.filter(pk=institution_id)
        if institution_id is not None
        else allowed.filter(slug=slug)
    )
    institution = named.first()
    if institution is None:
        raise ValidationFailed(
            "You do not teach in that institution.",
            code=CODE_UNKNOWN_INSTITUTION,
            fields={"institution": [str(institution_id if institution_id is not None else slug)]},
        )
    return institution
