"""The learner and educator pages over Django's test client (the browser tests are in
test_browser.py). The fixed cast: alice learns in course A, bob teaches it, charlie
learns in course B, dave teaches in another institution and should have no access."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.http import StreamingHttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from quizzes.analytics.gradebook import gradebook_csv_chunks
from quizzes.models import Attempt, AttemptItem, Objective, Question, Quiz
from quizzes.models.lti import LtiPlatform
from quizzes.services.attempts import attempt_start
from quizzes.web.answers import CHOOSE_ONE
from quizzes.web.educator import EDUCATORS_ONLY, GRADEBOOK_PAGE_SIZE
from tests.conftest import Cast
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_answer(view: dict[str, Any], *, right: bool = True) -> dict[str, Any]:
    """Form fields answering an item of each type (the every_type fixture's keys)."""
    kind = view["type"]
    if kind == "single":
        wanted = "Mitral stenosis" if right else "Aortic stenosis"
        return {"option": next(o["id"] for o in view["options"] if o["text"] == wanted)}
    if kind == "multiple":
        return {
            "options": [o["id"] for o in view["options"] if o["text"] in ("Tamponade", "Severe MR")]
        }
    if kind == "true_false":
        return {"value": "true" if right else "false"}
    if kind == "short_answer":
        return {"text": "commissurotomy" if right else "balloon"}
    if kind == "numerical":
        return {"value": "1,5"}
    if kind == "matching":
        stems = {s["text"]: s["id"] for s in view["stems"]}
        choices = {c["text"]: c["id"] for c in view["choices"]}
        return {
            f"pair-{stems['Mitral']}": choices["Femoral vein"],
            f"pair-{stems['Aortic']}": choices["Femoral artery"],
        }
    ranks = {"TEE": 1, "Transseptal puncture": 2}
    return {f"rank-{s['id']}": ranks[s["text"]] for s in view["steps"]}


def current(attempt: Attempt) -> AttemptItem:
    item = attempt.items.filter(response__isnull=True).order_by("position").first()
    assert item is not None
    return item


def post_answer(client: Client, attempt: Attempt, **extra: Any) -> Any:
    item = current(attempt)
    data = {"item": item.revision.question_id, "key": f"k-{item.pk}"}
    data |= form_answer(item.presentation["view"], **extra)
    return client.post(reverse("web:answer", args=[attempt.pk]), data)


# -- sign-in and home -------------------------------------------------------------------------


def test_it_asks_anonymous_visitors_to_sign_in(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    login = client.get("/accounts/login/")
    assert login.status_code == 200
    assert b'name="csrfmiddlewaretoken"' in login.content


def test_it_signs_in_with_csrf_enforced(cast: Cast) -> None:
    client = Client(enforce_csrf_checks=True)
    refused = client.post(
        "/accounts/login/", {"username": "alice", "password": "correct horse battery staple"}
    )
    assert refused.status_code == 403
    page = client.get("/accounts/login/")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content)
    assert token is not None
    response = client.post(
        "/accounts/login/",
        {
            "username": "alice",
            "password": "correct horse battery staple",
            "csrfmiddlewaretoken": token.group(1).decode(),
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_it_lists_the_learners_quizzes_only(cast: Cast, make_quiz: Callable[..., Quiz]) -> None:
    quiz = make_quiz("fixed")
    draft = make_quiz("practice", status=Quiz.Status.DRAFT)
    page = client_for(cast.alice).get("/")
    assert page.status_code == 200
    assert quiz.title.encode() in page.content
    assert reverse("web:quiz", args=[draft.pk]).encode() not in page.content
    assert quiz.title.encode() not in client_for(cast.charlie).get("/").content


def test_every_page_has_a_strict_csp_without_inline_scripts(cast: Cast) -> None:
    page = client_for(cast.alice).get("/")
    policy = page["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert re.search(rb"<script(?![^>]*\bsrc=)[^>]*>", page.content) is None
    assert b" style=" not in page.content


# -- intro and attempt -------------------------------------------------------------------------


def test_the_intro_shows_mode_length_time_and_attempts_left(
    cast: Cast, make_quiz: Callable[..., Quiz]
) -> None:
    quiz = make_quiz("adaptive", time_limit=timedelta(minutes=15), max_items=6, min_items=2)
    page = client_for(cast.alice).get(reverse("web:quiz", args=[quiz.pk]))
    text = page.content.decode()
    assert "Adaptive" in text
    assert "between 2 and 6 questions" in text
    assert "15 minutes" in text
    assert "2 of 2" in text


@pytest.mark.parametrize("who", ["charlie", "dave"])
def test_the_intro_is_a_404_for_outsiders(
    cast: Cast, make_quiz: Callable[..., Quiz], who: str
) -> None:
    quiz = make_quiz("fixed")
    assert client_for(getattr(cast, who)).get(reverse("web:quiz", args=[quiz.pk])).status_code == (
        404
    )


def test_start_needs_post(cast: Cast, make_quiz: Callable[..., Quiz]) -> None:
    quiz = make_quiz("fixed")
    client = client_for(cast.alice)
    assert client.get(reverse("web:quiz-start", args=[quiz.pk])).status_code == 405


def test_a_learner_answers_all_seven_types_and_sees_result_and_review(
    cast: Cast, make_quiz: Callable[..., Quiz], every_type: list[Question]
) -> None:
    quiz = make_quiz("fixed", pass_mark=50.0)
    client = client_for(cast.alice)
    started = client.post(reverse("web:quiz-start", args=[quiz.pk]))
    assert started.status_code == 303
    attempt = Attempt.objects.get(quiz=quiz, learner=cast.alice)
    assert started["Location"] == reverse("web:attempt", args=[attempt.pk])
    seen_types = set()
    for _ in every_type:
        page = client.get(reverse("web:attempt", args=[attempt.pk]))
        assert page.status_code == 200
        item = current(attempt)
        view = item.presentation["view"]
        seen_types.add(view["type"])
        html = page.content.decode()
        assert f'data-item-type="{view["type"]}"' in html
        # No key, fraction, feedback or explanation before the item is answered.
        assert item.revision.explanation not in html
        assert "fraction" not in html
        for author in item.presentation["ids"].values():
            if view["type"] == "true_false":
                break  # its answer is {"value": true|false}: the options carry no id
            assert f'value="{author.split(":", 1)[1]}"' not in html
        response = post_answer(client, attempt)
        assert response.status_code == 303, response.content
    assert seen_types == {"single", "multiple", "true_false", "short_answer", "numerical",
                          "matching", "ordering"}  # fmt: skip
    attempt.refresh_from_db()
    assert attempt.state == Attempt.State.FINISHED
    assert attempt.percent == pytest.approx(100.0)
    result = client.get(reverse("web:result", args=[attempt.pk]))
    assert result.status_code == 200
    assert b"<svg" in result.content
    assert b"Passed" in result.content
    assert b"nothing to revisit" in result.content
    review = client.get(reverse("web:review", args=[attempt.pk]))
    assert review.status_code == 200
    revision = every_type[0].current_revision
    assert revision is not None
    assert revision.explanation.encode() in review.content


def test_an_incomplete_answer_is_refused_with_a_message_and_nothing_recorded(
    cast: Cast, make_quiz: Callable[..., Quiz]
) -> None:
    quiz = make_quiz("fixed")
    attempt = attempt_start(quiz=quiz, learner=cast.alice).attempt
    item = current(attempt)
    response = client_for(cast.alice).post(
        reverse("web:answer", args=[attempt.pk]),
        {"item": item.revision.question_id, "key": "k1"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 400
    assert CHOOSE_ONE.encode() in response.content
    assert b'id="attempt-main"' in response.content
    assert b"<html" not in response.content  # the htmx fragment only
    assert not attempt.responses.exists()


def test_practice_mode_shows_feedback_and_the_explanation_after_each_item(
    cast: Cast, make_quiz: Callable[..., Quiz]
) -> None:
    quiz = make_quiz("practice", feedback_timing=Quiz.FeedbackTiming.IMMEDIATE, length=2)
    attempt = attempt_start(quiz=quiz, learner=cast.alice).attempt
    client = client_for(cast.alice)
    item = current(attempt)
    response = post_answer(client, attempt)
    assert response.status_code == 200
    assert item.revision.explanation.encode() in response.content
    assert b"Correct answer" in response.content
    assert b"Next question" in response.content


def test_an_htmx_answer_swaps_in_the_next_item(cast: Cast, make_quiz: Callable[..., Quiz]) -> None:
    quiz = make_quiz("fixed")
    attempt = attempt_start(quiz=quiz, learner=cast.alice).attempt
    client = client_for(cast.alice)
    item = current(attempt)
    data = {"item": item.revision.question_id, "key": "k"} | form_answer(item.presentation["view"])
    response = client.post(reverse("web:answer", args=[attempt.pk]), data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert b"Question 2 of 7" in response.content


def test_a_timed_attempt_past_its_deadline_finishes_and_shows_the_result(
    cast: Cast, make_quiz: Callable[..., Quiz]
) -> None:
    quiz = make_quiz("fixed", time_limit=timedelta(minutes=1))
    attempt = attempt_start(
        quiz=quiz, learner=cast.alice, now=timezone.now() - timedelta(minutes=2)
    ).attempt
    client = client_for(cast.alice)
    page = client.get(reverse("web:attempt", args=[attempt.pk]))
    assert page.status_code == 303
    assert page["Location"] == reverse("web:result", args=[attempt.pk])
    attempt.refresh_from_db()
    assert attempt.finish_reason == Attempt.FinishReason.TIME_UP
    late = post_answer(client, Attempt.objects.get(pk=attempt.pk))
    assert late.status_code == 303
    # Nothing was answered, and these items cite no objectives: the page must not claim
    # there is nothing to revisit.
    result = client.get(reverse("web:result", args=[attempt.pk]))
    assert b"nothing to revisit" not in result.content
    assert b"not linked to learning objectives" in result.content


def test_the_attempt_page_shows_the_countdown_with_screen_reader_text(
    cast: Cast, make_quiz: Callable[..., Quiz]
) -> None:
    quiz = make_quiz("fixed", time_limit=timedelta(minutes=5))
    attempt = attempt_start(quiz=quiz, learner=cast.alice).attempt
    page = client_for(cast.alice).get(reverse("web:attempt", args=[attempt.pk]))
    assert b'role="timer"' in page.content
    assert b"data-seconds-left" in page.content
    assert b"<progress" in page.content


def test_navigation_and_flags_where_the_quiz_allows(
    cast: Cast, make_quiz: Callable[..., Quiz]
) -> None:
    quiz = make_quiz("fixed", allow_navigation=True)
    attempt = attempt_start(quiz=quiz, learner=cast.alice).attempt
    client = client_for(cast.alice)
    page = client.get(reverse("web:attempt", args=[attempt.pk]) + "?position=3")
    assert b"Question 3 of 7" in page.content
    flagged = client.post(reverse("web:flag", args=[attempt.pk, 3]), {"flagged": "1"})
    assert flagged.status_code == 303
    assert attempt.items.get(position=3).flagged
    assert b", flagged" in client.get(flagged["Location"]).content


def test_flags_are_refused_without_navigation(cast: Cast, make_quiz: Callable[..., Quiz]) -> None:
    quiz = make_quiz("fixed")
    attempt = attempt_start(quiz=quiz, learner=cast.alice).attempt
    response = client_for(cast.alice).post(reverse("web:flag", args=[attempt.pk, 1]))
    assert response.status_code == 404


@pytest.mark.parametrize("who", ["charlie", "dave"])
def test_someone_elses_attempt_is_a_404(
    cast: Cast, make_quiz: Callable[..., Quiz], who: str
) -> None:
    quiz = make_quiz("fixed")
    attempt = attempt_start(quiz=quiz, learner=cast.alice).attempt
    client = client_for(getattr(cast, who))
    for name in ("web:attempt", "web:result", "web:review"):
        assert client.get(reverse(name, args=[attempt.pk])).status_code == 404
    assert client.post(reverse("web:answer", args=[attempt.pk])).status_code == 404
    assert client.post(reverse("web:finish", args=[attempt.pk])).status_code == 404


def test_the_instructor_reads_but_cannot_answer(cast: Cast, make_quiz: Callable[..., Quiz]) -> None:
    quiz = make_quiz("fixed")
    attempt = attempt_start(quiz=quiz, learner=cast.alice).attempt
    client = client_for(cast.bob)
    assert client.post(reverse("web:finish", args=[attempt.pk])).status_code == 404
    assert client.get(reverse("web:result", args=[attempt.pk])).status_code == 200


def test_the_review_follows_the_review_options(cast: Cast, make_quiz: Callable[..., Quiz]) -> None:
    quiz = make_quiz("fixed", review_when=Quiz.ReviewWhen.NEVER)
    attempt = attempt_start(quiz=quiz, learner=cast.alice).attempt
    client = client_for(cast.alice)
    client.post(reverse("web:finish", args=[attempt.pk]))
    assert client.get(reverse("web:review", args=[attempt.pk])).status_code == 403
    result = client.get(reverse("web:result", args=[attempt.pk]))
    assert reverse("web:review", args=[attempt.pk]).encode() not in result.content


def test_lms_framed_pages_allow_the_registered_lms_origins(
    cast: Cast, make_quiz: Callable[..., Quiz]
) -> None:
    quiz = make_quiz("fixed")
    LtiPlatform.objects.create(
        institution=cast.institution,
        issuer="https://lms.example.edu",
        client_id="c1",
        auth_login_url="https://lms.example.edu/auth",
        auth_token_url="https://lms.example.edu/token",
        keyset_url="https://lms.example.edu/jwks",
        frame_origins="https://canvas.example.edu",
    )
    LtiPlatform.objects.create(
        institution=cast.other_institution,
        issuer="https://other.example.org",
        client_id="c2",
        auth_login_url="https://other.example.org/auth",
        auth_token_url="https://other.example.org/token",
        keyset_url="https://other.example.org/jwks",
    )
    page = client_for(cast.alice).get(reverse("web:quiz", args=[quiz.pk]))
    policy = page["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://lms.example.edu https://canvas.example.edu" in policy
    assert "other.example.org" not in policy
    assert "X-Frame-Options" not in page


# -- educator pages ----------------------------------------------------------------------------


def test_learners_get_a_403_on_the_teaching_pages(cast: Cast) -> None:
    response = client_for(cast.alice).get(reverse("web:teach"))
    assert response.status_code == 403
    assert EDUCATORS_ONLY.encode() in response.content


def test_an_educator_browses_filters_and_previews_questions(
    cast: Cast, every_type: list[Question]
) -> None:
    client = client_for(cast.bob)
    assert client.get(reverse("web:teach")).status_code == 200
    bank = client.get(reverse("web:bank", args=[cast.bank.pk]) + "?type=matching")
    assert bank.status_code == 200
    assert b"T-matching" in bank.content
    assert b"T-single" not in bank.content
    single = every_type[0]
    detail = client.get(reverse("web:question", args=[single.pk]))
    assert detail.status_code == 200
    assert b"Linter findings" in detail.content
    preview_url = reverse("web:question-preview", args=[single.pk])
    preview = client.get(preview_url)
    assert b'data-item-type="single"' in preview.content
    checked = client.post(preview_url, {"option": "A"})
    assert b"Correct" in checked.content
    assert not Attempt.objects.exists()


def test_questions_of_another_institution_are_a_404(cast: Cast, every_type: list[Question]) -> None:
    client = client_for(cast.dave)
    assert client.get(reverse("web:bank", args=[cast.bank.pk])).status_code == 404
    assert client.get(reverse("web:question", args=[every_type[0].pk])).status_code == 404


def test_an_educator_creates_a_blueprint_quiz(cast: Cast, every_type: list[Question]) -> None:
    client = client_for(cast.bob)
    form = client.get(reverse("web:quiz-new"))
    assert form.status_code == 200
    response = client.post(
        reverse("web:quiz-new"),
        {
            "title": "Blueprint one",
            "course": cast.course.pk,
            "bank": cast.bank.pk,
            "mode": "blueprint",
            "status": "published",
            "length": 3,
            "max_items": 20,
            "min_items": 8,
            "exposure": "randomesque",
            "attempts_allowed": 1,
            "grading_method": "highest",
            "feedback_timing": "deferred",
            "review_when": "immediately",
            f"share-{cast.bank.pk}-valves": 100,
        },
    )
    assert response.status_code == 303, response.content
    quiz = Quiz.objects.get(title="Blueprint one")
    assert quiz.blueprint == {"valves": 1.0}
    edit = client.get(response["Location"])
    assert b"Saved." in edit.content


def test_a_blueprint_quiz_without_shares_is_refused(cast: Cast, every_type: list[Question]) -> None:
    response = client_for(cast.bob).post(
        reverse("web:quiz-new"),
        {"title": "No shares", "course": cast.course.pk, "bank": cast.bank.pk,
         "mode": "blueprint", "status": "draft", "length": 3, "max_items": 20, "min_items": 8,
         "exposure": "randomesque", "attempts_allowed": 1, "grading_method": "highest",
         "feedback_timing": "deferred", "review_when": "immediately"},
    )  # fmt: skip
    assert response.status_code == 400
    assert not Quiz.objects.filter(title="No shares").exists()


def test_the_gradebook_and_its_csv(cast: Cast, make_quiz: Callable[..., Quiz]) -> None:
    quiz = make_quiz("fixed")
    attempt = attempt_start(quiz=quiz, learner=cast.alice).attempt
    learner = client_for(cast.alice)
    post_answer(learner, attempt)
    learner.post(reverse("web:finish", args=[attempt.pk]))
    # A second member without attempts is listed too, with a blank grade.
    erin = UserFactory.create(username="erin")
    MembershipFactory.create(user=erin, course=cast.course)
    client = client_for(cast.bob)
    page = client.get(reverse("web:gradebook", args=[quiz.pk]))
    assert page.status_code == 200
    assert b"alice" in page.content
    assert b"erin" in page.content
    assert b"Pending" in page.content  # the outbox row of the grade
    assert reverse("web:result", args=[attempt.pk]).encode() in page.content
    download = client.get(reverse("web:gradebook", args=[quiz.pk]) + "?format=csv")
    assert isinstance(download, StreamingHttpResponse)  # the API's generator, streamed
    assert download["Content-Type"].startswith("text/csv")
    text = b"".join(download.streaming_content).decode()
    assert text == b"".join(gradebook_csv_chunks(quiz=quiz)).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["username"] for row in rows] == ["alice", "erin"]
    assert rows[0]["lms_status"] == "pending"
    assert rows[0]["attempts_finished"] == "1"
    assert rows[1]["grade_percent"] == ""
    assert client_for(cast.dave).get(reverse("web:gradebook", args=[quiz.pk])).status_code == 404
    assert client_for(cast.alice).get(reverse("web:gradebook", args=[quiz.pk])).status_code == 403


def test_the_gradebook_page_is_paginated(cast: Cast, make_quiz: Callable[..., Quiz]) -> None:
    quiz = make_quiz("fixed")
    for index in range(GRADEBOOK_PAGE_SIZE + 1):  # alice and these: two pages
        MembershipFactory.create(
            user=UserFactory.create(username=f"z{index:04d}"), course=cast.course
        )
    client = client_for(cast.bob)
    first = client.get(reverse("web:gradebook", args=[quiz.pk]))
    assert b"Page 1 of 2" in first.content
    assert b"alice" in first.content
    last = client.get(reverse("web:gradebook", args=[quiz.pk]) + "?page=2")
    assert b"alice" not in last.content
    assert f"z{GRADEBOOK_PAGE_SIZE:04d}".encode() in last.content


def test_item_analysis_shows_statistics_and_charts(
    cast: Cast, make_quiz: Callable[..., Quiz]
) -> None:
    quiz = make_quiz("fixed", attempts_allowed=0)
    for right in (True, False):
        attempt = attempt_start(quiz=quiz, learner=cast.alice).attempt
        client = client_for(cast.alice)
        for _ in range(7):
            post_answer(client, Attempt.objects.get(pk=attempt.pk), right=right)
    page = client_for(cast.bob).get(reverse("web:item-analysis", args=[quiz.pk]))
    assert page.status_code == 200
    assert b"Item characteristic curve" in page.content
    assert b"How many learners chose each option" in page.content
    assert b"p-value" in page.content


def test_study_suggestions_link_the_missed_objectives(
    cast: Cast, make_quiz: Callable[..., Quiz], every_type: list[Question]
) -> None:
    objective = Objective.objects.create(bank=cast.bank, code="M4", text="Describe the access.")
    every_type[0].objectives.add(objective)
    quiz = make_quiz("fixed")
    attempt = attempt_start(quiz=quiz, learner=cast.alice).attempt
    client = client_for(cast.alice)
    post_answer(client, attempt, right=False)  # the single-answer item, answered wrong
    client.post(reverse("web:finish", args=[attempt.pk]))
    page = client.get(reverse("web:result", args=[attempt.pk])).content.decode()
    assert "M4" in page
    assert "Describe the access." in page
    assert reverse("web:review", args=[attempt.pk]) + "#item-1" in page


def test_gradebook_and_item_analysis_are_for_the_course_instructors(
    cast: Cast, make_quiz: Callable[..., Quiz]
) -> None:
    """An instructor of another course of the institution manages its banks but does not
    read this course's grades or statistics: 404 there, and no links on the dashboard."""
    quiz = make_quiz()
    erin = UserFactory.create(username="erin")
    MembershipFactory.create(user=erin, course=cast.other_course, role="instructor")
    for name in ("web:gradebook", "web:item-analysis"):
        url = reverse(name, args=[quiz.pk])
        assert client_for(cast.bob).get(url).status_code == 200
        assert client_for(erin).get(url).status_code == 404
        assert client_for(erin).get(url + "?format=csv").status_code == 404
    settings_page = client_for(erin).get(reverse("web:quiz-edit", args=[quiz.pk]))
    assert settings_page.status_code == 200
    assert reverse("web:gradebook", args=[quiz.pk]) not in settings_page.content.decode()
    assert (
        reverse("web:gradebook", args=[quiz.pk])
        in client_for(cast.bob).get(reverse("web:quiz-edit", args=[quiz.pk])).content.decode()
    )
    dashboard = client_for(erin).get(reverse("web:teach")).content.decode()
    assert reverse("web:gradebook", args=[quiz.pk]) not in dashboard
    assert (
        reverse("web:gradebook", args=[quiz.pk])
        in client_for(cast.bob).get(reverse("web:teach")).content.decode()
    )
