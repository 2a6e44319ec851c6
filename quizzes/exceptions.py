"""Application errors with stable codes.

Services raise these; the API maps them to ``{"code", "detail", "fields"}`` with the
status below, the pages show ``detail``. Codes never change once published: LMS
integrations and scripts match on them.
"""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    code = "invalid"
    status = 400
    default_detail = "The request is invalid."

    def __init__(
        self, detail: str | None = None, *, code: str | None = None, fields: Any = None
    ) -> None:
        self.detail = detail or self.default_detail
        if code:
            self.code = code
        self.fields = fields or {}
        super().__init__(self.detail)


class ValidationFailed(ApplicationError):
    code = "invalid"
    status = 400
    default_detail = "The data is invalid."


class NotFound(ApplicationError):
    code = "not_found"
    status = 404
    default_detail = "Not found."


class PermissionDenied(ApplicationError):
    code = "permission_denied"
    status = 403
    default_detail = "You do not have permission to do this."


class Conflict(ApplicationError):
    code = "conflict"
    status = 409
    default_detail = "The request conflicts with the current state."


class RevisionImmutable(Conflict):
    code = "revision_immutable"
    default_detail = (
        "This revision has been served to a learner and cannot be changed or deleted; "
        "save a new revision instead."
    )


class QuizUnavailable(ApplicationError):
    """The quiz exists for this learner but cannot be started now."""

    code = "quiz_unavailable"
    status = 403
    default_detail = "This quiz is not open."


class AttemptConflict(Conflict):
    """The attempt's state refuses this request (finished, late, not the current item...)."""

    code = "attempt_conflict"
