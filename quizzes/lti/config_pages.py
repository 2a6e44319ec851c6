"""What an administrator pastes into each LMS: our URLs and, where the LMS takes one, a
JSON configuration (docs/lti.md walks through each)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from quizzes.lti import claims

TITLE = "Valvuloplasty quizzes"
DESCRIPTION = "Adaptive quizzes and question banks on balloon valvuloplasty."
SCOPES = [
    claims.SCOPE_LINEITEM,
    claims.SCOPE_LINEITEM_READONLY,
    claims.SCOPE_RESULT_READONLY,
    claims.SCOPE_SCORE,
    claims.SCOPE_NRPS,
]


@dataclass(frozen=True)
class ConfigPage:
    slug: str
    name: str
    fields: list[tuple[str, str]]
    steps: list[str]
    json: dict[str, Any] | None = None

    @property
    def json_text(self) -> str:
        return json.dumps(self.json, indent=2) if self.json is not None else ""


LMS_LIST = [
    ("canvas", "Canvas"),
    ("moodle", "Moodle"),
    ("blackboard", "Blackboard"),
    ("d2l", "D2L Brightspace"),
    ("openedx", "Open edX"),
]


def tool_urls(base: str) -> dict[str, str]:
    return {
        "login": f"{base}/lti/login/",
        "launch": f"{base}/lti/launch/",
        "jwks": f"{base}/lti/jwks/",
        "deep_link": f"{base}/lti/launch/",
        "domain": base.split("://", 1)[-1],
    }


def _canvas(base: str) -> dict[str, Any]:
    urls = tool_urls(base)
    placements = [
        {
            "placement": placement,
            "message_type": "LtiDeepLinkingRequest",
            "target_link_uri": urls["launch"],
            "text": TITLE,
        }
        for placement in ("assignment_selection", "link_selection")
    ]
    return {
        "title": TITLE,
        "description": DESCRIPTION,
        "oidc_initiation_url": urls["login"],
        "target_link_uri": urls["launch"],
        "public_jwk_url": urls["jwks"],
        "scopes": SCOPES,
        "extensions": [
            {
                "platform": "canvas.instructure.com",
                "privacy_level": "public",
                "domain": urls["domain"],
                "settings": {"placements": placements},
            }
        ],
        "custom_fields": {},
    }


def page(slug: str, base: str) -> ConfigPage | None:
    urls = tool_urls(base)
    common = [
        ("OIDC login initiation URL", urls["login"]),
        ("Redirect / launch URL (target link URI)", urls["launch"]),
        ("Public keyset (JWKS) URL", urls["jwks"]),
        ("Deep linking URL", urls["deep_link"]),
    ]
    register = (
        "Register the platform here: manage.py lti_add_platform --institution SLUG --issuer "
        "ISS --client-id ID --deployment-id DEP --auth-login-url URL --auth-token-url URL "
        "--keyset-url URL (or Admin > LTI platforms)."
    )
    if slug == "canvas":
        return ConfigPage(
            slug,
            "Canvas",
            [
                *common,
                ("Issuer", "https://canvas.instructure.com"),
                ("Auth login URL", "https://sso.canvaslms.com/api/lti/authorize_redirect"),
                ("Token URL", "https://sso.canvaslms.com/login/oauth2/token"),
                ("Keyset URL", "https://sso.canvaslms.com/api/lti/security/jwks"),
            ],
            [
                "Admin > Developer Keys > + Developer Key > + LTI Key; Method: Paste JSON; paste "
                "the JSON below; save and turn the key ON.",
                "Copy the key's Client ID; Settings > Apps > + App > By Client ID to install "
                "it; the app's Deployment Id is shown under its gear menu.",
                "Add your school's Canvas origin (https://school.instructure.com) to the "
                "platform's frame origins.",
                register,
            ],
            _canvas(base),
        )
    if slug == "moodle":
        return ConfigPage(
            slug,
            "Moodle",
            [
                *common,
                ("LTI version", "LTI 1.3"),
                ("Public key type", "Keyset URL"),
                ("Issuer", "your Moodle site URL (https://moodle.example.edu)"),
                ("Auth login URL", "https://moodle.example.edu/mod/lti/auth.php"),
                ("Token URL", "https://moodle.example.edu/mod/lti/token.php"),
                ("Keyset URL", "https://moodle.example.edu/mod/lti/certs.php"),
            ],
            [
                "Site administration > Plugins > Activity modules > External tool > Manage "
                "tools > configure a tool manually.",
                "Tool URL and Redirection URI(s): the launch URL; Initiate login URL: the login "
                "URL; Public keyset: the JWKS URL; Supports Deep Linking: yes (Content "
                "Selection URL: the deep linking URL).",
                "Services: IMS LTI Assignment and Grade Services 'Use this service for grade "
                "sync and column management'; Names and Role Provisioning 'Use this "
                "service'; Privacy: share name and email.",
                "Save, then 'View configuration details' shows Platform ID (issuer), Client "
                "ID, Deployment ID and the URLs to register here.",
                register,
            ],
        )
    if slug == "blackboard":
        return ConfigPage(
            slug,
            "Blackboard",
            [
                *common,
                ("Issuer", "https://blackboard.com"),
                ("Auth login URL", "https://developer.anthology.com/api/v1/gateway/oidcauth"),
                ("Token URL", "https://developer.anthology.com/api/v1/gateway/oauth2/jwttoken"),
                (
                    "Keyset URL",
                    "https://developer.anthology.com/api/v1/management/applications/"
                    "<application id>/jwks.json",
                ),
            ],
            [
                "Register the tool on the Anthology Developer Portal: Login Initiation URL, "
                "Tool Redirect URL(s) (the launch URL), Tool JWKS URL, Signing algorithm "
                "RS256; the portal shows the Application ID (client id) and the URLs above.",
                "In Blackboard: Administrator Panel > LTI Tool Providers > Register LTI 1.3/"
                "Advantage Tool with that client id; it shows the Deployment ID. Allow "
                "grade service access and membership service access, and send name and email.",
                register,
            ],
        )
    if slug == "d2l":
        return ConfigPage(
            slug,
            "D2L Brightspace",
            [
                *common,
                ("Domain", urls["domain"]),
                ("Issuer", "https://<school>.brightspace.com"),
                ("Auth login URL", "https://<school>.brightspace.com/d2l/lti/authenticate"),
                ("Token URL", "https://auth.brightspace.com/core/connect/token"),
                ("Keyset URL", "https://<school>.brightspace.com/d2l/.well-known/jwks"),
            ],
            [
                "Admin Tools > Manage Extensibility > LTI Advantage > Register Tool (standard).",
                "Domain, Redirect URLs (the launch URL), OpenID Connect Login URL, Target Link "
                "URI and Keyset URL as listed; extensions: Assignment and Grade Services, Deep "
                "Linking, Names and Role Provisioning Services.",
                "After registering, note the Client ID, then create a Deployment (it shows the "
                "Deployment ID) with name and email sharing, and add links for deep linking.",
                register,
            ],
        )
    if slug == "openedx":
        return ConfigPage(
            slug,
            "Open edX",
            [
                *common,
                ("LTI version", "LTI 1.3"),
                ("Tool public key mode", "Keyset URL"),
                ("Issuer", "shown by the LTI consumer block (your LMS URL)"),
                ("Auth login URL", "https://<lms>/api/lti_consumer/v1/launch/"),
                ("Token URL", "https://<lms>/api/lti_consumer/v1/token/<block id>"),
                ("Keyset URL", "https://<lms>/api/lti_consumer/v1/public_keysets/<block id>"),
            ],
            [
                "In Studio enable the 'lti_consumer' advanced module, add an LTI Consumer block "
                "and choose LTI 1.3.",
                "Tool Launch URL: the launch URL; Tool Initiate Login URL: the login URL; Tool "
                "Public Key Mode: Keyset URL with the JWKS URL; enable Deep Linking with the "
                "deep linking URL and LTI Assignment and Grades Service (programmatic) and "
                "NRPS if wanted.",
                "The block shows Client ID, Deployment ID, Keyset URL, Access Token URL and "
                "Login URL after saving: register them here.",
                register,
            ],
        )
    return None
