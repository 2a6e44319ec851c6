"""Mastery per learner, topic and objective (quizzes/analytics/mastery.py), practice mode's
choice of items by it, and GET /api/v1/courses/{id}/mastery/ with the fixed cast: alice
learns in course A, bob teaches it, charlie learns in course B, dave teaches in another
institution and should see nothing of institution 1."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient
from scipy.stats import beta as beta_distribution

from quizzes.analytics import mastery
from quizzes.analytics.mastery import (
    DEVELOPING,
    MASTERED,
    NO_EVIDENCE,
    NOT_YET,
    Evidence,
    estimate,
    mastery_status,
    mastery_units,
)
from quizzes.api.mastery import CODE_INVALID_LEARNER, CODE_UNKNOWN_LEARNER, INVALID_LEARNER
from quizzes.models import Attempt, Membership, Objective, Question, Quiz, Response
from quizzes.services import item_selection
from quizzes.services.attempts import attempt_finish, attempt_start, current_item
from quizzes.services.banks import topic_ensure
from quizzes.services.courses import membership_set
from quizzes.services.questions import question_create
from quizzes.services.quizzes import quiz_create, quiz_set_form
from quizzes.services.responses import response_submit
from tests.conftest import Cast
from tests.factories import UserFactory, single_draft

# -- the estimate against hand computations -------------------------------------------------

# Beta(a, 1) has CDF x**a, Beta(1, b) has CDF 1 - (1 - x)**b: their 10% and 90% quantiles
# in closed form, with no numerical library.
DECAYED_SIX = 1 + (1 - 0.95**6) / 0.05  # six straight correct answers, weights 0.95**k
DECAYED_SEVEN = 1 + (1 - 0.95**7) / 0.05


@pytest.mark.parametrize(
    ("fractions", "decay", "alpha", "beta", "lower", "upper", "status"),
    [
        ([], 1.0, 1, 1, 0.1, 0.9, NO_EVIDENCE),
        ([1.0], 1.0, 2, 1, 0.1**0.5, 0.9**0.5, DEVELOPING),
        ([0.0], 1.0, 1, 2, 1 - 0.9**0.5, 1 - 0.1**0.5, NOT_YET),
        ([1.0] * 5, 1.0, 6, 1, 0.1 ** (1 / 6), 0.9 ** (1 / 6), DEVELOPING),
        ([1.0] * 6, 1.0, 7, 1, 0.1 ** (1 / 7), 0.9 ** (1 / 7), MASTERED),
        ([0.0] * 3, 1.0, 1, 4, 1 - 0.9**0.25, 1 - 0.1**0.25, NOT_YET),
        # The default forgetting (0.95 per older response) needs a seventh correct answer.
        ([1.0] * 6, 0.95, DECAYED_SIX, 1, 0.1 ** (1 / DECAYED_SIX), None, DEVELOPING),
        ([1.0] * 7, 0.95, DECAYED_SEVEN, 1, 0.1 ** (1 / DECAYED_SEVEN), None, MASTERED),
        # Partial credit and forgetting: oldest first 0, 0.5, 1 with weights 0.25, 0.5, 1:
        # S = 1 + 0.25 = 1.25, F = 0.25 + 0.25 = 0.5 -> Beta(2.25, 1.5), mean 0.6.
        ([0.0, 0.5, 1.0], 0.5, 2.25, 1.5, None, None, DEVELOPING),
        # The newest answer weighs most: a miss after a success is Beta(1.5, 2).
        ([1.0, 0.0], 0.5, 1.5, 2, None, None, DEVELOPING),
    ],
)
def test_the_estimate_is_the_beta_posterior_computed_by_hand(
    fractions: list[float],
    decay: float,
    alpha: float,
    beta: float,
    lower: float | None,
    upper: float | None,
    status: str,
) -> None:
    result = estimate(fractions, decay=decay)
    assert result.n == len(fractions)
    assert result.mean == pytest.approx(alpha / (alpha + beta), abs=1e-12)
    # scipy.stats is an implementation independent of the betaincinv the module uses.
    assert result.lower == pytest.approx(beta_distribution.ppf(0.1, alpha, beta), abs=1e-9)
    assert result.upper == pytest.approx(beta_distribution.ppf(0.9, alpha, beta), abs=1e-9)
    if lower is not None:
        assert result.lower == pytest.approx(lower, abs=1e-9)
    if upper is not None:
        assert result.upper == pytest.approx(upper, abs=1e-9)
    assert result.status == status


def test_the_partial_credit_row_in_numbers() -> None:
    result = estimate([0.0, 0.5, 1.0], decay=0.5)
    assert result.as_dict() == {
        "n": 3,
        "mean": 0.6,
        "lower": 0.2798,
        "upper": 0.8887,
        "status": DEVELOPING,
    }


BELOW = math.nextafter(mastery.MASTERY_TARGET, 0.0)


@pytest.mark.parametrize(
    ("n", "lower", "upper", "status"),
    [
        (1, mastery.MASTERY_TARGET, 0.95, MASTERED),  # lower bound exactly at the target
        (1, BELOW, 0.95, DEVELOPING),  # a hair below it
        (1, 0.2, mastery.MASTERY_TARGET, DEVELOPING),  # upper bound exactly at the target
        (1, 0.2, BELOW, NOT_YET),  # a hair below it
        (1, 0.69, 0.71, DEVELOPING),
        (0, 0.8, 0.9, NO_EVIDENCE),  # no responses: whatever the interval
        (0, 0.1, 0.2, NO_EVIDENCE),
    ],
)
def test_statuses_at_their_boundaries(n: int, lower: float, upper: float, status: str) -> None:
    assert mastery_status(n=n, lower=lower, upper=upper) == status


def test_the_thresholds_are_the_documented_ones() -> None:
    assert (mastery.MASTERY_TARGET, mastery.CREDIBLE_LEVEL, mastery.DECAY) == (0.7, 0.8, 0.95)
    assert (mastery.PRIOR_SUCCESSES, mastery.PRIOR_FAILURES) == (1.0, 1.0)


def evidence(path: str, fraction: float, *objectives: int) -> Evidence:
    return Evidence(
        learner=1,
        course=1,
        bank=1,
        question=0,
        topic_path=path,
        objectives=frozenset(objectives),
        fraction=fraction,
    )


def test_a_response_counts_for_its_topic_its_ancestors_and_its_objectives() -> None:
    rows = [
        evidence("risks/vascular", 0.0, 7),
        evidence("risks", 1.0),
        evidence("mechanism", 1.0, 7, 8),
        evidence("", 1.0, 8),  # no topic: objectives only
    ]
    units = mastery_units(rows, decay=1.0)
    assert sorted(units.topics) == ["mechanism", "risks", "risks/vascular"]
    assert units.topic("risks").n == 2
    assert units.topic("risks").mean == pytest.approx(2 / 4)  # Beta(2, 2)
    assert units.topic("risks/vascular").mean == pytest.approx(1 / 3)  # Beta(1, 2)
    assert units.objective(7).n == 2
    assert units.objective(7).mean == pytest.approx(2 / 4)
    assert units.objective(8).mean == pytest.approx(3 / 4)  # Beta(3, 1)
    assert units.topic("alternatives") == mastery.NO_EVIDENCE_ESTIMATE
    assert units.objective(99).status == NO_EVIDENCE


def test_forgetting_counts_the_order_within_each_unit() -> None:
    # The miss in "risks" is that topic's newest response even though it is not the
    # learner's newest overall: it keeps full weight there.
    rows = [evidence("risks", 1.0), evidence("risks", 0.0), evidence("mechanism", 1.0)]
    units = mastery_units(rows, decay=0.5)
    assert units.topic("risks").mean == pytest.approx(1.5 / 3.5)  # Beta(1 + 0.5, 1 + 1)
    assert units.topic("mechanism").mean == pytest.approx(2 / 3)


# -- a bank, quizzes and attempts through the services ----------------------------------------


@dataclass
class Scene:
    mechanism: list[Question]  # M-1..M-4, topic "mechanism", objective M1
    risks: list[Question]  # R-1..R-4, topic "risks/vascular", objective R1
    objective_m: Objective
    objective_r: Objective


@pytest.fixture
def scene(cast: Cast) -> Scene:
    topic_ensure(bank=cast.bank, path="mechanism", title="Mechanism")
    topic_ensure(bank=cast.bank, path="risks/vascular", title="Vascular complications")
    objective_m = Objective.objects.create(bank=cast.bank, code="M1", text="Explain dilation.")
    objective_r = Objective.objects.create(bank=cast.bank, code="R1", text="Name the risks.")

    def make(prefix: str, topic: str, code: str) -> list[Question]:
        return [
            question_create(
                bank=cast.bank,
                draft=single_draft(f"{prefix}-{number}", topic=topic, objectives=[code]),
            )
            for number in range(1, 5)
        ]

    return Scene(
        mechanism=make("M", "mechanism", "M1"),
        risks=make("R", "risks/vascular", "R1"),
        objective_m=objective_m,
        objective_r=objective_r,
    )


def answer_current(attempt: Attempt, *, right: bool) -> Question:
    """Answer the attempt's current single-best-answer item, right or wrong."""
    item = current_item(attempt)
    assert item is not None
    wanted = "Mitral stenosis" if right else "Aortic stenosis"
    option = next(o["id"] for o in item.presentation["view"]["options"] if o["text"] == wanted)
    response_submit(
        attempt=attempt,
        question_id=item.revision.question_id,
        answer={"option": option},
        key=f"k-{item.pk}",
    )
    return item.revision.question


