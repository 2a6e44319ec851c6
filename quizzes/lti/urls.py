from __future__ import annotations

from django.urls import path

from quizzes.lti import views

app_name = "lti"

urlpatterns = [
    path("jwks/", views.jwks, name="jwks"),
    path("login/", views.oidc_login, name="login"),
    path("launch/", views.launch, name="launch"),
    path("launches/<str:token>/", views.launched, name="launched"),
    path("launches/<str:token>/start/", views.launched_start, name="launched-start"),
    path("launches/<str:token>/link/", views.launched_link, name="launched-link"),
    path("launches/<str:token>/roster/", views.launched_roster, name="launched-roster"),
    path("launches/<str:token>/retry/", views.launched_retry, name="launched-retry"),
    path("launches/<str:token>/deep-link/", views.launched_deep_link, name="launched-deep-link"),
    path("config/", views.configuration_index, name="config"),
    path("config/<slug:lms>/", views.configuration, name="config-lms"),
]
