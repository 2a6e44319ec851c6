"""Permissions shared by the educators' endpoints (banks, questions; the delivery API's
educator views reuse them).

``IsEducator`` lets in an authenticated user with an active instructor or admin
membership in some course. Which *rows* they see is the selectors' business
(quizzes.selectors.access): another institution's bank is then a 404, never a 403, so
that its existence is not disclosed. Anonymous requests get 401, learners 403.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from quizzes.models import Course, Membership, Quiz
from quizzes.selectors import pages
from quizzes.selectors.access import educator_institution_ids, is_educator, taught_course_ids
from quizzes.selectors.delivery import quizzes_for_learner

NOT_AN_EDUCATOR = "Only educators (instructors or administrators of a course) may do this."


class IsEducator(BasePermission):
    message = NOT_AN_EDUCATOR
    code = "permission_denied"

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and is_educator(user))


def _refuse_or_hide(user: User, *, visible: bool, refusal: str) -> None:
    """403 for someone who can see the quiz or course (a learner of it, an educator of
    its institution) but does not teach it; 404 for anyone else (nothing disclosed)."""
    if visible:
        raise PermissionDenied(refusal)
    raise NotFound()


def taught_quiz(user: User, quiz_id: int, *, refusal: str) -> Quiz:
    """The quiz when the user teaches its course (learners' results and a quiz's
    statistics are for the course's instructors only), else 403 or 404."""
    quiz = pages.taught_quiz(user=user, quiz_id=quiz_id)
    if quiz is None:
        visible = (
            Quiz.objects.filter(
                pk=quiz_id, course__institution_id__in=educator_institution_ids(user)
            ).exists()
            or quizzes_for_learner(learner=user).filter(pk=quiz_id).exists()
        )
        _refuse_or_hide(user, visible=visible, refusal=refusal)
    assert quiz is not None
    return quiz


def taught_course(user: User, course_id: int, *, refusal: str) -> Course:
    """The course when the user teaches it, else 403 (a member of it or an educator of
    its institution) or 404."""
    # By primary key first: an id beyond the database's integer range is then simply
    # not found (Django bounds pk lookups, not foreign key ones).
    course = Course.objects.filter(pk=course_id).first()
    if course is None:
        raise NotFound()
    if course.pk not in taught_course_ids(user):
        visible = (
            course.institution_id in educator_institution_ids(user)
            or Membership.objects.filter(user=user, course=course, is_active=True).exists()
        )
        _refuse_or_hide(user, visible=visible, refusal=refusal)
    return course
