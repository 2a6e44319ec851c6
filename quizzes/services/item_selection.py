"""Which revision an attempt serves next, per quiz mode.

- fixed: the quiz's form (QuizQuestion rows), shuffled per attempt when the quiz says so;
- blueprint: a random form drawn per attempt to the blueprint's topic shares or counts;
- adaptive: the IRT engine (maximum information with content balancing and exposure
  control) over the bank's published questions, cached per bank content version;
- practice: items the learner missed before first, then items never seen, then the rest;
  within each, the topic or objective where the learner's mastery is lowest.
Fixed and blueprint forms are drawn whole when the attempt starts; adaptive and practice
items one at a time, right after the previous answer (so serving is a plain read).
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass

from quizzes.analytics import mastery
from quizzes.engine import EngineSettings, next_step
from quizzes.exceptions import Conflict
from quizzes.models import Attempt, Question, Quiz
from quizzes.selectors.delivery import engine_bank

NO_QUESTIONS = "no_questions"


@dataclass(frozen=True)
class AdaptiveStep:
    revision_id: int | None
    ability: float
    standard_error: float
    stop_reason: str | None
    classification: str | None


def rng_for(attempt: Attempt, position: int) -> random.Random:
    return random.Random(attempt.seed * 1_000_003 + position)


def _topic_matches(path: str, topic: str) -> bool:
    return path == topic or path.startswith(f"{topic}/")


def _published(quiz: Quiz) -> list[tuple[int, int, str]]:
    """(question id, current revision id, topic path) of the quiz bank's published items."""
    rows = Question.objects.filter(
        bank_id=quiz.bank_id, status=Question.Status.PUBLISHED, current_revision__isnull=False
    ).values_list("pk", "current_revision_id", "topic__path")
    return [(q, r, t or "") for q, r, t in rows]


def blueprint_counts(blueprint: dict[str, float], length: int) -> dict[str, int]:
    """Topic -> number of items: counts as given (integers >= 1), shares scaled to
    ``length`` by largest remainder."""
    if not blueprint:
        return {}
    values = list(blueprint.values())
    if all(float(v).is_integer() and v >= 1 for v in values) and sum(values) > 1:
        return {topic: int(v) for topic, v in blueprint.items()}
    total = sum(values)
    exact = {topic: length * v / total for topic, v in blueprint.items()}
    counts = {topic: int(x) for topic, x in exact.items()}
    for topic in sorted(exact, key=lambda t: exact[t] - counts[t], reverse=True):
        if sum(counts.values()) >= length:
            break
        counts[topic] += 1
    return counts


def engine_blueprint(blueprint: dict[str, float]) -> dict[str, float]:
    """The engine balances root topics by share."""
    shares: dict[str, float] = defaultdict(float)
    for topic, weight in blueprint.items():
        shares[topic.split("/", 1)[0]] += float(weight)
    return dict(shares)


def form_for(quiz: Quiz, attempt: Attempt) -> list[int]:
    """The revision ids of a fixed or blueprint attempt, in the order served."""
    rng = rng_for(attempt, 0)
    if quiz.mode == Quiz.Mode.FIXED:
        revisions = [
            revision_id
            for revision_id in quiz.form.order_by("position").values_list(
                "question__current_revision_id", flat=True
            )
            if revision_id is not None
        ]
        if quiz.shuffle_questions:
            rng.shuffle(revisions)
    else:
        published = _published(quiz)
        counts = blueprint_counts(quiz.blueprint, quiz.length)
        chosen: list[int] = []
        if counts:
            for topic, count in counts.items():
                pool = [
                    r for _, r, path in published if _topic_matches(path, topic) and r not in chosen
                ]
                rng.shuffle(pool)
                chosen.extend(pool[:count])
        missing = quiz.length - len(chosen)
        if missing > 0:  # a topic had too few items: fill from the rest of the bank
            rest = [r for _, r, _ in published if r not in chosen]
            rng.shuffle(rest)
            chosen.extend(rest[:missing])
        revisions = chosen[: quiz.length]
        if quiz.shuffle_questions:
            rng.shuffle(revisions)
    if not revisions:
        raise Conflict("This quiz has no questions to serve.", code=NO_QUESTIONS)
    return revisions


def engine_settings(quiz: Quiz) -> EngineSettings:
    return EngineSettings(
        max_items=quiz.max_items,
        min_items=quiz.min_items,
        se_target=quiz.se_target,
        ability_cut=quiz.ability_cut,
        classification=quiz.classification,
        exposure=quiz.exposure,
        blueprint=engine_blueprint(quiz.blueprint) or None,
    )


