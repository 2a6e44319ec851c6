"""factory-boy factories for every model. Questions are built through the service so
that a factory-made question is exactly what the product would store."""

from __future__ import annotations

from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.utils import timezone

from quizzes.interop.drafts import (
    AcceptedAnswerDraft,
    MatchChoiceDraft,
    MatchStemDraft,
    NumericAnswerDraft,
    OptionDraft,
    QuestionDraft,
    StepDraft,
)
from quizzes.models import (
    Attempt,
    AttemptItem,
    Bank,
    Course,
    Grade,
    GradeOutbox,
    Institution,
    Membership,
    Objective,
    Option,
    Question,
    QuestionRevision,
    Quiz,
    QuizOverride,
    QuizQuestion,
    Response,
    Tag,
    Topic,
)
from quizzes.services.questions import question_create


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.test")
    password = factory.django.Password("correct horse battery staple")


class InstitutionFactory(factory.django.DjangoModelFactory[Institution]):
    class Meta:
        model = Institution

    name = factory.Sequence(lambda n: f"Medical School {n}")
    slug = factory.Sequence(lambda n: f"school-{n}")


class CourseFactory(factory.django.DjangoModelFactory[Course]):
    class Meta:
        model = Course

    institution = factory.SubFactory(InstitutionFactory)
    slug = factory.Sequence(lambda n: f"course-{n}")
    title = factory.Sequence(lambda n: f"Course {n}")


