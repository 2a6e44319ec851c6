"""The fixed test cast (STYLE.md): who should and who "should have no access".

- alice: learner in course A of institution 1
- bob: instructor of course A
- charlie: learner in course B of institution 1 (another course)
- dave: instructor in institution 2; should have no access to anything of institution 1
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User
from hypothesis import HealthCheck, settings
from rest_framework.test import APIClient

from quizzes.models import Bank, Course, Institution, Membership
from tests.browser import chromium  # noqa: F401 (the shared browser fixture)
from tests.factories import (
    BankFactory,
    CourseFactory,
    InstitutionFactory,
    MembershipFactory,
    UserFactory,
)

# Property tests are deterministic (derandomize) and have no per-example deadline: CI
# machines are shared, and a slow example is not a failure of the property.
settings.register_profile(
    "project", deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("project")


@dataclass
class Cast:
    institution: Institution
    other_institution: Institution
    course: Course
    other_course: Course
    foreign_course: Course
    bank: Bank
    foreign_bank: Bank
    alice: User
    bob: User
    charlie: User
    dave: User


@pytest.fixture
def cast(db: None) -> Cast:
    institution = InstitutionFactory.create(slug="one", name="Institution One")
    other_institution = InstitutionFactory.create(slug="two", name="Institution Two")
    course = CourseFactory.create(institution=institution, slug="course-a")
    other_course = CourseFactory.create(institution=institution, slug="course-b")
    foreign_course = CourseFactory.create(institution=other_institution, slug="course-z")
    alice = UserFactory.create(username="alice")
    bob = UserFactory.create(username="bob", is_staff=True)
    charlie = UserFactory.create(username="charlie")
    dave = UserFactory.create(username="dave", is_staff=True)
    MembershipFactory.create(user=alice, course=course, role=Membership.Role.LEARNER)
    MembershipFactory.create(user=bob, course=course, role=Membership.Role.INSTRUCTOR)
    MembershipFactory.create(user=charlie, course=other_course, role=Membership.Role.LEARNER)
    MembershipFactory.create(user=dave, course=foreign_course, role=Membership.Role.INSTRUCTOR)
    return Cast(
        institution=institution,
        other_institution=other_institution,
        course=course,
        other_course=other_course,
        foreign_course=foreign_course,
        bank=BankFactory.create(institution=institution, title="Valves"),
        foreign_bank=BankFactory.create(institution=other_institution, title="Foreign"),
        alice=alice,
        bob=bob,
        charlie=charlie,
        dave=dave,
    )


@pytest.fixture
def api() -> APIClient:
    return APIClient()
