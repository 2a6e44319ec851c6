"""Synthetic banks for load tests and query-budget tests: tens of thousands of calibrated
single-best-answer items, written in bulk (30,000 in a few seconds) rather than through
question_create, which validates, lints and sanitises one item at a time.

``synthetic_cohort_create`` adds a whole cohort on such a bank for the analytics
benchmarks: learners, finished attempts with their items and responses (simulated from a
2PL), grades and grade outbox rows: 1.5 million responses in about half a minute on
PostgreSQL (COPY), bulk inserts elsewhere."""

from __future__ import annotations

import json
import random
import re
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import numpy as np
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import connection, models, transaction
from django.db.models import Max, OuterRef, Subquery

from quizzes.exceptions import Conflict, ValidationFailed
from quizzes.models import (
    Attempt,
    AttemptItem,
    Bank,
    Course,
    Grade,
    GradeOutbox,
    Institution,
    Membership,
    Option,
    Question,
    QuestionRevision,
    Quiz,
    Response,
)
from quizzes.presentation import OPTION, learner_view
from quizzes.services.banks import bank_create, topic_ensure
from quizzes.services.courses import course_create, membership_set, user_ensure
from quizzes.services.questions import bank_touch
from quizzes.services.quizzes import quiz_create

DEFAULT_OPTIONS = (("A", "Right", 1.0), ("B", "Wrong", 0.0))


@transaction.atomic
def synthetic_items_create(
    *,
    bank: Bank,
    size: int,
    topics: Sequence[str],
    options: Sequence[tuple[str, str, float]] = DEFAULT_OPTIONS,
    seed: int | None = None,
) -> list[int]:
    """``size`` published items with 2PL parameters a ~ U(0.8, 2.2), b ~ U(-2.5, 2.5),
    spread round-robin over ``topics``; returns the question ids."""
    topic_rows = [topic_ensure(bank=bank, path=path) for path in topics]
    rng = random.Random(size if seed is None else seed)
    questions = Question.objects.bulk_create(
        [
            Question(
                bank=bank,
                external_id=f"SYN-{index:05d}",
                topic=topic_rows[index % len(topic_rows)],
                status=Question.Status.PUBLISHED,
            )
            for index in range(size)
        ],
        batch_size=5000,
    )
    revisions = QuestionRevision.objects.bulk_create(
        [
            QuestionRevision(
                question=question,
                number=1,
                type=QuestionRevision.Type.SINGLE,
                stem=f"Synthetic item {question.external_id}: which statement is right?",
                lead_in="Which of the following is right?",
                explanation="Synthetic explanation.",
                irt_a=rng.uniform(0.8, 2.2),
                irt_b=rng.uniform(-2.5, 2.5),
                irt_provenance="synthetic",
                content_hash=f"synthetic-{question.external_id}",
            )
            for question in questions
        ],
        batch_size=5000,
    )
    Option.objects.bulk_create(
        [
            Option(revision=revision, key=key, position=position, text=text, fraction=fraction)
            for revision in revisions
            for position, (key, text, fraction) in enumerate(options)
        ],
        batch_size=10000,
    )
    Question.objects.filter(bank=bank, current_revision__isnull=True).update(
        current_revision=Subquery(
            QuestionRevision.objects.filter(question=OuterRef("pk")).values("pk")[:1]
        )
    )
    bank_touch(bank.pk)
    return [question.pk for question in questions]


# -- synthetic cohorts (analytics benchmarks) ---------------------------------------------

