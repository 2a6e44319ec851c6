"""Reads for delivery: a learner's effective quiz settings and the engine's cached bank."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.core.cache import cache
from django.db.models import QuerySet

from quizzes.engine import ItemBank
from quizzes.models import Attempt, Bank, Membership, Question, Quiz, QuizOverride


@dataclass(frozen=True)
class EffectiveSettings:
    """A quiz's availability for one learner, accommodations applied."""

    opens_at: datetime | None
    closes_at: datetime | None
    attempts_allowed: int  # 0 = unlimited
    time_limit: timedelta | None


def effective_settings(*, quiz: Quiz, learner: User) -> EffectiveSettings:
    override = QuizOverride.objects.filter(quiz=quiz, learner=learner).first()
    if override is None:
        return EffectiveSettings(
            quiz.opens_at, quiz.closes_at, quiz.attempts_allowed, quiz.time_limit
        )
    time_limit = quiz.time_limit
    if time_limit is not None:
        if override.time_multiplier:
            time_limit = time_limit * override.time_multiplier
        if override.extra_time:
            time_limit = time_limit + override.extra_time
    attempts = quiz.attempts_allowed
    if attempts:
        attempts += override.extra_attempts
    return EffectiveSettings(
        opens_at=override.opens_at or quiz.opens_at,
        closes_at=override.closes_at or quiz.closes_at,
        attempts_allowed=attempts,
        time_limit=time_limit,
    )


def learner_can_take(*, quiz: Quiz, learner: User) -> bool:
    return Membership.objects.filter(
        user=learner, course_id=quiz.course_id, is_active=True
    ).exists()


def quizzes_for_learner(*, learner: User) -> QuerySet[Quiz]:
    """Published quizzes of the learner's active courses."""
    return (
        Quiz.objects.filter(
            status=Quiz.Status.PUBLISHED,
            course__memberships__user=learner,
            course__memberships__is_active=True,
        )
        .select_related("course")
        .distinct()
    )


def attempt_for_user(*, attempt_id: int, user: User) -> Attempt | None:
    """The learner's own attempt, or one in a course the user teaches; else None (404)."""
    attempt = (
        Attempt.objects.select_related("quiz", "quiz__bank", "quiz__course")
        .filter(pk=attempt_id)
        .first()
    )
    if attempt is None:
        return None
    if attempt.learner_id == user.pk:
        return attempt
    teaches = Membership.objects.filter(
        user=user,
        course_id=attempt.quiz.course_id,
        role__in=Membership.EDUCATOR_ROLES,
        is_active=True,
    ).exists()
    return attempt if teaches else None


# -- the engine's item bank, cached per bank content version ----------------------------


@dataclass(frozen=True)
class EngineBank:
    """The engine's parameter arrays for a bank's published questions, plus what delivery
    needs to map an engine item (a revision id) back: its question and SH parameter."""

    items: ItemBank
    question_of: dict[str, int]  # revision id -> question id
    current_of: dict[int, str]  # question id -> current revision id
    exposure: dict[str, float]  # revision id -> Sympson-Hetter parameter


_LOCAL_SIZE = 8
_local: OrderedDict[str, EngineBank] = OrderedDict()
_local_lock = threading.Lock()


def _build_engine_bank(bank: Bank) -> EngineBank:
    rows = (
        Question.objects.filter(
            bank=bank, status=Question.Status.PUBLISHED, current_revision__isnull=False
        )
        .order_by("pk")
        .values_list(
            "pk",
            "current_revision_id",
            "current_revision__irt_a",
            "current_revision__irt_b",
            "current_revision__irt_c",
            "current_revision__exposure_parameter",
            "topic__path",
        )
    )
    items: list[dict[str, Any]] = []
    question_of: dict[str, int] = {}
    current_of: dict[int, str] = {}
    exposure: dict[str, float] = {}
    for question_id, revision_id, a, b, c, k, topic_path in rows:
        item_id = str(revision_id)
        root_topic = (topic_path or "").split("/", 1)[0]
        items.append({"id": item_id, "a": a, "b": b, "c": c, "topic": root_topic})
        question_of[item_id] = question_id
        current_of[question_id] = item_id
        exposure[item_id] = k
    return EngineBank(ItemBank.from_items(items), question_of, current_of, exposure)


def engine_bank(bank: Bank) -> EngineBank:
    """The bank's engine arrays: from this process's memory, else the shared cache (Redis
    in production), else built from the database. Keyed by ``content_version``, which
    every question write bumps, so a cached entry is never stale. The bank's creation time
    is in the key too: a recreated database (a test run, a restored backup) reuses ids and
    versions, and a shared Redis must not hand it another database's arrays."""
    created = int(bank.created_at.timestamp() * 1_000_000) if bank.created_at else 0
    key = f"engine-bank:{bank.pk}:{bank.content_version}:{created}"
    with _local_lock:
        found = _local.get(key)
        if found is not None:
            _local.move_to_end(key)
            return found
    found = cache.get(key)
    if not isinstance(found, EngineBank):
        found = _build_engine_bank(bank)
        cache.set(key, found, timeout=24 * 3600)
    with _local_lock:
        _local[key] = found
        while len(_local) > _LOCAL_SIZE:
            _local.popitem(last=False)
    return found
