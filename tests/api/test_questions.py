"""Questions through /api/v1/banks/{id}/questions/ and /api/v1/questions/{id}/..."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from rest_framework.test import APIClient

from quizzes.api.questions import (
    CODE_EXTERNAL_ID_IMMUTABLE,
    CODE_INVALID_QUESTION,
    CODE_INVALID_REVISION,
    CODE_UNKNOWN_FIELD,
)
from quizzes.interop.drafts import OptionDraft
from quizzes.linter import RULE_CLOSED_LEAD_IN, RULE_OBJECTIVE
from quizzes.models import AttemptItem, Question, QuestionRevision
from quizzes.services.questions import CODE_INVALID_TRANSITION, CODE_LINT_FAILED
from tests import factories as f
from tests.conftest import Cast

pytestmark = pytest.mark.django_db

# The permission's memberships, the tenant's institutions, the bank, the count, the page and
# the prefetches of objectives, tags and options: 8, whatever the page size.
QUERY_BUDGET = 8


def as_user(api: APIClient, user: User | None) -> APIClient:
    api.force_authenticate(user)
    return api


def list_url(cast: Cast) -> str:
    return f"/api/v1/banks/{cast.bank.pk}/questions/"


def question_url(question: Question, suffix: str = "") -> str:
    return f"/api/v1/questions/{question.pk}/{suffix}"


@pytest.fixture
def classified(cast: Cast) -> dict[str, Any]:
    """Topics risks > complications and mechanism, objectives M4 and R1 in cast.bank."""
    risks = f.TopicFactory.create(bank=cast.bank, slug="risks", path="risks")
    return {
        "risks": risks,
        "complications": f.TopicFactory.create(
            bank=cast.bank, slug="complications", path="risks/complications", parent=risks
        ),
        "mechanism": f.TopicFactory.create(bank=cast.bank, slug="mechanism", path="mechanism"),
        "M4": f.ObjectiveFactory.create(bank=cast.bank, code="M4"),
        "R1": f.ObjectiveFactory.create(bank=cast.bank, code="R1"),
    }


def single_payload(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "external_id": "BV-100",
        "type": "single",
        "topic": "risks/complications",
        "objectives": ["R1"],
        "bloom": "apply",
        "tags": ["mitral", "complications"],
        "source": "S2",
        "stem": "A 40-year-old woman has balloon mitral valvuloplasty for rheumatic stenosis.",
        "lead_in": "Which complication is the most common?",
        "options": [
            {"id": "A", "text": "Severe mitral regurgitation", "fraction": 1.0, "feedback": "Yes."},
            {"id": "B", "text": "Stroke", "fraction": 0.0, "feedback": "Less common."},
            {"id": "C", "text": "Tamponade", "fraction": 0.0, "feedback": "Rare."},
            {"id": "D", "text": "Atrial septal defect", "fraction": 0.0, "feedback": "Small."},
            {"id": "E", "text": "Death", "fraction": 0.0, "feedback": "Very rare."},
        ],
        "explanation": "Severe mitral regurgitation follows in a few percent of procedures.",
        "difficulty": "hard",
    }
    body.update(overrides)
    return body


def served(question: Question, cast: Cast) -> QuestionRevision:
    """Serve the question's current revision to alice in an attempt."""
    revision = question.current_revision
    assert revision is not None
    quiz = f.QuizFactory.create(course=cast.course, bank=cast.bank)
    attempt = f.AttemptFactory.create(quiz=quiz, learner=cast.alice)
    f.AttemptItemFactory.create(attempt=attempt, revision=revision)
    QuestionRevision.objects.filter(pk=revision.pk).update(served_at=timezone.now())
    revision.refresh_from_db()
    return revision


# -- the cast on every endpoint ----------------------------------------------------------

