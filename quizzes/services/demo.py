"""The demo data of DESIGN.md ("Running it"), loaded idempotently by ``make run``."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from quizzes.interop.drafts import BankDraft, OptionDraft, QuestionDraft, TopicDraft
from quizzes.interop.json import read_bank_dir
from quizzes.models import Bank, Course, Question, Quiz
from quizzes.services.banks import bank_load
from quizzes.services.courses import (
    course_ensure,
    institution_ensure,
    membership_set,
    staff_ensure,
    user_ensure,
)
from quizzes.services.quizzes import quiz_ensure, quiz_set_form

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


@transaction.atomic
def demo_data_load(*, password: str | None = None) -> DemoResult:
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
    return DemoResult(password=password, password_generated=generated, bank=bank, course=course)
