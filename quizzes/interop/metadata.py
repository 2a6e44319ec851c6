"""Question metadata that Moodle XML and GIFT cannot hold natively, carried as tags.

A Moodle or GIFT question has tags and an idnumber but no learning objectives, Bloom level,
difficulty rating or IRT parameters, so the exporters write them as tags with a reserved
prefix and the importers read them back (and keep every other tag as a tag):

    objective:M4          one per objective          bloom:apply
    difficulty:hard       (omitted for medium)       source:S2, S5
    fact:I2               one per fact reference     status:draft (omitted for published)
    irt:a=1.2;b=0.5;c=0.2;provenance=prior           negative-lead-in
    lint-exception:<rule>:<reason>                   lead-in (the last paragraph is the lead-in)
    unit:<unit>, case-sensitive                      (GIFT only; Moodle XML has its own)

Also here: Moodle category paths <-> topic slug paths.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from quizzes.interop.drafts import IrtDraft, LintExceptionDraft, QuestionDraft, TopicDraft

LEAD_IN_TAG = "lead-in"
NEGATIVE_LEAD_IN_TAG = "negative-lead-in"
CASE_SENSITIVE_TAG = "case-sensitive"
LEAD_IN_SEPARATOR = "\n\n"

_PREFIXES = (
    "objective:", "bloom:", "difficulty:", "source:", "fact:", "status:", "irt:",
    "lint-exception:", "unit:",
)  # fmt: skip


@dataclass
class TagMetadata:
    """What the reserved tags of a question said, and the ordinary tags left over."""

    tags: list[str] = field(default_factory=list)
    objectives: list[str] = field(default_factory=list)
    fact_refs: list[str] = field(default_factory=list)
    bloom: str = ""
    difficulty: str = ""
    source: str = ""
    status: str = ""
    irt: IrtDraft | None = None
    lint_exceptions: list[LintExceptionDraft] = field(default_factory=list)
    negative_lead_in: bool = False
    lead_in: bool = False
    unit: str = ""
    case_sensitive: bool = False
    problems: list[str] = field(default_factory=list)

    def apply_to(self, question: QuestionDraft) -> None:
        question.tags = list(self.tags)
        question.objectives = list(self.objectives)
        question.fact_refs = list(self.fact_refs)
        question.bloom = self.bloom or question.bloom
        question.difficulty = self.difficulty or question.difficulty
        question.source = self.source or question.source
        question.status = self.status or question.status
        question.irt = self.irt if self.irt is not None else question.irt
        question.lint_exceptions = list(self.lint_exceptions)
        question.negative_lead_in = self.negative_lead_in or question.negative_lead_in


def metadata_tags(question: QuestionDraft, *, with_unit_and_case: bool = False) -> list[str]:
    """The question's tags followed by its metadata written as reserved tags."""
    tags = list(question.tags)
    tags += [f"objective:{o}" for o in question.objectives]
    if question.bloom:
        tags.append(f"bloom:{question.bloom}")
    if question.difficulty and question.difficulty != "medium":
        tags.append(f"difficulty:{question.difficulty}")
    if question.source:
        tags.append(f"source:{question.source}")
    tags += [f"fact:{f}" for f in question.fact_refs]
    if question.status and question.status != "published":
        tags.append(f"status:{question.status}")
    if question.irt is not None:
        irt = question.irt
        tags.append(f"irt:a={irt.a!r};b={irt.b!r};c={irt.c!r};provenance={irt.provenance}")
    tags += [f"lint-exception:{e.rule}:{e.reason}" for e in question.lint_exceptions]
    if question.negative_lead_in:
        tags.append(NEGATIVE_LEAD_IN_TAG)
    if question.lead_in and LEAD_IN_SEPARATOR not in question.lead_in:
        tags.append(LEAD_IN_TAG)
    if with_unit_and_case:
        if question.unit:
            tags.append(f"unit:{question.unit}")
        if question.case_sensitive:
            tags.append(CASE_SENSITIVE_TAG)
    return tags