ENDPOINTS: list[tuple[str, Any, Any, int]] = [
    ("get", lambda c, q: list_url(c), None, 200),
    ("post", lambda c, q: list_url(c), single_payload(), 201),
    ("get", lambda c, q: question_url(q), None, 200),
    ("patch", lambda c, q: question_url(q), {"explanation": "A longer, better explanation."}, 200),
    ("post", lambda c, q: question_url(q, "status/"), {"status": "retired"}, 200),
    ("get", lambda c, q: question_url(q, "revisions/"), None, 200),
]
IDS = ["list", "create", "read", "patch", "status", "revisions"]


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_it_serves_the_instructor(
    cast: Cast, classified: dict[str, Any], api: APIClient, endpoint: tuple[str, Any, Any, int]
) -> None:
    method, url, body, expected = endpoint
    question = f.QuestionFactory.create(bank=cast.bank)
    response = getattr(as_user(api, cast.bob), method)(url(cast, question), body, format="json")
    assert response.status_code == expected, response.content


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_it_asks_anonymous_callers_to_authenticate(
    cast: Cast, classified: dict[str, Any], api: APIClient, endpoint: tuple[str, Any, Any, int]
) -> None:
    method, url, body, _ = endpoint
    question = f.QuestionFactory.create(bank=cast.bank)
    response = getattr(api, method)(url(cast, question), body, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_it_refuses_learners(
    cast: Cast, classified: dict[str, Any], api: APIClient, endpoint: tuple[str, Any, Any, int]
) -> None:
    method, url, body, _ = endpoint
    question = f.QuestionFactory.create(bank=cast.bank)
    response = getattr(as_user(api, cast.alice), method)(url(cast, question), body, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert "stem" not in response.content.decode()
    assert Question.objects.count() == 1
    assert QuestionRevision.objects.count() == 1


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_another_institutions_questions_are_not_found(
    cast: Cast, classified: dict[str, Any], api: APIClient, endpoint: tuple[str, Any, Any, int]
) -> None:
    method, url, body, _ = endpoint
    question = f.QuestionFactory.create(bank=cast.bank)
    response = getattr(as_user(api, cast.dave), method)(url(cast, question), body, format="json")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert "opening snap" not in response.content.decode()
    assert Question.objects.count() == 1
    assert QuestionRevision.objects.count() == 1
    question.refresh_from_db()
    assert question.status == "published"


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("put", lambda c, q: list_url(c)),
        ("delete", lambda c, q: list_url(c)),
        ("put", lambda c, q: question_url(q)),
        ("delete", lambda c, q: question_url(q)),
        ("post", lambda c, q: question_url(q)),
        ("get", lambda c, q: question_url(q, "status/")),
        ("post", lambda c, q: question_url(q, "revisions/")),
    ],
)
def test_wrong_methods_are_405(cast: Cast, api: APIClient, method: str, url: Any) -> None:
    question = f.QuestionFactory.create(bank=cast.bank)
    response = getattr(as_user(api, cast.bob), method)(url(cast, question), {}, format="json")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert Question.objects.filter(pk=question.pk).exists()


# -- reading ---------------------------------------------------------------------------------