class MembershipFactory(factory.django.DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    course = factory.SubFactory(CourseFactory)
    role = Membership.Role.LEARNER


class BankFactory(factory.django.DjangoModelFactory[Bank]):
    class Meta:
        model = Bank

    institution = factory.SubFactory(InstitutionFactory)
    title = factory.Sequence(lambda n: f"Bank {n}")


class TopicFactory(factory.django.DjangoModelFactory[Topic]):
    class Meta:
        model = Topic

    bank = factory.SubFactory(BankFactory)
    slug = factory.Sequence(lambda n: f"topic-{n}")
    path = factory.LazyAttribute(lambda t: t.slug)
    title = factory.LazyAttribute(lambda t: t.slug.capitalize())


class ObjectiveFactory(factory.django.DjangoModelFactory[Objective]):
    class Meta:
        model = Objective

    bank = factory.SubFactory(BankFactory)
    code = factory.Sequence(lambda n: f"O{n}")
    text = "Explain the mechanism."


class TagFactory(factory.django.DjangoModelFactory[Tag]):
    class Meta:
        model = Tag

    bank = factory.SubFactory(BankFactory)
    name = factory.Sequence(lambda n: f"tag-{n}")


def single_draft(question_id: str = "Q-1", **overrides: Any) -> QuestionDraft:
    """A valid single-best-answer draft; keyword overrides replace fields."""
    fields: dict[str, Any] = {
        "id": question_id,
        "type": "single",
        "status": "published",
        "bloom": "apply",
        "stem": "A 30-year-old woman has exertional dyspnoea and an opening snap.",
        "lead_in": "Which of the following is the most likely diagnosis?",
        "options": [
            OptionDraft("A", "Mitral stenosis", 1.0, "Opening snap and diastolic rumble."),
            OptionDraft("B", "Aortic stenosis", 0.0, "Ejection systolic murmur instead."),
            OptionDraft("C", "Mitral regurgitation", 0.0, "Pansystolic murmur instead."),
        ],
        "explanation": "An opening snap followed by a diastolic rumble is mitral stenosis.",
        "difficulty": "medium",
    }
    fields.update(overrides)
    return QuestionDraft(**fields)


# Overrides of single_draft() that make a valid question of each type.
def tf_options(true_fraction: float = 1.0) -> list[OptionDraft]:
    return [
        OptionDraft("true", "True", true_fraction, "a"),
        OptionDraft("false", "False", 1.0 - true_fraction, "b"),
    ]


VALID: dict[str, dict[str, Any]] = {
    "single": {},
    "multiple": {
        "type": "multiple",
        "options": [
            OptionDraft("A", "Tamponade", 0.5),
            OptionDraft("B", "Severe MR", 0.5),
            OptionDraft("C", "Infection as the commonest", -1.0),
        ],
    },
    "true_false": {"type": "true_false", "options": tf_options()},
    "short_answer": {
        "type": "short_answer",
        "options": [],
        "accepted": [AcceptedAnswerDraft("commissurotomy")],
    },
    "numerical": {
        "type": "numerical",
        "options": [],
        "answers": [NumericAnswerDraft(1.5, 0.05)],
        "unit": "cm²",
    },
    "matching": {
        "type": "matching",
        "options": [],
        "stems": [MatchStemDraft("s1", "Mitral"), MatchStemDraft("s2", "Aortic")],
        "choices": [
            MatchChoiceDraft("c1", "Femoral vein"),
            MatchChoiceDraft("c2", "Femoral artery"),
        ],
        "pairs": {"s1": "c1", "s2": "c2"},
    },
    "ordering": {
        "type": "ordering",
        "options": [],
        "steps": [StepDraft("a", "TEE"), StepDraft("b", "Transseptal puncture")],
    },
}


def draft_of_type(kind: str, question_id: str, **overrides: Any) -> QuestionDraft:
    return single_draft(question_id, **(VALID[kind] | overrides))


class QuestionFactory(factory.django.DjangoModelFactory[Question]):
    """A published single-best-answer question with one revision, made by the service."""

    class Meta:
        model = Question

    bank = factory.SubFactory(BankFactory)
    external_id = factory.Sequence(lambda n: f"Q-{n:04d}")

    @classmethod
    def _create(cls, model_class: type[Question], *args: Any, **kwargs: Any) -> Question:
        draft = kwargs.pop("draft", None) or single_draft(kwargs["external_id"])
        draft.id = kwargs["external_id"]
        return question_create(bank=kwargs["bank"], draft=draft)


class QuestionRevisionFactory(factory.django.DjangoModelFactory[QuestionRevision]):
    """An extra unserved revision of a question (the service makes the first one)."""

    class Meta:
        model = QuestionRevision

    question = factory.SubFactory(QuestionFactory)
    number = factory.LazyAttribute(lambda r: r.question.revisions.count() + 1)
    type = "true_false"
    stem = "Balloon mitral commissurotomy is performed through a femoral vein."
    content_hash = factory.Sequence(lambda n: f"{n:064d}")


class OptionFactory(factory.django.DjangoModelFactory[Option]):
    class Meta:
        model = Option

    revision = factory.SubFactory(QuestionRevisionFactory)
    key = factory.Sequence(lambda n: f"K{n}")
    text = factory.Sequence(lambda n: f"Option {n}")
    fraction = 0.0


class QuizFactory(factory.django.DjangoModelFactory[Quiz]):
    class Meta:
        model = Quiz

    course = factory.SubFactory(CourseFactory)
    bank = factory.SubFactory(
        BankFactory, institution=factory.SelfAttribute("..course.institution")
    )
    title = factory.Sequence(lambda n: f"Quiz {n}")
    mode = Quiz.Mode.FIXED
    status = Quiz.Status.PUBLISHED


class QuizQuestionFactory(factory.django.DjangoModelFactory[QuizQuestion]):
    class Meta:
        model = QuizQuestion

    quiz = factory.SubFactory(QuizFactory)
    question = factory.SubFactory(QuestionFactory, bank=factory.SelfAttribute("..quiz.bank"))
    position = factory.Sequence(lambda n: n + 1)


class QuizOverrideFactory(factory.django.DjangoModelFactory[QuizOverride]):
    class Meta:
        model = QuizOverride

    quiz = factory.SubFactory(QuizFactory)
    learner = factory.SubFactory(UserFactory)
    extra_attempts = 1


class AttemptFactory(factory.django.DjangoModelFactory[Attempt]):
    class Meta:
        model = Attempt

    quiz = factory.SubFactory(QuizFactory)
    learner = factory.SubFactory(UserFactory)
    number = factory.Sequence(lambda n: n + 1)
    started_at = factory.LazyFunction(timezone.now)


class AttemptItemFactory(factory.django.DjangoModelFactory[AttemptItem]):
    class Meta:
        model = AttemptItem

    attempt = factory.SubFactory(AttemptFactory)
    position = factory.Sequence(lambda n: n + 1)
    revision = factory.LazyAttribute(
        lambda item: QuestionFactory.create(bank=item.attempt.quiz.bank).current_revision
    )
    served_at = factory.LazyFunction(timezone.now)


class ResponseFactory(factory.django.DjangoModelFactory[Response]):
    class Meta:
        model = Response

    item = factory.SubFactory(AttemptItemFactory)
    attempt = factory.SelfAttribute("item.attempt")
    key = factory.Sequence(lambda n: f"key-{n}")
    answer = factory.LazyFunction(lambda: {"option": "x"})
    fraction = 1.0
    submitted_at = factory.LazyFunction(timezone.now)


class GradeFactory(factory.django.DjangoModelFactory[Grade]):
    class Meta:
        model = Grade

    quiz = factory.SubFactory(QuizFactory)
    learner = factory.SubFactory(UserFactory)
    percent = 80.0
    attempts_counted = 1
    updated_at = factory.LazyFunction(timezone.now)


class GradeOutboxFactory(factory.django.DjangoModelFactory[GradeOutbox]):
    class Meta:
        model = GradeOutbox

    grade = factory.SubFactory(GradeFactory)
    score_given = 80.0
    timestamp = factory.LazyFunction(timezone.now)
