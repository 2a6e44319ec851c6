"""What a validated launch does: the LTI user becomes a learner or instructor of the
course (context), the resource link maps to a quiz, and a launch record is kept whose
token the LTI pages carry (they work where the LMS iframe gets no cookies)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from quizzes.lti import claims, errors
from quizzes.lti.conf import lti_setting
from quizzes.lti.errors import LtiError
from quizzes.lti.oidc import ValidatedLaunch
from quizzes.models import (
    Course,
    LtiContext,
    LtiLaunch,
    LtiPlatform,
    LtiResourceLink,
    LtiUser,
    Membership,
    Quiz,
)
from quizzes.services.courses import course_ensure, membership_set, user_ensure

INSTRUCTOR_ROLES = {"Instructor", "ContentDeveloper", "TeachingAssistant", "Mentor"}
ADMIN_ROLES = {"Administrator"}


def role_from_lti(roles: list[str]) -> str:
    """Our membership role for a list of LTI role URIs (context roles win)."""
    context_names: set[str] = set()
    other_names: set[str] = set()
    for role in roles:
        matched = False
        for prefix in claims.ROLE_PREFIXES:
            if role.startswith(prefix):
                # membership/Instructor#TeachingAssistant style sub-roles count as Instructor
                name = role[len(prefix) :]
                (context_names if "membership" in prefix else other_names).add(name)
                matched = True
        if not matched and role.startswith("http://purl.imsglobal.org/vocab/lis/v2/membership/"):
            context_names.add(role.rsplit("/", 1)[-1].split("#")[0])
        elif not matched and "/" not in role:  # deprecated short names ("Instructor")
            context_names.add(role)
    if context_names & ADMIN_ROLES:
        return Membership.Role.ADMIN
    if context_names & INSTRUCTOR_ROLES:
        return Membership.Role.INSTRUCTOR
    if not context_names and other_names & ADMIN_ROLES:
        return Membership.Role.ADMIN
    return Membership.Role.LEARNER


def _username(platform: LtiPlatform, sub: str) -> str:
    digest = hashlib.sha256(f"{platform.pk}:{sub}".encode()).hexdigest()[:24]
    return f"lti-{platform.pk}-{digest}"


def lti_user_ensure(*, platform: LtiPlatform, sub: str, email: str = "", name: str = "") -> User:
    identity = LtiUser.objects.filter(platform=platform, sub=sub).select_related("user").first()
    if identity is not None:
        user = identity.user
        changed = []
        if email and user.email != email:
            user.email = email
            changed.append("email")
        if name and user.first_name != name[:150]:
            user.first_name = name[:150]
            changed.append("first_name")
        if changed:
            user.save(update_fields=changed)
        return user
    user = user_ensure(username=_username(platform, sub), email=email, first_name=name[:150])
    LtiUser.objects.get_or_create(platform=platform, sub=sub, defaults={"user": user})
    return user


def lti_context_ensure(*, platform: LtiPlatform, context: dict[str, Any]) -> LtiContext:
    context_id = str(context["id"])
    title = str(context.get("title") or context.get("label") or context_id)[:200]
    existing = LtiContext.objects.filter(platform=platform, context_id=context_id).first()
    if existing is not None:
        if existing.title != title:
            existing.title = title
            existing.save(update_fields=["title"])
        return existing
    # An administrator may have tied one of our courses to this LMS course beforehand.
    course = Course.objects.filter(
        institution=platform.institution, lti_context_id=context_id
    ).first()
    if course is None:
        digest = hashlib.sha256(f"{platform.pk}:{context_id}".encode()).hexdigest()[:10]
        label = slugify(str(context.get("label") or ""))[:40]
        slug = f"lti-{platform.pk}-{label}-{digest}".replace("--", "-")
        course = course_ensure(institution=platform.institution, slug=slug, title=title)
        course.lti_context_id = context_id[:255]
        course.save(update_fields=["lti_context_id"])
    return LtiContext.objects.create(
        platform=platform, context_id=context_id, course=course, title=title
    )


def _services(launch: ValidatedLaunch, context: LtiContext, link: LtiResourceLink | None) -> None:
    ags = launch.claim(claims.AGS_ENDPOINT) or {}
    nrps = launch.claim(claims.NRPS) or {}
    context_changes: dict[str, Any] = {}
    if isinstance(ags, dict):
        if ags.get("lineitems") and ags["lineitems"] != context.lineitems_url:
            context_changes["lineitems_url"] = ags["lineitems"]
        if isinstance(ags.get("scope"), list) and ags["scope"] != context.ags_scopes:
            context_changes["ags_scopes"] = ags["scope"]
        if link is not None and ags.get("lineitem") and ags["lineitem"] != link.lineitem_url:
            link.lineitem_url = ags["lineitem"]
            link.save(update_fields=["lineitem_url"])
    memberships_url = nrps.get("context_memberships_url") if isinstance(nrps, dict) else None
    if memberships_url and memberships_url != context.memberships_url:
        context_changes["memberships_url"] = memberships_url
    if context_changes:
        for name, value in context_changes.items():
            setattr(context, name, value)
        context.save(update_fields=list(context_changes))


def _quiz_from_custom(platform: LtiPlatform, custom: Any) -> Quiz | None:
    if not isinstance(custom, dict):
        return None
    quiz_id = str(custom.get("quiz_id", ""))
    if not quiz_id.isdigit():
        return None
    return Quiz.objects.filter(pk=int(quiz_id), course__institution=platform.institution).first()


@transaction.atomic
def launch_record(*, launch: ValidatedLaunch) -> LtiLaunch:
    """Map the validated launch onto users, memberships, course and quiz."""
    platform = launch.platform
    context_claim = launch.claim(claims.CONTEXT)
    if not isinstance(context_claim, dict) or not context_claim.get("id"):
        raise LtiError(errors.CONTEXT_MISSING, platform=platform)
    context = lti_context_ensure(platform=platform, context=context_claim)
    role = role_from_lti(launch.roles)

    link: LtiResourceLink | None = None
    if launch.message_type == claims.RESOURCE_LINK_REQUEST:
        link_claim = launch.claim(claims.RESOURCE_LINK)
        link, _ = LtiResourceLink.objects.get_or_create(
            platform=platform,
            resource_link_id=link_claim["id"],
            defaults={"context": context, "title": str(link_claim.get("title") or "")[:255]},
        )
        if link.quiz is None:
            quiz = _quiz_from_custom(platform, launch.claim(claims.CUSTOM))
            if quiz is not None:
                link.quiz = quiz
                link.save(update_fields=["quiz"])
    elif role == Membership.Role.LEARNER:
        raise LtiError(errors.NOT_INSTRUCTOR, platform=platform)
    _services(launch, context, link)

    is_guest = launch.sub is None
    if is_guest:
        quiz = link.quiz if link is not None else None
        if quiz is None or not quiz.allow_guests:
            raise LtiError(errors.ANONYMOUS_REFUSED, platform=platform)
        role = Membership.Role.LEARNER
        user = user_ensure(username=f"lti-guest-{secrets.token_hex(12)}")
    else:
        assert launch.sub is not None
        user = lti_user_ensure(
            platform=platform,
            sub=launch.sub,
            email=str(launch.claim("email") or "")[:254],
            name=str(launch.claim("name") or launch.claim("given_name") or "")[:150],
        )
    membership_set(course=context.course, user=user, role=role)
    quiz = link.quiz if link is not None else None
    if quiz is not None and quiz.course_id != context.course_id:
        # The link grants access to its quiz even when it lives in another of our courses
        # (an LMS course copied from the one the quiz was linked in).
        membership_set(course=quiz.course, user=user, role=role)

    now = timezone.now()
    return LtiLaunch.objects.create(
        token=secrets.token_urlsafe(32),
        platform=platform,
        deployment=launch.deployment,
        message_type=launch.message_type,
        user=user,
        is_guest=is_guest,
        role=role,
        roles=launch.roles,
        context=context,
        resource_link=link,
        deep_linking_settings=launch.claim(claims.DEEP_LINKING_SETTINGS) or {},
        created_at=now,
        expires_at=now + timedelta(seconds=int(lti_setting("LTI_LAUNCH_SECONDS"))),
    )


def launch_for_token(token: str) -> LtiLaunch:
    launch = (
        LtiLaunch.objects.filter(token=token, expires_at__gt=timezone.now())
        .select_related(
            "platform",
            "platform__institution",
            "user",
            "context",
            "context__course",
            "resource_link",
            "resource_link__quiz",
            "deployment",
        )
        .first()
    )
    if launch is None:
        raise LtiError(errors.LAUNCH_EXPIRED)
    return launch


@transaction.atomic
def resource_link_set_quiz(*, launch: LtiLaunch, quiz_id: int) -> LtiResourceLink:
    """An instructor attaches the launched link to a quiz of the course."""
    if launch.role == Membership.Role.LEARNER or launch.resource_link is None:
        raise LtiError(errors.NOT_INSTRUCTOR, platform=launch.platform)
    assert launch.context is not None
    quiz = Quiz.objects.filter(pk=quiz_id, course=launch.context.course).first()
    if quiz is None:
        from quizzes.exceptions import NotFound

        raise NotFound("No such quiz in this course.", code="quiz_not_found")
    link = launch.resource_link
    link.quiz = quiz
    link.save(update_fields=["quiz"])
    return link
