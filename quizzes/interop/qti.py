"""IMS QTI: import of QTI 2.1/2.2/3.0 items and content packages and of Canvas QTI 1.2
quiz exports; export of a bank as a QTI 3.0 content package.

Import, QTI 2.x/3.0 (one interaction per item): choiceInteraction (single or multiple
response; true/false when the two choices are true and false), textEntryInteraction (short
answer; numerical when the response is a float/integer), inlineChoiceInteraction (single),
matchInteraction (matching), orderInteraction (ordering). QTI 3 names
(``qti-choice-interaction``, ``response-identifier``...) and QTI 2 names are both read; a
file mixing them (QTI 3 namespace with QTI 2 element names) is refused. Any other
interaction, or several interactions in one item, is reported and the item skipped.

Import, Canvas QTI 1.2 (``questestinterop``): multiple_choice, multiple_answers, true_false,
short_answer, numerical and matching questions; other question types are reported.

A package is a zip (or, for ``parse_directory``, a directory) with ``imsmanifest.xml``;
items are found from the manifest's item resources, or from its test's item references.
Zip members are checked before anything is extracted: no absolute paths or "..", at most
MAX_MEMBERS members and MAX_TOTAL_BYTES uncompressed (sizes from the zip directory, and
enforced again while reading). Members the manifest does not reference, and executable
files, are reported as warnings.

Export: a zip with imsmanifest.xml and one QTI 3.0 item per question (items/<id>.xml).
Metadata QTI has no element for (topic, objectives, Bloom level, difficulty, source, fact
references, tags, IRT, status, lint exceptions, text format...) is kept in the manifest,
in each item resource's <metadata>, as a <qz:question> element holding JSON, and the bank's
title, topics and objectives in the manifest's <metadata> as <qz:bank>.
"""

from __future__ import annotations

import html
import io
import json
import math
import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile
import zlib
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, ClassVar
from xml.sax.saxutils import escape as xml_escape

from quizzes.interop.base import (
    ALL_QUESTION_FIELDS,
    BaseExporter,
    BaseImporter,
    FormatError,
    ImportResult,
)
from quizzes.interop.drafts import (
    AcceptedAnswerDraft,
    BankDraft,
    IrtDraft,
    LintExceptionDraft,
    MatchChoiceDraft,
    MatchStemDraft,
    NumericAnswerDraft,
    ObjectiveDraft,
    OptionDraft,
    QuestionDraft,
    StepDraft,
    TopicDraft,
    validate_payload,
)
from quizzes.interop.sanitize import sanitize_question
from quizzes.interop.xmlsafe import local_name, namespace, parse_xml, strip_line_attributes

IDENTIFIER = "qti"

QTI3_NS = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
QTI3_CP_NS = "http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1"
QZ_NS = "urn:valvuloplasty-quizzes:qti-metadata:1"

MAX_MEMBERS = 2000
MAX_TOTAL_BYTES = 200 * 1024 * 1024
MAX_MEMBER_BYTES = 50 * 1024 * 1024
EXECUTABLE_SUFFIXES = (
    ".exe", ".dll", ".so", ".dylib", ".bat", ".cmd", ".com", ".sh", ".ps1", ".msi", ".jar",
    ".vbs", ".scr", ".app", ".bin", ".php", ".py",
)  # fmt: skip

# -- messages (tests assert these) -----------------------------------------------------

NOT_QTI = "not a QTI file: expected a QTI item, a Canvas questestinterop file or a package"
NOT_A_ZIP = "not a zip file"
ZIP_TRAVERSAL = "refused: zip member {name!r} has an absolute path or a '..' component"
ZIP_TOO_MANY_MEMBERS = "refused: the zip has {count} members (at most {limit} allowed)"
ZIP_TOO_LARGE = "refused: the zip expands to more than {limit} bytes"
ZIP_MEMBER_TOO_LARGE = "refused: zip member {name!r} expands to more than {limit} bytes"
ZIP_SIZE_MISMATCH = "refused: zip member {name!r} is larger than its directory entry says"
ZIP_DAMAGED = "refused: zip member {name!r} is damaged or does not match its directory entry"
ZIP_ENCRYPTED = "refused: zip member {name!r} is encrypted"
NO_MANIFEST = "the package has no imsmanifest.xml"
MANIFEST_ALONE = "an imsmanifest.xml alone cannot be imported: upload the package (zip)"
QTI3_MIXED_NAMES = (
    "not valid QTI 3.0: the QTI 3.0 namespace is used with QTI 2 element names ({name}); "
    "QTI 3.0 uses qti-* names (qti-assessment-item)"
)
UNSUPPORTED_INTERACTION = "{interaction} is not supported; item skipped"
SEVERAL_INTERACTIONS = "an item with {count} interactions ({names}) is not supported; item skipped"
NO_INTERACTION = "the item has no interaction; item skipped"
MISSING_ITEM = "item file {href} is not in the package; skipped"
UNREFERENCED_MEMBER = "package member {name} is not referenced by the manifest"
EXECUTABLE_MEMBER = "package member {name} is an executable file; ignored"
NO_CORRECT_RESPONSE = "no correct response or mapping for {response}"
MATCH_NOT_ONE_TO_ONE = "stem {stem} must have exactly one correct match"
CANVAS_UNSUPPORTED = "Canvas question type {qtype} is not supported; question skipped"
BAD_METADATA = "the manifest metadata of this item is not valid JSON; ignored"


class ItemError(Exception):
    pass


def _camel(name: str) -> str:
    """QTI 3 kebab-case names -> QTI 2 camelCase: qti-choice-interaction -> choiceInteraction."""
    if name.startswith("qti-"):
        name = name[4:]
    head, *rest = name.split("-")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _name(element: ET.Element) -> str:
    return _camel(local_name(element.tag))


def _attr(element: ET.Element, camel: str, default: str = "") -> str:
    kebab = re.sub(r"([A-Z])", lambda m: "-" + m.group(1).lower(), camel)
    value = element.get(camel)
    if value is None:
        value = element.get(kebab)
    return default if value is None else value


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    return [child for child in element if _name(child) == name]


def _find(element: ET.Element, name: str) -> ET.Element | None:
    return next((node for node in element.iter() if _name(node) == name), None)


