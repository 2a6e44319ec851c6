"""The item linter: each rule has a failing and a passing row; exceptions; the CLI."""

# The rule table keeps one row per line and the example items are copied verbatim from the
# fact sheet, so long lines are the readable form here.
# ruff: noqa: E501

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from quizzes import linter
from quizzes.interop.drafts import (
    FORMAT_ID,
    LintExceptionDraft,
    MatchChoiceDraft,
    MatchStemDraft,
    OptionDraft,
    QuestionDraft,
)

STEM = (
    "A 32-year-old woman has 8 months of progressive exertional dyspnoea. Echocardiography "
    "shows rheumatic mitral stenosis with fused commissures, MVA 1.1 cm2 and mild MR."
)
LEAD_IN = "Which of the following is the most appropriate next step in management?"
EXPLANATION = (
    "Symptomatic severe rheumatic MS with favourable morphology is the Class 1 indication "
    "for PMBC, which is first-line whatever the surgical risk."
)
CLEAN_OPTIONS = (
    ("A", "Closed surgical mitral commissurotomy", 0.0),
    ("B", "Mitral valve replacement", 0.0),
    ("C", "Percutaneous mitral balloon commissurotomy", 1.0),
    ("D", "Repeat echocardiography in 12 months", 0.0),
    ("E", "Transcatheter mitral valve replacement", 0.0),
)


def options(*rows: tuple[str, str, float]) -> list[OptionDraft]:
    return [
        OptionDraft(id=oid, text=text, fraction=fraction, feedback=f"Why {oid} is right or wrong.")
        for oid, text, fraction in rows
    ]


def single(**changes: Any) -> QuestionDraft:
    """An NBME-shaped single-best-answer item with no findings; ``changes`` breaks one rule."""
    question = QuestionDraft(
        id="T-001",
        type="single",
        stem=STEM,
        lead_in=LEAD_IN,
        options=options(*CLEAN_OPTIONS),
        explanation=EXPLANATION,
        topic="indications",
        objectives=["I3"],
        bloom="apply",
        source="S10; fact sheet I3",
    )
    return dataclasses.replace(question, **changes)


def replace_option(index: int, text: str, fraction: float | None = None) -> list[OptionDraft]:
    rows = list(CLEAN_OPTIONS)
    oid, _, old_fraction = rows[index]
    rows[index] = (oid, text, old_fraction if fraction is None else fraction)
    return options(*rows)


def multiple(**changes: Any) -> QuestionDraft:
    question = single(
        type="multiple",
        lead_in="Which of the following are contraindications to PMBC?",
        options=options(
            ("A", "Left atrial thrombus", 0.5),
            ("B", "Moderate or severe mitral regurgitation", 0.5),
            ("C", "Atrial fibrillation", -0.5),
            ("D", "Pregnancy after 20 weeks", -0.5),
        ),
        objectives=["R3"],
        bloom="remember",
    )
    return dataclasses.replace(question, **changes)


def matching(**changes: Any) -> QuestionDraft:
    question = QuestionDraft(
        id="T-002",
        type="matching",
        stem="Match each procedure with its usual access route.",
        stems=[
            MatchStemDraft(id="s1", text="PMBC"),
            MatchStemDraft(id="s2", text="BAV"),
        ],
        choices=[
            MatchChoiceDraft(id="c1", text="Femoral vein, transseptal"),
            MatchChoiceDraft(id="c2", text="Femoral artery, retrograde"),
        ],
        pairs={"s1": "c1", "s2": "c2"},
        explanation=EXPLANATION,
        objectives=["M4"],
        bloom="remember",
        source="S3; correction C3",
    )
    return dataclasses.replace(question, **changes)


def rules_of(question: QuestionDraft) -> set[str]:
    return {finding.rule for finding in linter.lint_question(question)}


