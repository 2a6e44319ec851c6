"""Operational endpoints; product pages live in quizzes/web/, the API in quizzes/api/."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up; touches no database, cache or disk."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """The database answers; load balancers route traffic here only when this is 200."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # any driver error means "not ready"
        return JsonResponse({"status": "unavailable", "detail": type(error).__name__}, status=503)
    return JsonResponse({"status": "ok"})
