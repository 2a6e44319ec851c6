"""Classical item statistics of a quiz: difficulty, discrimination, distractors.

``item_statistics`` is a pure function over plain response rows (tested with no
database); ``quiz_item_stats`` reads a quiz's finished attempts and feeds it.

- p-value (difficulty): the mean score fraction of the item's responses.
- discrimination: the point-biserial (Pearson) correlation between the item's fraction
  and the rest score (the attempt's total without this item), over the attempts that
  answered the item; None when either side has no variance.
- distractors: how many responses chose each option (single, multiple, true/false).
- weak: p < 0.2 (too hard), p > 0.95 (too easy) or discrimination < 0.1.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from quizzes.models import Attempt, QuestionRevision, Quiz, Response

TOO_HARD = 0.2
TOO_EASY = 0.95
LOW_DISCRIMINATION = 0.1

# Reasons an item is flagged (constants: pages and tests show and assert them).
REASON_TOO_HARD = "too hard (p < 0.2)"
REASON_TOO_EASY = "too easy (p > 0.95)"
REASON_LOW_DISCRIMINATION = "low discrimination (< 0.1)"


@dataclass(frozen=True)
class ResponseRow:
    attempt: int
    item: int  # the revision (the content the statistics describe)
    fraction: float
    chosen: tuple[str, ...] = ()  # author option ids the response picked


@dataclass
class ItemStats:
    item: int
    responses: int
    p_value: float
    discrimination: float | None
    choices: dict[str, int] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)

    @property
    def weak(self) -> bool:
        return bool(self.reasons)


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    n = len(xs)
    if n < 2:
        return None
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    syy = sum((y - mean_y) ** 2 for y in ys)
    if sxx <= 1e-12 or syy <= 1e-12:
        return None
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    return sxy / math.sqrt(sxx * syy)


def item_statistics(rows: Iterable[ResponseRow]) -> dict[int, ItemStats]:
    rows = list(rows)
    totals: dict[int, float] = defaultdict(float)
    for row in rows:
        totals[row.attempt] += row.fraction
    by_item: dict[int, list[ResponseRow]] = defaultdict(list)
    for row in rows:
        by_item[row.item].append(row)
    stats: dict[int, ItemStats] = {}
    for item, item_rows in by_item.items():
        fractions = [row.fraction for row in item_rows]
        rest = [totals[row.attempt] - row.fraction for row in item_rows]
        p_value = sum(fractions) / len(fractions)
        discrimination = pearson(fractions, rest)
        choices = Counter(choice for row in item_rows for choice in row.chosen)
        reasons = []
        if p_value < TOO_HARD:
            reasons.append(REASON_TOO_HARD)
        if p_value > TOO_EASY:
            reasons.append(REASON_TOO_EASY)
        if discrimination is not None and discrimination < LOW_DISCRIMINATION:
            reasons.append(REASON_LOW_DISCRIMINATION)
        stats[item] = ItemStats(
            item=item,
            responses=len(item_rows),
            p_value=round(p_value, 4),
            discrimination=None if discrimination is None else round(discrimination, 4),
            choices=dict(choices),
            reasons=reasons,
        )
    return stats


def chosen_options(author_answer: Any) -> tuple[str, ...]:
    """The author option ids an answer (author ids, API v1 shape) picks."""
    if not isinstance(author_answer, dict):
        return ()
    if "option" in author_answer and author_answer["option"] is not None:
        return (str(author_answer["option"]),)
    if isinstance(author_answer.get("options"), list):
        return tuple(str(option) for option in author_answer["options"])
    if isinstance(author_answer.get("value"), bool):
        return ("true" if author_answer["value"] else "false",)
    return ()


def quiz_item_stats(quiz: Quiz) -> list[dict[str, Any]]:
    """Every item a quiz served in finished attempts, with its statistics, options and
    IRT parameters, weakest first. A fixed number of queries."""
    responses = Response.objects.filter(
        attempt__quiz=quiz, attempt__state=Attempt.State.FINISHED
    ).values_list("attempt_id", "item__revision_id", "fraction", "answer")
    rows = [
        ResponseRow(
            attempt=attempt_id,
            item=revision_id,
            fraction=fraction,
            chosen=chosen_options((answer or {}).get("author")),
        )
        for attempt_id, revision_id, fraction, answer in responses
    ]
    stats = item_statistics(rows)
    revisions = (
        QuestionRevision.objects.filter(pk__in=stats)
        .select_related("question", "question__topic")
        .prefetch_related("options")
    )
    items: list[dict[str, Any]] = []
    for revision in revisions:
        item = stats[revision.pk]
        options = [
            {
                "key_id": option.key,
                "label": f"{option.key}. {option.text}",
                "count": item.choices.get(option.key, 0),
                "key": option.fraction > 0,
            }
            for option in sorted(revision.options.all(), key=lambda o: o.position)
        ]
        items.append(
            {
                "revision": revision,
                "question": revision.question,
                "stats": item,
                "options": options,
                "irt": {"a": revision.irt_a, "b": revision.irt_b, "c": revision.irt_c},
            }
        )
    items.sort(
        key=lambda entry: (not stats[entry["revision"].pk].weak, entry["question"].external_id)
    )
    return items
