"""A learner's mastery per topic and per learning objective, across their attempts.

The model (docs/analytics.md, "Mastery"): each response is a Bernoulli trial whose
success weight is its score fraction (0..1; partial credit counts partly). With the
uniform prior Beta(1, 1), the posterior of the learner's success rate in a unit (a topic
with its subtopics, or an objective) is Beta(1 + S, 1 + F), S and F the weighted sums of
``fraction`` and ``1 - fraction``. Recent answers count more: the newest response in a
unit has weight 1, the one before it ``DECAY``, then ``DECAY**2`` ... (exponential
forgetting by response order within the unit), so a learner who has since learnt a
topic is not held back by old mistakes for long.

Reported: ``n`` (responses, unweighted), the posterior ``mean``, the equal-tailed
``CREDIBLE_LEVEL`` (80%) credible interval ``lower``..``upper``, and a ``status``:

- ``mastered``: lower >= ``MASTERY_TARGET`` (0.7): at least 90% sure the success rate is
  at or above 70%;
- ``not_yet``: upper < ``MASTERY_TARGET``: at least 90% sure it is below 70%;
- ``developing``: the interval straddles 70% (not enough evidence either way);
- ``no_evidence``: no responses.

Scope: the learner's responses in attempts on quizzes of one course, on the questions of
one bank (a course's quizzes may use several banks: topics and objectives belong to one).
``mastery_units`` is a pure function over plain rows (tested with no database); the
readers below feed it with a fixed number of queries, whatever the number of learners.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db.models import QuerySet
from scipy.special import betaincinv

from quizzes.models import Membership, Objective, Quiz, Response, Topic

# The prior Beta(PRIOR_SUCCESSES, PRIOR_FAILURES): uniform, the same for every learner, so
# one learner's estimate never depends on other learners' answers.
PRIOR_SUCCESSES = 1.0
PRIOR_FAILURES = 1.0
PRIOR_MEAN = PRIOR_SUCCESSES / (PRIOR_SUCCESSES + PRIOR_FAILURES)
# Weight ratio between a response and the next newer one in the same unit (1 = no
# forgetting). 0.95: the last ~20 responses carry most of the weight.
DECAY = 0.95
CREDIBLE_LEVEL = 0.8
MASTERY_TARGET = 0.7

MASTERED = "mastered"
DEVELOPING = "developing"
NOT_YET = "not_yet"
NO_EVIDENCE = "no_evidence"
STATUSES = (MASTERED, DEVELOPING, NOT_YET, NO_EVIDENCE)


@dataclass(frozen=True)
class Estimate:
    n: int
    mean: float
    lower: float
    upper: float
    status: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "mean": round(self.mean, 4),
            "lower": round(self.lower, 4),
            "upper": round(self.upper, 4),
            "status": self.status,
        }


@dataclass(frozen=True)
class Evidence:
    """One answered response, as mastery needs it (rows are passed oldest first)."""

    learner: int
    course: int
    bank: int
    question: int
    topic_path: str  # "" when the question has no topic
    objectives: frozenset[int]
    fraction: float


def mastery_status(*, n: int, lower: float, upper: float) -> str:
    if n == 0:
        return NO_EVIDENCE
    if lower >= MASTERY_TARGET:
        return MASTERED
    if upper < MASTERY_TARGET:
        return NOT_YET
    return DEVELOPING


def estimate(fractions: Sequence[float], *, decay: float = DECAY) -> Estimate:
    """The Beta posterior of a success rate from score fractions given oldest first."""
    successes = failures = 0.0
    weight = 1.0
    for fraction in reversed(fractions):
        successes += weight * fraction
        failures += weight * (1.0 - fraction)
        weight *= decay
    alpha, beta = PRIOR_SUCCESSES + successes, PRIOR_FAILURES + failures
    tail = (1.0 - CREDIBLE_LEVEL) / 2
    lower = float(betaincinv(alpha, beta, tail))
    upper = float(betaincinv(alpha, beta, 1.0 - tail))
    n = len(fractions)
    return Estimate(
        n=n,
        mean=alpha / (alpha + beta),
        lower=lower,
        upper=upper,
        status=mastery_status(n=n, lower=lower, upper=upper),
    )


NO_EVIDENCE_ESTIMATE = estimate([])


def topic_ancestors(path: str) -> list[str]:
    """The paths a response in ``path`` counts for: its topic and every ancestor
    ("risks/vascular/bleeding" -> "risks", "risks/vascular", "risks/vascular/bleeding")."""
    if not path:
        return []
    parts = path.split("/")
    return ["/".join(parts[: depth + 1]) for depth in range(len(parts))]


@dataclass(frozen=True)
class Mastery:
    """One learner's estimates in one scope: by topic path and by objective id."""

    topics: dict[str, Estimate]
    objectives: dict[int, Estimate]

    def topic(self, path: str) -> Estimate:
        return self.topics.get(path, NO_EVIDENCE_ESTIMATE)

    def objective(self, objective_id: int) -> Estimate:
        return self.objectives.get(objective_id, NO_EVIDENCE_ESTIMATE)


