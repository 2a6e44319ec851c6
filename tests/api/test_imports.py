"""POST /api/v1/banks/{id}/import/ and GET /api/v1/banks/{id}/export/ over HTTP: the cast,
the report, the upload limit and hostile files (crafted inline), the JSON round trip."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from rest_framework.test import APIClient

from quizzes.interop.drafts import FORMAT_ID, question_to_dict
from quizzes.interop.json import read_bank_dir
from quizzes.models import Bank, Objective, Question, QuestionRevision, Topic
from quizzes.selectors.banks import bank_as_draft
from quizzes.services.banks import bank_create, bank_load
from quizzes.services.imports import (
    CODE_FILE_TOO_LARGE,
    CODE_IMPORT_FAILED,
    CODE_INVALID_FILE,
    CODE_UNKNOWN_FORMAT,
)
from tests import factories as f
from tests.conftest import Cast

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "valvuloplasty"


def as_user(api: APIClient, user: User | None) -> APIClient:
    api.force_authenticate(user)
    return api


def import_url(bank: Bank) -> str:
    return f"/api/v1/banks/{bank.pk}/import/"


def export_url(bank: Bank, fmt: str = "json") -> str:
    return f"/api/v1/banks/{bank.pk}/export/?format={fmt}"


def tf_question(qid: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": qid,
        "type": "true_false",
        "stem": "Balloon mitral valvuloplasty is performed through the femoral vein.",
        "options": [
            {"id": "true", "text": "True", "fraction": 1.0},
            {"id": "false", "text": "False", "fraction": 0.0},
        ],
        "explanation": "The transseptal approach starts in the femoral vein.",
        **extra,
    }


def json_file(questions: list[dict[str, Any]], name: str = "bank.json") -> SimpleUploadedFile:
    content = json.dumps({"format": FORMAT_ID, "questions": questions}).encode()
    return SimpleUploadedFile(name, content, content_type="application/json")


def upload(
    client: APIClient, bank: Bank, file: Any, **fields: Any
) -> Any:  # multipart, as a browser or curl -F sends it
    return client.post(import_url(bank), {"file": file, **fields}, format="multipart")


def nothing_written(bank: Bank) -> bool:
    return not (
        Question.objects.filter(bank=bank).exists()
        or Topic.objects.filter(bank=bank).exists()
        or Objective.objects.filter(bank=bank).exists()
    )


# -- the cast ----------------------------------------------------------------------------------


def call(client: APIClient, cast: Cast, endpoint: str) -> Any:
    if endpoint == "import":
        return upload(client, cast.bank, json_file([tf_question("Q-1")]))
    return client.get(export_url(cast.bank))


@pytest.mark.parametrize("endpoint", ["import", "export"])
def test_it_serves_the_instructor(cast: Cast, api: APIClient, endpoint: str) -> None:
    response = call(as_user(api, cast.bob), cast, endpoint)
    assert response.status_code == 200


@pytest.mark.parametrize("endpoint", ["import", "export"])
def test_it_asks_anonymous_callers_to_authenticate(
    cast: Cast, api: APIClient, endpoint: str
) -> None:
    response = call(api, cast, endpoint)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert nothing_written(cast.bank)


@pytest.mark.parametrize("endpoint", ["import", "export"])
def test_it_refuses_learners(cast: Cast, api: APIClient, endpoint: str) -> None:
    response = call(as_user(api, cast.alice), cast, endpoint)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert nothing_written(cast.bank)


@pytest.mark.parametrize("endpoint", ["import", "export"])
def test_another_institutions_bank_is_not_found(cast: Cast, api: APIClient, endpoint: str) -> None:
    f.QuestionFactory.create(bank=cast.bank, external_id="SECRET-1")
    response = call(as_user(api, cast.dave), cast, endpoint)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert b"SECRET-1" not in response.content
    assert list(Question.objects.values_list("external_id", flat=True)) == ["SECRET-1"]


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", import_url),
        ("put", import_url),
        ("delete", import_url),
        ("post", export_url),
        ("put", export_url),
    ],
)
def test_wrong_methods_are_405(cast: Cast, api: APIClient, method: str, url: Any) -> None:
    response = getattr(as_user(api, cast.bob), method)(url(cast.bank))
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


# -- importing ---------------------------------------------------------------------------------


def test_the_report_names_what_was_created_updated_and_skipped(cast: Cast, api: APIClient) -> None:
    client = as_user(api, cast.bob)
    first = upload(client, cast.bank, json_file([tf_question("Q-1"), tf_question("Q-2")]))
    assert first.status_code == 200
    assert first.json()["created"] == ["Q-1", "Q-2"]
    changed = tf_question("Q-1", stem="Balloon mitral valvuloplasty starts in the femoral vein.")
    second = upload(client, cast.bank, json_file([changed, tf_question("Q-2"), tf_question("Q-3")]))
    body = second.json()
    assert {key: body[key] for key in ("created", "updated", "skipped", "errors")} == {
        "created": ["Q-3"],
        "updated": ["Q-1"],
        "skipped": ["Q-2"],
        "errors": [],
    }
    assert (body["format"], body["dry_run"]) == ("json", False)


def test_a_file_with_an_error_is_refused_whole_with_the_report(cast: Cast, api: APIClient) -> None:
    bad = tf_question("Q-BAD")
    bad["options"] = [{"id": "true", "text": "True", "fraction": 1.0}]
    response = upload(as_user(api, cast.bob), cast.bank, json_file([tf_question("Q-1"), bad]))
    assert response.status_code == 400
    error = response.json()
    assert error["code"] == CODE_IMPORT_FAILED
    report = error["fields"]
    assert report["created"] == []
    assert len(report["errors"]) == 1
    assert report["errors"][0].startswith('questions[1], question "Q-BAD"')
    assert nothing_written(cast.bank)


def test_a_moodle_category_becomes_a_topic_and_lines_are_named(cast: Cast, api: APIClient) -> None:
    moodle = b"""<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="category"><category><text>$course$/top/Risks/Complications</text></category>
  </question>
  <question type="truefalse">
    <name><text>Femoral route</text></name>
    <idnumber>MX-1</idnumber>
    <questiontext format="html"><text><![CDATA[<p>BMV uses the femoral vein.</p>]]></text>
    </questiontext>
    <answer fraction="100"><text>true</text></answer>
    <answer fraction="0"><text>false</text></answer>
  </question>
  <question type="multichoice">
    <name><text>Broken</text></name>
    <questiontext format="html"><text>Which?</text></questiontext>
  </question>
