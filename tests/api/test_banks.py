"""Banks and topics through /api/v1/banks/ with the fixed cast (tests/conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from rest_framework.test import APIClient

from quizzes.api.banks import CODE_DUPLICATE_TOPIC, CODE_INVALID_TOPIC
from quizzes.models import Bank, Membership, Topic
from quizzes.selectors.access import CODE_INSTITUTION_REQUIRED, CODE_UNKNOWN_INSTITUTION
from quizzes.services.questions import CODE_BANK_IN_USE, CODE_BANK_SERVED
from tests import factories as f
from tests.conftest import Cast

pytestmark = pytest.mark.django_db


def as_user(api: APIClient, user: User | None) -> APIClient:
    api.force_authenticate(user)
    return api


def bank_url(bank: Bank, suffix: str = "") -> str:
    return f"/api/v1/banks/{bank.pk}/{suffix}"


# -- the cast on every endpoint ----------------------------------------------------------

# (method, url builder, body): each endpoint of this module with a valid request.
ENDPOINTS: list[tuple[str, Any, dict[str, Any] | None]] = [
    ("get", lambda c: "/api/v1/banks/", None),
    ("post", lambda c: "/api/v1/banks/", {"title": "New bank"}),
    ("get", lambda c: bank_url(c.bank), None),
    ("patch", lambda c: bank_url(c.bank), {"description": "Valves, revised"}),
    ("delete", lambda c: bank_url(c.bank), None),
    ("get", lambda c: bank_url(c.bank, "topics/"), None),
    ("post", lambda c: bank_url(c.bank, "topics/"), {"path": "risks"}),
]
IDS = [f"{method} {index}" for index, (method, _, _) in enumerate(ENDPOINTS)]
HAPPY_STATUS = [200, 201, 200, 200, 204, 200, 201]


@pytest.mark.parametrize(
    ("endpoint", "expected"), list(zip(ENDPOINTS, HAPPY_STATUS, strict=True)), ids=IDS
)
def test_it_serves_the_instructor(
    cast: Cast, api: APIClient, endpoint: tuple[str, Any, Any], expected: int
) -> None:
    method, url, body = endpoint
    response = getattr(as_user(api, cast.bob), method)(url(cast), body, format="json")
    assert response.status_code == expected, response.content


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_it_asks_anonymous_callers_to_authenticate(
    cast: Cast, api: APIClient, endpoint: tuple[str, Any, Any]
) -> None:
    method, url, body = endpoint
    response = getattr(api, method)(url(cast), body, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
@pytest.mark.parametrize("learner", ["alice", "charlie"])
def test_it_refuses_learners(
    cast: Cast, api: APIClient, endpoint: tuple[str, Any, Any], learner: str
) -> None:
    method, url, body = endpoint
    response = getattr(as_user(api, getattr(cast, learner)), method)(url(cast), body, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert Bank.objects.count() == 2
    assert not Topic.objects.exists()


@pytest.mark.parametrize("endpoint", ENDPOINTS[2:], ids=IDS[2:])
def test_another_institutions_bank_is_not_found(
    cast: Cast, api: APIClient, endpoint: tuple[str, Any, Any]
) -> None:
    """dave teaches elsewhere: institution one's bank does not exist for him."""
    method, url, body = endpoint
    response = getattr(as_user(api, cast.dave), method)(url(cast), body, format="json")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "No such bank.", "fields": {}}
    cast.bank.refresh_from_db()
    assert cast.bank.description == ""
    assert not Topic.objects.exists()


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("put", lambda c: "/api/v1/banks/"),
        ("delete", lambda c: "/api/v1/banks/"),
        ("put", lambda c: bank_url(c.bank)),
        ("post", lambda c: bank_url(c.bank)),
        ("delete", lambda c: bank_url(c.bank, "topics/")),
        ("patch", lambda c: bank_url(c.bank, "topics/")),
    ],
)
def test_wrong_methods_are_405(cast: Cast, api: APIClient, method: str, url: Any) -> None:
    response = getattr(as_user(api, cast.bob), method)(url(cast), {}, format="json")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


# -- banks -------------------------------------------------------------------------------


