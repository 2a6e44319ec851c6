"""The pages' one write that has no service yet: a learner's flag on an item.

Flagging changes no score, grade or key, so it needs no attempt lock; it is still a
function with keyword arguments (STYLE.md) so it can move into services/attempts.py.
"""

from __future__ import annotations

from quizzes.models import Attempt, AttemptItem


def attempt_item_flag(*, attempt: Attempt, position: int, flagged: bool) -> bool:
    """Set or clear the flag-for-review of an in-progress attempt's item; False when the
    attempt has no such item or is finished."""
    if attempt.state != Attempt.State.IN_PROGRESS:
        return False
    updated = AttemptItem.objects.filter(attempt=attempt, position=position).update(flagged=flagged)
    return updated == 1
