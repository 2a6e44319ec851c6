"""services/imports.py: all or nothing per file, bank_load's rules, every format."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from quizzes.conf import DEFAULTS, import_max_bytes
from quizzes.interop.drafts import FORMAT_ID, question_to_dict
from quizzes.interop.json import read_bank_dir
from quizzes.interop.registry import EXPORTERS
from quizzes.linter import RULE_CLOSED_LEAD_IN
from quizzes.models import Bank, Institution, Objective, Question, QuestionRevision, Topic
from quizzes.selectors.banks import bank_as_draft
from quizzes.services.banks import bank_create, bank_load
from quizzes.services.imports import (
    CODE_FILE_TOO_LARGE,
    CODE_IMPORT_FAILED,
    CODE_INVALID_FILE,
    CODE_UNKNOWN_FORMAT,
    CONTENT_REFUSED,
    FileTooLarge,
    ImportFailed,
    InvalidFile,
    UnknownFormat,
    export_bank,
    import_bank,
)
from tests import factories as f

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "valvuloplasty"


def document(questions: list[dict[str, Any]], **extra: Any) -> bytes:
    return json.dumps({"format": FORMAT_ID, "questions": questions, **extra}).encode()


def tf_question(
    qid: str, stem: str = "The femoral vein is the usual access.", **extra: Any
) -> dict:
    return {
        "id": qid,
        "type": "true_false",
        "stem": stem,
        "options": [
            {"id": "true", "text": "True", "fraction": 1.0},
            {"id": "false", "text": "False", "fraction": 0.0},
        ],
        "explanation": "Balloon mitral valvuloplasty uses a transseptal venous route.",
        **extra,
    }


@pytest.fixture
def bank() -> Bank:
    return f.BankFactory.create(title="Target")


@pytest.fixture
def valvuloplasty() -> Bank:
    institution = f.InstitutionFactory.create(slug="demo")
    return bank_load(institution=institution, draft=read_bank_dir(FIXTURES)).bank


def snapshot(bank: Bank) -> list[dict[str, Any]]:
    """Every question's content and classification, by id (what "same content" means)."""
    return sorted(
        (question_to_dict(question) for question in bank_as_draft(bank).questions),
        key=lambda data: data["id"],
    )


def test_the_default_upload_limit_is_5_mib() -> None:
    assert DEFAULTS["IMPORT_MAX_BYTES"] == 5 * 1024 * 1024
    assert import_max_bytes() == 5 * 1024 * 1024
    with override_settings(QUIZZES={"IMPORT_MAX_BYTES": 10}):
        assert import_max_bytes() == 10


# -- all or nothing, bank_load's rules --------------------------------------------------------


def test_a_file_creates_questions_topics_and_unknown_objectives(bank: Bank) -> None:
    data = document(
        [
            tf_question("Q-1", topic="risks/complications", objectives=["X1"]),
            tf_question("Q-2", topic="mechanism", objectives=["X1", "X2"]),
        ]
    )
    report = import_bank(bank=bank, data=data, filename="bank.json")
    assert (report.format, report.created, report.updated, report.skipped) == (
        "json",
        ["Q-1", "Q-2"],
        [],
        [],
    )
    assert report.errors == []
    assert sorted(Topic.objects.filter(bank=bank).values_list("path", flat=True)) == [
        "mechanism",
        "risks",
        "risks/complications",
    ]
    assert sorted(Objective.objects.filter(bank=bank).values_list("code", flat=True)) == [
        "X1",
        "X2",
    ]
    question = Question.objects.get(bank=bank, external_id="Q-2")
    assert question.topic is not None
    assert question.topic.path == "mechanism"


def test_unchanged_questions_are_skipped_and_changed_ones_revised(bank: Bank) -> None:
    import_bank(bank=bank, data=document([tf_question("Q-1"), tf_question("Q-2")]))
    first = Question.objects.get(bank=bank, external_id="Q-1").current_revision
    report = import_bank(
        bank=bank,
        data=document(
            [
                tf_question("Q-1", stem="The femoral vein is the usual access route."),
                tf_question("Q-2"),
                tf_question("Q-3"),
            ]
        ),
    )
    assert (report.created, report.updated, report.skipped) == (["Q-3"], ["Q-1"], ["Q-2"])
    question = Question.objects.get(bank=bank, external_id="Q-1")
    assert question.revisions.count() == 2  # bank_load keeps one revision per change
    assert question.current_revision != first