</quiz>"""
    client = as_user(api, cast.bob)
    response = upload(client, cast.bank, SimpleUploadedFile("moodle.xml", moodle))
    assert response.status_code == 400
    assert any(
        "line" in error and "Broken" in error for error in response.json()["fields"]["errors"]
    )
    assert nothing_written(cast.bank)
    good = moodle.split(b'  <question type="multichoice">')[0] + b"</quiz>"
    response = upload(client, cast.bank, SimpleUploadedFile("moodle.xml", good))
    assert response.status_code == 200, response.content
    assert response.json()["format"] == "moodle-xml"
    question = Question.objects.get(bank=cast.bank, external_id="MX-1")
    assert question.topic is not None
    assert question.topic.path == "risks/complications"


def test_a_dry_run_writes_nothing(cast: Cast, api: APIClient) -> None:
    response = upload(
        as_user(api, cast.bob), cast.bank, json_file([tf_question("Q-1")]), dry_run="true"
    )
    assert response.status_code == 200
    assert (response.json()["created"], response.json()["dry_run"]) == (["Q-1"], True)
    assert nothing_written(cast.bank)


GIFT = b"""$CATEGORY: $course$/top/Mechanism

::GF-1::Balloon mitral valvuloplasty splits the fused commissures.{TRUE}
"""


@pytest.mark.parametrize(
    ("name", "fmt", "expected"),
    [("upload.gift", "", "gift"), ("upload.txt", "", "gift"), ("upload.bin", "gift", "gift")],
)
def test_the_format_is_sniffed_when_absent(
    cast: Cast, api: APIClient, name: str, fmt: str, expected: str
) -> None:
    fields = {"format": fmt} if fmt else {}
    response = upload(as_user(api, cast.bob), cast.bank, SimpleUploadedFile(name, GIFT), **fields)
    assert response.status_code == 200, response.content
    assert response.json()["format"] == expected
    assert Topic.objects.filter(bank=cast.bank, path="mechanism").exists()


# -- refusals: size, format, hostile files ---------------------------------------------------------


@override_settings(QUIZZES={"IMPORT_MAX_BYTES": 1024})
def test_an_upload_over_the_limit_is_413(cast: Cast, api: APIClient) -> None:
    questions = [tf_question(f"Q-{n}") for n in range(10)]
    response = upload(as_user(api, cast.bob), cast.bank, json_file(questions))
    assert response.status_code == 413
    assert response.json()["code"] == CODE_FILE_TOO_LARGE
    assert "1024" in response.json()["detail"]
    assert nothing_written(cast.bank)


@override_settings(QUIZZES={"IMPORT_MAX_BYTES": 1024})
def test_a_body_far_over_the_limit_is_refused_before_it_is_read(cast: Cast, api: APIClient) -> None:
    big = SimpleUploadedFile("big.json", b" " * (200 * 1024))
    response = upload(as_user(api, cast.bob), cast.bank, big)
    assert response.status_code == 413
    assert response.json()["code"] == CODE_FILE_TOO_LARGE


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


MANIFEST = b"""<?xml version="1.0"?>
<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" identifier="m">
  <resources><resource identifier="r1" type="imsqti_item_xmlv3p0" href="items/q1.xml">
    <file href="items/q1.xml"/></resource></resources>
