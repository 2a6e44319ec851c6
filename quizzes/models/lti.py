"""LTI 1.3 Advantage: platform registrations, tool keys, launches and their mappings.

Every row hangs off an ``LtiPlatform``, which belongs to exactly one institution, so the
tenant boundary of the rest of the domain holds here too.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from quizzes.models.grades import GradeOutbox
from quizzes.models.institutions import Course, Institution
from quizzes.models.quizzes import Quiz


class LtiPlatform(models.Model):
    """An LMS registration (issuer + client_id) of one institution."""

    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="lti_platforms"
    )
    name = models.CharField(max_length=200, blank=True, default="")
    issuer = models.CharField(max_length=255)
    client_id = models.CharField(max_length=255)
    auth_login_url = models.URLField(max_length=500, help_text="OIDC authorization endpoint.")
    auth_token_url = models.URLField(max_length=500, help_text="OAuth 2 token endpoint.")
    auth_audience = models.CharField(
        max_length=500,
        blank=True,
        default="",
        help_text="aud of our client assertions when the LMS wants something other than the "
        "token URL (rare; leave empty).",
    )
    keyset_url = models.URLField(max_length=500, help_text="The platform's JWKS URL.")
    frame_origins = models.CharField(
        max_length=1000,
        blank=True,
        default="",
        help_text="Space-separated origins allowed to frame the tool (e.g. "
        "https://school.instructure.com); the issuer and login URL origins are always allowed.",
    )
    is_active = models.BooleanField(default=True)
    # The platform's JWKS, cached by the HTTP caching rules of its response.
    jwks = models.JSONField(default=dict, blank=True)
    jwks_etag = models.CharField(max_length=255, blank=True, default="")
    jwks_last_modified = models.CharField(max_length=64, blank=True, default="")
    jwks_fetched_at = models.DateTimeField(null=True, blank=True)
    jwks_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["institution", "issuer", "client_id"]
        verbose_name = "LTI platform"
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "client_id"], name="lti_platform_issuer_client_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name or f"{self.issuer} ({self.client_id})"


class LtiDeployment(models.Model):
    platform = models.ForeignKey(LtiPlatform, on_delete=models.CASCADE, related_name="deployments")
    deployment_id = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["platform", "deployment_id"]
        verbose_name = "LTI deployment"
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "deployment_id"], name="lti_deployment_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.deployment_id


class LtiToolKey(models.Model):
    """One of our RSA signing keys. The newest unretired key signs; a retired key stays in
    the JWKS until ``publish_until`` so tokens signed with it can still be verified."""

    kid = models.CharField(max_length=64, unique=True)
    private_pem = models.TextField()
    public_jwk = models.JSONField()
    created_at = models.DateTimeField()
    # Published from creation, signing from here: platforms that cached our JWKS see the
    # key before any token signed with it reaches them.
    activates_at = models.DateTimeField()
    retired_at = models.DateTimeField(null=True, blank=True)
    publish_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "LTI tool key"

    def __str__(self) -> str:
        return self.kid


class LtiLoginState(models.Model):
    """An OIDC login we started: its state (bound to the browser by a cookie) and the
    nonce the id_token must carry, consumed exactly once."""

    platform = models.ForeignKey(LtiPlatform, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=128, unique=True)
    nonce = models.CharField(max_length=128, unique=True)
    target_link_uri = models.CharField(max_length=1000)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    consumed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["expires_at"], name="lti_login_state_expires_idx")]

    def __str__(self) -> str:
        return f"login state {self.pk}"


class LtiUser(models.Model):
    """The platform's user id (sub) of one of our users."""

    platform = models.ForeignKey(LtiPlatform, on_delete=models.CASCADE, related_name="users")
    sub = models.CharField(max_length=255)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lti_identities"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "LTI user"
        constraints = [
            models.UniqueConstraint(fields=["platform", "sub"], name="lti_user_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.sub} -> {self.user_id}"


class LtiContext(models.Model):
    """A platform course (context) mapped to one of our courses, with its service URLs."""

    platform = models.ForeignKey(LtiPlatform, on_delete=models.CASCADE, related_name="contexts")
    context_id = models.CharField(max_length=255)
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="lti_contexts")
    title = models.CharField(max_length=255, blank=True, default="")
    lineitems_url = models.CharField(max_length=1000, blank=True, default="")
    ags_scopes = models.JSONField(default=list, blank=True)
    memberships_url = models.CharField(max_length=1000, blank=True, default="")
    roster_synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "LTI context"
        constraints = [
            models.UniqueConstraint(fields=["platform", "context_id"], name="lti_context_unique"),
        ]

    def __str__(self) -> str:
        return self.title or self.context_id


class LtiResourceLink(models.Model):
    """A placement of the tool in a platform course, mapped to one quiz."""

    platform = models.ForeignKey(
        LtiPlatform, on_delete=models.CASCADE, related_name="resource_links"
    )
    context = models.ForeignKey(
        LtiContext, on_delete=models.CASCADE, related_name="resource_links", null=True
    )
    resource_link_id = models.CharField(max_length=255)
    quiz = models.ForeignKey(
        Quiz, on_delete=models.SET_NULL, null=True, blank=True, related_name="lti_links"
    )
    title = models.CharField(max_length=255, blank=True, default="")
    lineitem_url = models.CharField(max_length=1000, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "LTI resource link"
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "resource_link_id"], name="lti_resource_link_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.title or self.resource_link_id


class LtiLaunch(models.Model):
    """A validated launch. Its random ``token`` is the launch-scoped credential the LTI
    pages carry, so they work inside an iframe whose cookies the browser blocks."""

    token = models.CharField(max_length=64, unique=True)
    platform = models.ForeignKey(LtiPlatform, on_delete=models.CASCADE, related_name="launches")
    deployment = models.ForeignKey(LtiDeployment, on_delete=models.CASCADE, related_name="+")
    message_type = models.CharField(max_length=64)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lti_launches"
    )
    is_guest = models.BooleanField(default=False)
    role = models.CharField(max_length=16)
    roles = models.JSONField(default=list)
    context = models.ForeignKey(LtiContext, on_delete=models.CASCADE, null=True, related_name="+")
    resource_link = models.ForeignKey(
        LtiResourceLink, on_delete=models.CASCADE, null=True, related_name="launches"
    )
    deep_linking_settings = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = "LTI launch"
        indexes = [models.Index(fields=["user", "created_at"], name="lti_launch_user_idx")]

    def __str__(self) -> str:
        return f"launch {self.pk} ({self.message_type})"


class LtiScoreDelivery(GradeOutbox):
    """The grade outbox as instructors see it in the admin: delivery state per score."""

    class Meta:
        proxy = True
        verbose_name = "LTI score delivery"
        verbose_name_plural = "LTI score deliveries"