# (row id, question, the rule ids it must raise: exactly these)
RULE_ROWS: list[tuple[str, QuestionDraft, set[str]]] = [
    ("clean single", single(), set()),
    ("clean multiple", multiple(), set()),
    ("clean matching", matching(), set()),
    # closed lead-in
    ("lead-in is an instruction", single(lead_in="Choose the next step."), {"closed-lead-in"}),
    (
        "no lead-in, stem ends in a statement",
        single(lead_in="", stem=STEM + " The next step is"),
        {"closed-lead-in"},
    ),
    ("no lead-in, stem's last sentence is a question", single(lead_in="", stem=STEM + " " + LEAD_IN), set()),
    ("multiple with open lead-in", multiple(lead_in="Contraindications to PMBC:"), {"closed-lead-in"}),
    # all / none of the above
    ("none of the above", single(options=replace_option(4, "None of the above")), {"all-none-of-the-above"}),
    ("all of the above", multiple(options=[*multiple().options[:3], OptionDraft("D", "All of the above", -0.5, "x")]), {"all-none-of-the-above"}),
    ("'above' in a real option", single(options=replace_option(1, "Valve replacement above the annulus")), set()),
    # combination options
    ("A and B", single(options=replace_option(4, "A and B")), {"combination-option"}),
    ("Both A and C", single(options=replace_option(3, "Both A and C")), {"combination-option"}),
    ("A, B and C", single(options=replace_option(3, "A, B and C")), {"combination-option"}),
    ("Neither ...", single(options=replace_option(3, "Neither surgery nor intervention")), {"combination-option"}),
    ("class I or II is not a combination", single(options=replace_option(3, "NYHA class I or II follow-up")), set()),
    ("an article 'A' is not a letter", single(options=replace_option(3, "A repeat echocardiogram in 12 months")), set()),
    # negative lead-in
    ("NOT lead-in", single(lead_in="Which of the following is NOT an indication for PMBC?"), {"negative-lead-in"}),
    ("EXCEPT lead-in", single(lead_in="All of the following are indications EXCEPT which?"), {"negative-lead-in"}),
    ("LEAST lead-in", single(lead_in="Which of the following is LEAST likely?"), {"negative-lead-in"}),
    ("'false' lead-in", single(lead_in="Which statement about PMBC is false?"), {"negative-lead-in"}),
    ("marked negative lead-in", single(lead_in="Which of the following is NOT an indication?", negative_lead_in=True), set()),
    ("negation in the vignette only", single(stem=STEM + " She does not smoke."), set()),
    ("lower-case 'not' in the main clause", single(lead_in="Which of the following is not an indication for PMBC?"), {"negative-lead-in"}),
    ("'n't' in the main clause", single(lead_in="Which finding wouldn't be expected after PMBC?"), {"negative-lead-in"}),
    ("'cannot' in the main clause", single(lead_in="Which patient cannot undergo PMBC?"), {"negative-lead-in"}),
    ("lower-case 'except'", single(lead_in="Each of the following is an indication except which one?"), {"negative-lead-in"}),
    ("'not' in a subordinate clause", single(lead_in="Which of the following best explains why the rate of severe MR has not fallen?"), set()),
    ("'at least' is not negative", single(lead_in="Which valve area is at least needed for success?"), set()),
    ("'false-positive' is not negative", single(lead_in="Which of the following explains the false-positive result?"), set()),
    # longest key
    (
        "key twice as long as the distractors",
        single(options=replace_option(2, "Percutaneous mitral balloon commissurotomy through the femoral vein and a transseptal puncture, after TEE")),
        {"longest-key"},
    ),
    (
        "long key but a distractor as long",
        single(options=options(*CLEAN_OPTIONS[:4], ("E", "Transcatheter mitral valve replacement through the femoral vein and a transseptal puncture", 0.0))),
        set(),
    ),
    # absolute terms only in distractors
    ("'always' in a distractor only", single(options=replace_option(1, "Mitral valve replacement, always")), {"absolute-terms-in-distractors"}),
    ("'never' and 'only' in distractors", single(options=replace_option(3, "Never intervene; only medical therapy")), {"absolute-terms-in-distractors"}),
    (
        "absolute terms in key and distractor",
        single(options=options(("A", "Surgery must be avoided", 0.0), CLEAN_OPTIONS[1], ("C", "PMBC, which must follow TEE", 1.0), *CLEAN_OPTIONS[3:])),
        set(),
    ),
    ("'only if' is conditional", single(options=replace_option(3, "Repeat echocardiography only if symptoms recur")), set()),
    # exactly one key
    ("two keys", single(options=replace_option(0, "Closed surgical mitral commissurotomy", 1.0)), {"one-key"}),
    ("no key", single(options=replace_option(2, "Percutaneous mitral balloon commissurotomy", 0.0)), {"one-key"}),
    ("partial credit on a distractor", single(options=replace_option(0, "Closed surgical mitral commissurotomy", 0.5)), {"one-key"}),
    # duplicate options
    ("duplicate, case and spacing differ", single(options=replace_option(4, "  mitral VALVE   replacement ")), {"duplicate-options"}),
    ("duplicate matching choices", matching(choices=[MatchChoiceDraft("c1", "Femoral vein"), MatchChoiceDraft("c2", "femoral vein")], pairs={"s1": "c1", "s2": "c2"}), {"duplicate-options"}),
    # explanation
    ("no explanation", single(explanation=""), {"explanation"}),
    ("perfunctory explanation", single(explanation="C is correct."), {"explanation"}),
    ("explanation on a matching item", matching(explanation=" "), {"explanation"}),
    # option feedback (warning)
    ("an option without feedback", single(options=[*single().options[:4], OptionDraft("E", "Transcatheter mitral valve replacement")]), {"option-feedback"}),
    # five options (warning)
    ("four options", single(options=single().options[:4]), {"five-options"}),
    ("multiple items need not have five", multiple(), set()),
    # metadata
    ("no objective", single(objectives=[]), {"objective"}),
    ("blank objective", single(objectives=[" "]), {"objective"}),
    ("unknown Bloom level", single(bloom="analyze"), {"bloom"}),
    ("no source", single(source=""), {"source"}),
    ("matching without metadata", matching(objectives=[], bloom="", source=""), {"objective", "bloom", "source"}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("question", "expected_rules"),
    [pytest.param(question, rules, id=row_id) for row_id, question, rules in RULE_ROWS],
)
def test_rule_table(question: QuestionDraft, expected_rules: set[str]) -> None:
    assert rules_of(question) == expected_rules


def test_every_item_rule_has_a_failing_row() -> None:
    raised = set().union(*(rules for _, _, rules in RULE_ROWS))
    bank_level = {linter.RULE_DUPLICATE_ID, linter.RULE_INVALID_EXCEPTION}
    assert raised == set(linter.ALL_RULES) - bank_level


@pytest.mark.parametrize(
    ("question", "message"),
    [
        (single(lead_in="Choose one."), linter.MSG_CLOSED_LEAD_IN),
        (single(objectives=[]), linter.MSG_OBJECTIVE),
        (single(bloom="x"), linter.MSG_BLOOM),
        (single(source=""), linter.MSG_SOURCE),
        (single(options=replace_option(0, "Closed surgical mitral commissurotomy", 1.0)), linter.MSG_ONE_KEY),
        (single(options=replace_option(4, "None of the above")), linter.MSG_ALL_NONE_OF_THE_ABOVE.format(option_id="E")),
        (single(options=replace_option(4, "A and B")), linter.MSG_COMBINATION_OPTION.format(option_id="E")),
        (single(lead_in="Which is NOT true?"), linter.MSG_NEGATIVE_LEAD_IN.format(word="NOT")),
        (single(options=single().options[:4]), linter.MSG_FIVE_OPTIONS.format(count=4)),
        (single(explanation=""), linter.MSG_EXPLANATION.format(minimum=linter.EXPLANATION_MIN_CHARS)),
        (single(options=replace_option(4, "mitral valve replacement")), linter.MSG_DUPLICATE_OPTIONS.format(option_ids="B, E")),
        (single(options=replace_option(1, "Never intervene")), linter.MSG_ABSOLUTE_TERMS.format(terms="never")),
    ],
)  # fmt: skip
def test_messages(question: QuestionDraft, message: str) -> None:
    assert [f.message for f in linter.lint_question(question)] == [message]


def test_severities() -> None:
    assert linter.RULE_SEVERITY[linter.RULE_OPTION_FEEDBACK] == linter.WARNING
    assert linter.RULE_SEVERITY[linter.RULE_FIVE_OPTIONS] == linter.WARNING
    assert linter.RULE_SEVERITY[linter.RULE_SOURCE] == linter.WARNING
    four = linter.lint_question(single(options=single().options[:4]))
    assert linter.blocking_findings(four) == []
    no_key = linter.lint_question(single(options=replace_option(2, "PMBC", 0.0)))
    assert [f.rule for f in linter.blocking_findings(no_key)] == [linter.RULE_ONE_KEY]


def test_longest_key_thresholds() -> None:
    """At the documented ratios: flagged just past them, quiet just under."""
    distractor = "x" * 20

    def item(key_length: int) -> QuestionDraft:
        rows = [(oid, distractor + oid, 0.0) for oid in "ABDE"]  # 21 chars each
        rows.insert(2, ("C", "k" * key_length, 1.0))
        return single(options=options(*rows))

    assert linter.RULE_LONGEST_KEY not in rules_of(item(31))  # 31 - 21 = 10, 31 < 1.5 * 21
    assert linter.RULE_LONGEST_KEY in rules_of(item(32))  # > 1.5 x mean, > 1.25 x longest
    assert linter.LONGEST_KEY_MEAN_RATIO == 1.5


def test_excepted_finding_keeps_the_reason_and_is_not_blocking() -> None:
    reason = "The NOT lead-in tests the contraindication list as the guideline states it."
    question = single(
        lead_in="Which of the following is NOT a contraindication to PMBC?",
        lint_exceptions=[LintExceptionDraft(rule=linter.RULE_NEGATIVE_LEAD_IN, reason=reason)],
    )
    [finding] = linter.lint_question(question)
    assert finding == linter.Finding(
        rule=linter.RULE_NEGATIVE_LEAD_IN,
        message=linter.MSG_NEGATIVE_LEAD_IN.format(word="NOT"),
        severity=linter.ERROR,
        excepted=True,
        exception_reason=reason,
    )
    assert linter.blocking_findings([finding]) == []


@pytest.mark.parametrize(
    "exception",
    [
        LintExceptionDraft(rule=linter.RULE_NEGATIVE_LEAD_IN, reason="  "),
        LintExceptionDraft(rule="no-such-rule", reason="a reason"),
    ],
)
def test_exception_without_reason_or_known_rule_does_not_count(
    exception: LintExceptionDraft,
) -> None:
    question = single(lead_in="Which is NOT an indication?", lint_exceptions=[exception])
    findings = linter.lint_question(question)
    negative = [f for f in findings if f.rule == linter.RULE_NEGATIVE_LEAD_IN]
    assert [f.excepted for f in negative] == [False]
    assert linter.blocking_findings(findings) == negative
    invalid = [f for f in findings if f.rule == linter.RULE_INVALID_EXCEPTION]
    assert [f.message for f in invalid] == [
        linter.MSG_INVALID_EXCEPTION.format(rule=exception.rule)
    ]


def test_lint_bank_reports_items_with_findings_and_duplicate_ids() -> None:
    clean = single(id="Q-1")
    flawed = single(id="Q-2", explanation="")
    twin_a, twin_b = single(id="Q-3"), single(id="Q-3")
    report = linter.lint_bank([clean, flawed, twin_a, twin_b])
    assert sorted(report) == ["Q-2", "Q-3"]
    assert [f.rule for f in report["Q-2"]] == [linter.RULE_EXPLANATION]
    assert [f.rule for f in report["Q-3"]] == [linter.RULE_DUPLICATE_ID] * 2
    assert report["Q-3"][0].message == linter.MSG_DUPLICATE_ID.format(count=2)
    assert sorted(linter.blocking_by_item(report)) == ["Q-2", "Q-3"]


def test_lead_in_falls_back_to_the_stems_last_sentence() -> None:
    question = single(lead_in="", stem="A man has dyspnoea. Which valve is narrowed?")
    assert linter.effective_lead_in(question) == "Which valve is narrowed?"


def test_linter_does_not_import_django() -> None:
    """Educators run the linter without the web app installed."""
    probe = (
        "import sys, quizzes.linter; "
        "sys.exit(any(name.split('.')[0] == 'django' for name in sys.modules))"
    )
    root = Path(linter.__file__).resolve().parents[1]
    assert subprocess.run([sys.executable, "-c", probe], cwd=root, check=False).returncode == 0


# -- the five example items of fixtures/valvuloplasty/sources (factsheet section 4) ------------

EXAMPLE_ITEMS: list[dict[str, Any]] = [
    {
        "id": "BV-001", "objectives": ["I3", "I5", "R3"], "bloom": "apply",
        "stem": "A 32-year-old woman who emigrated from Ethiopia has 8 months of progressive exertional dyspnoea; she is now breathless after one flight of stairs. Pulse 84/min, regular. Loud S1, opening snap, and a low-pitched mid-diastolic apical rumble. TTE: rheumatic mitral valve with commissural fusion, MVA 1.1 cm2 (planimetry), mean gradient 11 mm Hg, PASP 46 mm Hg, mild MR, Wilkins score 7 (mobility 2, thickening 2, calcification 1, subvalvular 2). TEE: no left atrial or appendage thrombus.",
        "lead_in": "Which of the following is the most appropriate next step in management?",
        "options": ["Closed surgical mitral commissurotomy", "Mitral valve replacement", "Percutaneous mitral balloon commissurotomy", "Repeat echocardiography in 12 months on a beta-blocker", "Transcatheter mitral valve replacement"],
        "answer": "C",
        "explanation": "Symptomatic severe rheumatic MS (stage D, MVA <=1.5 cm2) with favourable morphology (Wilkins <=8), mild MR and no thrombus on TEE is the Class 1 indication for PMBC, which is first-line regardless of surgical risk (fact sheet I2, I3, I5, R3).",
    },
    {
        "id": "BV-002", "objectives": ["M4", "M6"], "bloom": "understand",
        "stem": "A 29-year-old woman with symptomatic severe rheumatic mitral stenosis (MVA 1.0 cm2, Wilkins score 6, trace MR, no left atrial thrombus on TEE) is scheduled for percutaneous commissurotomy with an Inoue balloon.",
        "lead_in": "Which of the following best describes the route by which the balloon catheter reaches the mitral valve?",
        "options": ["Left radial artery -> ascending aorta -> left ventricle -> retrograde across the mitral valve", "Right femoral artery -> aorta -> left ventricle -> retrograde across the mitral valve", "Right femoral vein -> right atrium -> interatrial septal puncture -> left atrium -> antegrade across the mitral valve", "Right internal jugular vein -> right atrium -> coronary sinus -> left atrium", "Left thoracotomy -> left ventricular apical puncture -> across the mitral valve"],
        "answer": "C",
        "explanation": "Standard PMBC is antegrade transvenous via the femoral vein and a transseptal puncture; the Inoue balloon floats from the LA into the LV without an LV guidewire (M4, M6, R1). Radial access is not used for mitral valvuloplasty (correction C3).",
    },
    {
        "id": "BV-003", "objectives": ["R1", "R7"], "bloom": "analyse",
        "stem": "A 41-year-old woman is undergoing transseptal percutaneous mitral balloon commissurotomy. Immediately after the second balloon inflation she becomes lightheaded. Blood pressure is 76/54 mm Hg (pre-procedure 118/72) and pulse 122/min. Jugular venous pressure is elevated to the angle of the jaw and systolic pressure falls 18 mm Hg with inspiration. Lungs are clear. Heart sounds are muffled and there is no new murmur. Fluoroscopy shows reduced cardiac border motion.",
        "lead_in": "Which of the following is the most likely cause of her deterioration?",
        "options": ["Acute severe mitral regurgitation from leaflet tear", "Cardiac tamponade from cardiac perforation", "Large left-to-right shunt through the iatrogenic atrial septal defect", "Retroperitoneal haemorrhage from femoral access", "Vasovagal reaction"],
        "answer": "B",
        "explanation": "Hypotension with raised JVP, pulsus paradoxus, muffled sounds and clear lungs indicate tamponade from perforation; treat with urgent pericardiocentesis. Tamponade occurs in about 1% of contemporary procedures (R1, R7).",
    },
    {
        "id": "BV-004", "objectives": ["R3", "R4"], "bloom": "apply",
        "stem": "A 36-year-old man with rheumatic mitral stenosis has NYHA class III dyspnoea and permanent atrial fibrillation. Echocardiography: MVA 0.9 cm2, mean gradient 13 mm Hg, Wilkins score 7, mild MR. He has taken apixaban for 2 months. TEE before planned PMBC shows a 10-mm thrombus confined to the tip of the left atrial appendage. He is haemodynamically stable.",
        "lead_in": "Which of the following is the most appropriate next step?",
        "options": ["Increase the apixaban dose and perform PMBC in 2 weeks", "Percutaneous left atrial appendage occlusion followed by PMBC", "Perform PMBC today with a cerebral embolic protection device", "Perform PMBC today by a retrograde arterial approach", "Switch to warfarin (target INR 2-3) and repeat TEE before reconsidering PMBC"],
        "answer": "E",
        "explanation": "LA/LAA thrombus is a contraindication to PMBC (R3). AF with rheumatic MS requires a VKA; DOACs are not an alternative in rheumatic MS (R4). Proceed only if repeat TEE shows resolution.",
    },
    {
        "id": "BV-005", "objectives": ["I7", "R5", "A2"], "bloom": "analyse",
        "stem": "An 86-year-old woman with severe calcific aortic stenosis (AVA 0.6 cm2, mean gradient 48 mm Hg, LVEF 30%) was admitted in cardiogenic shock with acute kidney injury. The heart team performed transfemoral balloon aortic valvuloplasty. Ten days later she has NYHA class II symptoms, LVEF 40%, normal creatinine, and CT shows suitable iliofemoral anatomy. She asks whether anything further is needed.",
        "lead_in": "Which of the following is the most appropriate recommendation?",
        "options": ["Lifelong medical therapy with diuretics and afterload reduction", "No further intervention because valvuloplasty has durably relieved the stenosis", "Repeat balloon valvuloplasty only if symptoms recur", "Surgical aortic valve decalcification", "Transfemoral transcatheter aortic valve replacement in the coming weeks"],
        "answer": "E",
        "explanation": "In calcific AS, BAV is a bridge (IIb): the AVA gain is modest, restenosis occurs in 40-80% by 5-9 months, and there is no survival benefit (M3, R5, I7). For patients older than 80 the 2020 ACC/AHA guideline recommends transfemoral TAVI (A2).",
    },
]  # fmt: skip


def example_draft(item: dict[str, Any], *, with_feedback: bool) -> QuestionDraft:
    letters = "ABCDE"
    return QuestionDraft(
        id=item["id"],
        type="single",
        stem=item["stem"],
        lead_in=item["lead_in"],
        options=[
            OptionDraft(
                id=letter,
                text=text,
                fraction=1.0 if letter == item["answer"] else 0.0,
                feedback=f"Option {letter}: see the explanation." if with_feedback else "",
            )
            for letter, text in zip(letters, item["options"], strict=True)
        ],
        explanation=item["explanation"],
        objectives=item["objectives"],
        bloom=item["bloom"],
        source="factsheet section 4",
    )


@pytest.mark.parametrize("item", EXAMPLE_ITEMS, ids=[item["id"] for item in EXAMPLE_ITEMS])
def test_example_items_pass(item: dict[str, Any]) -> None:
    assert linter.lint_question(example_draft(item, with_feedback=True)) == []
    # As published in the fact sheet they carry no per-option feedback: a warning only.
    bare = linter.lint_question(example_draft(item, with_feedback=False))
    assert {(f.rule, f.severity) for f in bare} == {(linter.RULE_OPTION_FEEDBACK, "warning")}


# -- command line ---------------------------------------------------------------------------


def write_bank(path: Path, questions: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps({"format": FORMAT_ID, "questions": questions}), encoding="utf-8")
    return path


def clean_dict() -> dict[str, Any]:
    return {
        "id": "Q-1",
        "type": "single",
        "stem": STEM,
        "lead_in": LEAD_IN,
        "options": [
            {"id": oid, "text": text, "fraction": fraction, "feedback": "Because."}
            for oid, text, fraction in CLEAN_OPTIONS
        ],
        "explanation": EXPLANATION,
        "objectives": ["I3"],
        "bloom": "apply",
        "source": "S10",
    }


def test_cli_exit_0_on_clean_bank_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_bank(tmp_path / "a.json", [clean_dict()])
    assert linter.main([str(tmp_path)]) == 0
    assert capsys.readouterr().out == ""


def test_cli_exit_1_and_prints_findings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flawed = clean_dict() | {"id": "Q-2", "lead_in": "Choose one.", "source": ""}
    bank = write_bank(tmp_path / "bank.json", [clean_dict(), flawed])
    assert linter.main([str(bank)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"Q-2\terror\t{linter.RULE_CLOSED_LEAD_IN}\t{linter.MSG_CLOSED_LEAD_IN}",
        f"Q-2\twarning\t{linter.RULE_SOURCE}\t{linter.MSG_SOURCE}",
    ]
    assert linter.main([str(bank), "--errors-only"]) == 1
    assert len(capsys.readouterr().out.splitlines()) == 1


def test_cli_excepted_error_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    excepted = clean_dict() | {
        "lead_in": "Choose one.",
        "lint_exceptions": [{"rule": linter.RULE_CLOSED_LEAD_IN, "reason": "Legacy item."}],
    }
    assert linter.main([str(write_bank(tmp_path / "b.json", [excepted]))]) == 0
    assert "(excepted: Legacy item.)" in capsys.readouterr().out


def test_cli_exit_2_on_unreadable_bank(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    assert linter.main([str(tmp_path / "bad.json")]) == 2
    assert "not valid JSON" in capsys.readouterr().err
