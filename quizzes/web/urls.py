"""The pages' URLs (namespace "web"); docs/pages.md lists every page."""

from __future__ import annotations

from django.urls import path

from quizzes.web import educator, learner

app_name = "web"

urlpatterns = [
    # learner
    path("", learner.home, name="home"),
    path("quizzes/<int:quiz_id>/", learner.quiz_intro, name="quiz"),
    path("quizzes/<int:quiz_id>/start/", learner.quiz_start, name="quiz-start"),
    path("attempts/<int:attempt_id>/", learner.attempt_page, name="attempt"),
    path("attempts/<int:attempt_id>/answer/", learner.answer, name="answer"),
    path("attempts/<int:attempt_id>/items/<int:position>/flag/", learner.flag, name="flag"),
    path("attempts/<int:attempt_id>/finish/", learner.finish, name="finish"),
    path("attempts/<int:attempt_id>/result/", learner.result, name="result"),
    path("attempts/<int:attempt_id>/review/", learner.review, name="review"),
    # educator
    path("teach/", educator.dashboard, name="teach"),
    path("teach/banks/<int:bank_id>/", educator.bank_questions, name="bank"),
    path("teach/questions/<int:question_id>/", educator.question_detail, name="question"),
    path(
        "teach/questions/<int:question_id>/preview/",
        educator.question_preview,
        name="question-preview",
    ),
    path("teach/quizzes/new/", educator.quiz_new, name="quiz-new"),
    path("teach/quizzes/<int:quiz_id>/", educator.quiz_edit, name="quiz-edit"),
    path("teach/quizzes/<int:quiz_id>/gradebook/", educator.gradebook, name="gradebook"),
    path("teach/quizzes/<int:quiz_id>/items/", educator.item_analysis, name="item-analysis"),
]
