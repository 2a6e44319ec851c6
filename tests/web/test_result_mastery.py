"""The result page's mastery section: the learner's mastery per topic across every attempt
in the course (quizzes/analytics/mastery.py) beside this attempt's points, in words as
well as colour (the browser tests run axe on the same page)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from quizzes.analytics import mastery
from quizzes.models import Attempt, Membership, Question, Quiz
from quizzes.services.attempts import attempt_finish, attempt_start, current_item
from quizzes.services.banks import topic_ensure
from quizzes.services.courses import membership_set
from quizzes.services.questions import question_create
from quizzes.services.quizzes import quiz_create, quiz_set_form
from quizzes.services.responses import response_submit
from tests.conftest import Cast
from tests.factories import single_draft

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def take(quiz: Quiz, learner: Any, rights: list[bool]) -> Attempt:
    attempt = attempt_start(quiz=quiz, learner=learner).attempt
    for right in rights:
        item = current_item(attempt)
        assert item is not None
        wanted = "Mitral stenosis" if right else "Aortic stenosis"
        option = next(o["id"] for o in item.presentation["view"]["options"] if o["text"] == wanted)
        response_submit(
            attempt=attempt,
            question_id=item.revision.question_id,
            answer={"option": option},
            key=f"k-{item.pk}",
        )
    return attempt_finish(attempt=attempt)


def form_quiz(cast: Cast, questions: list[Question], *, course: Any = None) -> Quiz:
    quiz = quiz_create(
        course=course or cast.course,
        bank=cast.bank,
        title="Valves",
        mode="fixed",
        status=Quiz.Status.PUBLISHED,
        attempts_allowed=0,
        shuffle_questions=False,
    )
    return quiz_set_form(quiz=quiz, questions=questions)


@pytest.fixture
def questions(cast: Cast) -> list[Question]:
    topic_ensure(bank=cast.bank, path="mechanism", title="Mechanism")
    topic_ensure(bank=cast.bank, path="risks/vascular", title="Vascular")
    return [
        question_create(bank=cast.bank, draft=single_draft("M-1", topic="mechanism")),
        question_create(bank=cast.bank, draft=single_draft("R-1", topic="risks/vascular")),
    ]


def row(page: str, topic: str) -> str:
    found = re.search(rf'<tr data-topic="{topic}">(.*?)</tr>', page, re.S)
    assert found, f"no row for {topic}"
    return found.group(1)


def cells(html: str) -> list[str]:
    """The row's cells as text (tags stripped, whitespace folded)."""
    return [
        " ".join(re.sub(r"<[^>]+>", " ", cell).split())
        for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", html, re.S)
    ]


def test_the_result_shows_mastery_across_attempts_in_words(
    cast: Cast, questions: list[Question]
) -> None:
    quiz = form_quiz(cast, questions)
    take(quiz, cast.alice, [False, True])
    second = take(quiz, cast.alice, [False, True])
    page = client_for(cast.alice).get(reverse("web:result", args=[second.pk])).content.decode()
    # Mechanism: two misses, weights 0.95 and 1 -> Beta(1, 2.95): mean 25%, 80% range
    # 4-54%: not yet. Risks: two hits -> Beta(2.95, 1): 75% (46-96%): developing.
    mechanism = cells(row(page, "mechanism"))
    assert mechanism == ["Mechanism", "1", "0.0", "0%", "2", "25% (4–54%)", "Not yet"]
    assert 'data-status="not_yet"' in row(page, "mechanism")
    risks = cells(row(page, "risks"))
    assert risks == ["Risks", "1", "1.0", "100%", "2", "75% (46–96%)", "Developing"]
    # The meaning in plain words, with the thresholds the code uses.
    target = f"{mastery.MASTERY_TARGET:.0%}"
    level = f"{mastery.CREDIBLE_LEVEL:.0%}"
    help_text = page[page.index("data-mastery-help") :]
    assert f"with {level} certainty" in help_text
    assert f"low end of the likely range is {target} or more" in help_text
    assert f"high end of the likely range is below {target}" in help_text
    assert "every answer you have given" in help_text


def test_the_instructor_sees_the_learners_mastery_not_their_own(
    cast: Cast, questions: list[Question]
) -> None:
    quiz = form_quiz(cast, questions)
    attempt = take(quiz, cast.alice, [False, True])
    page = client_for(cast.bob).get(reverse("web:result", args=[attempt.pk])).content.decode()
    assert cells(row(page, "mechanism"))[4:] == ["1", "33% (5–68%)", "Not yet"]
    assert "every answer the learner has given" in page


def test_other_learners_and_other_courses_do_not_count(
    cast: Cast, questions: list[Question]
) -> None:
    quiz = form_quiz(cast, questions)
    # charlie answers everything right in course B on the same bank; alice too, there.
    take(form_quiz(cast, questions, course=cast.other_course), cast.charlie, [True, True])
    membership_set(course=cast.other_course, user=cast.alice, role=Membership.Role.LEARNER)
    take(form_quiz(cast, questions, course=cast.other_course), cast.alice, [True, True])
    attempt = take(quiz, cast.alice, [False, False])
    page = client_for(cast.alice).get(reverse("web:result", args=[attempt.pk])).content.decode()
    assert cells(row(page, "mechanism"))[4:] == ["1", "33% (5–68%)", "Not yet"]
    assert cells(row(page, "risks"))[4:] == ["1", "33% (5–68%)", "Not yet"]


def test_the_result_api_carries_the_same_estimate(cast: Cast, questions: list[Question]) -> None:
    quiz = form_quiz(cast, questions)
    attempt = take(quiz, cast.alice, [True, False])
    client = APIClient()
    client.force_authenticate(cast.alice)
    topics = client.get(f"/api/v1/attempts/{attempt.pk}/result/").json()["topics"]
    assert [(t["topic"], t["mastery"]) for t in topics] == [
        (
            "mechanism",
            {"n": 1, "mean": 0.6667, "lower": 0.3162, "upper": 0.9487, "status": "developing"},
        ),
        ("risks", {"n": 1, "mean": 0.3333, "lower": 0.0513, "upper": 0.6838, "status": "not_yet"}),
    ]