def take_fixed(
    cast: Cast, learner: Any, answers: list[tuple[Question, bool]], *, course: Any = None
) -> Attempt:
    """A finished fixed-form attempt answering ``answers`` in order."""
    quiz = quiz_create(
        course=course or cast.course,
        bank=cast.bank,
        title=f"Form {Quiz.objects.count() + 1}",
        mode="fixed",
        status=Quiz.Status.PUBLISHED,
        attempts_allowed=0,
        shuffle_questions=False,
    )
    quiz_set_form(quiz=quiz, questions=[question for question, _ in answers])
    attempt = attempt_start(quiz=quiz, learner=learner).attempt
    for question, right in answers:
        assert answer_current(attempt, right=right) == question
    return attempt_finish(attempt=attempt)


def test_evidence_rows_fold_the_objective_join_back_to_one_per_response(
    cast: Cast, scene: Scene
) -> None:
    question = scene.mechanism[0]
    question.objectives.add(scene.objective_r)  # two objectives: two joined rows
    take_fixed(cast, cast.alice, [(question, False), (scene.risks[0], True)])
    rows = mastery.evidence_of(Response.objects.filter(attempt__learner=cast.alice))
    assert [(row.question, row.fraction) for row in rows] == [
        (question.pk, 0.0),
        (scene.risks[0].pk, 1.0),
    ]
    assert rows[0].objectives == {scene.objective_m.pk, scene.objective_r.pk}
    assert rows[0].topic_path == "mechanism"
    assert rows[1].topic_path == "risks/vascular"
    assert mastery_units(rows).objective(scene.objective_r.pk).n == 2


