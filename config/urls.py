from django.contrib import admin
from django.urls import include, path

from quizzes.views import healthz, readyz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("quizzes.api.urls")),
    path("lti/", include("quizzes.lti.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("quizzes.web.urls")),
]
