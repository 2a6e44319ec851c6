"""Names and Role Provisioning: roster sync of one context, page by page, and the
scheduled sync of every context whose roster is due."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from quizzes.lti import claims
from quizzes.lti.conf import lti_setting
from quizzes.lti.launch import lti_user_ensure, role_from_lti
from quizzes.lti.services_http import ServiceRefused, ServiceUnavailable, call
from quizzes.models import LtiContext, LtiUser, Membership
from quizzes.services.courses import membership_set

logger = logging.getLogger(__name__)

_LINK = re.compile(r"<([^>]*)>((?:\s*;\s*[^;,]+)*)")
_PARAM = re.compile(r";\s*([^=;\s]+)\s*=\s*(\"[^\"]*\"|[^;,\s]+)")


def next_link(headers: list[str]) -> str | None:
    """The rel=next target of RFC 8288 Link headers, with the rel quoted or not."""
    for header in headers:
        for match in _LINK.finditer(header):
            for name, value in _PARAM.findall(match.group(2)):
                if name.lower() == "rel" and "next" in value.strip('"').lower().split():
                    return match.group(1).strip()
    return None


@dataclass
class RosterReport:
    pages: int = 0
    active: int = 0
    deactivated: int = 0
    # Set by the scheduled sync: which context, and why it failed (empty: it succeeded).
    context: str = ""
    error: str = ""

    def summary(self) -> str:
        text = (
            f"failed: {self.error}"
            if self.error
            else f"{self.pages} page(s), {self.active} active, {self.deactivated} deactivated"
        )
        return f"{self.context}: {text}" if self.context else text


def roster_sync(*, context: LtiContext) -> RosterReport:
    """Bring the course's LTI memberships in line with the platform's roster: members
    added or updated with their role; members who left, or are Inactive/Deleted, marked
    inactive. Memberships made outside LTI are left alone."""
    if not context.memberships_url:
        raise ServiceRefused("The platform did not offer Names and Role Provisioning here.")
    platform, course = context.platform, context.course
    report = RosterReport()
    members: list[dict[str, object]] = []
    url: str | None = context.memberships_url
    seen_urls: set[str] = set()
    while url and url not in seen_urls:
        if report.pages >= int(lti_setting("LTI_ROSTER_MAX_PAGES")):
            raise ServiceRefused(f"The roster has more than {report.pages} pages.")
        seen_urls.add(url)
        answer = call(platform, [claims.SCOPE_NRPS], "GET", url, accept=claims.MEDIA_MEMBERSHIPS)
        data = answer.json()
        page = data.get("members", []) if isinstance(data, dict) else []
        members.extend(member for member in page if isinstance(member, dict))
        report.pages += 1
        url = next_link(answer.links)

    with transaction.atomic():
        present: set[int] = set()
        for member in members:
            sub = str(member.get("user_id") or "")
            if not sub:
                continue
            user = lti_user_ensure(
                platform=platform,
                sub=sub,
                email=str(member.get("email") or "")[:254],
                name=str(member.get("name") or member.get("given_name") or "")[:150],
            )
            roles = member.get("roles")
            role = role_from_lti(
                [r for r in roles if isinstance(r, str)] if isinstance(roles, list) else []
            )
            if str(member.get("status") or "Active") == "Active":
                membership_set(course=course, user=user, role=role)
                present.add(user.pk)
                report.active += 1
        lti_user_ids = LtiUser.objects.filter(platform=platform).values("user_id")
        report.deactivated = (
            Membership.objects.filter(course=course, is_active=True, user_id__in=lti_user_ids)
            .exclude(user_id__in=present)
            .update(is_active=False)
        )
        LtiContext.objects.filter(pk=context.pk).update(roster_synced_at=timezone.now())
    return report


def rosters_due(now: datetime | None = None) -> list[LtiContext]:
    """Contexts with a roster service whose last sync is older than LTI_ROSTER_SYNC_SECONDS
    (or never happened), on active platforms: never synced first, then the oldest."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=int(lti_setting("LTI_ROSTER_SYNC_SECONDS")))
    return list(
        LtiContext.objects.filter(platform__is_active=True)
        .exclude(memberships_url="")
        .filter(Q(roster_synced_at__isnull=True) | Q(roster_synced_at__lte=cutoff))
        .select_related("platform", "course")
        .order_by(F("roster_synced_at").asc(nulls_first=True), "pk")
    )


def rosters_sync_due(now: datetime | None = None) -> list[RosterReport]:
    """Sync every due roster (rosters_due). A context that fails is reported (and logged)
    with its error and tried again at the next check; the others go on."""
    reports: list[RosterReport] = []
    for context in rosters_due(now):
        label = f"{context.platform} / {context.context_id} (course {context.course.slug})"
        try:
            report = roster_sync(context=context)
        except (ServiceRefused, ServiceUnavailable) as error:
            report = RosterReport(error=str(error))
        except Exception as error:  # one context's bad answer must not stop the rest
            logger.exception("Roster sync of %s failed", label)
            report = RosterReport(error=f"{type(error).__name__}: {error}")
        report.context = label
        if report.error:
            logger.warning("Roster sync of %s failed: %s", label, report.error)
        reports.append(report)
    return reports
