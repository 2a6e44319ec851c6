"""Routes of the delivery API (courses, members, quizzes, attempts, responses, results)."""

from django.urls import URLPattern, URLResolver, path

from quizzes.api import delivery

urlpatterns: list[URLPattern | URLResolver] = [
    path("courses/", delivery.CoursesView.as_view(), name="api-courses"),
    path("courses/<int:course_id>/members/", delivery.MembersView.as_view(), name="api-members"),
    path("quizzes/", delivery.QuizzesView.as_view(), name="api-quizzes"),
    path("quizzes/<int:quiz_id>/", delivery.QuizView.as_view(), name="api-quiz"),
    path(
        "quizzes/<int:quiz_id>/overrides/", delivery.OverridesView.as_view(), name="api-overrides"
    ),
    path("quizzes/<int:quiz_id>/attempts/", delivery.AttemptsView.as_view(), name="api-attempts"),
    path("attempts/<int:attempt_id>/", delivery.AttemptView.as_view(), name="api-attempt"),
    path("attempts/<int:attempt_id>/next/", delivery.NextView.as_view(), name="api-attempt-next"),
    path(
        "attempts/<int:attempt_id>/responses/",
        delivery.ResponsesView.as_view(),
        name="api-attempt-responses",
    ),
    path(
        "attempts/<int:attempt_id>/finish/",
        delivery.FinishView.as_view(),
        name="api-attempt-finish",
    ),
    path(
        "attempts/<int:attempt_id>/result/",
        delivery.ResultView.as_view(),
        name="api-attempt-result",
    ),
]