def _findall(element: ET.Element, name: str) -> list[ET.Element]:
    return [node for node in element.iter() if _name(node) == name]


def _float(text: str | None) -> float | None:
    try:
        value = float((text or "").strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


# -- HTML <-> XHTML --------------------------------------------------------------------


def _inner_html(element: ET.Element) -> str:
    """The content of an element as HTML, namespaces dropped."""
    copy = ET.fromstring(ET.tostring(element))
    strip_line_attributes(copy)
    for node in copy.iter():
        node.tag = local_name(node.tag)
        for key in list(node.attrib):
            if key.startswith("{"):
                del node.attrib[key]
    parts = [xml_escape(copy.text or "")]
    parts += [ET.tostring(child, encoding="unicode") for child in copy]
    return "".join(parts).strip()


def _text_content(element: ET.Element) -> str:
    return "".join(element.itertext()).strip()


_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
         "track", "wbr"}  # fmt: skip


class _XhtmlBuilder(HTMLParser):
    def __init__(self, root: ET.Element) -> None:
        super().__init__(convert_charrefs=True)
        self.stack = [root]
        self.last: ET.Element | None = None

    def _append_text(self, data: str) -> None:
        parent = self.stack[-1]
        if len(parent):
            parent[-1].tail = (parent[-1].tail or "") + data
        else:
            parent.text = (parent.text or "") + data

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = ET.SubElement(self.stack[-1], tag, {k: v or "" for k, v in attrs})
        if tag not in _VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        ET.SubElement(self.stack[-1], tag, {k: v or "" for k, v in attrs})

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, 0, -1):
            if self.stack[index].tag == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        self._append_text(data)


def _html_into(parent: ET.Element, html: str) -> None:
    builder = _XhtmlBuilder(parent)
    builder.feed(html)
    builder.close()


# -- package reading -------------------------------------------------------------------


def _safe_member_name(name: str) -> str:
    normalized = name.replace("\\", "/")
    parts = normalized.split("/")
    if normalized.startswith("/") or re.match(r"^[A-Za-z]:", normalized) or ".." in parts:
        raise FormatError(ZIP_TRAVERSAL.format(name=name))
    return posixpath.normpath(normalized)


