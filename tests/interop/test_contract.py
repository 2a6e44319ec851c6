"""The importer/exporter contract, run against every format (as Django runs its session
tests against every backend): registry, sniffing, no Django import, and the round trip
export -> import that must keep every field the format declares it carries."""

from __future__ import annotations

import copy
import dataclasses
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from quizzes.interop.base import ALL_QUESTION_FIELDS, BaseExporter, BaseImporter, ImportResult
from quizzes.interop.drafts import BankDraft, QuestionDraft
from quizzes.interop.registry import EXPORTERS, IMPORTERS, get_exporter, get_importer, sniff
from quizzes.interop.sanitize import sanitize_question
from tests.interop.sample_bank import sample_bank, valvuloplasty_bank

ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path(__file__).resolve().parent / "corpus"
FORMATS = ("moodle-xml", "gift", "qti", "json")


def test_importing_interop_loads_no_django() -> None:
    code = (
        "import sys, quizzes.interop, quizzes.interop.registry, quizzes.interop.sanitize\n"
        "loaded = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "print(','.join(loaded))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == ""


def test_every_format_has_an_importer_and_an_exporter() -> None:
    assert set(IMPORTERS) == set(EXPORTERS) == set(FORMATS)
    for identifier in FORMATS:
        assert isinstance(get_importer(identifier), BaseImporter)
        exporter = get_exporter(identifier)
        assert isinstance(exporter, BaseExporter)
        assert exporter.carries <= ALL_QUESTION_FIELDS
        assert exporter.extension.startswith(".")
        assert exporter.media_type


def test_unknown_format_is_named() -> None:
    with pytest.raises(KeyError, match="unknown format 'docx'"):
        get_importer("docx")


SNIFF_CASES = [
    ("moodle-xml/qtype_truefalse_testquestion.moodle.xml", "moodle-xml"),
    ("moodle-xml/numericalRef.xml", "moodle-xml"),
    ("gift/examples.txt", "gift"),
    ("gift/categorySpecialCharacter.gift", "gift"),
    ("gift/numerical1.gift", "gift"),
    ("qti/qti21/choice.xml", "qti"),
    ("qti/qti3/items/order.xml", "qti"),
    ("qti/canvas-qti12/all_canvas_simple_1.2.xml", "qti"),
    ("qti/packages/test_qti_2.2.zip", "qti"),
]


@pytest.mark.parametrize(("path", "expected"), SNIFF_CASES)
def test_sniff_guesses_the_format(path: str, expected: str) -> None:
    data = (CORPUS / path).read_bytes()
    assert sniff(data, Path(path).name) == expected
    assert sniff(data, "") == expected


def test_sniff_json_and_unknown() -> None:
    assert sniff(b'{"format": "quizzes-bank/1"}', "bank.json") == "json"
    assert sniff(b"just some prose", "notes.txt") is None
    assert sniff(b"<html><body/></html>", "page.html") is None


# -- round trip --------------------------------------------------------------------------


def _renumber(question: QuestionDraft) -> None:
    if question.type != "true_false":
        for index, option in enumerate(question.options):
            option.id = chr(ord("A") + index)
    stem_ids = {s.id: f"S{n}" for n, s in enumerate(question.stems, start=1)}
    # Without ids a format keeps the choices in the order the stems use them: compare the
    # choices (shuffled on display anyway) in a fixed order.
    question.choices.sort(key=lambda c: c.text)
    choice_ids = {c.id: f"C{n}" for n, c in enumerate(question.choices, start=1)}
    for stem in question.stems:
        stem.id = stem_ids[stem.id]
    for choice in question.choices:
        choice.id = choice_ids[choice.id]
    question.pairs = {stem_ids[k]: choice_ids[v] for k, v in question.pairs.items()}
    for index, step in enumerate(question.steps, start=1):
        step.id = str(index)


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def comparable(question: QuestionDraft, exporter: BaseExporter) -> dict[str, Any]:
    """The question's fields the format carries, ids and floats normalised accordingly."""
    carries = exporter.carries
    question = copy.deepcopy(question)
    for option in question.options:
        option.fraction = exporter.written_fraction(option.fraction)
    for accepted in question.accepted:
        accepted.fraction = exporter.written_fraction(accepted.fraction)
    for numeric in question.answers:
        numeric.fraction = exporter.written_fraction(numeric.fraction)
    if "element_ids" not in carries:
        _renumber(question)
    if "element_feedback" not in carries:
        for stem in question.stems:
            stem.feedback = ""
        for step in question.steps:
            step.feedback = ""
    if "true_false_text" not in carries and question.type == "true_false":
        for option in question.options:
            option.text = option.id.capitalize()
    data = dataclasses.asdict(question)
    return {name: _rounded(data[name]) for name in sorted(data) if name in carries}


def _banks() -> list[Any]:
    banks = [pytest.param(sample_bank, id="sample")]
    if valvuloplasty_bank() is not None:
        banks.append(pytest.param(valvuloplasty_bank, id="valvuloplasty"))
    return banks


@pytest.mark.parametrize("identifier", FORMATS)
@pytest.mark.parametrize("make_bank", _banks())
class TestRoundTrip:
    """Export then import is lossless for every field the format carries."""

    def _round_trip(self, identifier: str, bank: BankDraft) -> ImportResult:
        exporter, importer = get_exporter(identifier), get_importer(identifier)
        data = exporter.render(bank)
        assert sniff(data, exporter.filename(bank)) == identifier
        return importer.parse(data, filename=exporter.filename(bank))

    def test_no_errors_and_every_writable_question_comes_back(
        self, identifier: str, make_bank: Any
    ) -> None:
        bank = make_bank()
        result = self._round_trip(identifier, bank)
        assert [str(e) for e in result.errors] == []
        exporter = get_exporter(identifier)
        expected = [q.id for q in bank.questions if not exporter.unsupported(q)]
        assert [q.id for q in result.bank.questions] == expected

    def test_fields_survive(self, identifier: str, make_bank: Any) -> None:
        bank = make_bank()
        exporter = get_exporter(identifier)
        result = self._round_trip(identifier, bank)
        back = {q.id: q for q in result.bank.questions}
        for original in bank.questions:
            if exporter.unsupported(original):
                continue
            expected = comparable(sanitize_question(copy.deepcopy(original)), exporter)
            actual = comparable(back[original.id], exporter)
            for name in expected:
                assert actual[name] == expected[name], f"{original.id}.{name}"

    def test_second_round_trip_is_stable(self, identifier: str, make_bank: Any) -> None:
        once = self._round_trip(identifier, make_bank())
        twice = self._round_trip(identifier, once.bank)
        assert [dataclasses.asdict(q) for q in twice.bank.questions] == [
            dataclasses.asdict(q) for q in once.bank.questions
        ]


def test_unsupported_types_are_left_out_with_a_comment() -> None:
    data = get_exporter("gift").render(sample_bank()).decode()
    assert "// PMBC steps: GIFT has no ordering question type; not exported" in data