# -- practice mode prefers the weakest topic or objective --------------------------------------


def practice_quiz(cast: Cast, **settings: Any) -> Quiz:
    settings.setdefault("length", 4)
    return quiz_create(
        course=cast.course,
        bank=cast.bank,
        title="Practice",
        mode="practice",
        status=Quiz.Status.PUBLISHED,
        attempts_allowed=0,
        feedback_timing=Quiz.FeedbackTiming.IMMEDIATE,
        **settings,
    )


def first_choices(quiz: Quiz, learner: Any, seeds: range) -> set[int]:
    """The question practice_next picks first, for attempts with each seed."""
    chosen = set()
    for seed in seeds:
        attempt = Attempt(quiz=quiz, learner=learner, seed=seed)
        revision_id = item_selection.practice_next(
            quiz=quiz, attempt=attempt, served_questions=set()
        )
        assert revision_id is not None
        chosen.add(Question.objects.get(current_revision_id=revision_id).pk)
    return chosen


def test_practice_picks_the_missed_items_of_the_weakest_topic_first(
    cast: Cast, scene: Scene
) -> None:
    m1, m2, m3, m4 = scene.mechanism
    r1, r2, r3, _ = scene.risks
    # Missed: M-1, M-2 (mechanism: 0 of 2) and R-1 (risks: 2 of 3 right).
    take_fixed(cast, cast.alice, [(m1, False), (m2, False), (r1, False), (r2, True), (r3, True)])
    quiz = practice_quiz(cast)
    # Random within the weakest topic's missed items, never the stronger topic's R-1
    # (the previous rule picked R-1 one time in three).
    assert first_choices(quiz, cast.alice, range(30)) == {m1.pk, m2.pk}

    # Driven through the services, every answer wrong: both mechanism misses, then the
    # last missed item R-1, then an unseen item of still-weakest mechanism.
    attempt = attempt_start(quiz=quiz, learner=cast.alice).attempt
    served = [answer_current(attempt, right=False) for _ in range(4)]
    assert set(served[:2]) == {m1, m2}
    assert served[2] == r1
    assert served[3] in (m3, m4)
    attempt.refresh_from_db()
    assert attempt.state == Attempt.State.FINISHED