def read_zip(data: bytes) -> dict[str, bytes]:
    """The zip's regular members by normalized name, after the safety checks."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise FormatError(f"{NOT_A_ZIP}: {error}") from error
    with archive:
        infos = [info for info in archive.infolist() if not info.is_dir()]
        if len(infos) > MAX_MEMBERS:
            raise FormatError(ZIP_TOO_MANY_MEMBERS.format(count=len(infos), limit=MAX_MEMBERS))
        for info in infos:
            _safe_member_name(info.filename)
            if info.flag_bits & 0x1:
                raise FormatError(ZIP_ENCRYPTED.format(name=info.filename))
            if info.file_size > MAX_MEMBER_BYTES:
                raise FormatError(
                    ZIP_MEMBER_TOO_LARGE.format(name=info.filename, limit=MAX_MEMBER_BYTES)
                )
        if sum(info.file_size for info in infos) > MAX_TOTAL_BYTES:
            raise FormatError(ZIP_TOO_LARGE.format(limit=MAX_TOTAL_BYTES))
        members: dict[str, bytes] = {}
        total = 0
        for info in infos:
            chunks = []
            size = 0
            try:
                with archive.open(info) as stream:
                    while chunk := stream.read(65536):
                        size += len(chunk)
                        total += len(chunk)
                        if size > info.file_size:
                            raise FormatError(ZIP_SIZE_MISMATCH.format(name=info.filename))
                        if total > MAX_TOTAL_BYTES:
                            raise FormatError(ZIP_TOO_LARGE.format(limit=MAX_TOTAL_BYTES))
                        chunks.append(chunk)
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as error:
                raise FormatError(f"{ZIP_DAMAGED.format(name=info.filename)}: {error}") from error
            members[_safe_member_name(info.filename)] = b"".join(chunks)
    return members


def read_directory(path: str | Path) -> dict[str, bytes]:
    """A package directory's regular files (no symlinks), with the zip's limits."""
    root = Path(path)
    members: dict[str, bytes] = {}
    total = 0
    for file in sorted(root.rglob("*")):
        if file.is_symlink() or not file.is_file():
            continue
        if len(members) >= MAX_MEMBERS:
            raise FormatError(
                ZIP_TOO_MANY_MEMBERS.format(count=len(members) + 1, limit=MAX_MEMBERS)
            )
        total += file.stat().st_size
        if total > MAX_TOTAL_BYTES:
            raise FormatError(ZIP_TOO_LARGE.format(limit=MAX_TOTAL_BYTES))
        members[file.relative_to(root).as_posix()] = file.read_bytes()
    return members


@dataclass
class _ItemRef:
    href: str
    metadata: dict[str, Any] = field(default_factory=dict)


def _resolve(base: str, href: str) -> str:
    return posixpath.normpath(posixpath.join(posixpath.dirname(base), href.split("#")[0]))


# -- the importer ----------------------------------------------------------------------


class QtiImporter(BaseImporter):
    identifier = IDENTIFIER
    label = "QTI (2.1, 2.2, 3.0 and Canvas 1.2)"
    extensions = (".zip", ".xml")

    def parse(self, data: bytes, *, filename: str = "") -> ImportResult:
        if data.startswith(b"PK"):
            return self.parse_package(read_zip(data))
        root = parse_xml(data, what=filename)
        result = ImportResult()
        kind = local_name(root.tag)
        if kind == "questestinterop":
            _CanvasReader(result, filename).read(root)
        elif kind in ("assessmentItem", "qti-assessment-item"):
            self._item(root, result, location=filename, single_file=True)
        elif kind == "manifest":
            raise FormatError(MANIFEST_ALONE)
        else:
            raise FormatError(NOT_QTI)
        return result

    def parse_directory(self, path: str | Path) -> ImportResult:
        return self.parse_package(read_directory(path))

    def parse_package(self, members: dict[str, bytes]) -> ImportResult:
        if "imsmanifest.xml" not in members:
            raise FormatError(NO_MANIFEST)
        manifest = parse_xml(members["imsmanifest.xml"], what="imsmanifest.xml")
        result = ImportResult()
        referenced = {"imsmanifest.xml"}
        item_refs: list[_ItemRef] = []
        canvas_files: list[str] = []
        bank_meta = next((n for n in manifest.iter(f"{{{QZ_NS}}}bank")), None)
        if bank_meta is not None:
            _read_bank_metadata(bank_meta, result)
        for resource in _findall(manifest, "resource"):
            kind = resource.get("type", "")
            files = [f.get("href", "") for f in _children(resource, "file")]
            href = resource.get("href") or (files[0] if files else "")
            referenced.update(_resolve("", f) for f in files if f)
            if href:
                referenced.add(_resolve("", href))
            if not href:
                continue
            if kind.startswith("imsqti_item"):
                meta_element = next(iter(resource.iter(f"{{{QZ_NS}}}question")), None)
                metadata: dict[str, Any] = {}
                if meta_element is not None:
                    try:
                        metadata = json.loads(meta_element.text or "{}")
                    except ValueError:
                        result.warn(BAD_METADATA, location=href)
                item_refs.append(_ItemRef(_resolve("", href), metadata))
            elif kind.startswith("imsqti_test"):
                test_href = _resolve("", href)
                if test_href not in members:
                    result.warn(MISSING_ITEM.format(href=test_href), location="imsmanifest.xml")
                    continue
                test = parse_xml(members[test_href], what=test_href)
                for item_ref in _findall(test, "assessmentItemRef"):
                    item_href = _resolve(test_href, item_ref.get("href", ""))
                    referenced.add(item_href)
                    item_refs.append(_ItemRef(item_href))
            elif kind.startswith("imsqti_xmlv1p2"):
                canvas_files.append(_resolve("", href))
        for name in sorted(members):
            if name.lower().endswith(EXECUTABLE_SUFFIXES):
                result.warn(EXECUTABLE_MEMBER.format(name=name), location=name)
            elif name not in referenced:
                result.warn(UNREFERENCED_MEMBER.format(name=name), location=name)
        for ref in item_refs:
            if ref.href not in members:
                result.warn(MISSING_ITEM.format(href=ref.href), location="imsmanifest.xml")
                continue
            try:
                root = parse_xml(members[ref.href], what=ref.href)
            except FormatError as error:
                result.error(str(error), location=ref.href)
                continue
            self._item(root, result, location=ref.href, metadata=ref.metadata)
        for href in canvas_files:
            if href not in members:
                result.warn(MISSING_ITEM.format(href=href), location="imsmanifest.xml")
                continue
            _CanvasReader(result, href).read(parse_xml(members[href], what=href))
        return result

    def _item(
        self,
        root: ET.Element,
        result: ImportResult,
        *,
        location: str,
        metadata: dict[str, Any] | None = None,
        single_file: bool = False,
    ) -> None:
        kind = local_name(root.tag)
        label = root.get("title") or root.get("identifier") or location
        if namespace(root.tag) == QTI3_NS and not kind.startswith("qti-"):
            error = QTI3_MIXED_NAMES.format(name=kind)
            if single_file:  # the file as a whole is unreadable
                raise FormatError(error)
            result.error(error, question=label, location=location)
            return
        try:
            question = _read_item(root, result, label=label, location=location)
        except ItemError as error:
            result.error(str(error), question=label, location=location)
            return
        if question is None:
            return
        if metadata:
            _apply_question_metadata(question, metadata)
        sanitize_question(question)
        problems = validate_payload(question)
        for problem in problems:
            result.error(problem, question=label, location=location)
        if not problems:
            result.bank.questions.append(question)


@dataclass
class _Response:
    cardinality: str = "single"
    base_type: str = "identifier"
    correct: list[str] = field(default_factory=list)
    mapping: dict[str, float] = field(default_factory=dict)
    case_sensitive: dict[str, bool] = field(default_factory=dict)
    default_value: float = 0.0
    upper_bound: float | None = None


def _responses(root: ET.Element) -> dict[str, _Response]:
    responses = {}
    for declaration in _children(root, "responseDeclaration"):
        response = _Response(
            cardinality=_attr(declaration, "cardinality", "single"),
            base_type=_attr(declaration, "baseType", "identifier"),
        )
        correct = _find(declaration, "correctResponse")
        if correct is not None:
            response.correct = [(v.text or "").strip() for v in _children(correct, "value")]
        mapping = _find(declaration, "mapping")
        if mapping is not None:
            response.default_value = _float(_attr(mapping, "defaultValue", "0")) or 0.0
            response.upper_bound = (
                _float(_attr(mapping, "upperBound")) if _attr(mapping, "upperBound") else None
            )
            for entry in _children(mapping, "mapEntry"):
                key = _attr(entry, "mapKey")
                response.mapping[key] = _float(_attr(entry, "mappedValue", "0")) or 0.0
                response.case_sensitive[key] = _attr(entry, "caseSensitive", "true") != "false"
        responses[_attr(declaration, "identifier")] = response
    return responses


_INTERACTIONS = ("choiceInteraction", "textEntryInteraction", "inlineChoiceInteraction",
                 "matchInteraction", "orderInteraction")  # fmt: skip


def _modal_feedback(root: ET.Element) -> dict[str, str]:
    return {
        _attr(node, "identifier"): _inner_html(node) for node in _children(root, "modalFeedback")
    }


def _read_item(
    root: ET.Element, result: ImportResult, *, label: str, location: str
) -> QuestionDraft | None:
    body = next((c for c in root if _name(c) == "itemBody"), None)
    if body is None:
        raise ItemError(NO_INTERACTION)
    interactions = [n for n in body.iter() if _name(n).endswith("Interaction")]
    if not interactions:
        result.warn(NO_INTERACTION, question=label, location=location)
        return None
    if len(interactions) > 1:
        names = ", ".join(_name(n) for n in interactions)
        result.warn(
            SEVERAL_INTERACTIONS.format(count=len(interactions), names=names),
            question=label,
            location=location,
        )
        return None
    interaction = interactions[0]
    kind = _name(interaction)
    if kind not in _INTERACTIONS:
        result.warn(
            UNSUPPORTED_INTERACTION.format(interaction=kind), question=label, location=location
        )
        return None
    responses = _responses(root)
    response = responses.get(_attr(interaction, "responseIdentifier"), _Response())
    feedback = _modal_feedback(root)
    prompt = _find(interaction, "prompt")
    lead_in = _inner_html(prompt) if prompt is not None else ""
    # The stem: the body without the interaction (an inline one leaves a gap).
    body_copy = ET.fromstring(ET.tostring(body))
    for parent in body_copy.iter():
        for child in list(parent):
            if _name(child) in _INTERACTIONS:
                inline = _name(child) in ("textEntryInteraction", "inlineChoiceInteraction")
                gap = "_____" if inline else ""
                index = list(parent).index(child)
                tail = gap + (child.tail or "")
                if index:
                    parent[index - 1].tail = (parent[index - 1].tail or "") + tail
                else:
                    parent.text = (parent.text or "") + tail
                parent.remove(child)
            elif _name(child) in ("feedbackInline", "feedbackBlock", "rubricBlock"):
                parent.remove(child)
    stem = _inner_html(body_copy)
    marked = {
        child.get("class"): child
        for child in body
        if _name(child) == "div" and child.get("class") in ("stem", "lead-in")
    }
    if "stem" in marked:
        stem = _inner_html(marked["stem"])
    if "lead-in" in marked:
        lead_in = _inner_html(marked["lead-in"])
    question = QuestionDraft(
        id=root.get("identifier") or label,
        type="single",
        stem=stem or lead_in,
        lead_in=lead_in if stem else "",
        title="" if root.get("title") == root.get("identifier") else root.get("title", ""),
        text_format="html",
        explanation=feedback.get("GENERAL", ""),
    )
    question.feedback.correct = feedback.get("CORRECT", "")
    question.feedback.partial = feedback.get("PARTIAL", "")
    question.feedback.incorrect = feedback.get("INCORRECT", "")
    if kind in ("choiceInteraction", "inlineChoiceInteraction"):
        _read_choices(question, interaction, response)
    elif kind == "textEntryInteraction":
        _read_text_entry(question, root, response, feedback)
    elif kind == "matchInteraction":
        _read_match(question, interaction, response)
    else:
        question.type = "ordering"
        choices = {_attr(c, "identifier"): c for c in _children(interaction, "simpleChoice")}
        if not response.correct:
            raise ItemError(NO_CORRECT_RESPONSE.format(response="RESPONSE"))
        question.steps = [
            StepDraft(id=step_id, text=_inner_html(choices[step_id]))
            for step_id in response.correct
            if step_id in choices
        ]
    return question


def _read_choices(question: QuestionDraft, interaction: ET.Element, response: _Response) -> None:
    choice_name = (
        "inlineChoice" if _name(interaction) == "inlineChoiceInteraction" else "simpleChoice"
    )
    choices = _children(interaction, choice_name)
    multiple = response.cardinality == "multiple"
    options = []
    for choice in choices:
        choice_id = _attr(choice, "identifier")
        feedback = " ".join(_inner_html(f) for f in _children(choice, "feedbackInline"))
        for inline in _children(choice, "feedbackInline"):
            choice.remove(inline)
        options.append(OptionDraft(id=choice_id, text=_inner_html(choice), feedback=feedback))
    if not response.correct and not response.mapping:
        raise ItemError(NO_CORRECT_RESPONSE.format(response="RESPONSE"))
    if multiple:
        question.type = "multiple"
        if response.mapping:
            positive = [v for v in response.mapping.values() if v > 0]
            scale = sum(positive) or response.upper_bound or 1.0
            for option in options:
                value = response.mapping.get(option.id, response.default_value)
                option.fraction = max(-1.0, min(1.0, value / scale))
        else:
            for option in options:
                option.fraction = (
                    1.0 / len(response.correct) if option.id in response.correct else 0.0
                )
    else:
        for option in options:
            option.fraction = 1.0 if option.id in response.correct[:1] else 0.0
        if not response.correct and response.mapping:
            best = max(response.mapping, key=lambda k: response.mapping[k])
            for option in options:
                option.fraction = 1.0 if option.id == best else 0.0
        texts = sorted(_text_content(ET.fromstring(f"<x>{o.text}</x>")).lower() if "<" in o.text
                       else o.text.strip().lower() for o in options)  # fmt: skip
        ids = sorted(o.id.lower() for o in options)
        if len(options) == 2 and (ids == ["false", "true"] or texts == ["false", "true"]):
            question.type = "true_false"
            by_text = {
                (
                    "true"
                    if (o.id.lower() == "true" or o.text.strip().lower() == "true")
                    else "false"
                ): o
                for o in options
            }
            question.options = [
                OptionDraft(id=key, text=key.capitalize(), fraction=by_text[key].fraction,
                            feedback=by_text[key].feedback)
                for key in ("true", "false") if key in by_text
            ]  # fmt: skip
            return
    question.options = options


def _read_text_entry(
    question: QuestionDraft, root: ET.Element, response: _Response, feedback: dict[str, str]
) -> None:
    if response.base_type in ("float", "integer"):
        question.type = "numerical"
        conditions = [node for node in _findall(root, "equal") if _attr(node, "toleranceMode")]
        answers = []
        for index, equal in enumerate(conditions, start=1):
            value_node = _find(equal, "baseValue")
            value = _float(value_node.text if value_node is not None else None)
            tolerance_text = _attr(equal, "tolerance", "0").split()
            tolerance = _float(tolerance_text[0] if tolerance_text else "0") or 0.0
            fraction = 1.0
            branch = _branch_of(root, equal)
            if branch is not None:
                for set_value in _findall(branch, "setOutcomeValue"):
                    if _attr(set_value, "identifier") == "SCORE":
                        base = _find(set_value, "baseValue")
                        fraction = _float(base.text if base is not None else "1") or 0.0
            if value is not None:
                answers.append(
                    NumericAnswerDraft(
                        value=value,
                        tolerance=tolerance,
                        fraction=fraction,
                        feedback=feedback.get(f"ANSWER-{index}", ""),
                    )
                )
        if not answers:
            for value_text in response.correct:
                value = _float(value_text)
                if value is not None:
                    answers.append(NumericAnswerDraft(value=value))
        if not answers:
            raise ItemError(NO_CORRECT_RESPONSE.format(response="RESPONSE"))
        question.answers = answers
        return
    question.type = "short_answer"
    accepted: dict[str, AcceptedAnswerDraft] = {}
    if response.mapping:
        top = max(response.mapping.values()) or 1.0
        for key, value in response.mapping.items():
            accepted[key] = AcceptedAnswerDraft(text=key, fraction=max(-1.0, min(1.0, value / top)))
        question.case_sensitive = all(response.case_sensitive.values())
    for value_text in response.correct:
        accepted.setdefault(value_text, AcceptedAnswerDraft(text=value_text, fraction=1.0))
        accepted[value_text].fraction = 1.0
    if not accepted:
        raise ItemError(NO_CORRECT_RESPONSE.format(response="RESPONSE"))
    question.accepted = list(accepted.values())
    for index, answer in enumerate(question.accepted, start=1):
        answer.feedback = feedback.get(f"ANSWER-{index}", "")


def _branch_of(root: ET.Element, node: ET.Element) -> ET.Element | None:
    """The responseIf/responseElseIf element whose condition is ``node``."""
    for branch in root.iter():
        if _name(branch) in ("responseIf", "responseElseIf") and node in list(branch.iter()):
            return branch
    return None


def _read_match(question: QuestionDraft, interaction: ET.Element, response: _Response) -> None:
    question.type = "matching"
    sets = _children(interaction, "simpleMatchSet")
    if len(sets) != 2:
        raise ItemError("a matchInteraction needs two simpleMatchSets")
    for choice in _children(sets[0], "simpleAssociableChoice"):
        question.stems.append(
            MatchStemDraft(id=_attr(choice, "identifier"), text=_inner_html(choice))
        )
    for choice in _children(sets[1], "simpleAssociableChoice"):
        question.choices.append(
            MatchChoiceDraft(id=_attr(choice, "identifier"), text=_inner_html(choice))
        )
    pairs = response.correct or [k for k, v in response.mapping.items() if v > 0]
    targets: dict[str, list[str]] = {}
    for pair in pairs:
        source, _, target = pair.partition(" ")
        targets.setdefault(source, []).append(target.strip())
    for stem in question.stems:
        matched = targets.get(stem.id, [])
        if len(matched) != 1:
            raise ItemError(MATCH_NOT_ONE_TO_ONE.format(stem=stem.id))
        question.pairs[stem.id] = matched[0]


# -- manifest metadata -----------------------------------------------------------------

_METADATA_FIELDS = (
    "topic", "objectives", "bloom", "source", "fact_refs", "tags", "difficulty", "status",
    "negative_lead_in", "text_format", "case_sensitive", "unit", "title", "id",
)  # fmt: skip


def _question_metadata(question: QuestionDraft) -> dict[str, Any]:
    data: dict[str, Any] = {name: getattr(question, name) for name in _METADATA_FIELDS}
    if question.irt is not None:
        data["irt"] = {"a": question.irt.a, "b": question.irt.b, "c": question.irt.c,
                       "provenance": question.irt.provenance}  # fmt: skip
    data["lint_exceptions"] = [
        {"rule": e.rule, "reason": e.reason} for e in question.lint_exceptions
    ]
    data["step_feedback"] = [s.feedback for s in question.steps]
    data["stem_feedback"] = [s.feedback for s in question.stems]
    return data


def _apply_question_metadata(question: QuestionDraft, data: dict[str, Any]) -> None:
    for name in _METADATA_FIELDS:
        if name in data and isinstance(data[name], type(getattr(question, name))):
            setattr(question, name, data[name])
    irt = data.get("irt")
    if isinstance(irt, dict):
        question.irt = IrtDraft(
            a=float(irt.get("a", 1.0)),
            b=float(irt.get("b", 0.0)),
            c=float(irt.get("c", 0.0)),
            provenance=str(irt.get("provenance", "prior")),
        )
    question.lint_exceptions = [
        LintExceptionDraft(rule=str(e.get("rule", "")), reason=str(e.get("reason", "")))
        for e in data.get("lint_exceptions", [])
        if isinstance(e, dict)
    ]
    for step, text in zip(question.steps, data.get("step_feedback", []), strict=False):
        step.feedback = str(text)
    for stem, text in zip(question.stems, data.get("stem_feedback", []), strict=False):
        stem.feedback = str(text)
    if question.text_format != "html":
        question.stem = _unhtml(question.stem)
        question.lead_in = _unhtml(question.lead_in)
        for option in question.options:
            option.text = _unhtml(option.text)
            option.feedback = _unhtml(option.feedback)
        for stem in question.stems:
            stem.text = _unhtml(stem.text)
        for step in question.steps:
            step.text = _unhtml(step.text)
        for accepted in question.accepted:
            accepted.feedback = _unhtml(accepted.feedback)
        for answer in question.answers:
            answer.feedback = _unhtml(answer.feedback)
        for choice in question.choices:
            choice.text = _unhtml(choice.text)
        question.explanation = _unhtml(question.explanation)
        question.feedback.correct = _unhtml(question.feedback.correct)
        question.feedback.partial = _unhtml(question.feedback.partial)
        question.feedback.incorrect = _unhtml(question.feedback.incorrect)


def _unhtml(text: str) -> str:
    """Plain or Markdown text read back as HTML character data: undo the escaping."""
    return html.unescape(text)


def _read_bank_metadata(element: ET.Element, result: ImportResult) -> None:
    try:
        data = json.loads(element.text or "{}")
    except ValueError:
        result.warn(BAD_METADATA, location="imsmanifest.xml")
        return
    bank = result.bank
    bank.title = str(data.get("title", ""))
    bank.description = str(data.get("description", ""))

    def topic(raw: dict[str, Any]) -> TopicDraft:
        return TopicDraft(
            slug=str(raw.get("slug", "")),
            title=str(raw.get("title", "")),
            children=[topic(c) for c in raw.get("children", [])],
        )

    bank.topics = [topic(t) for t in data.get("topics", []) if isinstance(t, dict)]
    bank.objectives = [
        ObjectiveDraft(
            id=str(o.get("id", "")),
            text=str(o.get("text", "")),
            topic=str(o.get("topic", "")),
            bloom=str(o.get("bloom", "")),
            source=str(o.get("source", "")),
        )
        for o in data.get("objectives", [])
        if isinstance(o, dict)
    ]


# -- Canvas QTI 1.2 --------------------------------------------------------------------

_CANVAS_TYPES = {
    "multiple_choice_question", "multiple_answers_question", "true_false_question",
    "short_answer_question", "numerical_question", "matching_question",
}  # fmt: skip


_CANVAS_ITEM_FEEDBACK = ("correct_fb", "general_fb", "general_incorrect_fb")


class _CanvasReader:
    def __init__(self, result: ImportResult, location: str) -> None:
        self.result = result
        self.location = location

    def read(self, root: ET.Element) -> None:
        assessment = _find(root, "assessment")
        if assessment is not None and assessment.get("title") and not self.result.bank.title:
            self.result.bank.title = assessment.get("title", "")
        for item in _findall(root, "item"):
            self._item(item)

    def _meta(self, item: ET.Element) -> dict[str, str]:
        meta = {}
        for entry in _findall(item, "qtimetadatafield"):
            label = next((c for c in entry if _name(c) == "fieldlabel"), None)
            value = next((c for c in entry if _name(c) == "fieldentry"), None)
            if label is not None:
                entry_text = value.text if value is not None else ""
                meta[(label.text or "").strip()] = (entry_text or "").strip()
        return meta

    def _item(self, item: ET.Element) -> None:
        label = item.get("title") or item.get("ident") or ""
        location = f"{self.location} item {item.get('ident', '')}".strip()
        qtype = self._meta(item).get("question_type", "")
        if qtype not in _CANVAS_TYPES:
            self.result.warn(
                CANVAS_UNSUPPORTED.format(qtype=qtype or "(none)"),
                question=label,
                location=location,
            )
            return
        try:
            question = self._question(item, qtype)
        except ItemError as error:
            self.result.error(str(error), question=label, location=location)
            return
        question.id = item.get("ident") or label
        question.title = item.get("title", "")
        sanitize_question(question)
        problems = validate_payload(question)
        for problem in problems:
            self.result.error(problem, question=label, location=location)
        if not problems:
            self.result.bank.questions.append(question)

    def _question(self, item: ET.Element, qtype: str) -> QuestionDraft:
        presentation = _find(item, "presentation")
        if presentation is None:
            raise ItemError("the item has no presentation")
        stem_material = next((c for c in presentation if _name(c) == "material"), None)
        stem = _mattext(stem_material)
        feedback = {
            fb.get("ident", ""): _mattext(_find(fb, "material"))
            for fb in _findall(item, "itemfeedback")
        }
        question = QuestionDraft(id="", type="single", stem=stem, text_format="html")
        question.explanation = feedback.get("general_fb", "")
        question.feedback.correct = feedback.get("correct_fb", "")
        question.feedback.incorrect = feedback.get("general_incorrect_fb", "")
        conditions = _findall(item, "respcondition")
        scoring = [c for c in conditions if _score(c) > 0]
        answer_feedback: dict[str, str] = {}
        for condition in conditions:
            equals = _findall(condition, "varequal")
            links = [d.get("linkrefid", "") for d in _findall(condition, "displayfeedback")]
            for link in links:
                if link.endswith("_fb") and link not in _CANVAS_ITEM_FEEDBACK and len(equals) == 1:
                    answer_feedback[(equals[0].text or "").strip()] = feedback.get(link, "")
        if qtype in (
            "multiple_choice_question",
            "true_false_question",
            "multiple_answers_question",
        ):
            labels = _findall(presentation, "response_label")
            correct: set[str] = set()
            for condition in scoring:
                for equal in _findall(condition, "varequal"):
                    if not _inside_not(condition, equal):
                        correct.add((equal.text or "").strip())
            options = [
                OptionDraft(
                    id=label.get("ident", ""),
                    text=_mattext(_find(label, "material")),
                    feedback=answer_feedback.get(label.get("ident", ""), ""),
                )
                for label in labels
            ]
            if qtype == "multiple_answers_question":
                question.type = "multiple"
                for option in options:
                    option.fraction = 1.0 / len(correct) if option.id in correct else 0.0
            else:
                for option in options:
                    option.fraction = 1.0 if option.id in correct else 0.0
            if qtype == "true_false_question":
                question.type = "true_false"
                for option in options:
                    option.id = "true" if option.text.strip().lower() == "true" else "false"
                    option.text = option.id.capitalize()
                options.sort(key=lambda o: o.id != "true")
            question.options = options
        elif qtype == "short_answer_question":
            question.type = "short_answer"
            seen: list[str] = []
            for condition in scoring:
                for equal in _findall(condition, "varequal"):
                    text = (equal.text or "").strip()
                    if text not in seen:
                        seen.append(text)
            question.accepted = [
                AcceptedAnswerDraft(text=t, fraction=1.0, feedback=answer_feedback.get(t, ""))
                for t in seen
            ]
        elif qtype == "numerical_question":
            question.type = "numerical"
            for condition in scoring:
                question.answers.append(_canvas_numeric(condition, feedback))
        else:
            question.type = "matching"
            choices: dict[str, str] = {}
            for response in _findall(presentation, "response_lid"):
                stem_id = response.get("ident", "")
                question.stems.append(
                    MatchStemDraft(id=stem_id, text=_mattext(_find(response, "material")))
                )
                for label in _findall(response, "response_label"):
                    choices.setdefault(label.get("ident", ""), _mattext(_find(label, "material")))
            question.choices = [MatchChoiceDraft(id=k, text=v) for k, v in choices.items()]
            for condition in scoring:
                for equal in _findall(condition, "varequal"):
                    question.pairs[equal.get("respident", "")] = (equal.text or "").strip()
        return question


def _mattext(material: ET.Element | None) -> str:
    if material is None:
        return ""
    node = _find(material, "mattext")
    return (node.text or "").strip() if node is not None else ""


def _score(condition: ET.Element) -> float:
    total = 0.0
    for setvar in _findall(condition, "setvar"):
        total += _float(setvar.text) or 0.0
    return total


def _inside_not(condition: ET.Element, node: ET.Element) -> bool:
    return any(node in list(n.iter()) for n in _findall(condition, "not"))


def _canvas_numeric(condition: ET.Element, feedback: dict[str, str]) -> NumericAnswerDraft:
    equal = _find(condition, "varequal")
    low = next((n for n in condition.iter() if _name(n) in ("vargte", "vargt")), None)
    high = next((n for n in condition.iter() if _name(n) in ("varlte", "varlt")), None)
    low_value = _float(low.text) if low is not None else None
    high_value = _float(high.text) if high is not None else None
    exact = _float(equal.text) if equal is not None else None
    if exact is not None:
        spread = [abs(exact - v) for v in (low_value, high_value) if v is not None]
        value, tolerance = exact, max(spread, default=0.0)
    elif low_value is not None and high_value is not None:
        value, tolerance = (low_value + high_value) / 2, (high_value - low_value) / 2
    else:
        raise ItemError("numerical answer without a value or range")
    links = [d.get("linkrefid", "") for d in _findall(condition, "displayfeedback")]
    answer_feedback = next(
        (feedback.get(link, "") for link in links if link not in ("correct_fb",)), ""
    )
    return NumericAnswerDraft(
        value=value, tolerance=tolerance, fraction=1.0, feedback=answer_feedback
    )


# -- export ----------------------------------------------------------------------------


def _sub(
    parent: ET.Element, tag: str, attrs: dict[str, str] | None = None, /, **extra: str
) -> ET.Element:
    return ET.SubElement(parent, tag, {**(attrs or {}), **extra})


def _el(tag: str, attrs: dict[str, str] | None = None, /, **extra: str) -> ET.Element:
    return ET.Element(tag, {**(attrs or {}), **extra})


def _q(tag: str) -> str:
    return f"{{{QTI3_NS}}}{tag}"


class QtiExporter(BaseExporter):
    identifier = IDENTIFIER
    label = "QTI 3.0 package"
    extension = ".zip"
    media_type = "application/zip"
    types = (
        "single", "multiple", "true_false", "short_answer", "numerical", "matching", "ordering",
    )  # fmt: skip
    # Everything but embedded files (not written to the package) and the display text of
    # true/false options (written as True/False).
    carries: ClassVar[frozenset[str]] = ALL_QUESTION_FIELDS - {"files", "true_false_text"}

    def render(self, bank: BankDraft) -> bytes:
        ET.register_namespace("", QTI3_NS)
        buffer = io.BytesIO()
        manifest = _el(f"{{{QTI3_CP_NS}}}manifest", identifier="bank")
        metadata = _sub(manifest, f"{{{QTI3_CP_NS}}}metadata")
        _sub(metadata, f"{{{QTI3_CP_NS}}}schema").text = "QTI Package"
        _sub(metadata, f"{{{QTI3_CP_NS}}}schemaversion").text = "3.0.0"
        _sub(metadata, f"{{{QZ_NS}}}bank").text = json.dumps(
            _bank_metadata(bank), ensure_ascii=False
        )
        _sub(manifest, f"{{{QTI3_CP_NS}}}organizations")
        resources = _sub(manifest, f"{{{QTI3_CP_NS}}}resources")
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for index, question in enumerate(bank.questions, start=1):
                href = f"items/{index:04d}-{_safe_file_part(question.id)}.xml"
                resource = _sub(
                    resources,
                    f"{{{QTI3_CP_NS}}}resource",
                    identifier=f"RES-{index:04d}",
                    type="imsqti_item_xmlv3p0",
                    href=href,
                )
                resource_meta = _sub(resource, f"{{{QTI3_CP_NS}}}metadata")
                _sub(resource_meta, f"{{{QZ_NS}}}question").text = json.dumps(
                    _question_metadata(question), ensure_ascii=False
                )
                _sub(resource, f"{{{QTI3_CP_NS}}}file", href=href)
                item = _item_element(question)  # not indented: whitespace in content matters
                archive.writestr(
                    href,
                    b'<?xml version="1.0" encoding="UTF-8"?>\n'
                    + ET.tostring(item, encoding="utf-8", xml_declaration=False),
                )
            ET.register_namespace("", QTI3_CP_NS)
            ET.register_namespace("qz", QZ_NS)
            ET.indent(manifest, space="  ")
            archive.writestr(
                "imsmanifest.xml",
                b'<?xml version="1.0" encoding="UTF-8"?>\n'
                + ET.tostring(manifest, encoding="utf-8", xml_declaration=False),
            )
        return buffer.getvalue()


def _safe_file_part(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text)[:60] or "item"


def _bank_metadata(bank: BankDraft) -> dict[str, Any]:
    def topic(t: TopicDraft) -> dict[str, Any]:
        return {"slug": t.slug, "title": t.title, "children": [topic(c) for c in t.children]}

    return {
        "title": bank.title,
        "description": bank.description,
        "topics": [topic(t) for t in bank.topics],
        "objectives": [
            {"id": o.id, "text": o.text, "topic": o.topic, "bloom": o.bloom, "source": o.source}
            for o in bank.objectives
        ],
    }


def _content(parent: ET.Element, tag: str, text: str, fmt: str, **attrs: str) -> ET.Element:
    element = _sub(parent, _q(tag), attrs)
    if fmt == "html":
        _html_into(element, text)
        for node in element.iter():
            if node is not element and not node.tag.startswith("{"):
                node.tag = _q(node.tag)
    else:
        element.text = text
    return element


def _qti_identifier(text: str) -> str:
    return text if re.match(r"^[A-Za-z_][\w.-]*$", text) else "ID-" + _safe_file_part(text)


def _item_element(q: QuestionDraft) -> ET.Element:
    fmt = "html" if q.text_format == "html" else "plain"
    item = _el(
        _q("qti-assessment-item"),
        identifier=_qti_identifier(q.id),
        title=q.title or q.id,
        adaptive="false",
        **{"time-dependent": "false"},
    )
    declaration = _sub(
        item, _q("qti-response-declaration"), identifier="RESPONSE", cardinality="single",
        **{"base-type": "identifier"},
    )  # fmt: skip
    correct = _sub(declaration, _q("qti-correct-response"))
    _sub(
        item, _q("qti-outcome-declaration"), identifier="SCORE", cardinality="single",
        **{"base-type": "float"},
    )  # fmt: skip
    _sub(
        item, _q("qti-outcome-declaration"), identifier="FEEDBACK", cardinality="multiple",
        **{"base-type": "identifier"},
    )  # fmt: skip
    body = _sub(item, _q("qti-item-body"))
    stem = _content(body, "div", q.stem, fmt)
    stem.set("class", "stem")
    template = "match_correct"

    def value(text: str) -> None:
        _sub(correct, _q("qti-value")).text = text

    if q.type in ("single", "multiple", "true_false"):
        interaction = _sub(
            body, _q("qti-choice-interaction"), shuffle="false",
            **{"response-identifier": "RESPONSE",
               "max-choices": "1" if q.type != "multiple" else "0"},
        )  # fmt: skip
        _content(interaction, "qti-prompt", q.lead_in, fmt)
        if q.type == "multiple":
            declaration.set("cardinality", "multiple")
            mapping = _sub(
                declaration, _q("qti-mapping"),
                **{"lower-bound": "0", "upper-bound": "1", "default-value": "0"},
            )  # fmt: skip
            template = "map_response"
        for option in q.options:
            choice = _content(
                interaction, "qti-simple-choice", option.text, fmt, identifier=option.id
            )
            if option.feedback:
                _content(
                    choice, "qti-feedback-inline", option.feedback, fmt,
                    **{"outcome-identifier": "FEEDBACK", "identifier": option.id,
                       "show-hide": "show"},
                )  # fmt: skip
            if q.type == "multiple":
                _sub(
                    mapping, _q("qti-map-entry"),
                    **{"map-key": option.id, "mapped-value": repr(option.fraction)},
                )  # fmt: skip
                if option.fraction > 0:
                    value(option.id)
            elif option.fraction >= 1:
                value(option.id)
    elif q.type == "short_answer":
        declaration.set("base-type", "string")
        mapping = _sub(declaration, _q("qti-mapping"), **{"default-value": "0"})
        for accepted in q.accepted:
            _sub(
                mapping, _q("qti-map-entry"),
                **{"map-key": accepted.text, "mapped-value": repr(accepted.fraction),
                   "case-sensitive": "true" if q.case_sensitive else "false"},
            )  # fmt: skip
            if accepted.fraction >= 1 and not len(correct):
                value(accepted.text)
        _text_entry_body(body, q, fmt)
        template = "map_response"
    elif q.type == "numerical":
        declaration.set("base-type", "float")
        if q.answers:
            value(repr(q.answers[0].value))
        _text_entry_body(body, q, fmt)
        template = ""
    elif q.type == "matching":
        declaration.set("cardinality", "multiple")
        declaration.set("base-type", "directedPair")
        interaction = _sub(
            body, _q("qti-match-interaction"), shuffle="true",
            **{"response-identifier": "RESPONSE", "max-associations": str(len(q.stems))},
        )  # fmt: skip
        _content(interaction, "qti-prompt", q.lead_in, fmt)
        sources = _sub(interaction, _q("qti-simple-match-set"))
        targets = _sub(interaction, _q("qti-simple-match-set"))
        for stem_draft in q.stems:
            _content(sources, "qti-simple-associable-choice", stem_draft.text, fmt,
                     identifier=stem_draft.id, **{"match-max": "1"})  # fmt: skip
            value(f"{stem_draft.id} {q.pairs.get(stem_draft.id, '')}")
        for choice_draft in q.choices:
            _content(targets, "qti-simple-associable-choice", choice_draft.text, fmt,
                     identifier=choice_draft.id, **{"match-max": str(len(q.stems))})  # fmt: skip
    else:  # ordering
        declaration.set("cardinality", "ordered")
        interaction = _sub(
            body, _q("qti-order-interaction"), shuffle="true",
            **{"response-identifier": "RESPONSE"},
        )  # fmt: skip
        _content(interaction, "qti-prompt", q.lead_in, fmt)
        for step in q.steps:
            _content(interaction, "qti-simple-choice", step.text, fmt, identifier=step.id)
            value(step.id)
    if template:
        _sub(
            item, _q("qti-response-processing"),
            template=f"https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/{template}.xml",
        )  # fmt: skip
    else:
        _numeric_processing(item, q)
    for identifier, text in (
        ("GENERAL", q.explanation),
        ("CORRECT", q.feedback.correct),
        ("PARTIAL", q.feedback.partial),
        ("INCORRECT", q.feedback.incorrect),
        *((f"ANSWER-{n}", text) for n, text in enumerate(_answer_feedback(q), start=1)),
    ):
        if text:
            _content(
                item, "qti-modal-feedback", text, fmt,
                **{"outcome-identifier": "FEEDBACK", "identifier": identifier,
                   "show-hide": "show"},
            )  # fmt: skip
    return item


def _text_entry_body(body: ET.Element, q: QuestionDraft, fmt: str) -> None:
    """A text entry has no prompt: the lead-in is a <div class="lead-in"> before it."""
    if q.lead_in:
        _content(body, "div", q.lead_in, fmt).set("class", "lead-in")
    paragraph = _sub(body, _q("p"))
    _sub(paragraph, _q("qti-text-entry-interaction"), {"response-identifier": "RESPONSE"})


def _answer_feedback(q: QuestionDraft) -> list[str]:
    if q.accepted:
        return [a.feedback for a in q.accepted]
    return [a.feedback for a in q.answers]


def _numeric_processing(item: ET.Element, q: QuestionDraft) -> None:
    processing = _sub(item, _q("qti-response-processing"))
    condition = _sub(processing, _q("qti-response-condition"))
    for index, answer in enumerate(q.answers):
        branch = _sub(condition, _q("qti-response-if" if index == 0 else "qti-response-else-if"))
        equal = _sub(
            branch, _q("qti-equal"),
            **{"tolerance-mode": "absolute",
               "tolerance": f"{answer.tolerance!r} {answer.tolerance!r}"},
        )  # fmt: skip
        _sub(equal, _q("qti-variable"), identifier="RESPONSE")
        _sub(equal, _q("qti-base-value"), **{"base-type": "float"}).text = repr(answer.value)
        set_score = _sub(branch, _q("qti-set-outcome-value"), identifier="SCORE")
        _sub(set_score, _q("qti-base-value"), **{"base-type": "float"}).text = repr(answer.fraction)
