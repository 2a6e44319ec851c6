"""Admin for LTI: platforms and deployments (scoped to the educator's institutions), the
tool keys (superusers), and score deliveries with their errors (instructors see what the
LMS refused). Imported at the end of quizzes/admin.py."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from quizzes.admin import ScopedAdmin
from quizzes.lti.delivery import scores_retry
from quizzes.lti.keys import tool_key_rotate
from quizzes.models import LtiDeployment, LtiPlatform, LtiScoreDelivery, LtiToolKey


class LtiDeploymentInline(admin.TabularInline):
    model = LtiDeployment
    extra = 1
    fields = ["deployment_id"]


@admin.register(LtiPlatform)
class LtiPlatformAdmin(ScopedAdmin):
    list_display = ["__str__", "institution", "issuer", "client_id", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "issuer", "client_id"]
    inlines = [LtiDeploymentInline]
    fields = [
        "institution",
        "name",
        "issuer",
        "client_id",
        "auth_login_url",
        "auth_token_url",
        "auth_audience",
        "keyset_url",
        "frame_origins",
        "is_active",
        "jwks_fetched_at",
        "jwks_expires_at",
    ]
    readonly_fields = ["jwks_fetched_at", "jwks_expires_at"]


@admin.register(LtiScoreDelivery)
class LtiScoreDeliveryAdmin(ScopedAdmin):
    institution_path = "grade__quiz__course__institution"
    list_display = [
        "grade",
        "score_given",
        "score_maximum",
        "timestamp",
        "status",
        "per_link",
        "tries",
        "next_try_at",
        "last_error",
    ]
    list_filter = ["status"]
    list_select_related = ["grade"]
    actions = ["retry"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="Per LMS link")
    def per_link(self, obj: LtiScoreDelivery) -> SafeString:
        """Each placement's outcome: a retry re-sends only those not delivered."""
        results = [r for r in (obj.link_results or {}).values() if isinstance(r, dict)]
        return format_html_join(
            "\n",
            "<div>{}: <strong>{}</strong>{}</div>",
            (
                (
                    r.get("link", "?"),
                    r.get("status", "?"),
                    f" ({r['error']})" if r.get("error") else "",
                )
                for r in results
            ),
        )

    @admin.action(description="Send the selected failed scores again")
    def retry(self, request: HttpRequest, queryset: QuerySet[LtiScoreDelivery]) -> None:
        count = scores_retry(ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{count} score(s) queued again.")


@admin.register(LtiToolKey)
class LtiToolKeyAdmin(admin.ModelAdmin):
    """Superusers only (the default permissions); private keys are never shown."""

    list_display = ["kid", "created_at", "activates_at", "retired_at", "publish_until"]
    fields = ("kid", "created_at", "activates_at", "retired_at", "publish_until", "public_jwk")
    readonly_fields = fields
    actions = ["rotate"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Rotate: create a new signing key (the old one stays published)")
    def rotate(self, request: HttpRequest, queryset: QuerySet[LtiToolKey]) -> None:
        key = tool_key_rotate()
        self.message_user(request, f"New key {key.kid} signs from {key.activates_at}.")