def test_a_question_as_educators_see_it(
    cast: Cast, classified: dict[str, Any], api: APIClient
) -> None:
    created = as_user(api, cast.bob).post(list_url(cast), single_payload(), format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    question = Question.objects.get(external_id="BV-100")
    assert body["id"] == question.pk
    assert {k: body[k] for k in ("external_id", "revision", "current", "bank", "topic")} == {
        "external_id": "BV-100",
        "revision": 1,
        "current": True,
        "bank": cast.bank.pk,
        "topic": "risks/complications",
    }
    assert (body["type"], body["status"], body["bloom"], body["difficulty"]) == (
        "single",
        "draft",  # a new question starts the review workflow
        "apply",
        "hard",
    )
    assert body["options"][0] == {
        "id": "A",
        "text": "Severe mitral regurgitation",
        "fraction": 1.0,
        "feedback": "Yes.",
    }
    assert body["objectives"] == ["R1"]
    assert sorted(body["tags"]) == ["complications", "mitral"]
    assert body["irt"] == {"a": 1.0, "b": 1.0, "c": 0.2, "provenance": "prior"}
    assert body["served"] is False
    assert body["lint"] == []
    assert api.get(question_url(question)).json() == body


TYPE_PAYLOADS: list[dict[str, Any]] = [
    {
        "external_id": "T-multiple",
        "type": "multiple",
        "stem": "Which are contraindications to balloon mitral valvuloplasty?",
        "options": [
            {"id": "A", "text": "Left atrial thrombus", "fraction": 0.5},
            {"id": "B", "text": "Moderate-severe MR", "fraction": 0.5},
            {"id": "C", "text": "Pregnancy", "fraction": -0.5},
        ],
    },
    {
        "external_id": "T-true-false",
        "type": "true_false",
        "stem": "Mitral valvuloplasty is done through the femoral vein.",
        "options": [
            {"id": "true", "text": "True", "fraction": 1.0},
            {"id": "false", "text": "False", "fraction": 0.0},
        ],
    },
    {
        "external_id": "T-short",
        "type": "short_answer",
        "stem": "Name the balloon most used for mitral valvuloplasty.",
        "accepted": [{"text": "Inoue", "fraction": 1.0}],
        "case_sensitive": False,
    },
    {
        "external_id": "T-numerical",
        "type": "numerical",
        "stem": "Below which mitral valve area (cm2) is stenosis severe?",
        "answers": [{"value": 1.5, "tolerance": 0.0, "fraction": 1.0, "feedback": "Yes"}],
        "unit": "cm2",
    },
    {
        "external_id": "T-matching",
        "type": "matching",
        "stem": "Match the valve to its usual access.",
        "stems": [{"id": "s1", "text": "Mitral"}, {"id": "s2", "text": "Aortic"}],
        "choices": [
            {"id": "c1", "text": "Transseptal"},
            {"id": "c2", "text": "Retrograde arterial"},
            {"id": "c3", "text": "Transapical"},
        ],
        "pairs": {"s1": "c1", "s2": "c2"},
    },
    {
        "external_id": "T-ordering",
        "type": "ordering",
        "stem": "Put the steps of Inoue valvuloplasty in order.",
        "steps": [
            {"id": "a", "text": "Transseptal puncture"},
            {"id": "b", "text": "Balloon across the valve"},
            {"id": "c", "text": "Inflate distal then proximal"},
        ],
    },
]


@pytest.mark.parametrize("payload", TYPE_PAYLOADS, ids=[p["type"] for p in TYPE_PAYLOADS])
def test_every_type_round_trips_with_its_key_fields(
    cast: Cast, api: APIClient, payload: dict[str, Any]
) -> None:
    created = as_user(api, cast.bob).post(list_url(cast), payload, format="json")
    assert created.status_code == 201, created.content
    body = api.get(question_url(Question.objects.get(external_id=payload["external_id"]))).json()
    for key, value in payload.items():
        if key in ("options", "accepted", "answers", "stems", "steps"):
            assert [
                {k: item[k] for k in sent} for item, sent in zip(body[key], value, strict=True)
            ] == value
        else:
            assert body[key] == value, key
    if payload["type"] == "ordering":
        assert body["order"] == ["a", "b", "c"]


# -- listing and filters -----------------------------------------------------------------


@pytest.fixture
def filterable(cast: Cast, classified: dict[str, Any]) -> dict[str, Question]:
    def make(qid: str, **fields: Any) -> Question:
        draft = f.single_draft(qid, **fields)
        return f.QuestionFactory.create(bank=cast.bank, external_id=qid, draft=draft)

    return {
        "risk": make("F-1", topic="risks", objectives=["R1"], tags=["mitral"], bloom="apply"),
        "complication": make(
            "F-2", topic="risks/complications", objectives=["M4"], bloom="remember"
        ),
        "mechanism": make("F-3", topic="mechanism", status="draft", tags=["aortic"]),
        "true_false": f.QuestionFactory.create(
            bank=cast.bank,
            external_id="F-4",
            draft=f.single_draft(
                "F-4",
                type="true_false",
                options=[OptionDraft("true", "True", 1.0), OptionDraft("false", "False", 0.0)],
            ),
        ),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["F-1", "F-2", "F-3", "F-4"]),
        ("topic=risks", ["F-1", "F-2"]),  # descendants included
        ("topic=risks/complications", ["F-2"]),
        ("topic=nowhere", []),
        ("type=true_false", ["F-4"]),
        ("status=draft", ["F-3"]),
        ("objective=M4", ["F-2"]),
        ("tag=mitral", ["F-1"]),
        ("bloom=remember", ["F-2"]),
        ("topic=risks&bloom=apply", ["F-1"]),
    ],
)
def test_filters(
    cast: Cast, filterable: dict[str, Question], api: APIClient, query: str, expected: list[str]
) -> None:
    body = as_user(api, cast.bob).get(f"{list_url(cast)}?{query}").json()
    assert body["count"] == len(expected)
    assert [q["external_id"] for q in body["results"]] == expected


