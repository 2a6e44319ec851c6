from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.django_db
def test_the_api_docs_work_under_the_sites_csp_without_a_cdn(client: Client) -> None:
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    policy = page["Content-Security-Policy"]
    assert "unsafe-inline" not in policy
    assert "cdn.jsdelivr.net" not in page.text
    assert "<script>" not in page.text  # the split view loads its init script from a URL
    init = client.get("/api/v1/docs/?script=")
    assert init.status_code == 200
    assert b"SwaggerUIBundle" in init.content
