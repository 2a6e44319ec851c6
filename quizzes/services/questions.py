"""Writes for questions and their revisions.

Every path that changes a question (API, admin, imports, ``load_bank``) goes through
these functions, so the rules hold everywhere: payloads validated, served revisions
never changed, HTML sanitised, classification resolved within the question's bank.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F

from quizzes.exceptions import Conflict, ValidationFailed
from quizzes.interop.drafts import QuestionDraft, question_to_dict, validate_payload
from quizzes.interop.sanitize import sanitize_question
from quizzes.linter import Finding, blocking_findings, lint_question
from quizzes.models import (
    AttemptItem,
    Bank,
    Objective,
    Option,
    Question,
    QuestionRevision,
    Tag,
    Topic,
)
from quizzes.models.questions import PAYLOAD_KEYS, content_hash

# Error codes of this module (tests and API clients match on them).
CODE_LINT_FAILED = "lint_failed"
CODE_INVALID_TRANSITION = "invalid_transition"
CODE_BANK_SERVED = "bank_served"
CODE_BANK_IN_USE = "bank_in_use"

ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    Question.Status.DRAFT: {Question.Status.IN_REVIEW, Question.Status.PUBLISHED},
    Question.Status.IN_REVIEW: {Question.Status.DRAFT, Question.Status.PUBLISHED},
    Question.Status.PUBLISHED: {Question.Status.RETIRED},
    Question.Status.RETIRED: {Question.Status.DRAFT, Question.Status.PUBLISHED},
}


def bank_touch(bank_id: int) -> None:
    """Bump the bank's content version: cached engine arrays of older versions are dead."""
    Bank.objects.filter(pk=bank_id).update(content_version=F("content_version") + 1)


def _validate(draft: QuestionDraft) -> None:
    errors = validate_payload(draft)
    if errors:
        raise ValidationFailed(
            f"Question {draft.id}: {'; '.join(errors)}.",
            code="invalid_question",
            fields={"payload": errors},
        )
    if draft.status not in Question.Status.values:
        raise ValidationFailed(
            f"status must be one of {', '.join(Question.Status.values)}.",
            code="invalid_status",
            fields={"status": [draft.status]},
        )


def lint_findings_text(findings: list[Finding]) -> list[str]:
    return [f"{finding.rule}: {finding.message}" for finding in findings]


def _lint_gate(bank: Bank, draft: QuestionDraft) -> None:
    """A bank that opted in (``lint_blocking``) refuses items with unexcepted lint errors."""
    if not bank.lint_blocking:
        return
    blocking = blocking_findings(lint_question(draft))
    if blocking:
        raise ValidationFailed(
            f"Question {draft.id} breaks item-writing rules this bank enforces: "
            f"{', '.join(sorted({f.rule for f in blocking}))}.",
            code=CODE_LINT_FAILED,
            fields={"lint": lint_findings_text(blocking)},
        )


def _prepare(bank: Bank, draft: QuestionDraft) -> None:
    """What every save does first: sanitise the HTML (in place), validate, lint."""
    sanitize_question(draft)
    _validate(draft)
    _lint_gate(bank, draft)


def _resolve_topic(bank: Bank, path: str) -> Topic | None:
    if not path:
        return None
    topic = Topic.objects.filter(bank=bank, path=path.strip("/")).first()
    if topic is None:
        raise ValidationFailed(
            f"Unknown topic {path!r} in bank {bank.title!r}.",
            code="unknown_topic",
            fields={"topic": [path]},
        )
    return topic


def _resolve_objectives(bank: Bank, codes: list[str]) -> list[Objective]:
    objectives = list(Objective.objects.filter(bank=bank, code__in=codes))
    missing = sorted(set(codes) - {o.code for o in objectives})
    if missing:
        raise ValidationFailed(
            f"Unknown objective(s) {', '.join(missing)} in bank {bank.title!r}.",
            code="unknown_objective",
            fields={"objectives": missing},
        )
    return objectives


def _resolve_tags(bank: Bank, names: list[str]) -> list[Tag]:
    tags = []
    for name in dict.fromkeys(n.strip() for n in names if n.strip()):
        tag, _ = Tag.objects.get_or_create(bank=bank, name=name[:100])
        tags.append(tag)
    return tags


def _revision_create(
    *, question: Question, draft: QuestionDraft, user: User | None
) -> QuestionRevision:
    data = question_to_dict(draft)
    prior = draft.irt_prior()
    last = question.revisions.order_by("-number").values_list("number", flat=True).first()
    revision = QuestionRevision(
        question=question,
        number=(last or 0) + 1,
        type=draft.type,
        title=draft.title,
        stem=draft.stem,
        lead_in=draft.lead_in,
        text_format=draft.text_format,
        payload={key: data[key] for key in PAYLOAD_KEYS if key in data},
        explanation=draft.explanation,
        feedback=data.get("feedback", {}),
        source=draft.source,
        fact_refs=list(draft.fact_refs),
        difficulty=draft.difficulty,
        negative_lead_in=draft.negative_lead_in,
        lint_exceptions=data.get("lint_exceptions", []),
        irt_a=prior.a,
        irt_b=prior.b,
        irt_c=prior.c,
        irt_provenance=prior.provenance,
        content_hash=content_hash(draft),
        created_by=user if user is not None and user.is_authenticated else None,
    )
    # Not full_clean(): its clean() validates the payload through the options, which do not
    # exist yet; _validate() checked the same payload on the draft.
    revision.clean_fields(exclude=["question"])
    revision.validate_constraints()
    revision.save()
    options = [
        Option(
            revision=revision,
            key=option.id,
            position=position,
            text=option.text,
            fraction=option.fraction,
            feedback=option.feedback,
        )
        for position, option in enumerate(draft.options)
    ]
    for option in options:
        option.full_clean(exclude=["revision"])
    Option.objects.bulk_create(options)
    question.current_revision = revision
    question.save(update_fields=["current_revision", "updated_at"])
    return revision


