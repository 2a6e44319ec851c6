"""The HTML allow-list for question text: one pure function the importers and the
lead's services (on save) both call.

``sanitize_html`` keeps formatting, lists, tables, links (http, https, mailto) and images
whose source is http(s), a relative path (Moodle's ``@@PLUGINFILE@@/name.png``) or a
``data:image/...`` URI; it drops scripts, styles, event handlers (``onerror=``...),
``javascript:`` and other URLs, iframes, forms and comments.

``sanitize_text`` applies it by text format: HTML always; plain and Markdown text only when
it contains markup (Markdown passes raw HTML through, and a plain-text field may be shown
in an HTML context), so that ordinary text such as ``MVA <= 1.5 cm2`` is left untouched.
"""

from __future__ import annotations

import re

import nh3

from quizzes.interop.drafts import QuestionDraft

ALLOWED_TAGS = frozenset(nh3.ALLOWED_TAGS - {"area", "map"})
_GLOBAL_ATTRIBUTES = {"lang", "dir", "title"}
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    tag: set(attrs) | _GLOBAL_ATTRIBUTES for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()
}
for _tag in ALLOWED_TAGS:
    ALLOWED_ATTRIBUTES.setdefault(_tag, set(_GLOBAL_ATTRIBUTES))
ALLOWED_ATTRIBUTES["img"] |= {"role"}
URL_SCHEMES = frozenset({"http", "https", "mailto", "data"})

_MARKUP = re.compile(r"<\s*[A-Za-z!/?]|javascript\s*:|vbscript\s*:", re.IGNORECASE)
_MARKDOWN_BAD_LINK = re.compile(
    r"\]\(\s*(?:javascript|vbscript|data)\s*:(?:[^()]|\([^)]*\))*\)", re.IGNORECASE
)


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    if attribute in ("href", "src", "cite"):
        lowered = value.strip().lower()
        if lowered.startswith("data:"):
            # data: URIs only as image sources: never a link or an HTML document.
            if tag == "img" and attribute == "src" and lowered.startswith("data:image/"):
                return value
            return None
    return value


def sanitize_html(html: str) -> str:
    """The HTML with everything outside the allow-list removed (idempotent)."""
    if not html:
        return html
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=set(URL_SCHEMES),
        attribute_filter=_filter_attribute,
        link_rel=None,
        strip_comments=True,
    )


def contains_markup(text: str) -> bool:
    return bool(_MARKUP.search(text))


def sanitize_text(text: str, text_format: str) -> str:
    """Sanitise one text field of a question written in ``text_format``."""
    if not text:
        return text
    if text_format == "html":
        return sanitize_html(text)
    if text_format == "markdown":
        text = _MARKDOWN_BAD_LINK.sub("](#)", text)
    if contains_markup(text):
        return sanitize_html(text)
    return text


def sanitize_question(question: QuestionDraft) -> QuestionDraft:
    """Sanitise every text field of a question in place (and return it)."""
    fmt = question.text_format

    def clean(text: str) -> str:
        return sanitize_text(text, fmt)

    question.stem = clean(question.stem)
    question.lead_in = clean(question.lead_in)
    question.explanation = clean(question.explanation)
    question.feedback.correct = clean(question.feedback.correct)
    question.feedback.partial = clean(question.feedback.partial)
    question.feedback.incorrect = clean(question.feedback.incorrect)
    for option in question.options:
        option.text = clean(option.text)
        option.feedback = clean(option.feedback)
    for accepted in question.accepted:
        accepted.feedback = clean(accepted.feedback)
    for answer in question.answers:
        answer.feedback = clean(answer.feedback)
    for stem in question.stems:
        stem.text = clean(stem.text)
        stem.feedback = clean(stem.feedback)
    for choice in question.choices:
        choice.text = clean(choice.text)
    for step in question.steps:
        step.text = clean(step.text)
        step.feedback = clean(step.feedback)
    return question
