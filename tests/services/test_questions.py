from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from django.db.models import ProtectedError
from django.utils import timezone

from quizzes.exceptions import RevisionImmutable, ValidationFailed
from quizzes.interop.drafts import (
    AcceptedAnswerDraft,
    MatchStemDraft,
    NumericAnswerDraft,
    OptionDraft,
    QuestionDraft,
    StepDraft,
)
from quizzes.models import Option, Question, QuestionRevision
from quizzes.services.questions import (
    question_create,
    question_revise,
    question_set_status,
    revision_delete,
)
from tests import factories as f
from tests.factories import VALID, single_draft, tf_options

pytestmark = pytest.mark.django_db


# One row per invalid shape: (type's valid base, overrides, part of the expected error).
INVALID: list[tuple[str, dict[str, Any], str]] = [
    ("single", {"type": "essay"}, "type must be one of"),
    ("single", {"stem": "  "}, "stem must not be empty"),
    ("single", {"options": [OptionDraft("A", "Only", 1.0)]}, "at least two options"),
    (
        "single",
        {"options": [OptionDraft("A", "a", 1.0), OptionDraft("B", "b", 1.0)]},
        "exactly one option with fraction 1",
    ),
    (
        "single",
        {"options": [OptionDraft("A", "a", 1.0), OptionDraft("A", "b", 0.0)]},
        "option ids must be unique",
    ),
    (
        "single",
        {"options": [OptionDraft("A", "a", 1.0), OptionDraft("B", "b", -2.0)]},
        "outside [-1, 1]",
    ),
    (
        "single",
        {"options": [OptionDraft("A", "", 1.0), OptionDraft("B", "b")]},
        "text must not be empty",
    ),
    ("single", {"accepted": [AcceptedAnswerDraft("x")]}, "accepted is not used by a single"),
    (
        "multiple",
        {"options": [OptionDraft("A", "a", 0.5), OptionDraft("B", "b", 0.2)]},
        "must add up to 1",
    ),
    (
        "true_false",
        {"options": [OptionDraft("yes", "Yes", 1.0), OptionDraft("no", "No")]},
        '"true" and "false"',
    ),
    ("true_false", {"options": tf_options(0.5)}, "one option with fraction 1, the other 0"),
    ("short_answer", {"accepted": []}, "at least one accepted answer"),
    (
        "short_answer",
        {"accepted": [AcceptedAnswerDraft("x", 0.5)]},
        "accepted answer with fraction 1",
    ),
    ("short_answer", {"accepted": [AcceptedAnswerDraft(" ")]}, "text must not be empty"),
    ("numerical", {"answers": []}, "at least one answer"),
    ("numerical", {"answers": [NumericAnswerDraft(1.5, -0.1)]}, "tolerance must be a number >= 0"),
    (
        "numerical",
        {"answers": [NumericAnswerDraft(float("inf"), 0.1)]},
        "value must be a finite number",
    ),
    ("numerical", {"answers": [NumericAnswerDraft(1.5, 0.1, 0.5)]}, "answer with fraction 1"),
    ("matching", {"pairs": {"s1": "c1"}}, "exactly one choice for every stem"),
    ("matching", {"pairs": {"s1": "c1", "s2": "c9"}}, "unknown choices: c9"),
    (
        "matching",
        {"stems": [MatchStemDraft("s1", "x")], "pairs": {"s1": "c1"}},
        "at least two stems",
    ),
    ("ordering", {"steps": [StepDraft("a", "only")]}, "at least two steps"),
    ("ordering", {"steps": [StepDraft("a", "x"), StepDraft("a", "y")]}, "step ids must be unique"),
]


def draft_of(kind: str, **overrides: Any) -> QuestionDraft:
    return single_draft("Q-T", **(VALID[kind] | overrides))


@pytest.mark.parametrize("kind", list(VALID))
def test_it_creates_each_type(kind: str) -> None:
    bank = f.BankFactory.create()
    question = question_create(bank=bank, draft=draft_of(kind))
    revision = question.current_revision
    assert revision is not None
    assert revision.type == kind
    assert revision.number == 1
    assert revision.as_draft().type == kind
    revision.full_clean()  # the model's clean() agrees with the service's validation


@pytest.mark.parametrize(("kind", "overrides", "message"), INVALID)
def test_it_refuses_an_invalid_payload_and_writes_nothing(
    kind: str, overrides: dict[str, Any], message: str
) -> None:
    bank = f.BankFactory.create()
    with pytest.raises(ValidationFailed, match="Question Q-T") as caught:
        question_create(bank=bank, draft=draft_of(kind, **overrides))
    assert caught.value.code == "invalid_question"
    assert any(message in error for error in caught.value.fields["payload"])
    assert not Question.objects.exists()
    assert not QuestionRevision.objects.exists()


def test_it_refuses_an_unknown_topic_or_objective() -> None:
    bank = f.BankFactory.create()
    with pytest.raises(ValidationFailed) as caught:
        question_create(bank=bank, draft=single_draft(topic="nowhere"))
    assert caught.value.code == "unknown_topic"
    with pytest.raises(ValidationFailed) as caught:
        question_create(bank=bank, draft=single_draft(objectives=["Z9"]))
    assert caught.value.code == "unknown_objective"
    assert not Question.objects.exists()


def test_it_refuses_a_duplicate_id_in_a_bank() -> None:
    question = f.QuestionFactory.create()
    with pytest.raises(ValidationFailed) as caught:
        question_create(bank=question.bank, draft=single_draft(question.external_id))
    assert caught.value.code == "duplicate_question_id"


