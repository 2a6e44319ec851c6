"""Bad input to the learner loop: every row gets a 4xx with a stable code and a message,
never a 500, and records nothing (DESIGN.md, quality bars). Table-driven: one row per
case, one test."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from quizzes.models import Attempt, AttemptItem, Quiz, Response
from tests.conftest import Cast
from tests.delivery.conftest import client_for

pytestmark = pytest.mark.django_db

Item = dict[str, Any]
TYPES = ("single", "multiple", "true_false", "short_answer", "numerical", "matching", "ordering")
OTHER_KEY = {  # a key of another type's answer
    "single": "options",
    "multiple": "option",
    "true_false": "text",
    "short_answer": "value",
    "numerical": "text",
    "matching": "order",
    "ordering": "pairs",
}
RIGHT_KEY = {
    "single": "option",
    "multiple": "options",
    "true_false": "value",
    "short_answer": "text",
    "numerical": "value",
    "matching": "pairs",
    "ordering": "order",
}


@dataclass
class Loop:
    client: APIClient
    attempt_id: int
    items: dict[str, Item]  # question type -> the learner's view of that item

    @property
    def url(self) -> str:
        return f"/api/v1/attempts/{self.attempt_id}/responses/"

    def state(self) -> Any:
        return Attempt.objects.values().get(pk=self.attempt_id)


@pytest.fixture
def loop(cast: Cast, make_quiz: Callable[..., Quiz]) -> Loop:
    """Alice's attempt at a fixed form of every type, with free navigation so that any of
    its items can be answered first."""
    quiz = make_quiz("fixed", allow_navigation=True, feedback_timing="immediate")
    client = client_for(cast.alice)
    attempt_id = client.post(f"/api/v1/quizzes/{quiz.pk}/attempts/").json()["id"]
    items = {}
    for served in AttemptItem.objects.filter(attempt_id=attempt_id).select_related("revision"):
        view = served.presentation["view"]
        items[view["type"]] = {"id": served.revision.question_id, **view}
    return Loop(client, attempt_id, items)


def assert_refused(response: Any, status: int, code: str, loop: Loop, before: Any) -> None:
    assert response.status_code == status, (response.status_code, response.content[:300])
    body = response.json()
    assert body["code"] == code, body
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert not Response.objects.exists()
    assert loop.state() == before


def first(item: Item, kind: str) -> str:
    return str(item[kind][0]["id"])


# (question type, answer built from what the learner sees, expected code)
WRONG_ANSWERS: list[tuple[str, Callable[[Item], Any], str]] = [
    # Every type: not an object, no key, another type's key, an extra key.
    *[(kind, lambda item: [1, 2], "answer_shape") for kind in TYPES],
    *[(kind, lambda item: "yes", "answer_shape") for kind in TYPES],
    *[(kind, lambda item: {}, "answer_shape") for kind in TYPES],
    *[(kind, lambda item, k=kind: {OTHER_KEY[k]: "x"}, "answer_shape") for kind in TYPES],
    ("single", lambda item: {"option": first(item, "options"), "extra": 1}, "answer_shape"),
    ("true_false", lambda item: {"value": True, "extra": 1}, "answer_shape"),
    # single
    ("single", lambda item: {"option": "A"}, "unknown_id"),  # the author's id
    ("single", lambda item: {"option": 12}, "unknown_id"),
    ("single", lambda item: {"option": None}, "unknown_id"),
    ("single", lambda item: {"option": [first(item, "options")]}, "unknown_id"),
    # multiple
    ("multiple", lambda item: {"options": first(item, "options")}, "answer_shape"),
    ("multiple", lambda item: {"options": [1]}, "unknown_id"),
    ("multiple", lambda item: {"options": ["nope"]}, "unknown_id"),
    ("multiple", lambda item: {"options": [first(item, "options")] * 2}, "duplicate_id"),
    # true_false
    ("true_false", lambda item: {"value": "true"}, "answer_shape"),
    ("true_false", lambda item: {"value": 1}, "answer_shape"),
    ("true_false", lambda item: {"value": None}, "answer_shape"),
    ("true_false", lambda item: {"option": first(item, "options")}, "answer_shape"),
    # short_answer
    ("short_answer", lambda item: {"text": 5}, "answer_shape"),
    ("short_answer", lambda item: {"text": ["commissurotomy"]}, "answer_shape"),
    ("short_answer", lambda item: {"text": "x" * 501}, "text_too_long"),
    # numerical
    ("numerical", lambda item: {"value": "1.5"}, "answer_shape"),
    ("numerical", lambda item: {"value": "1.5 cm2"}, "answer_shape"),
    ("numerical", lambda item: {"value": True}, "answer_shape"),
    ("numerical", lambda item: {"value": [1.5]}, "answer_shape"),
    ("numerical", lambda item: {"value": 10**400}, "not_finite"),
    # matching
    ("matching", lambda item: {"pairs": []}, "answer_shape"),
    ("matching", lambda item: {"pairs": {"s1": "c1"}}, "unknown_id"),  # author ids
    ("matching", lambda item: {"pairs": {first(item, "stems"): 1}}, "unknown_id"),
    ("matching", lambda item: {"pairs": {first(item, "stems"): "nope"}}, "unknown_id"),
    # ordering
    ("ordering", lambda item: {"order": first(item, "steps")}, "answer_shape"),
    ("ordering", lambda item: {"order": [first(item, "steps")]}, "incomplete_order"),
    ("ordering", lambda item: {"order": [first(item, "steps")] * 2}, "duplicate_id"),
    ("ordering", lambda item: {"order": [*[s["id"] for s in item["steps"]], "zz"]}, "unknown_id"),
    ("ordering", lambda item: {"order": [1, 2]}, "unknown_id"),
]


def test_a_wrong_answer_of_each_type_is_a_400_with_its_code_and_records_nothing(
    loop: Loop,
) -> None:
    before = loop.state()
    failures = []
    for kind, build, code in WRONG_ANSWERS:
        answer = build(loop.items[kind])
        response = loop.client.post(
            loop.url, {"item": loop.items[kind]["id"], "answer": answer, "key": "k"}, format="json"
        )
        body = response.json()
        if (response.status_code, body.get("code")) != (400, code) or not body.get("detail"):
            failures.append((kind, answer, code, response.status_code, body))
    assert not failures, "\n".join(map(str, failures))
    assert not Response.objects.exists()
    assert loop.state() == before


# (raw body or JSON value, content type, expected status, expected code)
BAD_REQUESTS: list[tuple[str, Any, str, int, str]] = [
    ("truncated JSON", b'{"item": 1, "answer": {', "application/json", 400, "malformed_request"),
    ("not JSON at all", b"item=1&answer=x", "application/json", 400, "malformed_request"),
    ("NaN", b'{"item": 1, "answer": {"value": NaN}, "key": "k"}', "application/json", 400,
     "malformed_request"),
    ("bad UTF-8", b'{"item": 1, "key": "\xff"}', "application/json", 400, "malformed_request"),
    ("empty body", b"", "application/json", 400, "invalid"),
    ("JSON null", b"null", "application/json", 400, "invalid"),
    ("a list", b"[1, 2]", "application/json", 400, "invalid"),
    ("a string", b'"item"', "application/json", 400, "invalid"),
    ("unsupported type", b"item: 1", "text/plain", 415, "unsupported_media_type"),
    ("item missing", {"answer": {}, "key": "k"}, "json", 400, "invalid"),
    ("answer missing", {"item": "ITEM", "key": "k"}, "json", 400, "invalid"),
    ("key missing", {"item": "ITEM", "answer": {}}, "json", 400, "invalid"),
    ("item a string", {"item": "x", "answer": {}, "key": "k"}, "json", 400, "invalid"),
    ("item a float", {"item": 1.5, "answer": {}, "key": "k"}, "json", 400, "invalid"),
    ("item a boolean", {"item": True, "answer": {}, "key": "k"}, "json", 400, "invalid"),
    ("item null", {"item": None, "answer": {}, "key": "k"}, "json", 400, "invalid"),
    ("item a list", {"item": [1], "answer": {}, "key": "k"}, "json", 400, "invalid"),
    ("item zero", {"item": 0, "answer": {}, "key": "k"}, "json", 400, "invalid"),
    ("item negative", {"item": -5, "answer": {}, "key": "k"}, "json", 400, "invalid"),
    ("item unknown", {"item": 999_999, "answer": {}, "key": "k"}, "json", 400, "unknown_item"),
    ("item beyond 64 bits", {"item": 10**30, "answer": {}, "key": "k"}, "json", 400, "invalid"),
    ("answer null", {"item": "ITEM", "answer": None, "key": "k"}, "json", 400, "invalid"),
    ("key empty", {"item": "ITEM", "answer": {}, "key": ""}, "json", 400, "invalid"),
    ("key too long", {"item": "ITEM", "answer": {}, "key": "k" * 101}, "json", 400, "invalid"),
    ("key a list", {"item": "ITEM", "answer": {}, "key": ["k"]}, "json", 400, "invalid"),
    ("key an object", {"item": "ITEM", "answer": {}, "key": {"k": 1}}, "json", 400, "invalid"),
    ("deeply nested answer", b'{"item": ITEM, "key": "k", "answer": ' + b"[" * 100_000
     + b"]" * 100_000 + b"}", "application/json", 400, "malformed_request"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [row[1:] for row in BAD_REQUESTS],
    ids=[row[0] for row in BAD_REQUESTS],
)
def test_a_malformed_submission_is_refused_with_a_code_and_records_nothing(
    loop: Loop, body: Any, content_type: str, status: int, code: str
) -> None:
    before = loop.state()
    item_id = loop.items["single"]["id"]
    if content_type == "json":
        payload = {k: item_id if v == "ITEM" else v for k, v in body.items()}
        response = loop.client.post(loop.url, payload, format="json")
    else:
        raw = body.replace(b"ITEM", str(item_id).encode())
        response = loop.client.generic("POST", loop.url, raw, content_type=content_type)
    assert_refused(response, status, code, loop, before)


def test_an_oversized_body_is_refused_with_a_code(loop: Loop) -> None:
    before = loop.state()
    padding = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    raw = json.dumps(
        {"item": loop.items["short_answer"]["id"], "answer": {"text": padding}, "key": "k"}
    )
    response = loop.client.generic("POST", loop.url, raw, content_type="application/json")
    assert_refused(response, 413, "request_too_large", loop, before)


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("post", "/api/v1/quizzes/999999/attempts/", 404, "not_found"),
        ("post", "/api/v1/quizzes/99999999999999999999999/attempts/", 404, "not_found"),
        ("get", "/api/v1/attempts/99999999999999999999999/next/", 404, "not_found"),
        ("post", "/api/v1/attempts/99999999999999999999999/responses/", 404, "not_found"),
        ("put", "/api/v1/attempts/ATTEMPT/responses/", 405, "method_not_allowed"),
        ("delete", "/api/v1/attempts/ATTEMPT/next/", 405, "method_not_allowed"),
        ("get", "/api/v1/attempts/ATTEMPT/finish/", 405, "method_not_allowed"),
    ],
)
def test_unknown_ids_and_wrong_methods_are_4xx_with_a_code(
    loop: Loop, method: str, path: str, status: int, code: str
) -> None:
    before = loop.state()
    url = path.replace("ATTEMPT", str(loop.attempt_id))
    response = getattr(loop.client, method)(url, {}, format="json")
    assert_refused(response, status, code, loop, before)
