"""The domain (DESIGN.md, "Domain"): one module per aggregate, re-exported here."""

from quizzes.models.analytics import CalibrationRun, ItemCalibration
from quizzes.models.attempts import Attempt, AttemptItem, Response
from quizzes.models.banks import Bank, Objective, Tag, Topic
from quizzes.models.grades import Grade, GradeOutbox
from quizzes.models.institutions import Course, Institution, Membership
from quizzes.models.lti import (
    LtiContext,
    LtiDeployment,
    LtiLaunch,
    LtiLoginState,
    LtiPlatform,
    LtiResourceLink,
    LtiScoreDelivery,
    LtiToolKey,
    LtiUser,
)
from quizzes.models.questions import Option, Question, QuestionRevision
from quizzes.models.quizzes import Quiz, QuizOverride, QuizQuestion

__all__ = [
    "Attempt",
    "AttemptItem",
    "Bank",
    "CalibrationRun",
    "Course",
    "Grade",
    "GradeOutbox",
    "Institution",
    "ItemCalibration",
    "LtiContext",
    "LtiDeployment",
    "LtiLaunch",
    "LtiLoginState",
    "LtiPlatform",
    "LtiResourceLink",
    "LtiScoreDelivery",
    "LtiToolKey",
    "LtiUser",
    "Membership",
    "Objective",
    "Option",
    "Question",
    "QuestionRevision",
    "Quiz",
    "QuizOverride",
    "QuizQuestion",
    "Response",
    "Tag",
    "Topic",
]
