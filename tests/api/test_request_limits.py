"""Bodies the stock stack would turn into a 500 or an HTML page get the API's error shape
on every endpoint, not only on delivery's."""

from __future__ import annotations

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from quizzes.models import Bank
from tests.conftest import Cast

pytestmark = pytest.mark.django_db

ENDPOINTS = ["/api/v1/banks/", "/api/v1/courses/", "/api/v1/quizzes/", "/api/v1/auth/token/"]


@pytest.mark.parametrize("url", ENDPOINTS)
def test_json_nested_too_deeply_is_a_400(cast: Cast, url: str) -> None:
    client = APIClient()
    client.force_authenticate(cast.bob)
    body = "[" * 100_000 + "]" * 100_000
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_request"
    assert Bank.objects.filter(institution=cast.institution).count() == 1


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1024)
@pytest.mark.parametrize("url", ENDPOINTS)
def test_a_body_over_the_limit_is_a_413_with_a_code(cast: Cast, url: str) -> None:
    client = APIClient()
    client.force_authenticate(cast.bob)
    response = client.post(url, {"title": "x" * 5000}, format="json")
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"
    assert Bank.objects.filter(institution=cast.institution).count() == 1
