"""Writes for banks, topics and objectives, and loading a whole bank from plain data."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.db import transaction

from quizzes.exceptions import ValidationFailed
from quizzes.interop.drafts import BankDraft, TopicDraft, validate_payload
from quizzes.models import Bank, Institution, Objective, Question, Topic
from quizzes.models.questions import content_hash
from quizzes.services.questions import question_create, question_revise, question_update_metadata


@transaction.atomic
def bank_create(*, institution: Institution, title: str, description: str = "") -> Bank:
    bank = Bank(institution=institution, title=title.strip(), description=description)
    bank.full_clean()
    bank.save()
    return bank


@transaction.atomic
def bank_update(*, bank: Bank, title: str | None = None, description: str | None = None) -> Bank:
    if title is not None:
        bank.title = title.strip()
    if description is not None:
        bank.description = description
    bank.full_clean()
    bank.save()
    return bank


@transaction.atomic
def topic_ensure(*, bank: Bank, path: str, title: str = "", position: int = 0) -> Topic:
    """The topic at a slug path, creating it and its parents as needed."""
    slugs = [slug for slug in path.strip("/").split("/") if slug]
    if not slugs:
        raise ValidationFailed("A topic path needs at least one slug.", code="invalid_topic")
    parent: Topic | None = None
    for depth in range(len(slugs)):
        sub_path = "/".join(slugs[: depth + 1])
        is_leaf = depth == len(slugs) - 1
        topic = Topic.objects.filter(bank=bank, path=sub_path).first()
        if topic is None:
            topic = Topic(
                bank=bank,
                parent=parent,
                slug=slugs[depth],
                path=sub_path,
                title=(title if is_leaf and title else slugs[depth].replace("-", " ").capitalize()),
                position=position if is_leaf else 0,
            )
            topic.full_clean()
            topic.save()
        elif is_leaf and ((title and topic.title != title) or topic.position != position):
            topic.title = title or topic.title
            topic.position = position
            topic.save(update_fields=["title", "position"])
        parent = topic
    assert parent is not None
    return parent


def _topics_ensure(*, bank: Bank, topics: list[TopicDraft], prefix: str = "") -> int:
    created = 0
    for position, topic in enumerate(topics):
        path = f"{prefix}{topic.slug}"
        existed = Topic.objects.filter(bank=bank, path=path).exists()
        topic_ensure(bank=bank, path=path, title=topic.title, position=position)
        created += 0 if existed else 1
        created += _topics_ensure(bank=bank, topics=topic.children, prefix=f"{path}/")
    return created


@transaction.atomic
def objective_upsert(
    *, bank: Bank, code: str, text: str, bloom: str = "", topic_path: str = "", source: str = ""
) -> Objective:
    topic = Topic.objects.filter(bank=bank, path=topic_path).first() if topic_path else None
    objective, _ = Objective.objects.get_or_create(bank=bank, code=code, defaults={"text": text})
    changed = (objective.text, objective.bloom, objective.topic_id, objective.source) != (
        text,
        bloom,
        topic.pk if topic else None,
        source,
    )
    if changed:
        objective.text, objective.bloom, objective.topic, objective.source = (
            text,
            bloom,
            topic,
            source,
        )
        objective.full_clean()
        objective.save()
    return objective


@dataclass
class LoadReport:
    bank: Bank
    created: list[str] = field(default_factory=list)
    revised: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    topics_created: int = 0

    def summary(self) -> str:
        return (
            f"{self.bank.title}: {len(self.created)} created, {len(self.revised)} revised, "
            f"{len(self.updated)} metadata updated, {len(self.unchanged)} unchanged"
        )


@transaction.atomic
def bank_load(
    *, institution: Institution, draft: BankDraft, user: User | None = None
) -> LoadReport:
    """Create or update a bank from plain data, idempotently (``manage.py load_bank``).

    Questions are matched by their stable id: a new id is created; a changed content
    becomes a new revision (the old one stays for the attempts that served it); a change
    of classification only (topic, objectives, Bloom level, tags, status) updates the
    question in place; an unchanged question is left alone. All or nothing.
    """
    if not draft.title.strip():
        raise ValidationFailed("The bank needs a title.", code="invalid_bank")
    invalid = {q.id: errors for q in draft.questions if (errors := validate_payload(q))}
    if invalid:
        raise ValidationFailed(
            f"{len(invalid)} question(s) are invalid: {', '.join(sorted(invalid))}.",
            code="invalid_question",
            fields=invalid,
        )
    ids = [q.id for q in draft.questions]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValidationFailed(
            f"Duplicate question ids: {', '.join(duplicates)}.", code="duplicate_question_id"
        )

    bank = Bank.objects.filter(institution=institution, title=draft.title.strip()).first()
    if bank is None:
        bank = bank_create(
            institution=institution, title=draft.title, description=draft.description
        )
    elif draft.description and bank.description != draft.description:
        bank_update(bank=bank, description=draft.description)
    report = LoadReport(bank=bank)
    report.topics_created = _topics_ensure(bank=bank, topics=draft.topics)
    for objective in draft.objectives:
        objective_upsert(
            bank=bank,
            code=objective.id,
            text=objective.text,
            bloom=objective.bloom,
            topic_path=objective.topic,
            source=objective.source,
        )

    existing = {
        q.external_id: q
        for q in Question.objects.filter(bank=bank).select_related("current_revision", "topic")
    }
    for question_draft in draft.questions:
        question = existing.get(question_draft.id)
        if question is None:
            question_create(bank=bank, draft=question_draft, user=user)
            report.created.append(question_draft.id)
            continue
        current = question.current_revision
        if current is None or current.content_hash != content_hash(question_draft):
            question_revise(question=question, draft=question_draft, user=user, new_revision=True)
            report.revised.append(question_draft.id)
        elif question_update_metadata(question=question, draft=question_draft):
            report.updated.append(question_draft.id)
        else:
            report.unchanged.append(question_draft.id)
    return report
