"""Reads of banks, their topic trees and objectives for educators (API, commands, export)."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from quizzes.interop.drafts import BankDraft, ObjectiveDraft, TopicDraft
from quizzes.models import Bank, Objective, Topic
from quizzes.selectors.access import banks_for_educator
from quizzes.selectors.questions import question_as_draft, questions_for_bank


def bank_list_for_educator(user: User | AnonymousUser) -> QuerySet[Bank]:
    return banks_for_educator(user).order_by("title", "pk")


def bank_for_educator(*, user: User | AnonymousUser, bank_id: int) -> Bank | None:
    """The bank when it belongs to one of the user's institutions, else None (a 404)."""
    return banks_for_educator(user).filter(pk=bank_id).first()


def bank_by_title(*, institution_slug: str, title: str) -> Bank | None:
    return (
        Bank.objects.filter(institution__slug=institution_slug, title=title.strip())
        .select_related("institution")
        .first()
    )


def topics_of(bank: Bank) -> list[Topic]:
    """The bank's topics, parents before children, siblings by position then path."""
    return list(Topic.objects.filter(bank=bank).order_by("path"))


def topic_tree(bank: Bank) -> list[dict[str, object]]:
    """The topic tree as nested dicts (id, slug, path, title, position, children)."""
    nodes: dict[int, dict[str, object]] = {}
    roots: list[dict[str, object]] = []
    topics = topics_of(bank)
    for topic in topics:
        nodes[topic.pk] = {
            "id": topic.pk,
            "slug": topic.slug,
            "path": topic.path,
            "title": topic.title,
            "position": topic.position,
            "children": [],
        }
    for topic in sorted(topics, key=lambda t: (t.position, t.path)):
        node = nodes[topic.pk]
        parent = nodes.get(topic.parent_id) if topic.parent_id else None
        if parent is None:
            roots.append(node)
        else:
            children = parent["children"]
            assert isinstance(children, list)
            children.append(node)
    return roots


def topic_exists(*, bank: Bank, path: str) -> bool:
    return Topic.objects.filter(bank=bank, path=path.strip("/")).exists()


def objective_codes(bank: Bank) -> set[str]:
    return set(Objective.objects.filter(bank=bank).values_list("code", flat=True))


def _topic_drafts(topics: list[Topic]) -> list[TopicDraft]:
    drafts: dict[int, TopicDraft] = {t.pk: TopicDraft(slug=t.slug, title=t.title) for t in topics}
    roots: list[TopicDraft] = []
    for topic in sorted(topics, key=lambda t: (t.position, t.path)):
        parent = drafts.get(topic.parent_id) if topic.parent_id else None
        (roots if parent is None else parent.children).append(drafts[topic.pk])
    return roots


def bank_as_draft(bank: Bank) -> BankDraft:
    """The whole bank (topics, objectives, every question's current revision) as plain data."""
    objectives = Objective.objects.filter(bank=bank).select_related("topic").order_by("code")
    questions = [
        draft
        for question in questions_for_bank(bank=bank)
        if (draft := question_as_draft(question)) is not None
    ]
    return BankDraft(
        title=bank.title,
        description=bank.description,
        topics=_topic_drafts(topics_of(bank)),
        objectives=[
            ObjectiveDraft(
                id=objective.code,
                text=objective.text,
                topic=objective.topic.path if objective.topic is not None else "",
                bloom=objective.bloom,
                source=objective.source,
            )
            for objective in objectives
        ],
        questions=questions,
    )
