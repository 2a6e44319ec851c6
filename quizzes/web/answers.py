"""From a submitted HTML form to an answer of API v1's shape, and from an answer back to
words a learner reads (review, feedback). Pure functions over the learner's view of an
item (``AttemptItem.presentation["view"]``), so the API and the pages accept the same
answers and never see more than the learner does."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from django.http import QueryDict

# Form errors a learner sees (constants: tests assert them).
CHOOSE_ONE = "Choose an answer."
CHOOSE_SOME = "Choose at least one answer."
TYPE_ANSWER = "Type an answer."
TYPE_NUMBER = "Type a number, for example 1.5."
MATCH_EVERY = "Choose a match for every item."
ORDER_EVERY = "Give every step a different position, from 1 to {count}."


class AnswerFormError(ValueError):
    """The form does not hold a complete answer; the message tells the learner why."""


def parse_answer(view: Mapping[str, Any], data: QueryDict) -> dict[str, Any]:
    """The answer in API v1's shape, with the learner's (public) ids; AnswerFormError when
    the form is incomplete. Ids are checked by the service, not here."""
    kind = view["type"]
    if kind == "single":
        option = data.get("option", "")
        if not option:
            raise AnswerFormError(CHOOSE_ONE)
        return {"option": option}
    if kind == "multiple":
        options = [value for value in data.getlist("options") if value]
        if not options:
            raise AnswerFormError(CHOOSE_SOME)
        return {"options": options}
    if kind == "true_false":
        value = data.get("value", "")
        if value not in ("true", "false"):
            raise AnswerFormError(CHOOSE_ONE)
        return {"value": value == "true"}
    if kind == "short_answer":
        text = data.get("text", "").strip()
        if not text:
            raise AnswerFormError(TYPE_ANSWER)
        return {"text": text[:500]}
    if kind == "numerical":
        raw = data.get("value", "").strip().replace(",", ".").replace(" ", "")
        try:
            number = float(raw)
        except ValueError:
            raise AnswerFormError(TYPE_NUMBER) from None
        if not math.isfinite(number):
            raise AnswerFormError(TYPE_NUMBER)
        return {"value": number}
    if kind == "matching":
        pairs = {stem["id"]: data.get(f"pair-{stem['id']}", "") for stem in view["stems"]}
        if not all(pairs.values()):
            raise AnswerFormError(MATCH_EVERY)
        return {"pairs": pairs}
    if kind == "ordering":
        steps = [step["id"] for step in view["steps"]]
        ranks: dict[str, int] = {}
        for step_id in steps:
            try:
                ranks[step_id] = int(data.get(f"rank-{step_id}", ""))
            except ValueError:
                raise AnswerFormError(ORDER_EVERY.format(count=len(steps))) from None
        if sorted(ranks.values()) != list(range(1, len(steps) + 1)):
            raise AnswerFormError(ORDER_EVERY.format(count=len(steps)))
        return {"order": sorted(steps, key=lambda step_id: ranks[step_id])}
    raise AnswerFormError(f"Unknown question type {kind!r}.")


def _texts(view: Mapping[str, Any], field: str) -> dict[str, str]:
    return {entry["id"]: entry["text"] for entry in view.get(field, [])}


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, int | float) else str(value)


def describe_answer(view: Mapping[str, Any], answer: Mapping[str, Any] | None) -> list[str]:
    """An answer (public ids) as lines of text; [] for no answer."""
    if not answer:
        return []
    kind = view["type"]
    options = _texts(view, "options")
    if kind == "single":
        return [options.get(answer.get("option") or "", "(no option)")]
    if kind == "multiple":
        return [options.get(option, "?") for option in answer.get("options", [])]
    if kind == "true_false":
        return ["True" if answer.get("value") else "False"]
    if kind == "short_answer":
        if "accepted" in answer:
            return [str(text) for text in answer["accepted"]] or [str(answer.get("text", ""))]
        return [str(answer.get("text", ""))]
    if kind == "numerical":
        value = answer.get("value")
        if value is None:
            return []
        unit = view.get("unit") or answer.get("unit") or ""
        text = _number(value) + (f" {unit}" if unit else "")
        if answer.get("tolerance"):
            text += f" (± {_number(answer['tolerance'])})"
        return [text]
    if kind == "matching":
        stems, choices = _texts(view, "stems"), _texts(view, "choices")
        return [
            f"{stems.get(stem, '?')} → {choices.get(choice, '?')}"
            for stem, choice in answer.get("pairs", {}).items()
        ]
    if kind == "ordering":
        steps = _texts(view, "steps")
        return [
            f"{number}. {steps.get(step, '?')}"
            for number, step in enumerate(answer.get("order", []), start=1)
        ]
    return []
