"""The demo data of DESIGN.md ("Running it"), loaded idempotently by ``make run``."""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from quizzes import scoring
from quizzes.engine.irt import probability
from quizzes.interop.drafts import BankDraft, OptionDraft, QuestionDraft, TopicDraft
from quizzes.interop.json import read_bank_dir
from quizzes.models import Attempt, AttemptItem, Bank, Course, Question, Quiz
from quizzes.presentation import translate_answer
from quizzes.services.attempts import attempt_finish, attempt_start, current_item
from quizzes.services.banks import bank_load
from quizzes.services.courses import (
    course_ensure,
    institution_ensure,
    membership_set,
    staff_ensure,
    user_ensure,
)
from quizzes.services.quizzes import quiz_ensure, quiz_set_form
from quizzes.services.responses import response_submit

DEMO_INSTITUTION = ("demo", "Demo Medical School")
OUTSIDER_INSTITUTION = ("elsewhere", "Elsewhere University")
VALVULOPLASTY_DIR = Path(settings.BASE_DIR) / "fixtures" / "valvuloplasty"
PASSWORD_FILE = Path(settings.BASE_DIR) / ".demo_password"

DEMO_QUIZZES: dict[str, dict[str, Any]] = {
    # mode -> settings beyond the defaults; all open to every learner of course demo.
    Quiz.Mode.ADAPTIVE: {
        "max_items": 20,
        "min_items": 8,
        "se_target": 0.4,
        "ability_cut": 0.0,
        "attempts_allowed": 3,
        "exposure": Quiz.Exposure.RANDOMESQUE,
        "pass_mark": 60.0,
    },
    Quiz.Mode.FIXED: {"length": 10, "attempts_allowed": 3, "pass_mark": 60.0},
    Quiz.Mode.BLUEPRINT: {
        "length": 15,
        "attempts_allowed": 3,
        "pass_mark": 60.0,
        "blueprint": {
            "mechanism": 0.2,
            "indications": 0.25,
            "risks": 0.25,
            "alternatives": 0.15,
            "advantages-selection": 0.15,
        },
    },
    Quiz.Mode.PRACTICE: {
        "length": 10,
        "attempts_allowed": 0,
        "feedback_timing": Quiz.FeedbackTiming.IMMEDIATE,
    },
}


@dataclass
class DemoResult:
    password: str
    password_generated: bool
    bank: Bank
    course: Course
    cohort_attempts: int = 0  # attempts the simulated cohort added on this run


def demo_password(explicit: str | None) -> tuple[str, bool]:
    """DEMO_PASSWORD when given; else one random password, kept in an ignored file so that
    re-runs print (and set) the same one."""
    if explicit:
        return explicit, False
    if PASSWORD_FILE.exists():
        return PASSWORD_FILE.read_text(encoding="utf-8").strip(), True
    password = secrets.token_urlsafe(12)
    PASSWORD_FILE.write_text(password, encoding="utf-8")
    PASSWORD_FILE.chmod(0o600)
    return password, True


def _outsider_bank() -> BankDraft:
    return BankDraft(
        title="Outsider cardiology bank",
        description="A bank of another institution; demo users must never see it.",
        topics=[TopicDraft(slug="general", title="General")],
        questions=[
            QuestionDraft(
                id="OUT-001",
                type="single",
                topic="general",
                status="published",
                bloom="remember",
                stem="Which chamber pumps blood into the aorta?",
                lead_in="Which of the following is correct?",
                options=[
                    OptionDraft("A", "Left ventricle", 1.0, "It ejects into the aorta."),
                    OptionDraft(
                        "B", "Right ventricle", 0.0, "It ejects into the pulmonary artery."
                    ),
                    OptionDraft("C", "Left atrium", 0.0, "It fills the left ventricle."),
                ],
                explanation="The left ventricle ejects into the aorta.",
            )
        ],
    )