def _parse_irt(value: str) -> IrtDraft:
    parts = dict(part.split("=", 1) for part in value.split(";") if "=" in part)
    return IrtDraft(
        a=float(parts["a"]),
        b=float(parts["b"]),
        c=float(parts.get("c", "0")),
        provenance=parts.get("provenance", "prior"),
    )


def read_metadata_tags(tags: list[str]) -> TagMetadata:
    meta = TagMetadata()
    for raw in tags:
        tag = raw.strip()
        if not tag:
            continue
        if tag == LEAD_IN_TAG:
            meta.lead_in = True
        elif tag == NEGATIVE_LEAD_IN_TAG:
            meta.negative_lead_in = True
        elif tag == CASE_SENSITIVE_TAG:
            meta.case_sensitive = True
        elif not tag.startswith(_PREFIXES):
            meta.tags.append(tag)
        else:
            key, value = tag.split(":", 1)
            if key == "objective":
                meta.objectives.append(value)
            elif key == "fact":
                meta.fact_refs.append(value)
            elif key == "bloom":
                meta.bloom = value
            elif key == "difficulty":
                meta.difficulty = value
            elif key == "source":
                meta.source = value
            elif key == "status":
                meta.status = value
            elif key == "unit":
                meta.unit = value
            elif key == "irt":
                try:
                    meta.irt = _parse_irt(value)
                except (KeyError, ValueError):
                    meta.problems.append(f'tag "{tag}" is not a valid irt tag; kept as a tag')
                    meta.tags.append(tag)
            elif key == "lint-exception":
                rule, _, reason = value.partition(":")
                meta.lint_exceptions.append(LintExceptionDraft(rule=rule, reason=reason))
    return meta


def join_lead_in(question: QuestionDraft) -> str:
    """The stem and lead-in as one question text (the "lead-in" tag marks the split)."""
    if not question.lead_in:
        return question.stem
    return f"{question.stem}{LEAD_IN_SEPARATOR}{question.lead_in}"


def split_lead_in(text: str) -> tuple[str, str]:
    stem, separator, lead_in = text.rpartition(LEAD_IN_SEPARATOR)
    if not separator:
        return text, ""
    return stem, lead_in


# -- categories and topics -------------------------------------------------------------

_CONTEXT_MARKERS = ("$course$", "$system$", "$module$", "$cat$", "$coursecategory$")
_SLUG_PATH = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*(?:/[a-z0-9]+(?:-[a-z0-9]+)*)*$")


def slugify(text: str) -> str:
    normalized = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", normalized.lower()).strip("-")


def is_slug_path(text: str) -> bool:
    return bool(_SLUG_PATH.match(text))


def split_category_path(path: str) -> list[str]:
    """Moodle category path -> the names below the context ("//" is an escaped "/").

    "$course$/top/Default for C1/Iota//Eta" -> ["Iota/Eta"]: the context marker, "top" and
    Moodle's "Default for ..." category are containers, not topics.
    """
    placeholder = "\x00"
    parts = [
        p.replace(placeholder, "/").strip() for p in path.replace("//", placeholder).split("/")
    ]
    parts = [p for p in parts if p]
    if parts and parts[0] in _CONTEXT_MARKERS:
        parts = parts[1:]
    if parts and parts[0] == "top":
        parts = parts[1:]
    if parts and parts[0].startswith("Default for "):
        parts = parts[1:]
    return parts


def category_path_for(topic: str, topics: list[TopicDraft]) -> str:
    """Topic slug path -> "$course$/top/<title>/<title>" ("/" in titles escaped as "//")."""
    titles: list[str] = []
    level = topics
    for slug in topic.split("/"):
        match = next((t for t in level if t.slug == slug), None)
        titles.append(match.title if match else slug)
        level = match.children if match else []
    return "/".join(["$course$", "top", *(t.replace("/", "//") for t in titles)])


def add_topic_path(topics: list[TopicDraft], slugs: list[str], titles: list[str]) -> None:
    """Add the path to a topic tree (parents first), keeping existing nodes."""
    level = topics
    for slug, title in zip(slugs, titles, strict=True):
        node = next((t for t in level if t.slug == slug), None)
        if node is None:
            node = TopicDraft(slug=slug, title=title)
            level.append(node)
        level = node.children