def adaptive_step(
    *,
    quiz: Quiz,
    attempt: Attempt,
    served: list[tuple[int, int, float | None]],
    excluded_questions: set[int],
) -> AdaptiveStep:
    """The engine's next item (or stop) given the attempt's items so far.

    ``served``: (question id, revision id, fraction or None) per item, in order.
    """
    bank = engine_bank(quiz.bank)
    responses = [
        (str(revision_id), fraction)
        for _, revision_id, fraction in served
        if fraction is not None and str(revision_id) in bank.question_of
    ]
    answered_ids = {item_id for item_id, _ in responses}
    # A question revised since it was served has a new current revision: exclude that
    # too, so no question comes back in one attempt.
    excluded = {
        bank.current_of[question_id]
        for question_id, _, _ in served
        if question_id in bank.current_of and bank.current_of[question_id] not in answered_ids
    }
    excluded |= {bank.current_of[q] for q in excluded_questions if q in bank.current_of}
    try:
        result = next_step(
            bank=bank.items,
            responses=responses,
            settings=engine_settings(quiz),
            seed=rng_for(attempt, len(served) + 1).randrange(2**32),
            excluded_ids=sorted(excluded),
            exposure_parameters=bank.exposure if quiz.exposure == "sympson-hetter" else None,
        )
    except ValueError as error:
        raise Conflict(
            f"The adaptive engine refused this quiz: {error}", code="engine_error"
        ) from error
    if len(bank.items) == 0 and not served:
        raise Conflict("This quiz has no questions to serve.", code=NO_QUESTIONS)
    return AdaptiveStep(
        revision_id=int(result.next_item_id) if result.next_item_id is not None else None,
        ability=result.ability,
        standard_error=result.standard_error,
        stop_reason=result.stop_reason if result.stopped else None,
        classification=result.classification,
    )


def seen_questions(*, quiz: Quiz, attempt: Attempt) -> set[int]:
    """Questions the learner saw in earlier attempts of this quiz."""
    return set(
        Attempt.objects.filter(quiz=quiz, learner_id=attempt.learner_id)
        .exclude(pk=attempt.pk)
        .values_list("items__revision__question_id", flat=True)
        .exclude(items__isnull=True)
    )


def _practice_candidates(quiz: Quiz) -> list[tuple[int, int, str, frozenset[int]]]:
    """(question id, current revision id, topic path, objective ids) of the quiz bank's
    published items, by question id: one query (objectives joined, rows folded)."""
    rows = (
        Question.objects.filter(
            bank_id=quiz.bank_id, status=Question.Status.PUBLISHED, current_revision__isnull=False
        )
        .order_by("pk")
        .values_list("pk", "current_revision_id", "topic__path", "objectives")
    )
    folded: dict[int, tuple[int, str, set[int]]] = {}
    for question_id, revision_id, path, objective_id in rows:
        entry = folded.setdefault(question_id, (revision_id, path or "", set()))
        if objective_id is not None:
            entry[2].add(objective_id)
    return [(q, r, path, frozenset(objectives)) for q, (r, path, objectives) in folded.items()]


def practice_next(*, quiz: Quiz, attempt: Attempt, served_questions: set[int]) -> int | None:
    """Practice: a missed item first, then an unseen one, then any. Within that pool, the
    items where the learner's mastery (quizzes/analytics/mastery.py, in this course) is
    weakest: an item's weakness is the lowest posterior mean among its topic and its
    objectives (the prior mean where there is no evidence). Random among the weakest,
    with the attempt's rng. Two queries: the candidates and the learner's responses."""
    published = [
        candidate
        for candidate in _practice_candidates(quiz)
        if candidate[0] not in served_questions
        and (not quiz.blueprint or any(_topic_matches(candidate[2], t) for t in quiz.blueprint))
    ]
    if not published:
        return None
    evidence = mastery.learner_evidence(learner_id=attempt.learner_id, bank_id=quiz.bank_id)
    history: dict[int, float] = {}
    for row in evidence:
        history[row.question] = row.fraction  # the latest answer wins
    estimates = mastery.mastery_units(row for row in evidence if row.course == quiz.course_id)

    def weakness(candidate: tuple[int, int, str, frozenset[int]]) -> float:
        _, _, path, objectives = candidate
        means = [estimates.topic(path).mean] if path else []
        means += [estimates.objective(objective).mean for objective in objectives]
        # Rounded so that equal evidence compares equal whatever the summation order.
        return round(min(means, default=mastery.PRIOR_MEAN), 9)

    weaknesses = {candidate[0]: weakness(candidate) for candidate in published}
    missed = [p for p in published if p[0] in history and history[p[0]] < 1.0]
    unseen = [p for p in published if p[0] not in history]
    rng = rng_for(attempt, len(served_questions) + 1)
    for pool in (missed, unseen, published):
        if pool:
            weakest = min(weaknesses[p[0]] for p in pool)
            return rng.choice([p for p in pool if weaknesses[p[0]] == weakest])[1]
    return None