def _fixed_form(bank: Bank, length: int) -> list[Question]:
    """A spread of published questions over the bank's topics, in topic order."""
    by_topic: dict[str, list[Question]] = {}
    published = bank.questions.filter(status=Question.Status.PUBLISHED).select_related("topic")
    for question in published.order_by("external_id"):
        root = question.topic.path.split("/", 1)[0] if question.topic else ""
        by_topic.setdefault(root, []).append(question)
    form: list[Question] = []
    while len(form) < length and any(by_topic.values()):
        for questions in by_topic.values():
            if questions and len(form) < length:
                form.append(questions.pop(0))
    return form


# -- the simulated cohort -------------------------------------------------------------------
# Twenty learners who took the demo's fixed, blueprint and adaptive quizzes over the past two
# weeks, so that a newcomer signing in as demo-instructor sees a populated gradebook, item
# analysis and mastery. They answer through the learner's own services (start, current
# item, submit, finish), each item right with the IRT probability of their true ability.

COHORT_PREFIX = "demo-cohort-"
COHORT_SEED = 20_260_101
COHORT_ABILITY_RANGE = (-1.5, 1.5)
COHORT_NAMES = (
    ("Amara", "Okafor"), ("Ben", "Hartley"), ("Chloe", "Nguyen"), ("Daniel", "Schmidt"),
    ("Elif", "Yilmaz"), ("Farah", "Haddad"), ("George", "Papadopoulos"), ("Hana", "Sato"),
    ("Isaac", "Mensah"), ("Julia", "Rossi"), ("Kiran", "Patel"), ("Lena", "Kowalski"),
    ("Mateo", "Garcia"), ("Nora", "Lindqvist"), ("Omar", "Farouk"), ("Priya", "Raman"),
    ("Quentin", "Dubois"), ("Rosa", "Alvarez"), ("Samuel", "Cohen"), ("Tara", "O'Neill"),
)  # fmt: skip
COHORT_MODES = (Quiz.Mode.FIXED, Quiz.Mode.BLUEPRINT, Quiz.Mode.ADAPTIVE)
# Every fifth learner (from the third) retakes the fixed quiz a few days later, a little
# better prepared; a fixed set, so that a re-run plans exactly the attempts it found.
COHORT_RETAKE_EVERY, COHORT_RETAKE_FIRST = 5, 2
COHORT_RETAKE_GAIN = 0.3
# Days before the load on which each quiz is taken: fixed first, adaptive last.
COHORT_DAYS_AGO: dict[str, tuple[int, int]] = {
    Quiz.Mode.FIXED: (10, 14),
    Quiz.Mode.BLUEPRINT: (5, 9),
    Quiz.Mode.ADAPTIVE: (1, 4),
}
COHORT_SECONDS_PER_ITEM = (15.0, 60.0)
COHORT_WRONG_TEXTS = ("not sure", "valve replacement", "I don't know")


@dataclass(frozen=True)
class CohortLearner:
    username: str
    first_name: str
    last_name: str
    ability: float  # the true ability the simulation answers with (logits)
    retakes_fixed: bool


def demo_cohort_learners() -> list[CohortLearner]:
    """The cohort, deterministic: the same names and true abilities on every run."""
    rng = random.Random(COHORT_SEED)
    low, high = COHORT_ABILITY_RANGE
    return [
        CohortLearner(
            username=f"{COHORT_PREFIX}{index + 1:02d}",
            first_name=first,
            last_name=last,
            ability=round(rng.uniform(low, high), 3),
            retakes_fixed=index % COHORT_RETAKE_EVERY == COHORT_RETAKE_FIRST,
        )
        for index, (first, last) in enumerate(COHORT_NAMES)
    ]


def _answer_key(draft: QuestionDraft) -> dict[str, Any]:
    """The key as a valid answer: correct_answer adds fields ("accepted", "tolerance"...)
    that an answer must not carry."""
    field = scoring.ANSWER_KEYS[draft.type]
    return {field: scoring.correct_answer(draft)[field]}