def test_one_bad_question_rejects_the_whole_file(bank: Bank) -> None:
    import_bank(bank=bank, data=document([tf_question("Q-1")]))
    bad = tf_question("Q-3")
    bad["options"][1]["fraction"] = 1.0
    data = document(
        [tf_question("Q-1", stem="Changed stem for the femoral route."), tf_question("Q-2"), bad]
    )
    with pytest.raises(ImportFailed) as failure:
        import_bank(bank=bank, data=data, filename="bank.json")
    report = failure.value.report
    assert failure.value.code == CODE_IMPORT_FAILED
    assert len(report.errors) == 1
    assert "questions[2]" in report.errors[0]
    assert "Q-3" in report.errors[0]
    assert (report.created, report.updated) == ([], [])
    assert list(Question.objects.filter(bank=bank).values_list("external_id", flat=True)) == ["Q-1"]
    assert QuestionRevision.objects.filter(question__bank=bank).count() == 1


def test_an_error_while_writing_rolls_everything_back(bank: Bank) -> None:
    """The file is fine, the bank refuses one of its questions: nothing is kept."""
    bank.lint_blocking = True
    bank.save()
    good = tf_question("Q-1", objectives=["X1"], bloom="remember", topic="new-topic")
    single = {
        "id": "Q-2",
        "type": "single",
        "stem": "A 40-year-old woman is assessed before valvuloplasty.",
        "lead_in": "Choose the test",
        "objectives": ["X1"],
        "bloom": "apply",
        "options": [
            {"id": "A", "text": "Echo", "fraction": 1.0},
            {"id": "B", "text": "ECG", "fraction": 0.0},
        ],
        "explanation": "Transoesophageal echo excludes a left atrial thrombus first.",
    }
    with pytest.raises(ImportFailed) as failure:
        import_bank(bank=bank, data=document([good, single]))
    assert any(RULE_CLOSED_LEAD_IN in error for error in failure.value.report.errors)
    assert not Question.objects.filter(bank=bank).exists()
    assert not Topic.objects.filter(bank=bank).exists()
    assert not Objective.objects.filter(bank=bank).exists()


def test_a_dry_run_reports_and_writes_nothing(bank: Bank) -> None:
    report = import_bank(
        bank=bank, data=document([tf_question("Q-1", topic="risks")]), dry_run=True
    )
    assert (report.dry_run, report.created) == (True, ["Q-1"])
    assert not Question.objects.filter(bank=bank).exists()
    assert not Topic.objects.filter(bank=bank).exists()


def test_existing_topics_and_the_bank_keep_their_own_titles(bank: Bank) -> None:
    f.TopicFactory.create(bank=bank, slug="risks", path="risks", title="Risks we teach", position=3)
    data = document(
        [tf_question("Q-1", topic="risks")],
        bank={"title": "Someone else's bank", "description": "theirs"},
        topics=[{"slug": "risks", "title": "RISKS", "children": []}],
    )
    import_bank(bank=bank, data=data)
    topic = Topic.objects.get(bank=bank, path="risks")
    assert (topic.title, topic.position) == ("Risks we teach", 3)
    bank.refresh_from_db()
    assert (bank.title, bank.description) == ("Target", "")


def test_lint_findings_are_warnings_unless_the_bank_blocks(bank: Bank) -> None:
    report = import_bank(bank=bank, data=document([tf_question("Q-1")]))
    assert any('question "Q-1": lint objective' in warning for warning in report.warnings)


# -- refusals -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "filename", "fmt", "error", "code"),
    [
        (b"x" * 11, "a.json", "", FileTooLarge, CODE_FILE_TOO_LARGE),
        (b"hello", "notes.txt", "", UnknownFormat, CODE_UNKNOWN_FORMAT),
        (b"{}", "a.json", "docx", UnknownFormat, CODE_UNKNOWN_FORMAT),
        (b"{not json", "a.json", "json", InvalidFile, CODE_INVALID_FILE),
        (b"<quiz><q", "a.xml", "moodle-xml", InvalidFile, CODE_INVALID_FILE),
        (b"PK\x03\x04", "a.zip", "qti", InvalidFile, CODE_INVALID_FILE),
    ],
)
def test_refused_files_write_nothing(
    bank: Bank, data: bytes, filename: str, fmt: str, error: type[Exception], code: str
) -> None:
    with override_settings(QUIZZES={"IMPORT_MAX_BYTES": 10}), pytest.raises(error) as raised:
        import_bank(bank=bank, data=data, filename=filename, format=fmt)
    assert getattr(raised.value, "code", None) == code
    assert not Question.objects.exists()


