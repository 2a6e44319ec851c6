"""Pages an LMS frames: frame-ancestors limited to the registered LMS origins.

An LTI launch lands a learner on the quiz pages inside the LMS's iframe. Those pages (quiz
intro, attempt, result, review) allow framing by 'self' and by the origins of the active
LTI platforms registered for the quiz's institution (issuer, login URL, and the extra
``frame_origins``); every other page keeps the site-wide ``frame-ancestors 'none'``.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.utils.csp import CSP

from quizzes.lti.platforms import frame_origins
from quizzes.selectors.pages import lti_platforms_of_institution


def lms_origins(institution_id: int) -> list[str]:
    origins: list[str] = []
    for platform in lti_platforms_of_institution(institution_id):
        origins.extend(frame_origins(platform))
    return list(dict.fromkeys(origins))


def allow_lms_framing(response: HttpResponse, *, institution_id: int) -> HttpResponse:
    """Let the institution's LMSs frame this response (CSP frame-ancestors, no XFO)."""
    policy = dict(settings.SECURE_CSP)
    policy["frame-ancestors"] = [CSP.SELF, *lms_origins(institution_id)]
    response._csp_config = policy  # type: ignore[attr-defined]
    response.xframe_options_exempt = True
    return response
