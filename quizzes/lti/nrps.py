"""Names and Role Provisioning: roster sync of one context, page by page."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from quizzes.lti import claims
from quizzes.lti.conf import lti_setting
from quizzes.lti.launch import lti_user_ensure, role_from_lti
from quizzes.lti.services_http import ServiceRefused, call
from quizzes.models import LtiContext, LtiUser, Membership
from quizzes.services.courses import membership_set

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

    def summary(self) -> str:
        return f"{self.pages} page(s), {self.active} active, {self.deactivated} deactivated"


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
