"""Seed the benchmark database (already migrated, demo data loaded): learner users with
API tokens, unlimited attempts on the demo adaptive quiz, and a synthetic 30,000-item bank
with an adaptive quiz of the same settings. Prints the plan as JSON for run.py.

    DJANGO_SETTINGS_MODULE=config.settings DATABASE_URL=... python benchmarks/delivery/seed.py
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from rest_framework.authtoken.models import Token  # noqa: E402

from quizzes.models import Bank, Course, Quiz  # noqa: E402
from quizzes.services.banks import bank_create  # noqa: E402
from quizzes.services.courses import membership_set, user_ensure  # noqa: E402
from quizzes.services.quizzes import quiz_create, quiz_update  # noqa: E402
from quizzes.services.synthetic import synthetic_items_create  # noqa: E402

LEARNERS = int(os.environ.get("BENCH_LEARNERS", "64"))
SYNTHETIC_SIZE = int(os.environ.get("BENCH_SYNTHETIC_SIZE", "30000"))
ADAPTIVE_TITLE = "Balloon valvuloplasty: adaptive"
TOPICS = ("mechanism", "indications", "risks", "alternatives")


def synthetic_bank(course: Course, size: int) -> Bank:
    """A bank of the course's institution with ``size`` synthetic calibrated items."""
    bank = bank_create(institution=course.institution, title=f"Synthetic {size}")
    synthetic_items_create(
        bank=bank,
        size=size,
        topics=TOPICS,
        options=(("A", "Right", 1.0), ("B", "Wrong", 0.0), ("C", "Also wrong", 0.0)),
    )
    return bank


def main() -> None:
    course = Course.objects.get(slug="demo", institution__slug="demo")
    demo_quiz = Quiz.objects.get(course=course, title=ADAPTIVE_TITLE)
    quiz_update(quiz=demo_quiz, attempts_allowed=0)
    settings = {
        field: getattr(demo_quiz, field)
        for field in ("max_items", "min_items", "se_target", "ability_cut", "exposure")
    }
    synthetic = Quiz.objects.filter(course=course, title=f"Synthetic {SYNTHETIC_SIZE}: adaptive")
    if synthetic.exists():
        synthetic_quiz = synthetic.get()
    else:
        bank = synthetic_bank(course, SYNTHETIC_SIZE)
        synthetic_quiz = quiz_create(
            course=course,
            bank=bank,
            title=f"Synthetic {SYNTHETIC_SIZE}: adaptive",
            mode=Quiz.Mode.ADAPTIVE,
            status=Quiz.Status.PUBLISHED,
            attempts_allowed=0,
            **settings,
        )
    tokens = []
    for index in range(LEARNERS):
        learner = user_ensure(username=f"bench-learner-{index:03d}")
        membership_set(course=course, user=learner, role="learner")
        tokens.append(Token.objects.get_or_create(user=learner)[0].key)
    print(
        json.dumps(
            {
                "tokens": tokens,
                "quizzes": {
                    "valvuloplasty": {
                        "id": demo_quiz.pk,
                        "items": demo_quiz.bank.questions.filter(status="published").count(),
                    },
                    "synthetic": {"id": synthetic_quiz.pk, "items": SYNTHETIC_SIZE},
                },
                "settings": settings,
            }
        )
    )


if __name__ == "__main__":
    main()
