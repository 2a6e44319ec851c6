"""Routes of the analytics API (item statistics, gradebooks, calibration, mastery)."""

from django.urls import URLPattern, URLResolver, path

from quizzes.api.calibration import BankCalibrationView
from quizzes.api.gradebook import CourseGradebookView, QuizGradebookView
from quizzes.api.item_stats import ItemStatsView
from quizzes.api.mastery import CourseMasteryView

urlpatterns: list[URLPattern | URLResolver] = [
    # calibration
    path(
        "banks/<int:bank_id>/calibration/",
        BankCalibrationView.as_view(),
        name="api-bank-calibration",
    ),
    # gradebook
    path(
        "quizzes/<int:quiz_id>/gradebook/",
        QuizGradebookView.as_view(),
        name="api-quiz-gradebook",
    ),
    path(
        "courses/<int:course_id>/gradebook/",
        CourseGradebookView.as_view(),
        name="api-course-gradebook",
    ),
    # quiz and item statistics
    path(
        "quizzes/<int:quiz_id>/item-stats/",
        ItemStatsView.as_view(),
        name="api-quiz-item-stats",
    ),
    # mastery
    path(
        "courses/<int:course_id>/mastery/",
        CourseMasteryView.as_view(),
        name="api-course-mastery",
    ),
]