COHORT_EXISTS = "cohort_exists"
COHORT_TOPICS = ("mechanism", "indications", "risks", "alternatives")
COHORT_OPTIONS = (
    ("A", "Right", 1.0),
    ("B", "Wrong", 0.0),
    ("C", "Also wrong", 0.0),
    ("D", "Still wrong", 0.0),
)
COHORT_PASS_MARK = 60.0
# Every date is fixed (not "now"): two runs with one seed write the same rows.
COHORT_START = datetime(2026, 1, 12, 8, 0, tzinfo=UTC)
COHORT_WINDOW_SECONDS = 14 * 86400
# A second attempt comes back this much more able (it studied in between).
SECOND_ATTEMPT_GAIN = 0.25
# Status of each grade's latest outbox row (earlier ones were delivered).
OUTBOX_STATUS_SHARES = (
    (GradeOutbox.Status.DELIVERED, 0.85),
    (GradeOutbox.Status.PENDING, 0.08),
    (GradeOutbox.Status.FAILED, 0.04),
    (GradeOutbox.Status.SKIPPED, 0.03),
)
OUTBOX_ERRORS = {
    GradeOutbox.Status.PENDING: "HTTP 503 from the platform's score service",
    GradeOutbox.Status.FAILED: "HTTP 401: the platform refused the tool's token",
}
BATCH_SIZE = 2000


@dataclass(frozen=True)
class CohortSummary:
    institution: Institution
    course: Course
    bank: Bank
    quizzes: list[Quiz]
    learners: int
    attempts: int
    responses: int
    grades: int
    outbox: int
    seconds: float
    outbox_statuses: dict[str, int] = field(default_factory=dict)


def _cohort_usernames(slug: str) -> str:
    return rf"^{re.escape(slug)}-(learner-\d+|instructor)$"


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    return cast("models.Field[Any, Any]", model._meta.get_field(name))


def _column(model: type[models.Model], name: str) -> str:
    return _quote(_field(model, name).get_attname_column()[1] or name)


def synthetic_cohort_delete(*, slug: str) -> bool:
    """Delete a synthetic cohort (its institution with everything in it, and its users);
    False when there is none. The two big tables go by one SQL statement each: the ORM's
    cascade would load a million and a half rows first."""
    institution = Institution.objects.filter(slug=slug).first()
    if institution is None:
        return False
    with transaction.atomic():
        quiz_ids = list(
            Quiz.objects.filter(course__institution=institution).values_list("pk", flat=True)
        )
        if quiz_ids:
            attempts = (
                f"SELECT {_column(Attempt, 'id')} FROM {_quote(Attempt._meta.db_table)} "
                f"WHERE {_column(Attempt, 'quiz')} IN ({', '.join(['%s'] * len(quiz_ids))})"
            )
            grades = (
                f"SELECT {_column(Grade, 'id')} FROM {_quote(Grade._meta.db_table)} "
                f"WHERE {_column(Grade, 'quiz')} IN ({', '.join(['%s'] * len(quiz_ids))})"
            )
            with connection.cursor() as cursor:
                for model, column, subquery in (
                    (Response, "attempt", attempts),
                    (AttemptItem, "attempt", attempts),
                    (GradeOutbox, "grade", grades),
                ):
                    cursor.execute(
                        f"DELETE FROM {_quote(model._meta.db_table)} "
                        f"WHERE {_column(model, column)} IN ({subquery})",
                        quiz_ids,
                    )
            Grade.objects.filter(quiz_id__in=quiz_ids).delete()
            Attempt.objects.filter(quiz_id__in=quiz_ids).delete()
        users = get_user_model().objects.filter(
            memberships__course__institution=institution,
            username__regex=_cohort_usernames(slug),
        )
        user_ids = list(users.values_list("pk", flat=True))
        Quiz.objects.filter(pk__in=quiz_ids).delete()
        institution.delete()
        get_user_model().objects.filter(pk__in=user_ids).delete()
    return True


