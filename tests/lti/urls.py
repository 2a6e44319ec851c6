"""A fallback URL conf for the LTI tests (see the _urls fixture in conftest.py)."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("lti/", include("quizzes.lti.urls")),
]