def test_it_sets_classification_and_the_irt_prior() -> None:
    bank = f.BankFactory.create()
    f.TopicFactory.create(bank=bank, slug="risks", path="risks")
    f.ObjectiveFactory.create(bank=bank, code="R1")
    question = question_create(
        bank=bank,
        draft=single_draft(topic="risks", objectives=["R1"], tags=["mitral"], difficulty="hard"),
    )
    assert question.topic is not None
    assert question.topic.path == "risks"
    assert list(question.objectives.values_list("code", flat=True)) == ["R1"]
    assert list(question.tags.values_list("name", flat=True)) == ["mitral"]
    revision = question.current_revision
    assert revision is not None
    assert (revision.irt_a, revision.irt_b, revision.irt_provenance) == (1.0, 1.0, "prior")
    assert revision.irt_c == pytest.approx(1 / 3, abs=1e-3)  # three options


def serve(revision: QuestionRevision) -> None:
    """What delivery does when an attempt first shows a revision."""
    attempt = f.AttemptFactory.create(
        quiz=f.QuizFactory.create(
            course__institution=revision.question.bank.institution, bank=revision.question.bank
        )
    )
    f.AttemptItemFactory.create(attempt=attempt, revision=revision, position=1)
    QuestionRevision.objects.filter(pk=revision.pk).update(served_at=timezone.now())
    revision.refresh_from_db()


def test_revising_an_unserved_revision_replaces_it() -> None:
    question = f.QuestionFactory.create()
    question_revise(question=question, draft=single_draft(question.external_id, stem="New stem."))
    question.refresh_from_db()
    assert question.revisions.count() == 1
    assert question.current_revision is not None
    assert question.current_revision.stem == "New stem."


def test_revising_a_served_revision_creates_a_new_one_and_keeps_the_old() -> None:
    question = f.QuestionFactory.create()
    first = question.current_revision
    assert first is not None
    serve(first)
    question_revise(question=question, draft=single_draft(question.external_id, stem="Edited."))
    question.refresh_from_db()
    first.refresh_from_db()
    assert question.revisions.count() == 2
    assert question.current_revision is not None
    assert question.current_revision.number == 2
    assert question.current_revision.stem == "Edited."
    assert first.stem == single_draft().stem
    assert first.options.count() == 3


def test_unchanged_content_keeps_the_current_revision() -> None:
    question = f.QuestionFactory.create()
    revision = question.current_revision
    assert revision is not None
    serve(revision)
    question_revise(question=question, draft=single_draft(question.external_id, tags=["new-tag"]))
    question.refresh_from_db()
    assert question.current_revision_id == revision.pk
    assert list(question.tags.values_list("name", flat=True)) == ["new-tag"]


def test_a_served_revision_cannot_be_changed_or_deleted() -> None:
    question = f.QuestionFactory.create()
    revision = question.current_revision
    assert revision is not None
    serve(revision)
    revision.stem = "Sneaky edit"
    with pytest.raises(RevisionImmutable):
        revision.save()
    revision.refresh_from_db()
    with pytest.raises(RevisionImmutable):
        revision.delete()
    with pytest.raises(RevisionImmutable):
        revision_delete(revision=revision)
    option = revision.options.first()
    assert option is not None
    option.fraction = 0.0
    with pytest.raises(RevisionImmutable):
        option.save()
    with pytest.raises(RevisionImmutable):
        option.delete()
    with pytest.raises(RevisionImmutable):
        Option(revision=revision, key="Z", text="added").save()
    with pytest.raises(ProtectedError):
        question.delete()  # the attempt item protects what it served
    assert QuestionRevision.objects.get(pk=revision.pk).stem == single_draft().stem


def test_calibration_may_update_a_served_revisions_irt_parameters() -> None:
    question = f.QuestionFactory.create()
    revision = question.current_revision
    assert revision is not None
    serve(revision)
    revision.irt_a, revision.irt_b, revision.irt_provenance = 1.4, -0.3, "calibrated"
    revision.save()
    revision.refresh_from_db()
    assert (revision.irt_a, revision.irt_b) == (1.4, -0.3)


def test_an_unserved_revision_can_be_deleted() -> None:
    question = f.QuestionFactory.create()
    extra = f.QuestionRevisionFactory.create(question=question)
    question.current_revision = extra
    question.save()
    revision_delete(revision=extra)
    question.refresh_from_db()
    assert question.current_revision is not None
    assert question.current_revision.number == 1


@pytest.mark.parametrize(
    ("start", "target", "allowed"),
    [
        ("draft", "in_review", True),
        ("in_review", "published", True),
        ("draft", "published", True),
        ("published", "retired", True),
        ("retired", "draft", True),
        ("published", "draft", False),
        ("published", "in_review", False),
        ("retired", "in_review", False),
        ("draft", "retired", False),
        ("draft", "archived", False),
    ],
)
def test_status_workflow(start: str, target: str, allowed: bool) -> None:
    question = f.QuestionFactory.create()
    Question.objects.filter(pk=question.pk).update(status=start)
    question.refresh_from_db()
    if allowed:
        assert question_set_status(question=question, status=target).status == target
    else:
        with pytest.raises(ValidationFailed) as caught:
            question_set_status(question=question, status=target)
        assert caught.value.code == "invalid_transition"
        question.refresh_from_db()
        assert question.status == start


def test_draft_round_trips_through_a_revision() -> None:
    bank = f.BankFactory.create()
    for kind in VALID:
        draft = dataclasses.replace(draft_of(kind), id=f"RT-{kind}")
        question = question_create(bank=bank, draft=draft)
        assert question.current_revision is not None
        stored = question.current_revision.as_draft()
        for field in (
            "type",
            "stem",
            "lead_in",
            "options",
            "accepted",
            "answers",
            "unit",
            "stems",
            "choices",
            "pairs",
            "steps",
            "explanation",
        ):
            assert getattr(stored, field) == getattr(draft, field), (kind, field)
