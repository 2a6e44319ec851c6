from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from quizzes.models import Question, QuestionRevision
from tests import factories as f
from tests.conftest import Cast

pytestmark = pytest.mark.django_db


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_instructor_sees_only_their_institutions_questions(cast: Cast) -> None:
    mine = f.QuestionFactory.create(bank=cast.bank, external_id="MINE-1")
    theirs = f.QuestionFactory.create(bank=cast.foreign_bank, external_id="THEIRS-1")
    page = logged_in(cast.bob).get("/admin/quizzes/question/")
    assert page.status_code == 200
    assert "MINE-1" in page.text
    assert "THEIRS-1" not in page.text
    # Another institution's question: not found for bob (redirect with a message), and
    # the reverse holds for dave.
    response = logged_in(cast.bob).get(f"/admin/quizzes/question/{theirs.pk}/change/")
    assert response.status_code == 302
    response = logged_in(cast.dave).get(f"/admin/quizzes/question/{mine.pk}/change/")
    assert response.status_code == 302
    assert (
        logged_in(cast.dave).get(f"/admin/quizzes/question/{mine.pk}/preview/").status_code == 404
    )


def test_learners_cannot_use_the_admin(cast: Cast) -> None:
    response = logged_in(cast.alice).get("/admin/quizzes/question/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_the_preview_shows_what_a_learner_sees_and_no_key(cast: Cast) -> None:
    question = f.QuestionFactory.create(bank=cast.bank)
    page = logged_in(cast.bob).get(f"/admin/quizzes/question/{question.pk}/preview/")
    assert page.status_code == 200
    assert "opening snap" in page.text
    assert "Mitral stenosis" in page.text
    for secret in ("Opening snap and diastolic rumble.", "An opening snap followed", "Pansystolic"):
        assert secret not in page.text


def test_the_publish_and_retire_actions_use_the_workflow(cast: Cast) -> None:
    question = f.QuestionFactory.create(bank=cast.bank)
    Question.objects.filter(pk=question.pk).update(status="in_review")
    client = logged_in(cast.bob)
    client.post(
        "/admin/quizzes/question/",
        {"action": "publish", "_selected_action": [question.pk]},
    )
    question.refresh_from_db()
    assert question.status == "published"
    client.post("/admin/quizzes/question/", {"action": "retire", "_selected_action": [question.pk]})
    question.refresh_from_db()
    assert question.status == "retired"


def change_form_data(question: Question, content: dict) -> dict:
    return {
        "topic": "",
        "bloom": question.bloom,
        "content": json.dumps(content),
    }


def test_editing_a_served_question_in_the_admin_creates_a_new_revision(cast: Cast) -> None:
    question = f.QuestionFactory.create(bank=cast.bank)
    first = question.current_revision
    assert first is not None
    QuestionRevision.objects.filter(pk=first.pk).update(served_at=timezone.now())
    page = logged_in(cast.bob).get(f"/admin/quizzes/question/{question.pk}/change/")
    assert page.status_code == 200
    content = json.loads(page.context["adminform"].form.fields["content"].initial)
    content["stem"] = "An edited vignette."
    response = logged_in(cast.bob).post(
        f"/admin/quizzes/question/{question.pk}/change/", change_form_data(question, content)
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    question.refresh_from_db()
    first.refresh_from_db()
    assert question.current_revision is not None
    assert question.current_revision.number == 2
    assert question.current_revision.stem == "An edited vignette."
    assert first.stem != "An edited vignette."


def test_an_invalid_edit_is_refused_with_the_reason(cast: Cast) -> None:
    question = f.QuestionFactory.create(bank=cast.bank)
    page = logged_in(cast.bob).get(f"/admin/quizzes/question/{question.pk}/change/")
    content = json.loads(page.context["adminform"].form.fields["content"].initial)
    for option in content["options"]:
        option["fraction"] = 1.0
    response = logged_in(cast.bob).post(
        f"/admin/quizzes/question/{question.pk}/change/", change_form_data(question, content)
    )
    assert response.status_code == 200
    assert "exactly one option with fraction 1" in response.text
    assert question.revisions.count() == 1