# -- export and round trips --------------------------------------------------------------


@pytest.mark.parametrize("fmt", sorted(EXPORTERS))
def test_export_names_the_file_and_its_media_type(valvuloplasty: Bank, fmt: str) -> None:
    exported = export_bank(bank=valvuloplasty, format=fmt)
    exporter = EXPORTERS[fmt]
    assert exported.filename == f"balloon-valvuloplasty{exporter.extension}"
    assert exported.media_type == exporter.media_type
    assert len(exported.content) > 1000


def test_the_json_round_trip_keeps_every_question(valvuloplasty: Bank) -> None:
    exported = export_bank(bank=valvuloplasty, format="json")
    target = bank_create(institution=valvuloplasty.institution, title="Copy")
    report = import_bank(bank=target, data=exported.content, filename=exported.filename)
    assert report.errors == []
    assert len(report.created) == valvuloplasty.questions.count()
    assert snapshot(target) == snapshot(valvuloplasty)
    again = import_bank(bank=target, data=exported.content, filename=exported.filename)
    assert (again.created, again.updated) == ([], [])
    assert len(again.skipped) == len(report.created)


@pytest.mark.parametrize("fmt", ["moodle-xml", "gift", "qti"])
def test_every_format_round_trips_into_an_empty_bank(valvuloplasty: Bank, fmt: str) -> None:
    exported = export_bank(bank=valvuloplasty, format=fmt)
    target = bank_create(institution=valvuloplasty.institution, title=f"Copy {fmt}")
    report = import_bank(bank=target, data=exported.content, filename=exported.filename)
    exporter = EXPORTERS[fmt]
    writable = [q for q in bank_as_draft(valvuloplasty).questions if not exporter.unsupported(q)]
    assert report.errors == []
    assert sorted(report.created) == sorted(q.id for q in writable)
    again = import_bank(bank=target, data=exported.content, filename=exported.filename)
    assert len(again.skipped) == len(writable)


# -- the commands ------------------------------------------------------------------------


def test_the_commands_export_and_import(valvuloplasty: Bank, tmp_path: Path) -> None:
    out = tmp_path / "bank.xml"
    call_command(
        "export_bank",
        institution="demo",
        bank="Balloon valvuloplasty",
        format="moodle-xml",
        out=str(out),
    )
    assert out.read_bytes().startswith(b"<?xml")
    call_command("import_bank", str(out), institution="demo", bank="From Moodle", dry_run=True)
    assert not Bank.objects.filter(title="From Moodle").exists()
    call_command("import_bank", str(out), institution="demo", bank="From Moodle")
    copy = Bank.objects.get(title="From Moodle")
    assert copy.questions.count() == valvuloplasty.questions.count()


def test_the_import_command_fails_loudly_and_writes_nothing(tmp_path: Path) -> None:
    f.InstitutionFactory.create(slug="demo")
    path = tmp_path / "bad.json"
    bad = tf_question("Q-1")
    bad["options"] = []
    path.write_bytes(document([tf_question("Q-2"), bad]))
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_bank", str(path), institution="demo", bank="New")
    assert not Bank.objects.filter(title="New").exists()
    with pytest.raises(CommandError, match="No institution"):
        call_command("import_bank", str(path), institution="nowhere", bank="New")
    with pytest.raises(CommandError, match="No bank"):
        call_command("export_bank", institution="demo", bank="Missing", format="json", out="-")
    assert Institution.objects.count() == 1


def test_questions_without_an_id_in_the_file_are_warned_about(bank: Bank) -> None:
    gift = b"::Femoral::Balloon mitral valvuloplasty uses the femoral vein.{TRUE}\n"
    report = import_bank(bank=bank, data=gift, filename="questions.gift")
    assert report.created == ["gift-1"]
    assert any("gift-1 from its position" in warning for warning in report.warnings)


def test_content_the_models_refuse_is_an_import_error(bank: Bank) -> None:
    """A category name longer than a topic title may be: reported, nothing written."""
    long_name = "Complications " * 20
    gift = f"$CATEGORY: $course$/top/{long_name}\n\n::Q::[id:G-1] The femoral vein.{{TRUE}}\n"
    with pytest.raises(ImportFailed) as failure:
        import_bank(bank=bank, data=gift.encode(), filename="q.gift")
    assert failure.value.report.errors[0].startswith(CONTENT_REFUSED)
    assert not Question.objects.filter(bank=bank).exists()
    assert not Topic.objects.filter(bank=bank).exists()
