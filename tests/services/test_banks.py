from __future__ import annotations

import json
from pathlib import Path

import pytest

from quizzes.exceptions import ValidationFailed
from quizzes.interop.json import read_bank_dir
from quizzes.models import Objective, Question, QuestionRevision, Topic
from quizzes.services.banks import bank_load
from tests import factories as f

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "valvuloplasty"


def write_bank(directory: Path, questions: list[dict]) -> Path:
    (directory / "bank.json").write_text(
        json.dumps(
            {
                "format": "quizzes-bank/1",
                "bank": {"title": "Mini", "description": "Two questions"},
                "topics": [
                    {
                        "slug": "mechanism",
                        "title": "Mechanism",
                        "children": [{"slug": "mitral", "title": "Mitral", "children": []}],
                    }
                ],
                "objectives": [{"id": "M1", "text": "Define it", "topic": "mechanism"}],
            }
        )
    )
    (directory / "mechanism.json").write_text(
        json.dumps({"format": "quizzes-bank/1", "topic": "mechanism", "questions": questions})
    )
    return directory


def question(qid: str, stem: str = "Which vessel is used?", tags: list[str] | None = None) -> dict:
    return {
        "id": qid,
        "type": "true_false",
        "objectives": ["M1"],
        "bloom": "remember",
        "tags": tags or ["access"],
        "stem": stem,
        "options": [
            {"id": "true", "text": "True", "fraction": 1.0, "feedback": "Yes."},
            {"id": "false", "text": "False", "fraction": 0.0, "feedback": "No."},
        ],
        "explanation": "The femoral vein is used for the mitral valve.",
    }


def test_loading_creates_the_bank_topics_objectives_and_questions(tmp_path: Path) -> None:
    institution = f.InstitutionFactory.create()
    report = bank_load(
        institution=institution,
        draft=read_bank_dir(write_bank(tmp_path, [question("A-1"), question("A-2")])),
    )
    assert report.created == ["A-1", "A-2"]
    assert set(Topic.objects.values_list("path", flat=True)) == {"mechanism", "mechanism/mitral"}
    assert Objective.objects.get().code == "M1"
    assert Question.objects.filter(bank=report.bank, topic__path="mechanism").count() == 2


def test_loading_twice_changes_nothing(tmp_path: Path) -> None:
    institution = f.InstitutionFactory.create()
    draft_dir = write_bank(tmp_path, [question("A-1"), question("A-2")])
    bank_load(institution=institution, draft=read_bank_dir(draft_dir))
    before = list(QuestionRevision.objects.values_list("pk", "content_hash"))
    report = bank_load(institution=institution, draft=read_bank_dir(draft_dir))
    assert report.unchanged == ["A-1", "A-2"]
    assert report.created == report.revised == report.updated == []
    assert list(QuestionRevision.objects.values_list("pk", "content_hash")) == before


def test_editing_one_item_makes_exactly_one_new_revision(tmp_path: Path) -> None:
    institution = f.InstitutionFactory.create()
    bank_load(
        institution=institution,
        draft=read_bank_dir(write_bank(tmp_path, [question("A-1"), question("A-2")])),
    )
    edited = write_bank(tmp_path, [question("A-1", stem="Edited stem?"), question("A-2")])
    report = bank_load(institution=institution, draft=read_bank_dir(edited))
    assert report.revised == ["A-1"]
    assert report.unchanged == ["A-2"]
    assert QuestionRevision.objects.count() == 3
    changed = Question.objects.get(external_id="A-1")
    assert changed.current_revision is not None
    assert (changed.current_revision.number, changed.current_revision.stem) == (2, "Edited stem?")


def test_a_classification_change_updates_in_place(tmp_path: Path) -> None:
    institution = f.InstitutionFactory.create()
    bank_load(institution=institution, draft=read_bank_dir(write_bank(tmp_path, [question("A-1")])))
    report = bank_load(
        institution=institution,
        draft=read_bank_dir(write_bank(tmp_path, [question("A-1", tags=["venous"])])),
    )
    assert report.updated == ["A-1"]
    assert QuestionRevision.objects.count() == 1


def test_an_invalid_item_loads_nothing(tmp_path: Path) -> None:
    institution = f.InstitutionFactory.create()
    broken = question("A-2")
    broken["options"][1]["fraction"] = 1.0
    with pytest.raises(ValidationFailed, match="A-2"):
        bank_load(
            institution=institution,
            draft=read_bank_dir(write_bank(tmp_path, [question("A-1"), broken])),
        )
    assert not Question.objects.exists()
    assert not Topic.objects.exists()


def test_the_valvuloplasty_bank_loads_idempotently() -> None:
    institution = f.InstitutionFactory.create()
    first = bank_load(institution=institution, draft=read_bank_dir(FIXTURES))
    count = QuestionRevision.objects.count()
    assert len(first.created) == count > 0
    second = bank_load(institution=institution, draft=read_bank_dir(FIXTURES))
    assert len(second.unchanged) == count
    assert QuestionRevision.objects.count() == count
