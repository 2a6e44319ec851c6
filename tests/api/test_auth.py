from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.conftest import Cast

pytestmark = pytest.mark.django_db


def test_it_exchanges_credentials_for_a_token(cast: Cast, api: APIClient) -> None:
    response = api.post(
        "/api/v1/auth/token/",
        {"username": "alice", "password": "correct horse battery staple"},
        format="json",
    )
    assert response.status_code == 200
    token = response.json()["token"]
    assert len(token) == 40


def test_it_refuses_wrong_credentials_with_the_error_shape(cast: Cast, api: APIClient) -> None:
    response = api.post(
        "/api/v1/auth/token/", {"username": "alice", "password": "nope"}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body) == {"code", "detail", "fields"}


def test_malformed_json_is_a_400_with_a_code(api: APIClient) -> None:
    response = api.post("/api/v1/auth/token/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_request"


def test_token_endpoint_rejects_get(api: APIClient) -> None:
    response = api.get("/api/v1/auth/token/")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_the_schema_and_docs_are_served(api: APIClient) -> None:
    schema = api.get("/api/v1/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/auth/token/" in schema.content
    assert api.get("/api/v1/docs/").status_code == 200
