"""Reads of questions for educators (API, admin, pages)."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Prefetch, QuerySet

from quizzes.interop.drafts import QuestionDraft
from quizzes.models import Bank, Option, Question, QuestionRevision
from quizzes.models.questions import content_hash
from quizzes.selectors.access import educator_institution_ids


def questions_for_bank(
    *,
    bank: Bank,
    topic: str = "",
    type: str = "",
    status: str = "",
    objective: str = "",
    tag: str = "",
    bloom: str = "",
) -> QuerySet[Question]:
    """A bank's questions with their current revision and options, filtered.

    ``topic`` matches the topic path and its descendants ("risks" includes
    "risks/complications"). Runs a fixed number of queries whatever the page size.
    """
    questions = (
        Question.objects.filter(bank=bank)
        .select_related("topic", "current_revision")
        .prefetch_related(
            "objectives",
            "tags",
            Prefetch("current_revision__options", queryset=Option.objects.order_by("position")),
        )
        .order_by("external_id")
    )
    if topic:
        path = topic.strip("/")
        questions = questions.filter(topic__path=path) | questions.filter(
            topic__path__startswith=f"{path}/"
        )
    if type:
        questions = questions.filter(current_revision__type=type)
    if status:
        questions = questions.filter(status=status)
    if objective:
        questions = questions.filter(objectives__code=objective)
    if tag:
        questions = questions.filter(tags__name=tag)
    if bloom:
        questions = questions.filter(bloom=bloom)
    return questions.distinct()


def questions_for_educator(user: User | AnonymousUser) -> QuerySet[Question]:
    """Every question of the banks of the institutions where the user teaches."""
    return (
        Question.objects.filter(bank__institution_id__in=educator_institution_ids(user))
        .select_related("bank", "topic", "current_revision")
        .prefetch_related(
            "objectives",
            "tags",
            Prefetch("current_revision__options", queryset=Option.objects.order_by("position")),
        )
    )


def question_for_educator(*, user: User | AnonymousUser, question_id: int) -> Question | None:
    """The question when its bank belongs to one of the user's institutions, else None."""
    return questions_for_educator(user).filter(pk=question_id).first()


def revisions_of(question: Question) -> QuerySet[QuestionRevision]:
    """A question's revisions, newest first (the history)."""
    return (
        QuestionRevision.objects.filter(question=question)
        .select_related("created_by")
        .order_by("-number")
    )


def revision_of(question: Question, number: int) -> QuestionRevision | None:
    return (
        QuestionRevision.objects.filter(question=question, number=number)
        .prefetch_related(Prefetch("options", queryset=Option.objects.order_by("position")))
        .first()
    )


def question_as_draft(
    question: Question, revision: QuestionRevision | None = None
) -> QuestionDraft | None:
    """A question (its current revision, or ``revision``) with its classification as a draft.

    Uses what ``questions_for_bank``/``questions_for_educator`` prefetched: no query then.
    None when the question has no revision yet.
    """
    revision = revision if revision is not None else question.current_revision
    if revision is None:
        return None
    revision.question = question  # the cached instance: as_draft must not fetch it again
    draft = revision.as_draft(options=list(revision.options.all()))
    draft.topic = question.topic.path if question.topic is not None else ""
    draft.objectives = [objective.code for objective in question.objectives.all()]
    draft.tags = [tag.name for tag in question.tags.all()]
    draft.bloom = question.bloom
    draft.status = question.status
    # A revision always stores IRT parameters, but a draft without ``irt`` (the prior from
    # the difficulty rating) hashes differently from one that spells the prior out: keep
    # the form the revision was saved from, so that re-saving unchanged content (a PATCH,
    # re-importing an export) is recognised as unchanged.
    stored_irt = draft.irt
    draft.irt = None
    if content_hash(draft) != revision.content_hash:
        draft.irt = stored_irt
    return draft