@pytest.mark.parametrize("query", ["type=essay", "status=lost", "bloom=guess"])
def test_invalid_filter_values_are_400(
    cast: Cast, filterable: dict[str, Question], api: APIClient, query: str
) -> None:
    response = as_user(api, cast.bob).get(f"{list_url(cast)}?{query}")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert query.split("=")[0] in response.json()["fields"]


def test_the_list_is_paginated(cast: Cast, api: APIClient) -> None:
    for _ in range(3):
        f.QuestionFactory.create(bank=cast.bank)
    body = as_user(api, cast.bob).get(f"{list_url(cast)}?page_size=2").json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert body["next"] is not None
    assert body["previous"] is None


@pytest.mark.parametrize("count", [5, 40])
def test_listing_runs_a_fixed_number_of_queries(
    cast: Cast,
    classified: dict[str, Any],
    api: APIClient,
    count: int,
    django_assert_max_num_queries: Any,
) -> None:
    for index in range(count):
        draft = f.single_draft(
            f"Q-{index:03d}", topic="risks", objectives=["R1", "M4"], tags=["a", "b"]
        )
        f.QuestionFactory.create(bank=cast.bank, external_id=f"Q-{index:03d}", draft=draft)
    client = as_user(api, cast.bob)
    with django_assert_max_num_queries(QUERY_BUDGET):
        response = client.get(f"{list_url(cast)}?page_size=50")
    assert response.status_code == 200
    assert len(response.json()["results"]) == count


# -- writing ---------------------------------------------------------------------------------


