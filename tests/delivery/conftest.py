from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from quizzes.models import Question, Quiz
from quizzes.services.banks import topic_ensure
from quizzes.services.questions import question_create
from quizzes.services.quizzes import quiz_create, quiz_set_form
from tests.conftest import Cast
from tests.factories import VALID, draft_of_type


@pytest.fixture
def every_type(cast: Cast) -> list[Question]:
    """One published question of each of the seven types in cast.bank (topic "valves")."""
    topic_ensure(bank=cast.bank, path="valves/mitral", title="Mitral")
    return [
        question_create(
            bank=cast.bank, draft=draft_of_type(kind, f"T-{kind}", topic="valves/mitral")
        )
        for kind in VALID
    ]


@pytest.fixture
def make_quiz(cast: Cast, every_type: list[Question]) -> Callable[..., Quiz]:
    def make(mode: str = "fixed", **settings: Any) -> Quiz:
        settings.setdefault("status", Quiz.Status.PUBLISHED)
        settings.setdefault("attempts_allowed", 2)
        settings.setdefault("shuffle_questions", False)
        settings.setdefault("length", len(every_type))
        quiz = quiz_create(
            course=cast.course, bank=cast.bank, title=f"Quiz {mode}", mode=mode, **settings
        )
        if mode == "fixed":
            quiz_set_form(quiz=quiz, questions=every_type)
        return quiz

    return make


def client_for(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client
