"""Attempts from start to finish: the writes of the learner's loop.

attempt_start -> (learner reads the current item) -> response_submit (responses.py) ...
-> attempt_finish (explicit, stopping rule met, form complete, or time up).
Every function locks the attempt row, so concurrent requests of one attempt serialise;
the database's unique constraints back the locks (attempt number, one response per item,
one item per position).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from quizzes.exceptions import AttemptConflict, NotFound, QuizUnavailable
from quizzes.models import Attempt, AttemptItem, QuestionRevision, Quiz
from quizzes.presentation import CHOICE, OPTION, STEM, STEP, learner_view
from quizzes.selectors.delivery import effective_settings, learner_can_take
from quizzes.services import item_selection
from quizzes.services.grades import grade_update

# Stable codes of the refusals (the API returns them; tests assert them).
NOT_OPEN_YET = "quiz_not_open_yet"
CLOSED = "quiz_closed"
NO_ATTEMPTS_LEFT = "no_attempts_left"
NOT_PUBLISHED = "quiz_not_published"
ATTEMPT_FINISHED = "attempt_finished"


@dataclass(frozen=True)
class StartResult:
    attempt: Attempt
    created: bool


def _public_ids(revision: QuestionRevision, options: list[Any]) -> dict[tuple[str, str], str]:
    """Random ids for this attempt's view of an item: they reveal neither order nor key."""
    draft_ids: list[tuple[str, str]] = [(OPTION, option.key) for option in options]
    payload = revision.payload
    draft_ids += [(STEM, stem["id"]) for stem in payload.get("stems", [])]
    draft_ids += [(CHOICE, choice["id"]) for choice in payload.get("choices", [])]
    draft_ids += [(STEP, step["id"]) for step in payload.get("steps", [])]
    return {key: secrets.token_urlsafe(6) for key in draft_ids}


def _serve(
    *, attempt: Attempt, revision_ids: list[int], first_position: int, now: datetime
) -> None:
    """Create attempt items for these revisions and freeze the revisions (served)."""
    revisions = {
        r.pk: r
        for r in QuestionRevision.objects.filter(pk__in=revision_ids)
        .select_related("question")
        .prefetch_related("options")
    }
    items = []
    for offset, revision_id in enumerate(revision_ids):
        revision = revisions[revision_id]
        options = list(revision.options.all())
        ids = _public_ids(revision, options)
        rng = item_selection.rng_for(attempt, first_position + offset)
        shuffle = attempt.quiz.shuffle_options and revision.type in ("single", "multiple")
        view = learner_view(
            revision.as_draft(options=options), public_ids=ids, rng=rng if shuffle else None
        )
        items.append(
            AttemptItem(
                attempt=attempt,
                position=first_position + offset,
                revision=revision,
                served_at=now,
                presentation={
                    "view": view,
                    "ids": {public: f"{kind}:{key}" for (kind, key), public in ids.items()},
                },
            )
        )
    AttemptItem.objects.bulk_create(items)
    QuestionRevision.objects.filter(pk__in=revision_ids, served_at__isnull=True).update(
        served_at=now
    )


def _served(attempt: Attempt) -> list[tuple[int, int, float | None]]:
    return [
        (question_id, revision_id, fraction)
        for question_id, revision_id, fraction in attempt.items.order_by("position").values_list(
            "revision__question_id", "revision_id", "response__fraction"
        )
    ]


def serve_next(*, attempt: Attempt, now: datetime) -> bool:
    """Adaptive and practice: select and serve the next item after an answer (or at start).

    Returns False when the attempt should stop (stopping rule met, practice length reached,
    or nothing left to serve); records the engine's ability and SE on the attempt.
    """
    quiz = attempt.quiz
    served = _served(attempt)
    if quiz.mode == Quiz.Mode.ADAPTIVE:
        excluded = (
            item_selection.seen_questions(quiz=quiz, attempt=attempt)
            if quiz.exclude_seen
            else set()
        )
        step = item_selection.adaptive_step(
            quiz=quiz, attempt=attempt, served=served, excluded_questions=excluded
        )
        attempt.ability, attempt.standard_error = step.ability, step.standard_error
        if step.classification is not None:
            attempt.passed = step.classification == "pass"
        attempt.save(update_fields=["ability", "standard_error", "passed"])
        if step.revision_id is None:
            return False
        revision_id = step.revision_id
    else:
        if len(served) >= quiz.length:
            return False
        chosen = item_selection.practice_next(
            quiz=quiz, attempt=attempt, served_questions={q for q, _, _ in served}
        )
        if chosen is None:
            return False
        revision_id = chosen
    _serve(attempt=attempt, revision_ids=[revision_id], first_position=len(served) + 1, now=now)
    return True


