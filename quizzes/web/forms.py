"""The educators' quiz set-up form: every setting of a quiz, a blueprint editor (topic
shares per root topic of the chosen bank) and adaptive settings with sensible defaults.
The form only shapes input; quiz_create/quiz_update validate and save."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms

from quizzes.models import Bank, Course, Quiz, Topic

ADAPTIVE_DEFAULTS = {"max_items": 20, "min_items": 8, "se_target": 0.35, "exposure": "randomesque"}
BLUEPRINT_NEEDS_SHARES = "A blueprint quiz needs a share for at least one topic of its bank."


def share_field_name(bank_id: int, path: str) -> str:
    return f"share-{bank_id}-{path}"


class QuizForm(forms.Form):
    title = forms.CharField(max_length=200)
    course = forms.TypedChoiceField(coerce=int)
    bank = forms.TypedChoiceField(coerce=int)
    mode = forms.ChoiceField(choices=Quiz.Mode.choices)
    status = forms.ChoiceField(choices=Quiz.Status.choices, initial=Quiz.Status.DRAFT)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    length = forms.IntegerField(
        min_value=1, max_value=500, initial=10, help_text="Fixed, blueprint and practice."
    )
    max_items = forms.IntegerField(min_value=1, max_value=500, initial=20)
    min_items = forms.IntegerField(min_value=1, max_value=500, initial=8)
    se_target = forms.FloatField(
        required=False,
        min_value=0.05,
        max_value=2,
        initial=0.35,
        help_text="Stop when the standard error of the ability falls below this.",
    )
    ability_cut = forms.FloatField(
        required=False,
        min_value=-4,
        max_value=4,
        help_text="Pass when the ability is at least this; stops early once clear.",
    )
    exposure = forms.ChoiceField(choices=Quiz.Exposure.choices, initial=Quiz.Exposure.RANDOMESQUE)
    time_limit_minutes = forms.IntegerField(
        required=False, min_value=1, max_value=24 * 60, help_text="Leave empty for no limit."
    )
    attempts_allowed = forms.IntegerField(
        min_value=0, max_value=100, initial=1, help_text="0 means unlimited."
    )
    grading_method = forms.ChoiceField(choices=Quiz.GradingMethod.choices)
    feedback_timing = forms.ChoiceField(choices=Quiz.FeedbackTiming.choices)
    pass_mark = forms.FloatField(required=False, min_value=0, max_value=100, help_text="Percent.")
    allow_navigation = forms.BooleanField(required=False)
    shuffle_options = forms.BooleanField(required=False, initial=True)
    review_when = forms.ChoiceField(choices=Quiz.ReviewWhen.choices)
    review_show_answers = forms.BooleanField(required=False, initial=True)
    review_show_explanations = forms.BooleanField(required=False, initial=True)

    def __init__(
        self,
        *args: Any,
        courses: list[Course],
        banks: list[Bank],
        topics: dict[int, list[Topic]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        course_field = self.fields["course"]
        bank_field = self.fields["bank"]
        assert isinstance(course_field, forms.TypedChoiceField)
        assert isinstance(bank_field, forms.TypedChoiceField)
        course_field.choices = [(c.pk, f"{c.title} ({c.institution.name})") for c in courses]
        bank_field.choices = [(b.pk, b.title) for b in banks]
        self.banks = banks
        self.topics = topics
        for bank in banks:
            for topic in topics.get(bank.pk, []):
                self.fields[share_field_name(bank.pk, topic.path)] = forms.IntegerField(
                    required=False, min_value=0, max_value=100, label=topic.title
                )

    def blueprint_groups(self) -> list[dict[str, Any]]:
        """The share fields per bank, for the template's blueprint editor."""
        return [
            {
                "bank": bank,
                "fields": [
                    self[share_field_name(bank.pk, topic.path)]
                    for topic in self.topics.get(bank.pk, [])
                ],
            }
            for bank in self.banks
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        bank_id = data.get("bank")
        if bank_id is not None:
            shares = {
                topic.path: data.get(share_field_name(bank_id, topic.path))
                for topic in self.topics.get(bank_id, [])
            }
            total = sum(value for value in shares.values() if value)
            data["blueprint"] = (
                {path: round(value / total, 4) for path, value in shares.items() if value}
                if total
                else {}
            )
            if data.get("mode") == Quiz.Mode.BLUEPRINT and not data["blueprint"]:
                self.add_error(None, BLUEPRINT_NEEDS_SHARES)
        return data

    def settings(self) -> dict[str, Any]:
        """The cleaned data as quiz_create/quiz_update keywords."""
        data = dict(self.cleaned_data)
        minutes = data.pop("time_limit_minutes")
        data["time_limit"] = timedelta(minutes=minutes) if minutes else None
        for name in list(data):
            if name.startswith("share-"):
                data.pop(name)
        return data


def initial_from(quiz: Quiz) -> dict[str, Any]:
    initial: dict[str, Any] = {
        name: getattr(quiz, name)
        for name in QuizForm.base_fields
        if name not in ("course", "bank", "time_limit_minutes") and hasattr(quiz, name)
    }
    initial["course"] = quiz.course_id
    initial["bank"] = quiz.bank_id
    initial["time_limit_minutes"] = (
        round(quiz.time_limit.total_seconds() / 60) if quiz.time_limit else None
    )
    for path, share in (quiz.blueprint or {}).items():
        initial[share_field_name(quiz.bank_id, path)] = (
            round(share * 100) if share <= 1 else int(share)
        )
    return initial
