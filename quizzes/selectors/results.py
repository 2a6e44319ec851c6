"""An attempt's state and result as the learner (or their instructor) may see them."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from quizzes import scoring
from quizzes.analytics.mastery import Estimate, estimate, evidence_of
from quizzes.models import Attempt, AttemptItem, Quiz, Response
from quizzes.presentation import translate_answer

# The topic of questions filed under none.
NO_TOPIC = "(none)"


def time_left(attempt: Attempt, now: datetime) -> float | None:
    if attempt.deadline is None or attempt.state != Attempt.State.IN_PROGRESS:
        return None
    return max(0.0, (attempt.deadline - now).total_seconds())


def progress(attempt: Attempt, answered: int, total_served: int) -> dict[str, Any]:
    quiz = attempt.quiz
    if quiz.mode == Quiz.Mode.ADAPTIVE:
        total = quiz.max_items
    elif quiz.mode == Quiz.Mode.PRACTICE:
        total = quiz.length
    else:
        total = total_served
    return {"answered": answered, "total": total, "adaptive": quiz.mode == Quiz.Mode.ADAPTIVE}


def attempt_state(attempt: Attempt, now: datetime) -> dict[str, Any]:
    counts = attempt.items.values_list("response__fraction", flat=True)
    fractions = list(counts)
    answered = sum(1 for f in fractions if f is not None)
    return {
        "id": attempt.pk,
        "quiz": attempt.quiz_id,
        "number": attempt.number,
        "state": attempt.state,
        "started_at": attempt.started_at,
        "deadline": attempt.deadline,
        "time_left": time_left(attempt, now),
        "position": min(answered + 1, len(fractions))
        if attempt.state == Attempt.State.IN_PROGRESS
        else None,
        "progress": progress(attempt, answered, len(fractions)),
        "finished_at": attempt.finished_at,
        "finish_reason": attempt.finish_reason or None,
    }


def review_allowed(attempt: Attempt, now: datetime) -> bool:
    quiz = attempt.quiz
    if attempt.state != Attempt.State.FINISHED or quiz.review_when == Quiz.ReviewWhen.NEVER:
        return False
    if quiz.review_when == Quiz.ReviewWhen.AFTER_CLOSE:
        return quiz.closes_at is not None and now >= quiz.closes_at
    return True


def attempt_result(attempt: Attempt, now: datetime, *, educator: bool = False) -> dict[str, Any]:
    """Score, percent, ability and SE (adaptive), pass/fail, per-topic mastery, and the
    review the quiz's review options allow (educators always see the review)."""
    quiz = attempt.quiz
    items = list(
        attempt.items.select_related("revision", "revision__question__topic", "response")
        .prefetch_related("revision__options")
        .order_by("position")
    )
    topics: dict[str, dict[str, float]] = defaultdict(
        lambda: {"answered": 0, "score": 0.0, "served": 0}
    )
    for item in items:
        topic = item.revision.question.topic
        root = topic.path.split("/", 1)[0] if topic else NO_TOPIC
        entry = topics[root]
        entry["served"] += 1
        response = getattr(item, "response", None)
        if response is not None:
            entry["answered"] += 1
            entry["score"] += response.fraction
    # This attempt's points per root topic, and the learner's mastery of that topic across
    # all their attempts in the course on this bank.
    across = _mastery_across_attempts(attempt, set(topics))
    per_topic = [
        {
            "topic": topic,
            "answered": int(entry["answered"]),
            "served": int(entry["served"]),
            "score": round(entry["score"], 4),
            "percent": round(100 * entry["score"] / entry["served"], 1) if entry["served"] else 0.0,
            "mastery": across[topic].as_dict(),
        }
        for topic, entry in sorted(topics.items())
    ]
    result: dict[str, Any] = {
        "attempt": attempt.pk,
        "state": attempt.state,
        "score": attempt.score,
        "max_score": attempt.max_score,
        "percent": attempt.percent,
        "ability": attempt.ability if quiz.mode == Quiz.Mode.ADAPTIVE else None,
        "standard_error": attempt.standard_error if quiz.mode == Quiz.Mode.ADAPTIVE else None,
        "passed": attempt.passed,
        "topics": per_topic,
        "review": None,
    }
    if attempt.state != Attempt.State.FINISHED:
        return result
    if educator or review_allowed(attempt, now):
        result["review"] = [_review_item(item, quiz, educator) for item in items]
    return result


def _mastery_across_attempts(attempt: Attempt, roots: set[str]) -> dict[str, Estimate]:
    """The learner's mastery of each root topic (``NO_TOPIC`` for questions with none)
    from every response in the course's quizzes on this bank, this attempt's included
    (quizzes/analytics/mastery.py): one query."""
    evidence = evidence_of(
        Response.objects.filter(
            attempt__learner_id=attempt.learner_id,
            attempt__quiz__course_id=attempt.quiz.course_id,
            item__revision__question__bank_id=attempt.quiz.bank_id,
        ),
        with_objectives=False,
    )
    by_root: dict[str, list[float]] = defaultdict(list)
    for row in evidence:
        by_root[row.topic_path.split("/", 1)[0] if row.topic_path else NO_TOPIC].append(
            row.fraction
        )
    return {root: estimate(by_root[root]) for root in roots}


def _review_item(item: AttemptItem, quiz: Quiz, educator: bool) -> dict[str, Any]:
    response = getattr(item, "response", None)
    entry: dict[str, Any] = {
        "position": item.position,
        "item": item.revision.question_id,
        "revision": item.revision.number,
        **item.presentation.get("view", {}),
        "answer": response.answer.get("public") if response else None,
        "fraction": response.fraction if response else None,
    }
    draft = item.revision.as_draft(options=list(item.revision.options.all()))
    if educator or quiz.review_show_answers:
        key = scoring.correct_answer(draft)
        entry["correct_answer"] = translate_answer(
            item.presentation, item.revision.type, key, to_public=True
        )
        if response is not None:
            entry["feedback"] = scoring.score_answer(draft, response.answer["author"]).feedback
    if educator or quiz.review_show_explanations:
        entry["explanation"] = draft.explanation
    return entry