def _metadata_apply(question: Question, draft: QuestionDraft) -> bool:
    """Set the question's classification from the draft; True when anything changed."""
    topic = _resolve_topic(question.bank, draft.topic)
    objectives = _resolve_objectives(question.bank, draft.objectives)
    tags = _resolve_tags(question.bank, draft.tags)
    changed = False
    if (question.topic_id, question.bloom, question.status) != (
        topic.pk if topic else None,
        draft.bloom,
        draft.status,
    ):
        question.topic, question.bloom, question.status = topic, draft.bloom, draft.status
        question.full_clean(exclude=["current_revision"])
        question.save()
        changed = True
    if {o.pk for o in objectives} != set(question.objectives.values_list("pk", flat=True)):
        question.objectives.set(objectives)
        changed = True
    if {t.pk for t in tags} != set(question.tags.values_list("pk", flat=True)):
        question.tags.set(tags)
        changed = True
    return changed


@transaction.atomic
def question_create(*, bank: Bank, draft: QuestionDraft, user: User | None = None) -> Question:
    _prepare(bank, draft)
    if Question.objects.filter(bank=bank, external_id=draft.id).exists():
        raise ValidationFailed(
            f"Question id {draft.id!r} already exists in this bank.",
            code="duplicate_question_id",
            fields={"id": [draft.id]},
        )
    question = Question(bank=bank, external_id=draft.id, status=draft.status, bloom=draft.bloom)
    question.topic = _resolve_topic(bank, draft.topic)
    question.full_clean(exclude=["current_revision"])
    question.save()
    _metadata_apply(question, draft)
    _revision_create(question=question, draft=draft, user=user)
    bank_touch(bank.pk)
    return question


@transaction.atomic
def question_revise(
    *,
    question: Question,
    draft: QuestionDraft,
    user: User | None = None,
    new_revision: bool | None = None,
) -> QuestionRevision:
    """Save new content for a question.

    A current revision that any attempt has served is never touched: the content goes
    into a new revision. An unserved current revision is replaced in place unless
    ``new_revision`` asks for a new one (``load_bank`` keeps one revision per change).
    Unchanged content keeps the current revision; the classification is updated either way.
    """
    question = Question.objects.select_for_update().select_related("bank").get(pk=question.pk)
    _prepare(question.bank, draft)
    current = question.current_revision
    bank_touch(question.bank_id)
    _metadata_apply(question, draft)
    if current is not None and current.content_hash == content_hash(draft):
        return current
    if current is not None and not current.is_served and not new_revision:
        question.current_revision = None
        question.save(update_fields=["current_revision"])
        current.delete()
    return _revision_create(question=question, draft=draft, user=user)


@transaction.atomic
def question_update_metadata(*, question: Question, draft: QuestionDraft) -> bool:
    changed = _metadata_apply(question, draft)
    if changed:
        bank_touch(question.bank_id)
    return changed


@transaction.atomic
def question_set_status(*, question: Question, status: str) -> Question:
    if status == question.status:
        return question
    if status not in ALLOWED_TRANSITIONS.get(question.status, set()):
        raise ValidationFailed(
            f"A {question.status} question cannot become {status}.",
            code=CODE_INVALID_TRANSITION,
            fields={"status": [status]},
        )
    if status == Question.Status.PUBLISHED and question.current_revision is None:
        raise ValidationFailed(
            "A question needs content before it is published.", code="no_revision"
        )
    question.status = status
    question.save(update_fields=["status", "updated_at"])
    bank_touch(question.bank_id)
    return question


@transaction.atomic
def revision_delete(*, revision: QuestionRevision) -> None:
    """Delete an unserved revision (a served one raises RevisionImmutable)."""
    question_id = revision.question_id
    revision.delete()
    question = Question.objects.get(pk=question_id)
    if question.current_revision_id is None:  # the deleted one was current (SET_NULL)
        question.current_revision = question.revisions.order_by("-number").first()
        question.save(update_fields=["current_revision"])


@transaction.atomic
def question_edit(
    *, question: Question, draft: QuestionDraft, user: User | None = None
) -> QuestionRevision:
    """An educator's edit (API PATCH): content and classification in one go.

    A change of status goes through the review workflow (``question_set_status``'s rules);
    the content goes through ``question_revise`` (a served revision is never changed).
    """
    if draft.status != question.status and draft.status not in ALLOWED_TRANSITIONS.get(
        question.status, set()
    ):
        raise ValidationFailed(
            f"A {question.status} question cannot become {draft.status}.",
            code=CODE_INVALID_TRANSITION,
            fields={"status": [draft.status]},
        )
    return question_revise(question=question, draft=draft, user=user)


@transaction.atomic
def bank_delete(*, bank: Bank) -> None:
    """Delete a bank no learner has seen and no quiz uses (else Conflict, nothing deleted).

    Lives here rather than in services/banks.py because the rule is the revisions' one: a
    served revision is never deleted, so neither is the bank that holds it.
    """
    bank = Bank.objects.select_for_update().get(pk=bank.pk)
    served = (
        QuestionRevision.objects.filter(question__bank=bank, served_at__isnull=False).exists()
        or AttemptItem.objects.filter(revision__question__bank=bank).exists()
    )
    if served:
        raise Conflict(
            "Learners have been served questions of this bank; it cannot be deleted. "
            "Retire its questions instead.",
            code=CODE_BANK_SERVED,
        )
    if bank.quizzes.exists():
        raise Conflict("Quizzes use this bank; delete or move them first.", code=CODE_BANK_IN_USE)
    bank.delete()
