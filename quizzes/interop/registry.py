"""The exchange formats by identifier, and ``sniff`` to guess a file's format."""

from __future__ import annotations

import re

from quizzes.interop.base import BaseExporter, BaseImporter
from quizzes.interop.gift import GiftExporter, GiftImporter
from quizzes.interop.json import JsonExporter, JsonImporter
from quizzes.interop.moodle_xml import MoodleXmlExporter, MoodleXmlImporter
from quizzes.interop.qti import QtiExporter, QtiImporter

IMPORTERS: dict[str, BaseImporter] = {
    importer.identifier: importer
    for importer in (MoodleXmlImporter(), GiftImporter(), QtiImporter(), JsonImporter())
}
EXPORTERS: dict[str, BaseExporter] = {
    exporter.identifier: exporter
    for exporter in (MoodleXmlExporter(), GiftExporter(), QtiExporter(), JsonExporter())
}
UNKNOWN_FORMAT = "unknown format {identifier!r}; known formats: {known}"


def get_importer(identifier: str) -> BaseImporter:
    try:
        return IMPORTERS[identifier]
    except KeyError:
        known = ", ".join(sorted(IMPORTERS))
        raise KeyError(UNKNOWN_FORMAT.format(identifier=identifier, known=known)) from None


def get_exporter(identifier: str) -> BaseExporter:
    try:
        return EXPORTERS[identifier]
    except KeyError:
        known = ", ".join(sorted(EXPORTERS))
        raise KeyError(UNKNOWN_FORMAT.format(identifier=identifier, known=known)) from None


_XML_ROOT = re.compile(
    rb"<(?![?!])(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)",
)
_QTI_ROOTS = {
    b"questestinterop", b"assessmentItem", b"assessmentTest", b"qti-assessment-item",
    b"qti-assessment-test", b"manifest",
}  # fmt: skip
_GIFT_HINTS = re.compile(r"(?m)^\s*(?:::|\$CATEGORY:)|\{\s*(?:[=~#}]|T\b|F\b|TRUE\b|FALSE\b)")


def _xml_root_name(head: bytes) -> bytes:
    # Skip the declaration, comments and doctype, then take the first element's name.
    head = re.sub(rb"<!--.*?-->", b"", head, flags=re.DOTALL)
    match = _XML_ROOT.search(head)
    return match.group(1) if match else b""


def sniff(data: bytes, filename: str = "") -> str | None:
    """The identifier of the format the data looks like, or None."""
    name = filename.lower()
    if data.startswith(b"PK\x03\x04"):
        return "qti"
    head = data[:8192].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"{"):
        return "json"
    if head.startswith(b"<"):
        root = _xml_root_name(head)
        if root == b"quiz":
            return "moodle-xml"
        if root in _QTI_ROOTS:
            return "qti"
        return "moodle-xml" if name.endswith(".xml") and b"<quiz" in head else None
    if name.endswith(".gift"):
        return "gift"
    try:
        text = head.decode("utf-8", errors="strict")
    except UnicodeDecodeError:
        return None
    if _GIFT_HINTS.search(text):
        return "gift"
    if name.endswith(".json"):
        return "json"
    return None