def _foreign_keys_drop(tables: Sequence[type[models.Model]]) -> list[tuple[str, str, str]]:
    """PostgreSQL: drop the foreign keys of the big tables for the load, returning what
    _foreign_keys_restore puts back (in the same transaction: a failure rolls the drop
    back too). One validating pass per key when it is re-added costs seconds; the same
    checks row by row (a FOR KEY SHARE lookup per inserted or deleted row, queued to the
    commit) cost minutes at 1.5 million rows. PostgreSQL's "Populating a Database" advice."""
    if connection.vendor != "postgresql":
        return []
    names = [model._meta.db_table for model in tables]
    with connection.cursor() as cursor:
        # ALTER TABLE refuses while checks deferred to the commit are pending (rows this
        # transaction wrote before): run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) "
            "ORDER BY conname",
            [names],
        )
        keys = [(str(table), str(name), str(definition)) for table, name, definition in cursor]
        for table, name, _ in keys:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {_quote(name)}")
    return keys


def _foreign_keys_restore(keys: Sequence[tuple[str, str, str]]) -> None:
    if not keys:
        return
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table, name, definition in keys:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {_quote(name)} {definition}")
        # Back to Django's default: its foreign keys are checked at commit.
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _reserve_ids(model: type[models.Model], count: int) -> int:
    """The first of ``count`` consecutive primary keys nobody else will take.

    PostgreSQL: the table is locked against concurrent inserts until commit, then its
    identity sequence is moved past the block. Elsewhere: MAX(id) + 1, safe because the
    caller's transaction already holds the database's write lock (SQLite serialises
    writers, and the cohort's institution was written first)."""
    if count <= 0:
        return 1
    table = model._meta.db_table
    pk_column = _field(model, "id").column
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {_quote(table)} IN SHARE ROW EXCLUSIVE MODE")
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s))", [table, pk_column])
            first = int(cursor.fetchone()[0])
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, %s), %s)",
                [table, pk_column, first + count - 1],
            )
        return first
    return int(model._default_manager.aggregate(top=Max("pk"))["top"] or 0) + 1