</manifest>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE quiz [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<quiz><question type="truefalse"><name><text>&xxe;</text></name></question></quiz>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE quiz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>
<quiz><question type="category"><category><text>&lol9;</text></category></question></quiz>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE quiz SYSTEM "http://attacker.example/quiz.dtd">
<quiz></quiz>"""

MANIFEST_XXE = MANIFEST.replace(
    b'<?xml version="1.0"?>',
    b'<?xml version="1.0"?><!DOCTYPE manifest [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
).replace(b'identifier="m"', b'identifier="&xxe;"')

QTI_XXE_ITEM = b"""<?xml version="1.0"?>
<!DOCTYPE qti-assessment-item [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<qti-assessment-item xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0" identifier="q1"
  title="&xxe;"/>"""

HOSTILE: list[tuple[str, str, bytes, str, str]] = [
    # (case, file name, content, format, words of the parser's message)
    ("xxe", "quiz.xml", XXE, "moodle-xml", "refused"),
    ("billion laughs", "quiz.xml", BILLION_LAUGHS, "moodle-xml", "refused"),
    ("external dtd", "quiz.xml", EXTERNAL_DTD, "moodle-xml", "refused"),
    (
        "xxe in a qti manifest",
        "package.zip",
        zip_of({"imsmanifest.xml": MANIFEST_XXE}),
        "qti",
        "refused",
    ),
    (
        "zip traversal",
        "package.zip",
        zip_of({"imsmanifest.xml": MANIFEST, "../../etc/cron.d/evil": b"* * * * * rm -rf /"}),
        "qti",
        "'..'",
    ),
    (
        "zip bomb",
        "package.zip",
        zip_of({"imsmanifest.xml": MANIFEST, "items/q1.xml": b"\0" * (51 * 1024 * 1024)}),
        "qti",
        "expands to more than",
    ),
    ("not a zip", "package.zip", b"PK\x03\x04 but broken", "qti", "zip"),
    ("malformed xml", "quiz.xml", b"<quiz><question type='truefalse'>", "moodle-xml", "not well"),
    ("malformed json", "bank.json", b'{"format": "quizzes-bank/1", "questions": [', "json", "JSON"),
    ("json not a bank", "bank.json", b'{"questions": "all of them"}', "json", "list"),
]


@pytest.mark.parametrize(
    ("name", "content", "fmt", "words"),
    [row[1:] for row in HOSTILE],
    ids=[row[0] for row in HOSTILE],
)
@pytest.mark.parametrize("named", [True, False], ids=["format named", "sniffed"])
def test_hostile_and_broken_files_are_400_invalid_file(
    cast: Cast, api: APIClient, name: str, content: bytes, fmt: str, words: str, named: bool
) -> None:
    fields = {"format": fmt} if named else {}
    response = upload(
        as_user(api, cast.bob), cast.bank, SimpleUploadedFile(name, content), **fields
    )
    assert response.status_code == 400, response.content
    error = response.json()
    assert error["code"] == CODE_INVALID_FILE
    assert words in error["detail"]
    assert b"root:" not in response.content  # no /etc/passwd
    assert nothing_written(cast.bank)


def test_an_item_with_an_entity_in_a_qti_package_refuses_the_whole_file(
    cast: Cast, api: APIClient
) -> None:
    """The parser reports the item (the package itself is readable): the import fails whole."""
    package = zip_of({"imsmanifest.xml": MANIFEST, "items/q1.xml": QTI_XXE_ITEM})
    response = upload(as_user(api, cast.bob), cast.bank, SimpleUploadedFile("p.zip", package))
    assert response.status_code == 400
    error = response.json()
    assert error["code"] == CODE_IMPORT_FAILED
    assert any("refused" in line for line in error["fields"]["errors"])
    assert b"root:" not in response.content
    assert nothing_written(cast.bank)


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"format": "docx"}, CODE_UNKNOWN_FORMAT),
        (
            {"format": "xlsx", "file": SimpleUploadedFile("a.xlsx", b"\x00\x01")},
            CODE_UNKNOWN_FORMAT,
        ),
        ({"file": SimpleUploadedFile("notes.txt", b"just some notes")}, CODE_UNKNOWN_FORMAT),
        ({"file": ""}, "invalid"),
        ({"dry_run": "perhaps"}, "invalid"),
    ],
)
def test_bad_upload_requests_are_400(
    cast: Cast, api: APIClient, fields: dict[str, Any], code: str
) -> None:
    body = {"file": json_file([tf_question("Q-1")]), **fields}
    if body["file"] == "":
        del body["file"]
    response = as_user(api, cast.bob).post(import_url(cast.bank), body, format="multipart")
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert nothing_written(cast.bank)


def test_a_json_body_instead_of_a_file_is_415(cast: Cast, api: APIClient) -> None:
    response = as_user(api, cast.bob).post(import_url(cast.bank), {"file": "x"}, format="json")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


# -- exporting and the round trip --------------------------------------------------------------


@pytest.fixture
def valvuloplasty(cast: Cast) -> Bank:
    return bank_load(institution=cast.institution, draft=read_bank_dir(FIXTURES)).bank


@pytest.mark.parametrize(
    ("fmt", "media_type", "extension"),
    [
        ("json", "application/json", ".json"),
        ("moodle-xml", "application/xml", ".xml"),
        ("gift", "text/plain", ".gift"),
        ("qti", "application/zip", ".zip"),
    ],
)
def test_export_is_a_download(
    cast: Cast, valvuloplasty: Bank, api: APIClient, fmt: str, media_type: str, extension: str
) -> None:
    response = as_user(api, cast.bob).get(export_url(valvuloplasty, fmt))
    assert response.status_code == 200
    assert response["Content-Type"].startswith(media_type)
    assert response["Content-Disposition"] == (
        f'attachment; filename="balloon-valvuloplasty{extension}"'
    )
    assert len(response.content) > 1000


@pytest.mark.parametrize("query", ["?format=docx", "", "?format="])
def test_export_needs_a_known_format(cast: Cast, api: APIClient, query: str) -> None:
    response = as_user(api, cast.bob).get(f"/api/v1/banks/{cast.bank.pk}/export/{query}")
    assert response.status_code == 400
    assert response.json()["code"] == CODE_UNKNOWN_FORMAT


def test_the_json_round_trip_through_the_api(
    cast: Cast, valvuloplasty: Bank, api: APIClient
) -> None:
    client = as_user(api, cast.bob)
    exported = client.get(export_url(valvuloplasty, "json"))
    empty = bank_create(institution=cast.institution, title="Empty")
    response = upload(
        client, empty, SimpleUploadedFile("balloon-valvuloplasty.json", exported.content)
    )
    assert response.status_code == 200, response.content[:2000]
    report = response.json()
    count = valvuloplasty.questions.count()
    assert count > 100
    assert (len(report["created"]), report["updated"], report["errors"]) == (count, [], [])
    assert Question.objects.filter(bank=empty).count() == count
    assert QuestionRevision.objects.filter(question__bank=empty).count() == count

    def content(bank: Bank) -> list[dict[str, Any]]:
        return sorted(
            (question_to_dict(q) for q in bank_as_draft(bank).questions), key=lambda d: d["id"]
        )

    assert content(empty) == content(valvuloplasty)
    assert (
        client.get(export_url(empty, "json")).json()["questions"]
        == json.loads(exported.content)["questions"]
    )