def test_the_list_holds_only_the_callers_institutions_banks(cast: Cast, api: APIClient) -> None:
    body = as_user(api, cast.bob).get("/api/v1/banks/").json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 1
    assert body["results"] == [
        {
            "id": cast.bank.pk,
            "title": "Valves",
            "description": "",
            "institution": cast.institution.pk,
            "lint_blocking": False,
        }
    ]
    dave_sees = as_user(api, cast.dave).get("/api/v1/banks/").json()["results"]
    assert [bank["id"] for bank in dave_sees] == [cast.foreign_bank.pk]


def test_creating_defaults_to_the_instructors_institution(cast: Cast, api: APIClient) -> None:
    response = as_user(api, cast.bob).post(
        "/api/v1/banks/", {"title": " Aortic valve ", "description": "TAVI"}, format="json"
    )
    assert response.status_code == 201
    bank = Bank.objects.get(pk=response.json()["id"])
    assert (bank.institution, bank.title, bank.description) == (
        cast.institution,
        "Aortic valve",
        "TAVI",
    )


def teach_in_both_institutions(cast: Cast) -> None:
    f.MembershipFactory.create(
        user=cast.bob, course=cast.foreign_course, role=Membership.Role.ADMIN
    )


def test_an_instructor_of_several_institutions_must_name_one(cast: Cast, api: APIClient) -> None:
    teach_in_both_institutions(cast)
    response = as_user(api, cast.bob).post("/api/v1/banks/", {"title": "X"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == CODE_INSTITUTION_REQUIRED
    named = api.post(
        "/api/v1/banks/", {"title": "X", "institution": cast.other_institution.pk}, format="json"
    )
    assert named.status_code == 201
    assert named.json()["institution"] == cast.other_institution.pk


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({}, "invalid", "title"),
        ({"title": ""}, "invalid", "title"),
        ({"title": "x" * 201}, "invalid", "title"),
        ({"title": "Valves"}, "invalid", "__all__"),  # the title is taken in institution one
        ({"title": "X", "institution": "one"}, "invalid", "institution"),
        ({"title": "X", "institution": 999999}, CODE_UNKNOWN_INSTITUTION, "institution"),
    ],
)
def test_bad_bank_input_is_400_and_records_nothing(
    cast: Cast, api: APIClient, body: dict[str, Any], code: str, field: str
) -> None:
    response = as_user(api, cast.bob).post("/api/v1/banks/", body, format="json")
    assert response.status_code == 400
    error = response.json()
    assert error["code"] == code
    assert field in error["fields"]
    assert Bank.objects.count() == 2


