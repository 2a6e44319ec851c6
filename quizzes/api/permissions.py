"""Permissions shared by the educators' endpoints (banks, questions; the delivery API's
educator views reuse them).

``IsEducator`` lets in an authenticated user with an active instructor or admin
membership in some course. Which *rows* they see is the selectors' business
(quizzes.selectors.access): another institution's bank is then a 404, never a 403, so
that its existence is not disclosed. Anonymous requests get 401, learners 403.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from quizzes.selectors.access import is_educator

NOT_AN_EDUCATOR = "Only educators (instructors or administrators of a course) may do this."


class IsEducator(BasePermission):
    message = NOT_AN_EDUCATOR
    code = "permission_denied"

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and is_educator(user))
