"""Routes of the delivery API (courses, members, quizzes, attempts, responses, results)."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