def _write(model: type[models.Model], names: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert rows (values in the order of the field ``names``; JSON fields as JSON text):
    COPY on PostgreSQL, batched bulk_create elsewhere. Returns the row count."""
    fields = [_field(model, name) for name in names]
    written = 0
    if connection.vendor == "postgresql":
        columns = ", ".join(_column(model, name) for name in names)
        connection.ensure_connection()
        # Django's connection is a psycopg 3 connection: COPY joins the open transaction.
        with (
            connection.connection.cursor() as cursor,
            cursor.copy(f"COPY {_quote(model._meta.db_table)} ({columns}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
                written += 1
        return written
    attnames = [f.attname for f in fields]
    decode = [isinstance(f, models.JSONField) for f in fields]
    batch: list[models.Model] = []
    for row in rows:
        values = [
            json.loads(value) if is_json else value
            for value, is_json in zip(row, decode, strict=True)
        ]
        batch.append(model(**dict(zip(attnames, values, strict=True))))
        if len(batch) >= BATCH_SIZE:
            model._default_manager.bulk_create(batch)
            written += len(batch)
            batch = []
    if batch:
        model._default_manager.bulk_create(batch)
        written += len(batch)
    return written


@dataclass
class _Plan:
    """The simulated attempts of one quiz, as numpy arrays (one row per attempt)."""

    learner: np.ndarray  # index of the learner
    number: np.ndarray
    seed: np.ndarray
    started: np.ndarray  # seconds after COHORT_START
    finished: np.ndarray
    score: np.ndarray
    items: np.ndarray | None = None  # (attempts, per_learner) bank indices, in served order
    option: np.ndarray | None = None  # chosen option index (0 = the key)
    answered: np.ndarray | None = None  # seconds after COHORT_START, per item


def _simulate_main(
    rng: np.random.Generator,
    ability: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    per_learner: int,
    second_share: float,
) -> _Plan:
    learners = len(ability)
    second = np.flatnonzero(rng.random(learners) < second_share)
    learner = np.concatenate([np.arange(learners), second])
    number = np.concatenate([np.ones(learners, int), np.full(len(second), 2)])
    theta = ability[learner] + SECOND_ATTEMPT_GAIN * (number == 2)
    count = len(learner)
    # Each attempt's form: per_learner of the bank's items, in a random order (what a
    # blueprint quiz over the whole bank draws).
    items = np.argsort(rng.random((count, len(a))), axis=1)[:, :per_learner]
    correct_probability = 1.0 / (1.0 + np.exp(-a[items] * (theta[:, None] - b[items])))
    correct = rng.random((count, per_learner)) < correct_probability
    wrong_option = rng.integers(1, len(COHORT_OPTIONS), size=(count, per_learner))
    option = np.where(correct, 0, wrong_option)
    elapsed = np.cumsum(rng.integers(20, 121, size=(count, per_learner)), axis=1)
    started = rng.integers(0, COHORT_WINDOW_SECONDS, size=count)
    # A second attempt starts two to three days after the learner's first one ended.
    first_finish = started[:learners] + elapsed[:learners, -1] + 30
    started[learners:] = first_finish[second] + 2 * 86400 + rng.integers(0, 86400, len(second))
    return _Plan(
        learner=learner,
        number=number,
        seed=rng.integers(0, 2**31, size=count),
        started=started,
        finished=started + elapsed[:, -1] + 30,
        score=correct.sum(axis=1),
        items=items,
        option=option,
        answered=started[:, None] + elapsed,
    )


def _simulate_score_only(
    rng: np.random.Generator,
    ability: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    per_learner: int,
    offset_days: int,
) -> _Plan:
    """A further quiz: one finished attempt per learner with its score, no items."""
    learners = len(ability)
    theta = ability + rng.normal(0.0, 0.3, size=learners)
    expected = (1.0 / (1.0 + np.exp(-a[None, :] * (theta[:, None] - b[None, :])))).mean(axis=1)
    started = offset_days * 86400 + rng.integers(0, COHORT_WINDOW_SECONDS, size=learners)
    return _Plan(
        learner=np.arange(learners),
        number=np.ones(learners, int),
        seed=rng.integers(0, 2**31, size=learners),
        started=started,
        finished=started + per_learner * 60 + 30,
        score=rng.binomial(per_learner, expected),
    )


def _at(seconds: int) -> datetime:
    return COHORT_START + timedelta(seconds=seconds)


def _presentations(
    revisions: list[QuestionRevision], options: dict[int, list[Option]], seed: int
) -> tuple[list[str], list[list[str]]]:
    """Per bank item: the presentation JSON an attempt item stores (learner view with
    public option ids) and, per option index, the response's answer JSON in the delivery
    service's shape ({"public": learner ids, "author": author ids}). Public ids are drawn
    once per item (delivery draws them per attempt; the analytics never read them)."""
    rng = random.Random(seed)
    presentations, answers = [], []
    for revision in revisions:
        item_options = options[revision.pk]
        public = {(OPTION, o.key): f"{rng.getrandbits(48):012x}" for o in item_options}
        view = learner_view(revision.as_draft(options=item_options), public_ids=public, rng=rng)
        ids = {public_id: f"{kind}:{key}" for (kind, key), public_id in public.items()}
        presentations.append(json.dumps({"view": view, "ids": ids}))
        answers.append(
            [
                json.dumps(
                    {"public": {"option": public[(OPTION, o.key)]}, "author": {"option": o.key}}
                )
                for o in item_options
            ]
        )
    return presentations, answers


def synthetic_cohort_create(
    *,
    learners: int,
    items: int,
    per_learner: int,
    seed: int,
    quizzes: int = 1,
    second_attempts: float = 0.05,
    slug: str = "synthetic",
    replace: bool = False,
) -> CohortSummary:
    """A cohort for the analytics benchmarks, deterministic for a seed.

    Institution ``slug`` with course "cohort", a bank of ``items`` synthetic calibrated
    single-best-answer items (four options), ``learners`` learners and an instructor with
    memberships, and ``quizzes`` published blueprint quizzes, each drawing ``per_learner``
    items of the whole bank per attempt. The first quiz gets one finished attempt per
    learner (a second one for a ``second_attempts`` share of them) with its attempt items
    and responses: right or wrong from a 2PL with the item's a, b and the learner's true
    ability ~ N(0, 1), a wrong answer picking one of the three distractors at random.
    Further quizzes get one finished attempt per learner with its score only (no items).
    Grades follow each quiz's grading method (highest); every attempt wrote an outbox row
    (grade_update does), the latest of each grade with a mix of statuses.
    Refuses (Conflict, code cohort_exists) when the institution exists, unless ``replace``.
    On PostgreSQL the load locks the attempt, response and grade tables until it commits
    (foreign keys of the two big tables are dropped and re-validated, ids are reserved):
    meant for benchmark and staging databases, not a live one.
    """
    problems = []
    if learners < 1:
        problems.append("learners must be at least 1")
    if items < 1:
        problems.append("items must be at least 1")
    if not 1 <= per_learner <= items:
        problems.append("per_learner must be between 1 and items")
    if quizzes < 1:
        problems.append("quizzes must be at least 1")
    if not 0.0 <= second_attempts <= 1.0:
        problems.append("second_attempts must be a share between 0 and 1")
    if problems:
        raise ValidationFailed("; ".join(problems) + ".", code="invalid")
    began = time.perf_counter()
    with transaction.atomic():
        suspended = _foreign_keys_drop((AttemptItem, Response))
        if Institution.objects.filter(slug=slug).exists():
            if not replace:
                raise Conflict(
                    f"Institution {slug!r} exists already; pass replace to rebuild it.",
                    code=COHORT_EXISTS,
                )
            synthetic_cohort_delete(slug=slug)
        institution = Institution.objects.create(slug=slug, name=f"Synthetic cohort {slug}")
        course = course_create(institution=institution, slug="cohort", title="Synthetic cohort")
        bank = bank_create(institution=institution, title=f"Synthetic {items} items")
        synthetic_items_create(
            bank=bank, size=items, topics=COHORT_TOPICS, options=COHORT_OPTIONS, seed=seed
        )
        instructor = user_ensure(username=f"{slug}-instructor")
        membership_set(course=course, user=instructor, role=Membership.Role.INSTRUCTOR)
        quiz_rows = [
            quiz_create(
                course=course,
                bank=bank,
                title=f"Synthetic quiz {number}",
                mode=Quiz.Mode.BLUEPRINT,
                status=Quiz.Status.PUBLISHED,
                blueprint={},
                length=per_learner,
                attempts_allowed=2,
                grading_method=Quiz.GradingMethod.HIGHEST,
                pass_mark=COHORT_PASS_MARK,
            )
            for number in range(1, quizzes + 1)
        ]
        user_model = get_user_model()
        users = user_model.objects.bulk_create(
            [
                user_model(
                    username=f"{slug}-learner-{index:05d}",
                    email=f"{slug}-learner-{index:05d}@example.test",
                    password=f"{UNUSABLE_PASSWORD_PREFIX}synthetic",
                )
                for index in range(learners)
            ],
            batch_size=BATCH_SIZE,
        )
        Membership.objects.bulk_create(
            [Membership(user=user, course=course, role=Membership.Role.LEARNER) for user in users],
            batch_size=BATCH_SIZE,
        )
        user_ids = [user.pk for user in users]

        revisions = list(
            QuestionRevision.objects.filter(question__bank=bank)
            .select_related("question")
            .order_by("question__external_id")
        )
        options: dict[int, list[Option]] = {revision.pk: [] for revision in revisions}
        for option in Option.objects.filter(revision__question__bank=bank).order_by(
            "revision", "position"
        ):
            options[option.revision_id].append(option)
        a = np.array([revision.irt_a for revision in revisions])
        b = np.array([revision.irt_b for revision in revisions])
        presentations, answers = _presentations(revisions, options, seed)
        revision_ids = [revision.pk for revision in revisions]

        rng = np.random.default_rng(seed)
        ability = rng.standard_normal(learners)
        plans = [_simulate_main(rng, ability, a, b, per_learner, second_attempts)]
        plans += [
            _simulate_score_only(rng, ability, a, b, per_learner, offset_days=7 * index)
            for index in range(1, quizzes)
        ]
        statuses = [status.value for status, _ in OUTBOX_STATUS_SHARES]
        shares = [share for _, share in OUTBOX_STATUS_SHARES]

        counts = {"attempts": 0, "responses": 0, "grades": 0, "outbox": 0}
        outbox_statuses: dict[str, int] = dict.fromkeys(statuses, 0)
        for quiz, plan in zip(quiz_rows, plans, strict=True):
            written = _write_quiz(
                quiz=quiz,
                plan=plan,
                user_ids=user_ids,
                per_learner=per_learner,
                revision_ids=revision_ids,
                presentations=presentations,
                answers=answers,
                final_status=rng.choice(len(statuses), size=learners, p=shares).tolist(),
                statuses=statuses,
            )
            for key, value in written.items():
                if key in counts:
                    counts[key] += value
                else:
                    outbox_statuses[key] += value
        # Served revisions are frozen (what delivery does when it serves them).
        QuestionRevision.objects.filter(pk__in=revision_ids, served_at__isnull=True).update(
            served_at=COHORT_START
        )
        _foreign_keys_restore(suspended)
    return CohortSummary(
        institution=institution,
        course=course,
        bank=bank,
        quizzes=quiz_rows,
        learners=learners,
        attempts=counts["attempts"],
        responses=counts["responses"],
        grades=counts["grades"],
        outbox=counts["outbox"],
        seconds=time.perf_counter() - began,
        outbox_statuses=outbox_statuses,
    )


def _write_quiz(
    *,
    quiz: Quiz,
    plan: _Plan,
    user_ids: list[int],
    per_learner: int,
    revision_ids: list[int],
    presentations: list[str],
    answers: list[list[str]],
    final_status: list[int],
    statuses: list[str],
) -> dict[str, int]:
    """Attempts, attempt items, responses, grades and outbox rows of one quiz's plan."""
    count = len(plan.learner)
    learner = plan.learner.tolist()
    number = plan.number.tolist()
    score = plan.score.tolist()
    started = plan.started.tolist()
    finished = plan.finished.tolist()
    percent = [100.0 * s / per_learner for s in score]
    passed = [p >= COHORT_PASS_MARK for p in percent]
    first_attempt = _reserve_ids(Attempt, count)
    attempt_ids = list(range(first_attempt, first_attempt + count))
    written = {
        "attempts": _write(
            Attempt,
            (
                "id",
                "quiz",
                "learner",
                "number",
                "state",
                "seed",
                "started_at",
                "finished_at",
                "finish_reason",
                "score",
                "max_score",
                "percent",
                "passed",
            ),
            (
                (
                    attempt_ids[i],
                    quiz.pk,
                    user_ids[learner[i]],
                    number[i],
                    Attempt.State.FINISHED.value,
                    plan.seed[i].item(),
                    _at(started[i]),
                    _at(finished[i]),
                    Attempt.FinishReason.COMPLETED.value,
                    float(score[i]),
                    float(per_learner),
                    percent[i],
                    passed[i],
                )
                for i in range(count)
            ),
        ),
        "responses": 0,
    }
    if plan.items is not None and plan.option is not None and plan.answered is not None:
        written["responses"] = _write_items_and_responses(
            plan=plan,
            attempt_ids=attempt_ids,
            started=started,
            revision_ids=revision_ids,
            presentations=presentations,
            answers=answers,
        )

    # Grades by the quiz's method (highest; ties to the earlier attempt), recomputed at
    # each finish as grade_update does: every finish changes attempts_counted, so every
    # attempt wrote an outbox row with the grade after it.
    by_learner: dict[int, list[int]] = {}
    for i in sorted(range(count), key=lambda i: (learner[i], number[i])):
        by_learner.setdefault(learner[i], []).append(i)
    grade_rows: list[tuple[Any, ...]] = []
    outbox_rows: list[tuple[Any, ...]] = []
    first_grade = _reserve_ids(Grade, len(by_learner))
    first_outbox = _reserve_ids(GradeOutbox, count)
    for offset, (learner_index, attempts) in enumerate(sorted(by_learner.items())):
        grade_id = first_grade + offset
        best: int | None = None
        for position, i in enumerate(attempts):
            if best is None or percent[i] > percent[best]:
                best = i
            latest = position == len(attempts) - 1
            status = statuses[final_status[learner_index]] if latest else statuses[0]
            when = _at(finished[i])
            tries = {"delivered": 1, "pending": 2, "failed": 10, "skipped": 0}[status]
            outbox_rows.append(
                (first_outbox + len(outbox_rows), grade_id, round(percent[best], 4), 100.0,
                 "Completed", "FullyGraded", when, status, tries,
                 when + timedelta(minutes=8) if status == "pending" else None,
                 OUTBOX_ERRORS.get(status, ""),  # type: ignore[call-overload]
                 when + timedelta(seconds=5) if status == "delivered" else None,
                 when)
            )  # fmt: skip
        assert best is not None
        grade_rows.append(
            (grade_id, quiz.pk, user_ids[learner_index], round(percent[best], 4), len(attempts),
             passed[best], _at(finished[attempts[-1]]))
        )  # fmt: skip
    written["grades"] = _write(
        Grade,
        ("id", "quiz", "learner", "percent", "attempts_counted", "passed", "updated_at"),
        grade_rows,
    )
    written["outbox"] = _write(
        GradeOutbox,
        ("id", "grade", "score_given", "score_maximum", "activity_progress", "grading_progress",
         "timestamp", "status", "tries", "next_try_at", "last_error", "delivered_at",
         "created_at"),
        outbox_rows,
    )  # fmt: skip
    for row in outbox_rows:
        written[row[7]] = written.get(row[7], 0) + 1
    return written


def _write_items_and_responses(
    *,
    plan: _Plan,
    attempt_ids: list[int],
    started: list[int],
    revision_ids: list[int],
    presentations: list[str],
    answers: list[list[str]],
) -> int:
    assert plan.items is not None
    assert plan.option is not None
    assert plan.answered is not None
    count, per_learner = plan.items.shape
    total = count * per_learner
    item_index = plan.items.tolist()
    option = plan.option.tolist()
    answered = plan.answered.tolist()
    first_item = _reserve_ids(AttemptItem, total)
    first_response = _reserve_ids(Response, total)

    def item_rows() -> Iterator[tuple[Any, ...]]:
        row_id = first_item
        for i in range(count):
            served_at = _at(started[i])
            for position, bank_index in enumerate(item_index[i], start=1):
                yield (row_id, attempt_ids[i], position, revision_ids[bank_index],
                       presentations[bank_index], served_at, False)  # fmt: skip
                row_id += 1

    def response_rows() -> Iterator[tuple[Any, ...]]:
        row_id = 0
        for i in range(count):
            for position, bank_index in enumerate(item_index[i], start=1):
                chosen = option[i][position - 1]
                yield (first_response + row_id, attempt_ids[i], first_item + row_id,
                       f"synthetic-{position}", answers[bank_index][chosen],
                       1.0 if chosen == 0 else 0.0, _at(answered[i][position - 1]))  # fmt: skip
                row_id += 1

    _write(
        AttemptItem,
        ("id", "attempt", "position", "revision", "presentation", "served_at", "flagged"),
        item_rows(),
    )
    return _write(
        Response,
        ("id", "attempt", "item", "key", "answer", "fraction", "submitted_at"),
        response_rows(),
    )
