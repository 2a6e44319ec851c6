"""Routes of the educators' bank management API (banks, topics, questions, import/export)."""

from django.urls import URLPattern, URLResolver, path

from quizzes.api.banks import BankDetailView, BankListView, BankTopicsView
from quizzes.api.imports import BankExportView, BankImportView
from quizzes.api.questions import (
    BankQuestionsView,
    QuestionDetailView,
    QuestionRevisionsView,
    QuestionStatusView,
)

urlpatterns: list[URLPattern | URLResolver] = [
    path("banks/", BankListView.as_view(), name="api-banks"),
    path("banks/<int:bank_id>/", BankDetailView.as_view(), name="api-bank"),
    path("banks/<int:bank_id>/topics/", BankTopicsView.as_view(), name="api-bank-topics"),
    path("banks/<int:bank_id>/questions/", BankQuestionsView.as_view(), name="api-bank-questions"),
    path("banks/<int:bank_id>/import/", BankImportView.as_view(), name="api-bank-import"),
    path("banks/<int:bank_id>/export/", BankExportView.as_view(), name="api-bank-export"),
    path("questions/<int:question_id>/", QuestionDetailView.as_view(), name="api-question"),
    path(
        "questions/<int:question_id>/status/",
        QuestionStatusView.as_view(),
        name="api-question-status",
    ),
    path(
        "questions/<int:question_id>/revisions/",
        QuestionRevisionsView.as_view(),
        name="api-question-revisions",
    ),
]