def _wrong_answer(draft: QuestionDraft, rng: random.Random) -> dict[str, Any]:
    """A valid answer that scores nothing (or as little as the item allows), author ids;
    distractors drawn at random, so item analysis shows them chosen as learners would."""
    key = scoring.correct_answer(draft)
    kind = draft.type
    if kind == "single":
        wrong = [o.id for o in draft.options if o.fraction <= 0]
        return {"option": rng.choice(wrong) if wrong else key["option"]}
    if kind == "multiple":
        wrong = [o.id for o in draft.options if o.fraction <= 0]
        return {"options": rng.sample(wrong, min(len(wrong), 2)) if wrong else key["options"][:1]}
    if kind == "true_false":
        return {"value": not key["value"]}
    if kind == "short_answer":
        # The authored wrong answers (common misconceptions) when the item has some.
        authored = [a.text for a in draft.accepted if a.fraction <= 0 and "*" not in a.text]
        return {"text": rng.choice(authored or COHORT_WRONG_TEXTS)}
    if kind == "numerical":
        value = float(key["value"] or 0.0)
        miss = (abs(value) + 10.0 * float(key["tolerance"] or 0.0) + 1.0) * rng.uniform(1.0, 3.0)
        return {"value": round(value + rng.choice((-1.0, 1.0)) * miss, 2)}
    if kind == "matching":
        stems = [s.id for s in draft.stems]
        keyed = [key["pairs"].get(stem) for stem in stems]
        choices = [c.id for c in draft.choices]
        pairs = {}
        for position, stem in enumerate(stems):
            # Any choice but the stem's own.
            others = [c for c in choices if c != keyed[position]] or choices
            pairs[stem] = rng.choice(others)
        return {"pairs": pairs}
    return {"order": list(reversed(key["order"]))}


def cohort_answer(
    item: AttemptItem, *, right: bool, rng: random.Random, draft: QuestionDraft | None = None
) -> dict[str, Any]:
    """What a learner who knows (or does not) would send: the public ids of this attempt,
    exactly the shape the API takes. ``draft``: the item's revision as a draft, if at hand."""
    draft = draft or item.revision.as_draft()
    author = _answer_key(draft) if right else _wrong_answer(draft, rng)
    return translate_answer(item.presentation, draft.type, author, to_public=True)


def _cohort_attempt(
    *,
    quiz: Quiz,
    learner: User,
    ability: float,
    rng: random.Random,
    start: datetime,
    drafts: dict[int, QuestionDraft],
) -> Attempt:
    """One attempt from start to finish, on a simulated clock from ``start``; ``drafts``
    caches revisions as drafts (the cohort sees the same items again and again)."""
    attempt = attempt_start(quiz=quiz, learner=learner, now=start).attempt
    now = start
    while attempt.state == Attempt.State.IN_PROGRESS:
        item = current_item(attempt)
        if item is None:
            break
        now += timedelta(seconds=rng.uniform(*COHORT_SECONDS_PER_ITEM))
        revision = item.revision
        chance = float(probability(ability, a=revision.irt_a, b=revision.irt_b, c=revision.irt_c))
        if revision.pk not in drafts:
            drafts[revision.pk] = revision.as_draft()
        right = rng.random() < chance
        attempt = response_submit(
            attempt=attempt,
            question_id=revision.question_id,
            answer=cohort_answer(item, right=right, rng=rng, draft=drafts[revision.pk]),
            key=f"demo-cohort-{attempt.pk}-{item.position}",
            now=now,
        ).attempt
    if attempt.state != Attempt.State.FINISHED:
        attempt = attempt_finish(attempt=attempt, now=now + timedelta(seconds=20))
    return attempt


def _cohort_start(rng: random.Random, today: datetime, mode: str) -> datetime:
    low, high = COHORT_DAYS_AGO[mode]
    day = today - timedelta(days=rng.randint(low, high))
    return day.replace(hour=rng.randint(7, 20), minute=rng.randint(0, 59), second=0, microsecond=0)


