"""Safe XML parsing for the importers: defusedxml with DTDs, entities and external
references forbidden, and the source line of every element recorded (``line_of``).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser

from quizzes.interop.base import FormatError

XML_DTD_FORBIDDEN = (
    "refused: the XML contains a document type declaration (DTD); DTDs, entities and "
    "external references are not allowed in imported files"
)
XML_ENTITIES_FORBIDDEN = (
    "refused: the XML declares entities; entities and external references are not allowed "
    "in imported files"
)
XML_EXTERNAL_FORBIDDEN = "refused: the XML refers to an external resource (external entity or DTD)"
XML_NOT_WELL_FORMED = "not well-formed XML"

_LINE = "{urn:quizzes-interop}line"


class _LineRecordingBuilder(ET.TreeBuilder):
    def __init__(self) -> None:
        super().__init__()
        self.parser: Any = None

    def start(self, tag: Any, attrs: Any) -> ET.Element:
        element = super().start(tag, attrs)
        element.set(_LINE, str(self.parser.parser.CurrentLineNumber))
        return element


def parse_xml(data: bytes, *, what: str = "") -> ET.Element:
    """The root element; raises FormatError naming ``what`` (a file name) on any problem."""
    prefix = f"{what}: " if what else ""
    builder = _LineRecordingBuilder()
    parser = DefusedXMLParser(
        target=builder, forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    builder.parser = parser
    try:
        parser.feed(data)
        root: ET.Element = parser.close()
    except DTDForbidden as error:
        raise FormatError(prefix + XML_DTD_FORBIDDEN) from error
    except EntitiesForbidden as error:
        raise FormatError(prefix + XML_ENTITIES_FORBIDDEN) from error
    except ExternalReferenceForbidden as error:
        raise FormatError(prefix + XML_EXTERNAL_FORBIDDEN) from error
    except ET.ParseError as error:
        raise FormatError(f"{prefix}{XML_NOT_WELL_FORMED}: {error}") from error
    return root


def line_of(element: ET.Element) -> int | None:
    value = element.get(_LINE)
    return int(value) if value else None


def local_name(tag: str) -> str:
    """The tag without its namespace: "{http://...}choiceInteraction" -> "choiceInteraction"."""
    return tag.rsplit("}", 1)[-1] if tag.startswith("{") else tag


def namespace(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def strip_line_attributes(element: ET.Element) -> None:
    for node in element.iter():
        node.attrib.pop(_LINE, None)