def test_practice_weighs_objectives_as_well_as_topics(cast: Cast, scene: Scene) -> None:
    # One mechanism miss makes objective M1 weak. A risks-only practice quiz has nothing
    # missed or seen, and the risks topic has no evidence: the risks item that also
    # serves objective M1 is the weakest.
    take_fixed(cast, cast.alice, [(scene.mechanism[0], False)])
    bridging = question_create(
        bank=cast.bank, draft=single_draft("R-5", topic="risks/vascular", objectives=["M1"])
    )
    quiz = practice_quiz(cast, blueprint={"risks": 1.0})
    assert first_choices(quiz, cast.alice, range(20)) == {bridging.pk}


def test_practice_mastery_counts_only_the_learners_own_answers_in_this_course(
    cast: Cast, scene: Scene
) -> None:
    # Another learner of the course missed every risks item: that says nothing of alice,
    # whose only evidence is a mechanism miss, so mechanism stays her weakest.
    erin = UserFactory.create(username="erin")
    membership_set(course=cast.course, user=erin, role=Membership.Role.LEARNER)
    take_fixed(cast, erin, [(question, False) for question in scene.risks])
    take_fixed(cast, cast.alice, [(scene.mechanism[0], False)])
    take_fixed(cast, cast.alice, [(scene.mechanism[0], True), (scene.risks[0], True)])
    # Now nothing of alice's is missed; unseen: M-2..M-4 (mechanism 1 of 2) and R-2..R-4
    # (risks 1 of 1): mechanism is weaker.
    quiz = practice_quiz(cast)
    assert first_choices(quiz, cast.alice, range(20)) == {q.pk for q in scene.mechanism[1:]}


def test_choosing_a_practice_item_costs_two_queries_whatever_the_history(
    cast: Cast, scene: Scene
) -> None:
    quiz = practice_quiz(cast)
    counts = []
    for _ in range(2):
        take_fixed(cast, cast.alice, [(q, False) for q in scene.mechanism + scene.risks])
        attempt = Attempt(quiz=quiz, learner=cast.alice, seed=1)
        with CaptureQueriesContext(connection) as queries:
            item_selection.practice_next(quiz=quiz, attempt=attempt, served_questions=set())
        counts.append(len(queries))
    assert counts == [2, 2]


# -- GET /api/v1/courses/{id}/mastery/ ------------------------------------------------------