@transaction.atomic
def demo_cohort_load(*, course: Course, now: datetime | None = None) -> int:
    """The simulated cohort of the demo course and their attempts; returns the number of
    attempts added. Idempotent: each learner takes only the attempts of the plan that they
    have not finished yet, so a second run adds nothing."""
    today = now or timezone.now()
    quizzes = {
        quiz.mode: quiz for quiz in Quiz.objects.filter(course=course, mode__in=COHORT_MODES)
    }
    added = 0
    drafts: dict[int, QuestionDraft] = {}
    for member in demo_cohort_learners():
        learner = user_ensure(
            username=member.username,
            email=f"{member.username}@demo.test",
            first_name=member.first_name,
        )
        if learner.last_name != member.last_name:  # user_ensure sets first names only
            learner.last_name = member.last_name
            learner.save(update_fields=["last_name"])
        membership_set(course=course, user=learner, role="learner")
        finished: dict[str, int] = dict.fromkeys(COHORT_MODES, 0)
        for mode in Attempt.objects.filter(
            learner=learner, quiz__in=quizzes.values(), state=Attempt.State.FINISHED
        ).values_list("quiz__mode", flat=True):
            finished[mode] += 1
        # A generator of its own per learner: what one learner does never shifts another.
        rng = random.Random(f"{COHORT_SEED}:{member.username}")
        for mode in COHORT_MODES:
            start = _cohort_start(rng, today, mode)
            plan = [(start, member.ability)]
            if mode == Quiz.Mode.FIXED and member.retakes_fixed:
                retake = start + timedelta(days=rng.randint(2, 4), hours=rng.randint(-3, 3))
                plan.append((retake, member.ability + COHORT_RETAKE_GAIN))
            attempt_rng = random.Random(f"{COHORT_SEED}:{member.username}:{mode}")
            for when, ability in plan[finished[mode] :]:
                _cohort_attempt(
                    quiz=quizzes[mode],
                    learner=learner,
                    ability=ability,
                    rng=attempt_rng,
                    start=when,
                    drafts=drafts,
                )
                added += 1
    return added


@transaction.atomic
def demo_data_load(*, password: str | None = None, cohort: bool = True) -> DemoResult:
    password, generated = demo_password(password)
    demo = institution_ensure(slug=DEMO_INSTITUTION[0], name=DEMO_INSTITUTION[1])
    course = course_ensure(institution=demo, slug="demo", title="Demo course: structural heart")
    instructor = user_ensure(
        username="demo-instructor", email="instructor@demo.test", password=password
    )
    membership_set(course=course, user=instructor, role="instructor")
    staff_ensure(user=instructor)
    for username in ("demo-learner", "demo-learner-2"):
        learner = user_ensure(username=username, email=f"{username}@demo.test", password=password)
        membership_set(course=course, user=learner, role="learner")

    elsewhere = institution_ensure(slug=OUTSIDER_INSTITUTION[0], name=OUTSIDER_INSTITUTION[1])
    other_course = course_ensure(institution=elsewhere, slug="cardiology", title="Cardiology")
    outsider = user_ensure(
        username="demo-outsider", email="outsider@elsewhere.test", password=password
    )
    membership_set(course=other_course, user=outsider, role="instructor")
    staff_ensure(user=outsider)
    bank_load(institution=elsewhere, draft=_outsider_bank())

    bank = bank_load(institution=demo, draft=read_bank_dir(VALVULOPLASTY_DIR)).bank
    for mode, options in DEMO_QUIZZES.items():
        quiz = quiz_ensure(
            course=course,
            bank=bank,
            title=f"Balloon valvuloplasty: {mode}",
            mode=mode,
            status=Quiz.Status.PUBLISHED,
            **options,
        )
        if mode == Quiz.Mode.FIXED and not quiz.form.exists():
            quiz_set_form(quiz=quiz, questions=_fixed_form(bank, quiz.length))
    added = demo_cohort_load(course=course) if cohort else 0
    return DemoResult(
        password=password,
        password_generated=generated,
        bank=bank,
        course=course,
        cohort_attempts=added,
    )
