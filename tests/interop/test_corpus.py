"""Every file of the corpus (tests/interop/corpus, copied from /work/shared/corpus; see the
SOURCES.md of each folder) imports with exactly the expected questions, warnings and errors."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from quizzes.interop import gift, moodle_xml, qti
from quizzes.interop.base import FormatError, ImportResult
from quizzes.interop.registry import get_importer

CORPUS = Path(__file__).resolve().parent / "corpus"

CLOZE_1 = moodle_xml.CLOZE_CONVERTED.format(type="single")
CLOZE_NUM = moodle_xml.CLOZE_CONVERTED.format(type="numerical")
CLOZE_5 = moodle_xml.CLOZE_SEVERAL_GAPS.format(count=5)
BROKEN = moodle_xml.CLOZE_INVALID + ": "
GIFT_ESSAY = gift.ESSAY_UNSUPPORTED.format("{}")

# (file, questions by type, warnings in order, errors in order)
CORPUS_ROWS = [
    ("moodle-xml/broken_cloze_questions.xml", {}, [], [
        BROKEN + moodle_xml.CLOZE_NO_SUBQUESTIONS,
        BROKEN + moodle_xml.CLOZE_TWO_CHOICES,
        BROKEN + moodle_xml.CLOZE_TWO_CHOICES,
        BROKEN + moodle_xml.CLOZE_NO_FULL_MARKS,
        BROKEN + moodle_xml.NOT_A_NUMBER,
    ]),
    ("moodle-xml/clozeRef.xml", {"numerical": 2, "single": 2},
     [CLOZE_NUM, CLOZE_NUM, CLOZE_1, CLOZE_1, moodle_xml.CLOZE_SEVERAL_GAPS.format(count=2)], []),
    ("moodle-xml/error_invalid_grades.xml", {}, [], [
        moodle_xml.INVALID_GRADES.format(
            grades="0.33",
            question="Question with <strong>invalid grades</strong> : x > 1 & x < 2",
        )
    ]),
    ("moodle-xml/html_chars_in_idnumbers.xml", {"true_false": 1}, [], []),
    ("moodle-xml/markdownRef.xml", {"single": 1}, [], []),
    ("moodle-xml/multianswer.xml", {}, [CLOZE_5], []),
    ("moodle-xml/nested_categories_with_questions.xml", {"true_false": 4},
     [moodle_xml.UNSUPPORTED_QTYPE.format(qtype="essay")], []),
    ("moodle-xml/numericalRef.xml", {"numerical": 2}, [], []),
    ("moodle-xml/qtype_essay_testquestion.moodle.xml", {},
     [moodle_xml.UNSUPPORTED_QTYPE.format(qtype="essay")], []),
    ("moodle-xml/qtype_gapselect_testquestion.moodle.xml", {},
     [moodle_xml.UNSUPPORTED_QTYPE.format(qtype="gapselect")], []),
    ("moodle-xml/qtype_match_testquestion.moodle.xml", {"matching": 1}, [], []),
    ("moodle-xml/qtype_multichoice_testquestion.moodle.xml", {"multiple": 1}, [], []),
    ("moodle-xml/qtype_ordering_testquestion.moodle.xml", {"ordering": 1}, [], []),
    ("moodle-xml/qtype_shortanswer_testquestion.moodle.xml", {"short_answer": 1},
     [moodle_xml.CATCH_ALL_AS_FEEDBACK], []),
    ("moodle-xml/qtype_truefalse_testquestion.moodle.xml", {"true_false": 1}, [], []),
    ("moodle-xml/sample_questions_with_old_image_tag.xml", {"single": 1},
     [CLOZE_5, moodle_xml.LEGACY_IMAGE.format(name="moodle.png")], []),
    ("gift/categorySpecialCharacter.gift", {}, [], []),
    ("gift/descriptionTitleEscapedColon.gift", {"true_false": 1}, [gift.DESCRIPTION_SKIPPED], []),
    ("gift/escapeAll.gift", {"single": 1}, [], []),
    ("gift/examples.txt", {"single": 16, "true_false": 5, "short_answer": 9, "numerical": 8,
                           "matching": 3, "multiple": 2}, [], []),
    ("gift/formatExamples.gift", {"single": 1}, [], []),
    ("gift/mcHTMLComment.gift", {"single": 1}, [], []),
    ("gift/multiLineFeedback1.gift", {"single": 2}, [], []),
    ("gift/newlineAndLaTeX.gift", {}, [GIFT_ESSAY], []),
    ("gift/numerical1.gift", {"numerical": 10}, [], []),
    ("gift/questions.gift.txt", {"matching": 1, "single": 1, "multiple": 1, "numerical": 1,
                                 "short_answer": 1, "true_false": 3},
     [GIFT_ESSAY, gift.CATCH_ALL_AS_FEEDBACK, gift.CATCH_ALL_AS_FEEDBACK], []),
    ("gift/questions_in_category.gift.txt",
     {"matching": 1, "single": 1, "short_answer": 1, "true_false": 1}, [], []),
    ("gift/shortFirstEmbedded.gift", {"short_answer": 2}, [], []),
    ("gift/tag_id_and_two_tags.gift", {}, [GIFT_ESSAY], []),
    ("gift/totara_moodle_backslash.gift", {}, [GIFT_ESSAY], []),
    ("gift/totara_moodle_numerical.gift", {"numerical": 1}, [gift.CATCH_ALL_AS_FEEDBACK], []),
    ("qti/canvas-qti12/all_canvas_simple_1.2.xml",
     {"single": 1, "true_false": 1, "short_answer": 1, "matching": 1, "numerical": 1}, [
         qti.CANVAS_UNSUPPORTED.format(qtype="fill_in_multiple_blanks_question"),
         qti.CANVAS_UNSUPPORTED.format(qtype="multiple_dropdowns_question"),
         qti.CANVAS_UNSUPPORTED.format(qtype="calculated_question"),
         qti.CANVAS_UNSUPPORTED.format(qtype="essay_question"),
     ], [  # Canvas exported three blank answers of question 5
         "options[0]: text must not be empty",
         "options[1]: text must not be empty",
         "options[2]: text must not be empty",
     ]),
    ("qti/canvas-qti12/export_package/i00f37ac2af026e5a607e4a5d9a70b1d5/"
     "i00f37ac2af026e5a607e4a5d9a70b1d5.xml",
     {"true_false": 1, "single": 1, "multiple": 1},
     [qti.CANVAS_UNSUPPORTED.format(qtype="essay_question")], []),
    ("qti/canvas-qti12/items/formula.xml", {},
     [qti.CANVAS_UNSUPPORTED.format(qtype="calculated_question")], []),
    ("qti/canvas-qti12/items/nq_multiple_fib_answer_types.xml", {},
     [qti.CANVAS_UNSUPPORTED.format(qtype="fill_in_multiple_blanks_question")], []),
    ("qti/canvas-qti12/items/numeric_margin_error_percent.xml", {"numerical": 1}, [], []),
    ("qti/canvas-qti12/items/question_group.xml", {"true_false": 10}, [], []),
    ("qti/qti21/choice.xml", {"single": 1}, [], []),
    ("qti/qti21/choice_multiple.xml", {"multiple": 1}, [], []),
    ("qti/qti21/feedbackInline.xml", {"true_false": 1}, [], []),
    ("qti/qti21/gap_match.xml", {},
     [qti.UNSUPPORTED_INTERACTION.format(interaction="gapMatchInteraction")], []),
    ("qti/qti21/inline_choice.xml", {"single": 1}, [], []),
    ("qti/qti21/match.xml", {"matching": 1}, [], []),
    ("qti/qti21/text_entry.xml", {"short_answer": 1}, [], []),
    ("qti/qti3/items/choice.xml", {"single": 1}, [], []),
    ("qti/qti3/items/extended_text.xml", {},
     [qti.UNSUPPORTED_INTERACTION.format(interaction="extendedTextInteraction")], []),
    ("qti/qti3/items/match.xml", {"matching": 1}, [], []),
    ("qti/qti3/items/order.xml", {"ordering": 1}, [], []),
    ("qti/qti3/items/text_entry.xml", {"short_answer": 1}, [], []),
    ("qti/qti3/map-response-identifier.xml", {}, [], ["stem must not be empty"]),
    ("qti/packages/test_qti_2.2.zip", {"multiple": 1, "single": 1, "true_false": 1}, [
        qti.UNREFERENCED_MEMBER.format(name="mathassess.xsd"),
        qti.SEVERAL_INTERACTIONS.format(
            count=8,
            names="choiceInteraction, choiceInteraction, inlineChoiceInteraction, "
            "inlineChoiceInteraction, inlineChoiceInteraction, textEntryInteraction, "
            "textEntryInteraction, textEntryInteraction",
        ),
        qti.UNSUPPORTED_INTERACTION.format(interaction="extendedTextInteraction"),
    ], []),
]  # fmt: skip

FORMAT_OF_FOLDER = {"moodle-xml": "moodle-xml", "gift": "gift", "qti": "qti"}


def _import(path: str) -> ImportResult:
    importer = get_importer(FORMAT_OF_FOLDER[path.split("/")[0]])
    return importer.parse((CORPUS / path).read_bytes(), filename=Path(path).name)


def _messages(messages: list) -> list[str]:
    return [m.message for m in messages]


@pytest.mark.parametrize(
    ("path", "types", "warnings", "errors"), CORPUS_ROWS, ids=[r[0] for r in CORPUS_ROWS]
)
def test_corpus_file_imports_as_expected(
    path: str, types: dict[str, int], warnings: list[str], errors: list[str]
) -> None:
    result = _import(path)
    assert dict(Counter(q.type for q in result.bank.questions)) == types
    assert _messages(result.warnings) == warnings
    assert _messages(result.errors) == errors


def test_every_corpus_file_is_in_a_table() -> None:
    tabled = {row[0] for row in CORPUS_ROWS} | {row[0] for row in REFUSED_ROWS}
    files = {
        p.relative_to(CORPUS).as_posix()
        for p in CORPUS.rglob("*")
        if p.is_file() and p.name not in ("SOURCES.md", "imsmanifest.xml")
    }
    in_packages = {f for f in files if f.startswith(("qti/qti3/", "qti/canvas-qti12/export"))}
    assert files - tabled - in_packages == set()
    for folder in ("gift", "moodle-xml", "qti"):
        assert (CORPUS / folder / "SOURCES.md").is_file()


REFUSED_ROWS = [
    ("qti/qti3_malformed/aqti_tmh_sample_1.xml",
     qti.QTI3_MIXED_NAMES.format(name="assessmentItem")),
    ("qti/qti3/assessment.xml", qti.NOT_QTI),
    ("qti/canvas-qti12/export_package/i00f37ac2af026e5a607e4a5d9a70b1d5/assessment_meta.xml",
     qti.NOT_QTI),
]  # fmt: skip


@pytest.mark.parametrize(("path", "message"), REFUSED_ROWS, ids=[r[0] for r in REFUSED_ROWS])
def test_unreadable_corpus_file_is_refused(path: str, message: str) -> None:
    with pytest.raises(FormatError) as raised:
        _import(path)
    assert str(raised.value) == message


MISSING = [
    "info_start", "choice_multiple", "gap_match", "graphic_associate", "graphic_gap_match",
    "hotspot", "inline_choice", "math", "position_object", "select_point", "slider", "info_end",
]  # fmt: skip


def test_qti3_directory_package() -> None:
    result = qti.QtiImporter().parse_directory(CORPUS / "qti" / "qti3")
    assert [q.type for q in result.bank.questions] == [
        "single", "short_answer", "matching", "ordering",
    ]  # fmt: skip
    assert _messages(result.warnings) == [
        qti.UNREFERENCED_MEMBER.format(name="map-response-identifier.xml"),
        *[qti.MISSING_ITEM.format(href=f"items/{name}.xml") for name in MISSING[:2]],
        qti.UNSUPPORTED_INTERACTION.format(interaction="extendedTextInteraction"),
        *[qti.MISSING_ITEM.format(href=f"items/{name}.xml") for name in MISSING[2:]],
    ]
    assert result.errors == []
    order = result.bank.questions[3]
    assert order.order == ["DriverC", "DriverA", "DriverB"]


def test_canvas_directory_package() -> None:
    result = qti.QtiImporter().parse_directory(CORPUS / "qti" / "canvas-qti12" / "export_package")
    assert [q.type for q in result.bank.questions] == ["true_false", "single", "multiple"]
    assert _messages(result.warnings) == [qti.CANVAS_UNSUPPORTED.format(qtype="essay_question")]


# -- details that the counts do not show -----------------------------------------------------


def test_moodle_categories_become_nested_topics() -> None:
    result = _import("moodle-xml/nested_categories_with_questions.xml")
    assert [q.topic for q in result.bank.questions] == [
        "iota", "iota/kappa", "iota/kappa/lambda", "iota/mu",
    ]  # fmt: skip
    assert [t.slug for t in result.bank.topics] == ["iota"]
    assert [t.title for t in result.bank.topics[0].children] == ["Kappa", "Mu"]


def test_moodle_idnumber_entities_and_fields() -> None:
    (question,) = _import("moodle-xml/html_chars_in_idnumbers.xml").bank.questions
    assert question.id == "T & F"
    assert question.topic == "alpha"
    (multichoice,) = _import("moodle-xml/qtype_multichoice_testquestion.moodle.xml").bank.questions
    assert [(o.text, o.fraction) for o in multichoice.options if o.fraction] == [
        ("London", 0.5), ("Paris", 0.5),
    ]  # fmt: skip
    assert multichoice.explanation == "Berlin, Paris and London"
    assert multichoice.feedback.partial == "Your answer is partially correct."
    (match,) = _import("moodle-xml/qtype_match_testquestion.moodle.xml").bank.questions
    texts = {c.id: c.text for c in match.choices}
    assert {s.text: texts[match.pairs[s.id]] for s in match.stems} == {
        "frog": "amphibian", "cat": "mammal", "newt": "amphibian",
    }  # fmt: skip
    assert "insect" in texts.values()  # the distractor
    (ordering,) = _import("moodle-xml/qtype_ordering_testquestion.moodle.xml").bank.questions
    assert ordering.id == "dd1"
    assert [s.text for s in ordering.steps][:3] == ["Modular", "Object", "Oriented"]
    (short,) = _import("moodle-xml/qtype_shortanswer_testquestion.moodle.xml").bank.questions
    assert [(a.text, a.fraction) for a in short.accepted] == [("frog", 1.0), ("toad", 0.8)]
    assert short.feedback.incorrect == "That is a bad answer."


def test_moodle_numerical_tolerance_and_images() -> None:
    first, _ = _import("moodle-xml/numericalRef.xml").bank.questions
    assert [(a.value, a.tolerance, a.fraction) for a in first.answers] == [
        (4.0, 0.0, 1.0), (5.0, 0.1, 0.5),
    ]  # fmt: skip
    (mcq,) = _import("moodle-xml/sample_questions_with_old_image_tag.xml").bank.questions
    assert [f.name for f in mcq.files] == ["moodle.png"]
    assert '<img src="@@PLUGINFILE@@/moodle.png"' in mcq.stem
    (markdown,) = _import("moodle-xml/markdownRef.xml").bank.questions
    assert 'src="data:image/png;base64,' in markdown.stem


def test_gift_details() -> None:
    (tf,) = _import("gift/descriptionTitleEscapedColon.gift").bank.questions
    assert (tf.stem, tf.options[0].fraction) == ("True or false?", 1.0)
    (escaped,) = _import("gift/escapeAll.gift").bank.questions
    assert [o.text for o in escaped.options] == ["~", "=", "#", "{", "}", ":", "\\"]
    assert escaped.options[-1].fraction == 1.0
    numbers = _import("gift/numerical1.gift").bank.questions
    assert [(a.value, a.tolerance) for a in numbers[2].answers] == [(3.1415, 0.0005)]
    ranged = numbers[4].answers[0]
    assert (ranged.value, ranged.tolerance) == (pytest.approx(3.1415), pytest.approx(0.0005))
    low, high = numbers[7].answers[0].value, numbers[7].answers[0].tolerance
    assert (low, high) == (0.0, 5.0)
    assert [(a.fraction, a.tolerance) for a in numbers[8].answers] == [(1.0, 0.0), (0.5, 2.0)]
    questions = _import("gift/questions.gift.txt").bank.questions
    colours = next(q for q in questions if q.title == "colours")
    assert [o.fraction for o in colours.options] == [0.5, -1.0, 0.5, -1.0]
    tf42 = next(q for q in questions if q.title == "Q1")
    assert tf42.options[1].feedback == "You gave the right answer."
    assert tf42.explanation == "This is, of course, a Hitchiker's Guide to the Galaxy reference."
    (first, _) = _import("gift/shortFirstEmbedded.gift").bank.questions
    assert first.stem == "_____ is the largest continent in the world."


def test_gift_category_and_comment_metadata() -> None:
    result = get_importer("gift").parse(
        b"$CATEGORY: $course$/top/Risks/Complications\n\n"
        b"// [id:BV-9] [tag:mitral] [tag:bloom:apply] [tag:objective:R1]\n"
        b"::T::Tamponade? {T}\n"
    )
    (question,) = result.bank.questions
    assert (question.id, question.topic, question.tags) == (
        "BV-9",
        "risks/complications",
        ["mitral"],
    )
    assert (question.bloom, question.objectives) == ("apply", ["R1"])