def client_for(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def url(course_id: int) -> str:
    return f"/api/v1/courses/{course_id}/mastery/"


NOT_YET_ONE_MISS = {"n": 1, "mean": 0.3333, "lower": 0.0513, "upper": 0.6838, "status": NOT_YET}
DEVELOPING_ONE_HIT = {
    "n": 1,
    "mean": 0.6667,
    "lower": 0.3162,
    "upper": 0.9487,
    "status": DEVELOPING,
}
NOTHING = {"n": 0, "mean": 0.5, "lower": 0.1, "upper": 0.9, "status": NO_EVIDENCE}


@pytest.fixture
def taken(cast: Cast, scene: Scene) -> Any:
    """alice: M-1 wrong, R-1 right in course A. erin (course A): everything right.
    charlie: everything wrong in course B on the same bank."""
    take_fixed(cast, cast.alice, [(scene.mechanism[0], False), (scene.risks[0], True)])
    erin = UserFactory.create(username="erin")
    membership_set(course=cast.course, user=erin, role=Membership.Role.LEARNER)
    take_fixed(cast, erin, [(q, True) for q in scene.mechanism])
    take_fixed(cast, cast.charlie, [(q, False) for q in scene.risks], course=cast.other_course)
    return erin


def report_of(body: dict[str, Any], learner: Any) -> dict[str, Any]:
    (report,) = [entry for entry in body["learners"] if entry["learner"] == learner.pk]
    return report


def by_path(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {topic["path"]: topic for topic in report["topics"]}


def by_code(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {objective["objective"]: objective for objective in report["objectives"]}


ESTIMATE_KEYS = ("n", "mean", "lower", "upper", "status")


def numbers(entry: dict[str, Any]) -> dict[str, Any]:
    return {key: entry[key] for key in ESTIMATE_KEYS}


def test_a_learner_gets_their_own_mastery_only(cast: Cast, scene: Scene, taken: Any) -> None:
    response = client_for(cast.alice).get(url(cast.course.pk))
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["course"] == cast.course.pk
    assert [entry["learner"] for entry in body["learners"]] == [cast.alice.pk]
    report = body["learners"][0]
    assert report["username"] == "alice"
    topics = by_path(report)
    assert list(topics) == ["mechanism", "risks", "risks/vascular"]
    assert numbers(topics["mechanism"]) == NOT_YET_ONE_MISS
    assert numbers(topics["risks"]) == DEVELOPING_ONE_HIT  # the root counts its subtopics
    assert numbers(topics["risks/vascular"]) == DEVELOPING_ONE_HIT
    assert topics["risks/vascular"]["title"] == "Vascular complications"
    assert topics["risks/vascular"]["bank"] == cast.bank.pk
    objectives = by_code(report)
    assert numbers(objectives["M1"]) == NOT_YET_ONE_MISS
    assert numbers(objectives["R1"]) == DEVELOPING_ONE_HIT
    assert objectives["M1"]["text"] == "Explain dilation."
    # Her own id is allowed; anyone else's is refused whether they exist or not.
    assert client_for(cast.alice).get(url(cast.course.pk), {"learner": cast.alice.pk}).json() == (
        body
    )
    for other in (taken.pk, cast.charlie.pk, cast.bob.pk, 999_999):
        refused = client_for(cast.alice).get(url(cast.course.pk), {"learner": other})
        assert refused.status_code == 403
        assert refused.json()["code"] == "permission_denied"


def test_an_instructor_gets_every_learner_or_one(cast: Cast, scene: Scene, taken: Any) -> None:
    client = client_for(cast.bob)
    body = client.get(url(cast.course.pk)).json()
    assert [entry["learner"] for entry in body["learners"]] == sorted([cast.alice.pk, taken.pk])
    assert numbers(by_path(report_of(body, cast.alice))["mechanism"]) == NOT_YET_ONE_MISS
    erin = by_path(report_of(body, taken))
    assert erin["mechanism"]["n"] == 4
    assert erin["mechanism"]["status"] == DEVELOPING  # 4 right: not yet enough
    assert numbers(erin["risks"]) == NOTHING
    # charlie's answers were in course B: they appear nowhere in course A.
    assert cast.charlie.pk not in [entry["learner"] for entry in body["learners"]]
    # alice: mechanism, risks, risks/vascular once each; erin: mechanism four times.
    assert sum(topic["n"] for e in body["learners"] for topic in e["topics"]) == 3 + 4
    one = client.get(url(cast.course.pk), {"learner": cast.alice.pk}).json()
    assert [entry["learner"] for entry in one["learners"]] == [cast.alice.pk]
    assert one["learners"][0] == report_of(body, cast.alice)


def test_answers_in_another_course_do_not_count(cast: Cast, scene: Scene, taken: Any) -> None:
    membership_set(course=cast.other_course, user=cast.alice, role=Membership.Role.LEARNER)
    take_fixed(cast, cast.alice, [(q, True) for q in scene.mechanism], course=cast.other_course)
    report = client_for(cast.alice).get(url(cast.course.pk)).json()["learners"][0]
    assert numbers(by_path(report)["mechanism"]) == NOT_YET_ONE_MISS
    in_b = client_for(cast.alice).get(url(cast.other_course.pk)).json()["learners"][0]
    assert by_path(in_b)["mechanism"]["n"] == 4


def test_a_learner_with_no_answers_gets_no_evidence_everywhere(cast: Cast, scene: Scene) -> None:
    quiz_create(course=cast.course, bank=cast.bank, title="Unused", mode="practice")
    body = client_for(cast.alice).get(url(cast.course.pk)).json()
    report = body["learners"][0]
    assert {numbers(entry)["status"] for entry in report["topics"] + report["objectives"]} == {
        NO_EVIDENCE
    }
    assert len(report["topics"]) == 3
    assert len(report["objectives"]) == 2


@pytest.mark.parametrize("user", ["charlie", "dave"])
def test_others_see_nothing_of_course_a(cast: Cast, taken: Any, user: str) -> None:
    response = client_for(getattr(cast, user)).get(url(cast.course.pk))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert "alice" not in response.content.decode()


def test_an_instructor_of_another_course_of_the_institution_sees_nothing(
    cast: Cast, taken: Any
) -> None:
    frank = UserFactory.create(username="frank")
    membership_set(course=cast.other_course, user=frank, role=Membership.Role.INSTRUCTOR)
    assert client_for(frank).get(url(cast.course.pk)).status_code == 404
    # ... but their own course's learners: charlie, whose misses are all in risks.
    body = client_for(frank).get(url(cast.other_course.pk)).json()
    assert [entry["learner"] for entry in body["learners"]] == [cast.charlie.pk]
    assert by_path(body["learners"][0])["risks"]["n"] == 4
    assert by_path(body["learners"][0])["risks"]["status"] == NOT_YET


def test_dave_sees_only_his_own_institution(cast: Cast, taken: Any) -> None:
    body = client_for(cast.dave).get(url(cast.foreign_course.pk)).json()
    assert body == {"course": cast.foreign_course.pk, "learners": []}
    # dave naming alice in his own course: she is not a learner there.
    refused = client_for(cast.dave).get(url(cast.foreign_course.pk), {"learner": cast.alice.pk})
    assert refused.status_code == 400
    assert refused.json()["code"] == CODE_UNKNOWN_LEARNER


@pytest.mark.parametrize("value", ["abc", "0", "-3", "1.5", "", " 1", "١", "9" * 30])
def test_a_malformed_learner_is_a_400_with_a_code(cast: Cast, taken: Any, value: str) -> None:
    for user in (cast.bob, cast.alice):
        response = client_for(user).get(url(cast.course.pk), {"learner": value})
        assert response.status_code == 400, (user, value)
        assert response.json()["code"] == CODE_INVALID_LEARNER
        assert response.json()["fields"] == {"learner": [INVALID_LEARNER]}


def test_an_instructor_naming_someone_not_in_the_course_gets_a_400(cast: Cast, taken: Any) -> None:
    for other in (cast.charlie.pk, cast.bob.pk, cast.dave.pk, 999_999):
        response = client_for(cast.bob).get(url(cast.course.pk), {"learner": other})
        assert response.status_code == 400
        assert response.json()["code"] == CODE_UNKNOWN_LEARNER


def test_anonymous_unknown_course_and_writes(cast: Cast, taken: Any, api: APIClient) -> None:
    assert api.get(url(cast.course.pk)).status_code == 401
    assert client_for(cast.bob).get(url(999_999)).status_code == 404
    for method in ("post", "put", "patch", "delete"):
        response = getattr(client_for(cast.bob), method)(url(cast.course.pk), {}, format="json")
        assert response.status_code == 405
        assert response.json()["code"] == "method_not_allowed"


# Membership, learners, banks, topics, objectives, responses (authentication not counted:
# force_authenticate).
REPORT_QUERIES = 6


def test_the_report_costs_the_same_queries_for_one_learner_or_many(
    cast: Cast, scene: Scene, taken: Any
) -> None:
    client = client_for(cast.bob)
    with CaptureQueriesContext(connection) as one:
        client.get(url(cast.course.pk), {"learner": cast.alice.pk})
    for number in range(3):
        learner = UserFactory.create(username=f"extra{number}")
        membership_set(course=cast.course, user=learner, role=Membership.Role.LEARNER)
        take_fixed(cast, learner, [(q, number % 2 == 0) for q in scene.risks])
    with CaptureQueriesContext(connection) as many:
        body = client.get(url(cast.course.pk)).json()
    assert len(body["learners"]) == 5
    assert len(many) == len(one) == REPORT_QUERIES, [q["sql"][:120] for q in many]


def test_the_endpoint_is_in_the_openapi_schema(cast: Cast) -> None:
    schema = client_for(cast.bob).get("/api/v1/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/courses/{course_id}/mastery/"]["get"]
    assert [parameter["name"] for parameter in operation["parameters"]] == [
        "course_id",
        "learner",
    ]
    component = schema["components"]["schemas"]["TopicMastery"]
    assert set(component["properties"]) >= {"topic", "path", "n", "mean", "lower", "upper"}