def mastery_units(evidence: Iterable[Evidence], *, decay: float = DECAY) -> Mastery:
    """Estimates per topic path (each response counts for its topic and its ancestors) and
    per objective, from one learner's responses given oldest first."""
    by_topic: dict[str, list[float]] = defaultdict(list)
    by_objective: dict[int, list[float]] = defaultdict(list)
    for row in evidence:
        for path in topic_ancestors(row.topic_path):
            by_topic[path].append(row.fraction)
        for objective in row.objectives:
            by_objective[objective].append(row.fraction)
    return Mastery(
        topics={path: estimate(f, decay=decay) for path, f in by_topic.items()},
        objectives={code: estimate(f, decay=decay) for code, f in by_objective.items()},
    )


# -- reads ------------------------------------------------------------------------------


def evidence_of(responses: QuerySet[Response], *, with_objectives: bool = True) -> list[Evidence]:
    """The responses as Evidence, oldest first: one query (objectives joined in, which
    repeats a response once per objective; the rows are folded back here)."""
    fields = [
        "pk",
        "attempt__learner_id",
        "attempt__quiz__course_id",
        "item__revision__question__bank_id",
        "item__revision__question_id",
        "item__revision__question__topic__path",
        "fraction",
    ]
    if with_objectives:
        fields.append("item__revision__question__objectives")
    rows = responses.order_by("submitted_at", "pk").values_list(*fields)
    folded: dict[int, tuple[list[Any], set[int]]] = {}
    for row in rows:
        entry = folded.setdefault(row[0], (list(row[1:7]), set()))
        if with_objectives and row[7] is not None:
            entry[1].add(row[7])
    return [
        Evidence(
            learner=learner,
            course=course,
            bank=bank,
            question=question,
            topic_path=path or "",
            objectives=frozenset(objectives),
            fraction=fraction,
        )
        for (learner, course, bank, question, path, fraction), objectives in folded.values()
    ]


def learner_evidence(*, learner_id: int, bank_id: int) -> list[Evidence]:
    """Every response of the learner to the bank's questions, in any course (practice's
    missed/unseen history); mastery keeps the rows of one course (``Evidence.course``)."""
    return evidence_of(
        Response.objects.filter(
            attempt__learner_id=learner_id, item__revision__question__bank_id=bank_id
        )
    )


# -- the course report (GET /api/v1/courses/{id}/mastery/) ---------------------------------


def course_role(*, user: User, course_id: int) -> str | None:
    """The user's role in the course ("learner", "instructor", "admin") or None when they
    have no active membership there (another course or institution: a 404)."""
    return (
        Membership.objects.filter(user=user, course_id=course_id, is_active=True)
        .values_list("role", flat=True)
        .first()
    )


def course_learners(*, course_id: int) -> QuerySet[User]:
    """The course's active learners, by id."""
    return User.objects.filter(
        memberships__course_id=course_id,
        memberships__role=Membership.Role.LEARNER,
        memberships__is_active=True,
    ).order_by("pk")


def course_mastery(*, course_id: int, learners: Sequence[User]) -> list[dict[str, Any]]:
    """Each learner's mastery of every topic and objective of the banks the course's
    quizzes use (units without responses have status no_evidence). Four queries whatever
    the number of learners: banks, topics, objectives, responses (objectives joined)."""
    bank_ids = sorted(
        set(Quiz.objects.filter(course_id=course_id).values_list("bank_id", flat=True))
    )
    topics = list(
        Topic.objects.filter(bank_id__in=bank_ids)
        .order_by("bank_id", "path")
        .values_list("pk", "bank_id", "path", "title")
    )
    objectives = list(
        Objective.objects.filter(bank_id__in=bank_ids)
        .order_by("bank_id", "code")
        .values_list("pk", "bank_id", "code", "text")
    )
    evidence: dict[tuple[int, int], list[Evidence]] = defaultdict(list)
    if learners and bank_ids:
        rows = evidence_of(
            Response.objects.filter(
                attempt__quiz__course_id=course_id,
                attempt__learner_id__in=[learner.pk for learner in learners],
                item__revision__question__bank_id__in=bank_ids,
            )
        )
        for row in rows:
            evidence[(row.learner, row.bank)].append(row)
    report = []
    for learner in learners:
        per_bank = {bank: mastery_units(evidence[(learner.pk, bank)]) for bank in bank_ids}
        report.append(
            {
                "learner": learner.pk,
                "username": learner.get_username(),
                "topics": [
                    {"topic": pk, "bank": bank, "path": path, "title": title}
                    | per_bank[bank].topic(path).as_dict()
                    for pk, bank, path, title in topics
                ],
                "objectives": [
                    {"objective": code, "bank": bank, "text": text}
                    | per_bank[bank].objective(pk).as_dict()
                    for pk, bank, code, text in objectives
                ],
            }
        )
    return report