def test_patch_of_an_unserved_revision_replaces_it(cast: Cast, api: APIClient) -> None:
    question = f.QuestionFactory.create(bank=cast.bank)
    response = as_user(api, cast.bob).patch(
        question_url(question), {"stem": "A 35-year-old woman has an opening snap."}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["stem"] == "A 35-year-old woman has an opening snap."
    assert question.revisions.count() == 1


def test_patch_of_a_served_revision_makes_a_new_one_and_attempts_keep_theirs(
    cast: Cast, api: APIClient
) -> None:
    question = f.QuestionFactory.create(bank=cast.bank)
    first = served(question, cast)
    client = as_user(api, cast.bob)
    response = client.patch(
        question_url(question), {"stem": "A 35-year-old woman has an opening snap."}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["revision"], body["served"]) == (2, False)
    first.refresh_from_db()
    assert first.stem == "A 30-year-old woman has exertional dyspnoea and an opening snap."
    assert AttemptItem.objects.get().revision_id == first.pk

    old = client.get(f"{question_url(question)}?revision=1").json()
    assert (old["revision"], old["current"], old["served"]) == (1, False, True)
    assert old["stem"] == first.stem

    history = client.get(question_url(question, "revisions/")).json()
    assert history["count"] == 2
    assert [(r["number"], r["current"], r["served"]) for r in history["results"]] == [
        (2, True, False),
        (1, False, True),
    ]
    assert history["results"][0]["created_by"] == "bob"


def test_sending_a_get_body_back_changes_nothing(cast: Cast, api: APIClient) -> None:
    question = f.QuestionFactory.create(bank=cast.bank)
    served(question, cast)
    client = as_user(api, cast.bob)
    body = client.get(question_url(question)).json()
    response = client.patch(question_url(question), body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["revision"] == 1
    assert question.revisions.count() == 1


@pytest.mark.parametrize("number", ["9", "x"])
def test_unknown_revisions(cast: Cast, api: APIClient, number: str) -> None:
    question = f.QuestionFactory.create(bank=cast.bank)
    response = as_user(api, cast.bob).get(f"{question_url(question)}?revision={number}")
    if number == "x":
        assert (response.status_code, response.json()["code"]) == (400, CODE_INVALID_REVISION)
    else:
        assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_html_is_sanitised_on_save(cast: Cast, api: APIClient) -> None:
    payload = single_payload(
        topic="",
        objectives=[],
        text_format="html",
        stem='<p onclick="steal()">A <b>woman</b><script>alert(1)</script></p>',
        explanation='<a href="javascript:alert(1)">Why</a> the opening snap matters.',
    )
    payload["options"][1]["text"] = '<img src=x onerror="alert(1)">Stroke'
    response = as_user(api, cast.bob).post(list_url(cast), payload, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["stem"] == "<p>A <b>woman</b></p>"
    assert "javascript" not in body["explanation"]
    assert "onerror" not in body["options"][1]["text"]
    stored = QuestionRevision.objects.get()
    assert "script" not in stored.stem


def test_linter_findings_come_back_as_warnings(cast: Cast, api: APIClient) -> None:
    payload = single_payload(topic="", objectives=[], lead_in="Choose the complication")
    response = as_user(api, cast.bob).post(list_url(cast), payload, format="json")
    assert response.status_code == 201
    rules = {finding["rule"] for finding in response.json()["lint"]}
    assert {RULE_CLOSED_LEAD_IN, RULE_OBJECTIVE} <= rules


def test_a_lint_blocking_bank_refuses_items_with_lint_errors(
    cast: Cast, classified: dict[str, Any], api: APIClient
) -> None:
    cast.bank.lint_blocking = True
    cast.bank.save()
    client = as_user(api, cast.bob)
    response = client.post(
        list_url(cast), single_payload(lead_in="Choose the complication"), format="json"
    )
    assert response.status_code == 400
    error = response.json()
    assert error["code"] == CODE_LINT_FAILED
    assert any(RULE_CLOSED_LEAD_IN in line for line in error["fields"]["lint"])
    assert not Question.objects.exists()
    excepted = single_payload(
        lead_in="Choose the complication",
        lint_exceptions=[{"rule": RULE_CLOSED_LEAD_IN, "reason": "An open lead-in on purpose."}],
    )
    assert client.post(list_url(cast), excepted, format="json").status_code == 201


@pytest.mark.parametrize(
    ("status_sequence", "final"),
    [
        (["in_review", "published", "retired"], "retired"),
        (["in_review", "draft"], "draft"),
        (["published", "retired", "draft"], "draft"),
    ],
)
def test_the_review_workflow(
    cast: Cast, api: APIClient, status_sequence: list[str], final: str
) -> None:
    question = f.QuestionFactory.create(bank=cast.bank, draft=f.single_draft(status="draft"))
    client = as_user(api, cast.bob)
    for status in status_sequence:
        response = client.post(question_url(question, "status/"), {"status": status}, format="json")
        assert response.status_code == 200, response.content
        assert response.json()["status"] == status
    question.refresh_from_db()
    assert question.status == final


@pytest.mark.parametrize(
    ("start", "target"),
    [("draft", "retired"), ("published", "in_review"), ("published", "draft")],
)
def test_invalid_transitions_are_400(cast: Cast, api: APIClient, start: str, target: str) -> None:
    question = f.QuestionFactory.create(bank=cast.bank, draft=f.single_draft(status=start))
    client = as_user(api, cast.bob)
    for url, body in [
        (question_url(question, "status/"), {"status": target}),
        (question_url(question), {"status": target}),  # a PATCH obeys the workflow too
    ]:
        response = getattr(client, "post" if "status" in url else "patch")(url, body, format="json")
        assert response.status_code == 400
        assert response.json()["code"] == CODE_INVALID_TRANSITION
    question.refresh_from_db()
    assert question.status == start


# -- bad input -------------------------------------------------------------------------------


def _without(key: str) -> dict[str, Any]:
    body = single_payload()
    del body[key]
    return body


def _option(**changes: Any) -> dict[str, Any]:
    body = single_payload()
    body["options"] = copy.deepcopy(body["options"])
    body["options"][0].update(changes)
    return body


BAD_CREATES: list[tuple[str, Any, str, str]] = [
    # (case, body, code, field named in "fields")
    ("missing id", _without("external_id"), "invalid", "external_id"),
    ("missing type", _without("type"), "invalid", "type"),
    ("missing stem", _without("stem"), "invalid", "stem"),
    ("unknown type", single_payload(type="essay"), "invalid", "type"),
    ("stem not a string", single_payload(stem=42), "invalid", "stem"),
    ("options not a list", single_payload(options="A"), "invalid", "options"),
    ("fraction not a number", _option(fraction="most"), "invalid", "options"),
    ("fraction out of range", _option(fraction=2), "invalid", "options"),
    ("tags not strings", single_payload(tags=[1, 2]), "invalid", "tags"),
    ("bloom unknown", single_payload(bloom="memorise"), "invalid", "bloom"),
    ("irt a not positive", single_payload(irt={"a": 0, "b": 0}), "invalid", "irt"),
    ("unknown field", single_payload(answer_key="A"), CODE_UNKNOWN_FIELD, "answer_key"),
    ("unknown topic", single_payload(topic="nowhere"), "unknown_topic", "topic"),
    ("unknown objective", single_payload(objectives=["Z9"]), "unknown_objective", "objectives"),
    ("two keys", _option(fraction=1.0) | {"options": []}, CODE_INVALID_QUESTION, "payload"),
    ("options on numerical", single_payload(type="numerical"), CODE_INVALID_QUESTION, "payload"),
    ("empty stem", single_payload(stem="  "), CODE_INVALID_QUESTION, "payload"),
    ("duplicate id", single_payload(external_id="Q-EXISTING"), "duplicate_question_id", "id"),
]


@pytest.mark.parametrize(
    ("body", "code", "field"), [row[1:] for row in BAD_CREATES], ids=[row[0] for row in BAD_CREATES]
)
def test_bad_question_input_is_400_and_records_nothing(
    cast: Cast, classified: dict[str, Any], api: APIClient, body: Any, code: str, field: str
) -> None:
    f.QuestionFactory.create(bank=cast.bank, external_id="Q-EXISTING")
    response = as_user(api, cast.bob).post(list_url(cast), body, format="json")
    assert response.status_code == 400, response.content
    error = response.json()
    assert set(error) == {"code", "detail", "fields"}
    assert error["code"] == code
    assert field in error["fields"]
    assert Question.objects.count() == 1
    assert QuestionRevision.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"options": [{"id": "A", "text": "Only one", "fraction": 1.0}]}, CODE_INVALID_QUESTION),
        ({"type": "numerical"}, CODE_INVALID_QUESTION),  # the options do not fit the new type
        ({"topic": "nowhere"}, "unknown_topic"),
        ({"objectives": ["Z9"]}, "unknown_objective"),
        ({"external_id": "Q-OTHER"}, CODE_EXTERNAL_ID_IMMUTABLE),
        ({"stem": None}, "invalid"),
        ({"options": {"A": "x"}}, "invalid"),
    ],
)
def test_bad_patches_are_400_and_change_nothing(
    cast: Cast, classified: dict[str, Any], api: APIClient, body: dict[str, Any], code: str
) -> None:
    question = f.QuestionFactory.create(bank=cast.bank)
    before = question.current_revision
    response = as_user(api, cast.bob).patch(question_url(question), body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == code
    question.refresh_from_db()
    assert question.current_revision == before
    assert question.topic is None
    assert QuestionRevision.objects.count() == 1


@pytest.mark.parametrize(
    "raw", ["{not json", "[1, 2]", '"a string"', '{"external_id": "X", "type": "single",']
)
def test_malformed_json_is_400(cast: Cast, api: APIClient, raw: str) -> None:
    response = as_user(api, cast.bob).post(list_url(cast), raw, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] in ("malformed_request", "invalid")
    assert not Question.objects.exists()
