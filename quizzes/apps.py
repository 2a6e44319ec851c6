from django.apps import AppConfig


class QuizzesConfig(AppConfig):
    name = "quizzes"
    verbose_name = "Quizzes and question banks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from quizzes.lti import signals  # noqa: F401  (connects the outbox receiver)
