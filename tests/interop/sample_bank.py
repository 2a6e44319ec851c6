"""A small bank with every question type and every field, for the round-trip contract."""

from __future__ import annotations

from pathlib import Path

from quizzes.interop.drafts import (
    AcceptedAnswerDraft,
    BankDraft,
    CombinedFeedbackDraft,
    FileDraft,
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
)
from quizzes.interop.json import read_bank_dir

VALVULOPLASTY_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "valvuloplasty"
PNG_1X1 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="  # noqa: E501


def sample_bank() -> BankDraft:
    topics = [
        TopicDraft(slug="mechanism", title="Mechanism"),
        TopicDraft(
            slug="risks",
            title="Risks",
            children=[TopicDraft(slug="complications", title="Complications & tamponade")],
        ),
        TopicDraft(slug="advantages-selection", title="Advantages and patient selection"),
    ]
    single = QuestionDraft(
        id="SAMPLE-001",
        type="single",
        title="Access route: mitral {PMBC}",
        topic="mechanism",
        stem="A 29-year-old woman with severe rheumatic MS (MVA 1.0 cm2, Wilkins 6) is "
        "scheduled for PMBC.\nTEE: no thrombus; MVA <= 1.5 cm2 = severe; 50% ~ half.",
        lead_in="Which route does the Inoue balloon take to the mitral valve?",
        options=[
            OptionDraft(id="A", text="Femoral artery -> aorta -> LV (retrograde)", feedback="Rare."),  # noqa: E501
            OptionDraft(id="B", text="Femoral vein -> RA -> transseptal -> LA", fraction=1.0,
                        feedback="Yes: antegrade, transseptal # standard."),
            OptionDraft(id="C", text="Radial artery: {not} used \\ ever"),
            OptionDraft(id="D", text="Jugular vein: coronary sinus"),
        ],
        explanation="Standard PMBC is antegrade via the femoral vein (M4).",
        feedback=CombinedFeedbackDraft(correct="Well done.", incorrect="Review M4."),
        objectives=["M4", "M6"],
        bloom="understand",
        source="S3",
        fact_refs=["M4", "R1"],
        tags=["mitral", "access"],
        difficulty="easy",
        irt=IrtDraft(a=1.2, b=-0.8, c=0.2, provenance="calibrated:412"),
        lint_exceptions=[LintExceptionDraft(rule="option-length", reason="lengths differ: anatomy")],  # noqa: E501
    )  # fmt: skip
    multiple = QuestionDraft(
        id="SAMPLE-002",
        type="multiple",
        title="Contraindications",
        topic="risks",
        text_format="html",
        stem="<p>Which findings <strong>contraindicate</strong> PMBC?</p>",
        lead_in="<p>Select <em>all</em> that apply.</p>",
        options=[
            OptionDraft(id="A", text="<p>Left atrial thrombus</p>", fraction=0.5, feedback="<p>Yes.</p>"),  # noqa: E501
            OptionDraft(id="B", text="<p>Moderate-to-severe MR</p>", fraction=0.5),
            OptionDraft(id="C", text="<p>Sinus rhythm</p>", fraction=-0.5, feedback="<p>No.</p>"),
        ],
        explanation="<p>LA thrombus and &gt;= moderate MR (R3).</p>",
        feedback=CombinedFeedbackDraft(correct="<p>All.</p>", partial="<p>Some.</p>",
                                       incorrect="<p>None.</p>"),
        objectives=["R3"],
        bloom="remember",
        negative_lead_in=False,
        status="in_review",
        files=[FileDraft(name="valve.png", data=PNG_1X1, path="/")],
    )  # fmt: skip
    multiple.stem += '<p><img src="@@PLUGINFILE@@/valve.png" alt="valve"></p>'
    true_false = QuestionDraft(
        id="SAMPLE-003",
        type="true_false",
        title="BAV durability",
        topic="risks/complications",
        stem="Balloon aortic valvuloplasty gives a durable result in calcific AS.",
        options=[
            OptionDraft(id="true", text="True", feedback="Restenosis in 6-12 months."),
            OptionDraft(id="false", text="False", fraction=1.0, feedback="Correct: a bridge."),
        ],
        explanation="BAV is a bridge (R5).",
        negative_lead_in=True,
        difficulty="hard",
    )
    short = QuestionDraft(
        id="SAMPLE-004",
        type="short_answer",
        title="Name the balloon",
        topic="mechanism",
        stem="Name the self-positioning three-stage balloon used for PMBC.",
        accepted=[
            AcceptedAnswerDraft(text="Inoue", feedback="Yes."),
            AcceptedAnswerDraft(text="Inoue balloon"),
            AcceptedAnswerDraft(text="Inoe", fraction=0.5, feedback="Spelling."),
        ],
        case_sensitive=True,
        feedback=CombinedFeedbackDraft(incorrect="It is the Inoue balloon."),
        bloom="remember",
    )
    numerical = QuestionDraft(
        id="SAMPLE-005",
        type="numerical",
        title="Expected MVA gain",
        topic="mechanism",
        stem="By what factor does successful PMBC typically multiply the MVA?",
        answers=[
            NumericAnswerDraft(value=2.0, tolerance=0.25, feedback="About doubled."),
            NumericAnswerDraft(value=1.5, tolerance=0.1, fraction=0.5),
        ],
        unit="x",
        feedback=CombinedFeedbackDraft(incorrect="It roughly doubles."),
        difficulty="very_hard",
    )
    matching = QuestionDraft(
        id="SAMPLE-006",
        type="matching",
        title="Access by valve",
        topic="advantages-selection",
        stem="Match each valve to its usual access.",
        stems=[
            MatchStemDraft(id="S1", text="Mitral", feedback="Transseptal."),
            MatchStemDraft(id="S2", text="Aortic"),
            MatchStemDraft(id="S3", text="Pulmonary"),
        ],
        choices=[
            MatchChoiceDraft(id="C1", text="Femoral vein, transseptal"),
            MatchChoiceDraft(id="C2", text="Femoral artery, retrograde"),
            MatchChoiceDraft(id="C3", text="Femoral vein to RV and PA"),
            MatchChoiceDraft(id="C4", text="Radial artery"),
        ],
        pairs={"S1": "C1", "S2": "C2", "S3": "C3"},
        feedback=CombinedFeedbackDraft(correct="Right.", partial="Partly.", incorrect="No."),
    )
    ordering = QuestionDraft(
        id="SAMPLE-007",
        type="ordering",
        title="PMBC steps",
        topic="mechanism",
        stem="Put the steps of PMBC in order.",
        steps=[
            StepDraft(id="1", text="TEE to exclude LA thrombus", feedback="First."),
            StepDraft(id="2", text="Femoral venous access"),
            StepDraft(id="3", text="Transseptal puncture"),
            StepDraft(id="4", text="Stepwise balloon inflation"),
        ],
        explanation="Imaging first, then access.",
        feedback=CombinedFeedbackDraft(correct="Yes.", incorrect="No."),
    )
    markdown = QuestionDraft(
        id="SAMPLE-008",
        type="single",
        title="Markdown stem",
        text_format="markdown",
        stem="**Which** valve is *most often* dilated?",
        options=[
            OptionDraft(id="A", text="Mitral", fraction=1.0),
            OptionDraft(id="B", text="Tricuspid"),
        ],
    )
    return BankDraft(
        title="Sample bank",
        description="Every type and field.",
        topics=topics,
        objectives=[ObjectiveDraft(id="M4", text="Access routes", topic="mechanism")],
        questions=[single, multiple, true_false, short, numerical, matching, ordering, markdown],
    )


def valvuloplasty_bank() -> BankDraft | None:
    """The project's bank (fixtures/valvuloplasty), or None while it has no questions yet."""
    if not VALVULOPLASTY_DIR.is_dir():
        return None
    bank = read_bank_dir(VALVULOPLASTY_DIR)
    return bank if bank.questions else None