@transaction.atomic
def attempt_start(*, quiz: Quiz, learner: User, now: datetime | None = None) -> StartResult:
    """Start an attempt, or return the learner's attempt in progress (resume)."""
    now = now or timezone.now()
    if not learner_can_take(quiz=quiz, learner=learner):
        raise NotFound()
    if quiz.status != Quiz.Status.PUBLISHED:
        raise QuizUnavailable("This quiz is not published.", code=NOT_PUBLISHED)
    in_progress = (
        Attempt.objects.select_for_update()
        .filter(quiz=quiz, learner=learner, state=Attempt.State.IN_PROGRESS)
        .first()
    )
    if in_progress is not None and not expire_if_due(attempt=in_progress, now=now):
        return StartResult(in_progress, created=False)

    settings = effective_settings(quiz=quiz, learner=learner)
    if settings.opens_at and now < settings.opens_at:
        raise QuizUnavailable(
            f"This quiz opens at {settings.opens_at.isoformat()}.", code=NOT_OPEN_YET
        )
    if settings.closes_at and now >= settings.closes_at:
        raise QuizUnavailable("This quiz has closed.", code=CLOSED)
    used = Attempt.objects.filter(quiz=quiz, learner=learner).count()
    if settings.attempts_allowed and used >= settings.attempts_allowed:
        raise QuizUnavailable(
            f"No attempts left: {settings.attempts_allowed} allowed, {used} used.",
            code=NO_ATTEMPTS_LEFT,
        )
    deadlines = [
        d
        for d in (settings.closes_at, now + settings.time_limit if settings.time_limit else None)
        if d
    ]
    attempt = Attempt(
        quiz=quiz,
        learner=learner,
        number=used + 1,
        seed=secrets.randbelow(2**31),
        started_at=now,
        deadline=min(deadlines) if deadlines else None,
    )
    try:
        with transaction.atomic():
            attempt.save()
    except IntegrityError as error:  # a concurrent start took this number
        raise AttemptConflict(
            "Another attempt was started at the same moment; reload.", code="concurrent_start"
        ) from error
    if quiz.mode in (Quiz.Mode.FIXED, Quiz.Mode.BLUEPRINT):
        _serve(
            attempt=attempt,
            revision_ids=item_selection.form_for(quiz, attempt),
            first_position=1,
            now=now,
        )
    elif not serve_next(attempt=attempt, now=now):
        raise AttemptConflict(
            "This quiz has no questions to serve.", code=item_selection.NO_QUESTIONS
        )
    return StartResult(attempt, created=True)


def lock(attempt: Attempt) -> Attempt:
    """The attempt row, locked for this transaction (with its quiz and bank)."""
    return (
        Attempt.objects.select_for_update(of=("self",))
        .select_related("quiz", "quiz__bank")
        .get(pk=attempt.pk)
    )


def expire_if_due(*, attempt: Attempt, now: datetime) -> bool:
    """Finish an in-progress attempt whose deadline has passed; True when it did."""
    if attempt.state == Attempt.State.IN_PROGRESS and attempt.deadline and now >= attempt.deadline:
        _finish(attempt=attempt, reason=Attempt.FinishReason.TIME_UP, now=now)
        return True
    return False


def _score(attempt: Attempt) -> None:
    rows = list(attempt.items.values_list("response__fraction", flat=True))
    answered = [f for f in rows if f is not None]
    quiz = attempt.quiz
    attempt.score = float(sum(answered))
    # Forms are scored out of every item served; adaptive and practice out of the items
    # answered (their length is decided as they go).
    attempt.max_score = float(
        len(rows) if quiz.mode in (Quiz.Mode.FIXED, Quiz.Mode.BLUEPRINT) else len(answered)
    )
    attempt.percent = 100.0 * attempt.score / attempt.max_score if attempt.max_score else 0.0
    if (
        quiz.mode == Quiz.Mode.ADAPTIVE
        and quiz.ability_cut is not None
        and attempt.ability is not None
    ):
        if attempt.passed is None:
            attempt.passed = attempt.ability >= quiz.ability_cut
    elif quiz.pass_mark is not None:
        attempt.passed = attempt.percent >= quiz.pass_mark


def _finish(*, attempt: Attempt, reason: str, now: datetime) -> Attempt:
    _score(attempt)
    attempt.state = Attempt.State.FINISHED
    attempt.finish_reason = reason
    attempt.finished_at = now
    attempt.save()
    grade_update(quiz=attempt.quiz, learner_id=attempt.learner_id, now=now)
    return attempt


@transaction.atomic
def attempt_finish(
    *, attempt: Attempt, reason: str = Attempt.FinishReason.SUBMITTED, now: datetime | None = None
) -> Attempt:
    now = now or timezone.now()
    attempt = lock(attempt)
    if attempt.state == Attempt.State.FINISHED:
        return attempt
    if expire_if_due(attempt=attempt, now=now):
        return attempt
    return _finish(attempt=attempt, reason=reason, now=now)


def current_item(attempt: Attempt) -> AttemptItem | None:
    """The item the learner answers now: the first one without a response (with its
    revision: serving it needs the question id and revision number)."""
    return (
        attempt.items.filter(response__isnull=True)
        .select_related("revision")
        .order_by("position")
        .first()
    )


def attempt_refresh(*, attempt: Attempt, now: datetime | None = None) -> Attempt:
    """Apply the server's clock: an attempt past its deadline is finished with what was
    answered (called on every request of the attempt, and by the periodic sweep).
    A transaction is opened only when there is something to finish: this runs on every
    request, and most have nothing to do."""
    now = now or timezone.now()
    if attempt.state == Attempt.State.IN_PROGRESS and attempt.deadline and now >= attempt.deadline:
        with transaction.atomic():
            attempt = lock(attempt)
            expire_if_due(attempt=attempt, now=now)
    return attempt


def attempts_finish_expired(*, now: datetime | None = None) -> int:
    """The periodic sweep: finish every attempt whose deadline has passed."""
    now = now or timezone.now()
    finished = 0
    for attempt_id in Attempt.objects.filter(
        state=Attempt.State.IN_PROGRESS, deadline__lte=now
    ).values_list("pk", flat=True):
        with transaction.atomic():
            attempt = lock(Attempt(pk=attempt_id))
            finished += int(expire_if_due(attempt=attempt, now=now))
    return finished


def attempt_item_flag(*, attempt: Attempt, position: int, flagged: bool) -> bool:
    """Set or clear a learner's flag-for-review on an item of an in-progress attempt;
    False when the attempt has no such item or is finished. Flagging changes no score,
    grade or key, so it takes no lock."""
    if attempt.state != Attempt.State.IN_PROGRESS:
        return False
    updated = AttemptItem.objects.filter(attempt=attempt, position=position).update(flagged=flagged)
    return updated == 1
