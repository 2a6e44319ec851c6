"""Schema-driven fuzzing: schemathesis generates requests for every operation of
/api/v1/schema/ and sends them, with a learner's and with an instructor's token, to the
app in-process (WSGI); no response may be a 5xx, and every error the API itself answers
(JSON) has the error shape's "code". Bounded (max_examples per operation, derandomised)
so the file runs in about a minute; raise FUZZ_EXAMPLES for a longer hunt.

The schema itself must validate: ``manage.py spectacular --validate --fail-on-warn``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from io import StringIO
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.generation import GenerationMode

from quizzes.models import Quiz
from tests.conftest import Cast
from tests.delivery.conftest import client_for

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))  # per operation and mode


@dataclass
class World:
    tokens: dict[str, str]  # role -> API token
    ids: dict[str, int]  # path parameter -> an id that exists


@pytest.fixture
def world(cast: Cast, make_quiz: Callable[..., Quiz]) -> World:
    """Something to find: a fixed quiz of every type, an adaptive quiz, alice's attempt in
    progress with one answer; the generated requests are sent once as generated and once
    with their path ids pointing at these."""
    quiz = make_quiz("fixed", attempts_allowed=0, feedback_timing="immediate")
    make_quiz("adaptive", attempts_allowed=0, max_items=5, min_items=2)
    alice = client_for(cast.alice)
    attempt_id = alice.post(f"/api/v1/quizzes/{quiz.pk}/attempts/").json()["id"]
    item = alice.get(f"/api/v1/attempts/{attempt_id}/next/").json()["item"]
    alice.post(
        f"/api/v1/attempts/{attempt_id}/responses/",
        {"item": item["id"], "answer": {"option": item["options"][0]["id"]}, "key": "k"},
        format="json",
    )
    return World(
        tokens={
            "learner": Token.objects.create(user=cast.alice).key,
            "instructor": Token.objects.create(user=cast.bob).key,
        },
        ids={
            "attempt_id": attempt_id,
            "quiz_id": quiz.pk,
            "course_id": cast.course.pk,
            "bank_id": cast.bank.pk,
            "question_id": item["id"],
        },
    )


@pytest.fixture
def wsgi_app() -> Iterator[Any]:
    """The real WSGI handler, as gunicorn runs it, minus one thing Django's test client also
    switches off: closing the database connection at the end of each request, which on
    PostgreSQL would close the test's transaction under it."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def has_error_code(ctx: Any, response: Any, case: Any) -> bool | None:
    """A 4xx the API answers (JSON) carries the error shape; Django's own HTML 404 for a
    path that matches no route (a negative id) is not the API's."""
    content_type = response.headers.get("content-type", [""])[0]
    if 400 <= response.status_code < 500 and "json" in content_type:
        body = response.json()
        assert isinstance(body, dict), body
        assert {"code", "detail"} <= set(body), body
    return None


def fuzz(operation: Any, mode: GenerationMode, world: World) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis_settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        generated = dict(case.path_parameters or {})
        existing = {name: world.ids.get(name, value) for name, value in generated.items()}
        for path_parameters in [generated] + ([existing] if existing != generated else []):
            case.path_parameters = path_parameters
            for token in world.tokens.values():
                case.call_and_validate(
                    headers={"Authorization": f"Token {token}"},
                    checks=[not_a_server_error, has_error_code],
                )

    run()


def test_no_generated_request_makes_the_api_fail(
    settings: Any, world: World, wsgi_app: Any
) -> None:
    settings.ALLOWED_HOSTS = ["localhost"]
    api = schemathesis.openapi.from_wsgi("/api/v1/schema/", wsgi_app)
    failures, operations = [], 0
    for result in api.get_all_operations():
        assert isinstance(result, Ok), result  # an operation the loader could not read
        operation = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                fuzz(operation, mode, world)
            except Exception as error:  # collect every operation's failure, then report
                failures.append(f"{operation.label} [{mode.value}]: {error}")
    assert operations >= 20
    assert not failures, "\n\n".join(failures)


def test_the_schema_validates_without_warnings() -> None:
    out = StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    assert "openapi" in out.getvalue()
