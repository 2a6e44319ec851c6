"""Routes of the educators' bank management API (banks, topics, questions, import/export)."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
