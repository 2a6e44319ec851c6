"""Grades: a learner's grade per quiz by its grading method, and the outbox for the LMS."""

from __future__ import annotations

from datetime import datetime

from quizzes.models import Attempt, Grade, GradeOutbox, Quiz


def _grade_from(quiz: Quiz, attempts: list[Attempt]) -> tuple[float, bool | None]:
    method = quiz.grading_method
    if method == Quiz.GradingMethod.AVERAGE:
        percent = sum(a.percent or 0.0 for a in attempts) / len(attempts)
        passed = None if quiz.pass_mark is None else percent >= quiz.pass_mark
        if quiz.mode == Quiz.Mode.ADAPTIVE and quiz.ability_cut is not None:
            passed = any(a.passed for a in attempts)
        return percent, passed
    if method == Quiz.GradingMethod.FIRST:
        chosen = attempts[0]
    elif method == Quiz.GradingMethod.LAST:
        chosen = attempts[-1]
    else:
        chosen = max(attempts, key=lambda a: (a.percent or 0.0, -a.number))
    return chosen.percent or 0.0, chosen.passed


def grade_update(*, quiz: Quiz, learner_id: int, now: datetime) -> Grade | None:
    """Recompute the grade from the finished attempts; on a change, write an outbox row in
    the same transaction (the caller's), so a grade and its delivery are never split."""
    attempts = list(
        Attempt.objects.filter(
            quiz=quiz, learner_id=learner_id, state=Attempt.State.FINISHED
        ).order_by("number")
    )
    if not attempts:
        return None
    percent, passed = _grade_from(quiz, attempts)
    percent = round(min(100.0, max(0.0, percent)), 4)
    grade = Grade.objects.select_for_update().filter(quiz=quiz, learner_id=learner_id).first()
    if grade is not None and (grade.percent, grade.passed, grade.attempts_counted) == (
        percent,
        passed,
        len(attempts),
    ):
        return grade
    if grade is None:
        grade = Grade(quiz=quiz, learner_id=learner_id)
    grade.percent, grade.passed = percent, passed
    grade.attempts_counted = len(attempts)
    grade.updated_at = now
    grade.full_clean(exclude=["quiz", "learner"])
    grade.save()
    GradeOutbox.objects.create(
        grade=grade,
        score_given=percent,
        score_maximum=100.0,
        activity_progress="Completed",
        grading_progress="FullyGraded",
        timestamp=now,
    )
    return grade
