"""Recording a learner's answer: validated, scored, idempotent by key, on the server's clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from quizzes import scoring
from quizzes.exceptions import AttemptConflict, ValidationFailed
from quizzes.models import Attempt, AttemptItem, Quiz, Response
from quizzes.presentation import translate_answer
from quizzes.services.attempts import (
    ATTEMPT_FINISHED,
    _finish,
    current_item,
    expire_if_due,
    lock,
    serve_next,
)

UNKNOWN_ITEM = "unknown_item"
NOT_CURRENT = "not_current_item"
ALREADY_ANSWERED = "already_answered"
DEADLINE_PASSED = "deadline_passed"
KEY_REUSED = "key_reused"


@dataclass(frozen=True)
class SubmitResult:
    response: Response
    item: AttemptItem
    score: scoring.ScoreResult
    attempt: Attempt
    repeated: bool = False
    # Learner-facing ids of the key, for immediate feedback.
    correct_answer: dict[str, Any] = field(default_factory=dict)


# Learner-safe messages: scoring's own messages may name author ids ("s1", "A"), which
# would give the key away, so those codes get a message of their own.
SAFE_MESSAGES = {
    scoring.UNKNOWN_ID: "The answer names an id this item does not have.",
    scoring.DUPLICATE_ID: "The answer names the same id twice.",
    scoring.INCOMPLETE_ORDER: "The order must list every step of this item exactly once.",
}


def _answer_refused(error: scoring.AnswerError) -> ValidationFailed:
    detail = SAFE_MESSAGES.get(error.code, error.message)
    return ValidationFailed(detail, code=error.code, fields={"answer": [detail]})


def _score(item: AttemptItem, author_answer: dict[str, Any]) -> scoring.ScoreResult:
    return scoring.score_answer(item.revision.as_draft(), author_answer)


def _result(
    item: AttemptItem, response: Response, attempt: Attempt, repeated: bool
) -> SubmitResult:
    score = _score(item, response.answer["author"])
    return SubmitResult(
        response=response,
        item=item,
        score=score,
        attempt=attempt,
        repeated=repeated,
        correct_answer=translate_answer(
            item.presentation, item.revision.type, score.correct_answer, to_public=True
        ),
    )


@transaction.atomic
def response_submit(
    *, attempt: Attempt, question_id: int, answer: Any, key: str, now: datetime | None = None
) -> SubmitResult:
    now = now or timezone.now()
    attempt = lock(attempt)
    if not isinstance(key, str) or not 1 <= len(key) <= 100:
        raise ValidationFailed("key must be a string of 1 to 100 characters.", code="invalid_key")

    previous = (
        Response.objects.filter(attempt=attempt, key=key).select_related("item__revision").first()
    )
    if previous is not None:
        if previous.item.revision.question_id != question_id:
            raise AttemptConflict(
                "This idempotency key was used for another item.", code=KEY_REUSED
            )
        return _result(previous.item, previous, attempt, repeated=True)

    if attempt.state == Attempt.State.FINISHED:
        raise AttemptConflict("This attempt is finished.", code=ATTEMPT_FINISHED)
    if expire_if_due(attempt=attempt, now=now):
        raise AttemptConflict(
            "Time is up: the answer arrived after the deadline and was not recorded.",
            code=DEADLINE_PASSED,
        )

    quiz = attempt.quiz
    free_navigation = quiz.allow_navigation and quiz.mode in (Quiz.Mode.FIXED, Quiz.Mode.BLUEPRINT)
    # The usual case costs one query: the answer is for the current item.
    current = None if free_navigation else current_item(attempt)
    if current is not None and current.revision.question_id == question_id:
        item = current
    else:
        found = (
            attempt.items.select_related("revision", "response")
            .filter(revision__question_id=question_id)
            .first()
        )
        if found is None:
            raise ValidationFailed(
                f"Item {question_id} is not part of this attempt.",
                code=UNKNOWN_ITEM,
                fields={"item": [question_id]},
            )
        if hasattr(found, "response"):
            raise AttemptConflict("This item has already been answered.", code=ALREADY_ANSWERED)
        if not free_navigation:
            raise AttemptConflict("This is not the current item.", code=NOT_CURRENT)
        item = found

    try:
        author_answer = translate_answer(item.presentation, item.revision.type, answer)
        score = _score(item, author_answer)
    except scoring.AnswerError as error:
        raise _answer_refused(error) from error
    try:
        with transaction.atomic():
            response = Response.objects.create(
                attempt=attempt,
                item=item,
                key=key,
                answer={"public": answer, "author": author_answer},
                fraction=score.fraction,
                submitted_at=now,
            )
    except IntegrityError as error:
        raise AttemptConflict(
            "This item has already been answered.", code=ALREADY_ANSWERED
        ) from error

    if quiz.mode in (Quiz.Mode.ADAPTIVE, Quiz.Mode.PRACTICE):
        more = serve_next(attempt=attempt, now=now)
        response.ability_after, response.standard_error_after = (
            attempt.ability,
            attempt.standard_error,
        )
        response.save(update_fields=["ability_after", "standard_error_after"])
        if not more:
            reason = (
                Attempt.FinishReason.STOPPING_RULE
                if quiz.mode == Quiz.Mode.ADAPTIVE
                else Attempt.FinishReason.COMPLETED
            )
            _finish(attempt=attempt, reason=reason, now=now)
    elif not free_navigation and current_item(attempt) is None:
        _finish(attempt=attempt, reason=Attempt.FinishReason.COMPLETED, now=now)
    return SubmitResult(
        response=response,
        item=item,
        score=score,
        attempt=attempt,
        correct_answer=translate_answer(
            item.presentation, item.revision.type, score.correct_answer, to_public=True
        ),
    )
