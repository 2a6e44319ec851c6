"""What a learner may see of a question before answering it: never a key.

A pure function over a QuestionDraft so the API, the pages and the admin preview all
show exactly the same fields, and tests can assert the field set per type.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from quizzes import scoring
from quizzes.interop.drafts import QuestionDraft

# Kinds of element a learner refers to by id in an answer.
OPTION, STEM, CHOICE, STEP = "option", "stem", "choice", "step"


def learner_view(
    draft: QuestionDraft,
    *,
    public_ids: Mapping[tuple[str, str], str] | None = None,
    rng: random.Random | None = None,
) -> dict[str, Any]:
    """The learner-facing fields of a question.

    ``public_ids`` maps (kind, author id) to the id the learner sees; delivery gives each
    attempt random ids so that neither order nor key can be read from them (the authors'
    ids such as "A" or "s1" -> "c1" would). ``rng`` shuffles options and matching choices;
    ordering steps are always shuffled away from the key order.
    """
    ids = public_ids or {}

    def public(kind: str, key: str) -> str:
        return ids.get((kind, key), key)

    shuffler = rng or random.Random(0)
    view: dict[str, Any] = {
        "type": draft.type,
        "title": draft.title,
        "stem": draft.stem,
        "lead_in": draft.lead_in,
        "text_format": draft.text_format,
    }
    if draft.type in ("single", "multiple"):
        options = [{"id": public(OPTION, o.id), "text": o.text} for o in draft.options]
        if rng is not None:
            shuffler.shuffle(options)
        view["options"] = options
    elif draft.type == "true_false":
        view["options"] = [
            {"id": public(OPTION, o.id), "text": o.text}
            for o in sorted(draft.options, key=lambda o: o.id != "true")
        ]
    elif draft.type == "numerical":
        view["unit"] = draft.unit
    elif draft.type == "matching":
        view["stems"] = [{"id": public(STEM, s.id), "text": s.text} for s in draft.stems]
        choices = [{"id": public(CHOICE, c.id), "text": c.text} for c in draft.choices]
        shuffler.shuffle(choices)
        view["choices"] = choices
    elif draft.type == "ordering":
        steps = [{"id": public(STEP, s.id), "text": s.text} for s in draft.steps]
        key_order = [public(STEP, step_id) for step_id in draft.order]
        while len(steps) > 1 and [s["id"] for s in steps] == key_order:
            shuffler.shuffle(steps)
        view["steps"] = steps
    return view


def translate_answer(
    presentation: Mapping[str, Any], question_type: str, answer: Any, *, to_public: bool = False
) -> Any:
    """Translate an answer between the learner's ids and the author's ids.

    ``presentation["ids"]`` maps each public id to "<kind>:<author id>" (what delivery
    stored when it served the item). Learner -> author raises scoring.AnswerError for an id
    the item does not have; author -> learner is used to show a key after answering.
    """
    if not isinstance(answer, dict):
        raise scoring.AnswerError(scoring.ANSWER_SHAPE, "The answer must be a JSON object.")
    ids: Mapping[str, str] = presentation.get("ids", {})
    if to_public:
        reverse = {value: public for public, value in ids.items()}

        def convert(kind: str, value: Any) -> Any:
            return reverse.get(f"{kind}:{value}", value)
    else:

        def convert(kind: str, value: Any) -> Any:
            found = ids.get(value) if isinstance(value, str) else None
            if found is None or not found.startswith(f"{kind}:"):
                raise scoring.AnswerError(
                    scoring.UNKNOWN_ID, f"Unknown {kind} id {value!r}.", field=kind
                )
            return found.split(":", 1)[1]

    mapped = dict(answer)
    if question_type == "single" and "option" in answer:
        mapped["option"] = convert(OPTION, answer["option"])
    elif question_type == "multiple" and isinstance(answer.get("options"), list):
        mapped["options"] = [convert(OPTION, value) for value in answer["options"]]
    elif question_type == "matching" and isinstance(answer.get("pairs"), dict):
        mapped["pairs"] = {
            convert(STEM, stem): convert(CHOICE, choice) for stem, choice in answer["pairs"].items()
        }
    elif question_type == "ordering" and isinstance(answer.get("order"), list):
        mapped["order"] = [convert(STEP, value) for value in answer["order"]]
    return mapped