def test_an_instructor_cannot_create_in_another_institution(cast: Cast, api: APIClient) -> None:
    response = as_user(api, cast.bob).post(
        "/api/v1/banks/", {"title": "X", "institution": cast.other_institution.pk}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == CODE_UNKNOWN_INSTITUTION
    assert not Bank.objects.filter(title="X").exists()


def test_patch_changes_title_and_description_only(cast: Cast, api: APIClient) -> None:
    response = as_user(api, cast.bob).patch(
        bank_url(cast.bank),
        {"title": "Heart valves", "institution": cast.other_institution.pk},
        format="json",
    )
    assert response.status_code == 200
    cast.bank.refresh_from_db()
    assert cast.bank.title == "Heart valves"
    assert cast.bank.institution == cast.institution


def test_delete_removes_an_unserved_bank(cast: Cast, api: APIClient) -> None:
    f.QuestionFactory.create(bank=cast.bank)
    assert as_user(api, cast.bob).delete(bank_url(cast.bank)).status_code == 204
    assert not Bank.objects.filter(pk=cast.bank.pk).exists()


def test_delete_is_refused_once_a_learner_was_served_a_revision(cast: Cast, api: APIClient) -> None:
    quiz = f.QuizFactory.create(course=cast.course, bank=cast.bank)
    f.AttemptItemFactory.create(attempt=f.AttemptFactory.create(quiz=quiz, learner=cast.alice))
    response = as_user(api, cast.bob).delete(bank_url(cast.bank))
    assert response.status_code == 409
    assert response.json()["code"] == CODE_BANK_SERVED
    assert Bank.objects.filter(pk=cast.bank.pk).exists()


def test_delete_is_refused_while_a_quiz_uses_the_bank(cast: Cast, api: APIClient) -> None:
    f.QuizFactory.create(course=cast.course, bank=cast.bank)
    response = as_user(api, cast.bob).delete(bank_url(cast.bank))
    assert response.status_code == 409
    assert response.json()["code"] == CODE_BANK_IN_USE
    assert Bank.objects.filter(pk=cast.bank.pk).exists()


# -- topics ------------------------------------------------------------------------------


def test_topics_are_created_by_path_and_listed_as_a_tree(cast: Cast, api: APIClient) -> None:
    client = as_user(api, cast.bob)
    created = client.post(
        bank_url(cast.bank, "topics/"),
        {"path": "risks/complications", "title": "Complications"},
        format="json",
    )
    assert created.status_code == 201
    assert created.json()["path"] == "risks/complications"
    client.post(bank_url(cast.bank, "topics/"), {"path": "mechanism", "position": 0})
    client.post(bank_url(cast.bank, "topics/"), {"path": "risks/alternatives", "position": 0})
    tree = client.get(bank_url(cast.bank, "topics/")).json()

    def shape(nodes: list[dict[str, Any]]) -> list[Any]:
        return [(n["path"], n["title"], shape(n["children"])) for n in nodes]

    assert shape(tree) == [
        ("mechanism", "Mechanism", []),
        (
            "risks",
            "Risks",
            [
                ("risks/alternatives", "Alternatives", []),
                ("risks/complications", "Complications", []),
            ],
        ),
    ]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "invalid"),
        ({"path": ""}, "invalid"),
        ({"path": "risks//x y"}, CODE_INVALID_TOPIC),
        ({"path": "risks/<script>"}, CODE_INVALID_TOPIC),
        ({"path": "a" * 101}, CODE_INVALID_TOPIC),
        ({"path": "mechanism", "position": -1}, "invalid"),
        ({"path": "existing"}, CODE_DUPLICATE_TOPIC),
    ],
)
def test_bad_topic_input_is_400(
    cast: Cast, api: APIClient, body: dict[str, Any], code: str
) -> None:
    f.TopicFactory.create(bank=cast.bank, slug="existing", path="existing")
    response = as_user(api, cast.bob).post(bank_url(cast.bank, "topics/"), body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert Topic.objects.count() == 1


# -- OpenAPI -----------------------------------------------------------------------------

SCHEMA_OPERATIONS = {
    "/api/v1/banks/": {"get", "post"},
    "/api/v1/banks/{bank_id}/": {"get", "patch", "delete"},
    "/api/v1/banks/{bank_id}/topics/": {"get", "post"},
    "/api/v1/banks/{bank_id}/questions/": {"get", "post"},
    "/api/v1/banks/{bank_id}/import/": {"post"},
    "/api/v1/banks/{bank_id}/export/": {"get"},
    "/api/v1/questions/{question_id}/": {"get", "patch"},
    "/api/v1/questions/{question_id}/status/": {"post"},
    "/api/v1/questions/{question_id}/revisions/": {"get"},
}


def test_the_schema_is_valid_and_describes_every_endpoint(tmp_path: Path) -> None:
    """`manage.py spectacular --validate --fail-on-warn`: OpenAPI-valid and warning-free."""
    out = tmp_path / "schema.json"
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--format",
        "openapi-json",
        "--file",
        str(out),
    )
    schema = json.loads(out.read_text())
    for path, methods in SCHEMA_OPERATIONS.items():
        assert path in schema["paths"], path
        operations = schema["paths"][path]
        assert methods <= set(operations), path
        for method in methods:
            operation = operations[method]
            success = [code for code in operation["responses"] if code.startswith("2")]
            assert success, (path, method)
            if method == "delete":
                continue
            assert operation["responses"][success[0]].get("content"), (path, method)
            if method in ("post", "patch"):
                assert operation["requestBody"]["content"], (path, method)
    question = schema["components"]["schemas"]["Question"]["properties"]
    assert {"id", "external_id", "revision", "options", "irt", "served", "lint"} <= set(question)
    listing = schema["paths"]["/api/v1/banks/{bank_id}/questions/"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {
        "topic",
        "type",
        "status",
        "objective",
        "tag",
        "bloom",
        "page",
        "page_size",
    }
