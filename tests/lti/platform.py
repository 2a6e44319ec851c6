"""A strict LTI 1.3 Advantage platform for the tests, on a loopback HTTP server.

It signs id_tokens (RS256, with its kid) and serves what a real LMS serves to a tool: its
JWKS (with HTTP caching headers), the OAuth 2 token endpoint (client_credentials with a
JWT assertion it verifies against the tool's JWKS: iss = sub = client_id, aud = the exact
token URL, unique jti), AGS line items, scores and results (exact media types and fields),
and NRPS memberships paged with Link rel=next (quoted and unquoted in turn). ``down``
makes every endpoint answer 503, as an LMS under maintenance would; ``score_status``
makes the score endpoint refuse every score with that status.

For the browser tests it also serves what a browser sees of an LMS: a course page that
frames the tool (``browser_launch`` says how) beside a platform storage frame answering
``lti.put_data`` / ``lti.get_data`` postMessages (LTI Client Side postMessages), and the
OIDC auth endpoint, which posts a signed launch back to the tool.
"""

from __future__ import annotations

import html
import json
import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from quizzes.lti import claims
from quizzes.lti.keys import public_jwk

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3,9}(Z|[+-]\d\d:\d\d)$")
SCORE_FIELDS = {
    "userId",
    "scoreGiven",
    "scoreMaximum",
    "activityProgress",
    "gradingProgress",
    "timestamp",
}
ACTIVITY = {"Initialized", "Started", "InProgress", "Submitted", "Completed"}
GRADING = {"FullyGraded", "Pending", "PendingManual", "Failed", "NotReady"}
ROLE_LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
ROLE_INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"


STORAGE_FRAME = "post_message_forwarding"
# The platform storage frame: answers lti.put_data / lti.get_data postMessages, keeping
# the values per origin of the sender (a tool reads only what it stored), as platforms do.
# It logs what it saw in window.ltiStorageLog for the tests.
STORAGE_SCRIPT = """
var store = {};
window.ltiStorageLog = [];
window.addEventListener("message", function (event) {
  var data = event.data;
  if (!data || typeof data !== "object" || !data.message_id || !data.subject) { return; }
  window.ltiStorageLog.push({subject: data.subject, key: data.key, origin: event.origin});
  var slot = event.origin + " " + data.key;
  var answer = {subject: data.subject + ".response", message_id: data.message_id, key: data.key};
  if (data.subject === "lti.put_data") {
    if (!FORGETS) { store[slot] = data.value; }
    answer.value = data.value;
  } else if (data.subject === "lti.get_data") {
    if (Object.prototype.hasOwnProperty.call(store, slot)) {
      answer.value = store[slot];
    } else {
      answer.error = {code: "bad_request", message: "no such key"};
    }
  } else {
    answer.error = {code: "unsupported_subject", message: "unsupported"};
  }
  event.source.postMessage(answer, event.origin);
});
"""


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class Member:
    user_id: str
    roles: list[str]
    name: str = ""
    email: str = ""
    status: str = "Active"


@dataclass
class LoopbackPlatform:
    client_id: str = "tool-client-1"
    deployment_id: str = "deployment-1"
    context_id: str = "ctx-1"
    key: rsa.RSAPrivateKey = field(default_factory=new_key)
    kid: str = "platform-key-1"
    # Keys still published after a rotation (kid -> key).
    old_keys: dict[str, rsa.RSAPrivateKey] = field(default_factory=dict)
    tool_jwks: dict[str, Any] = field(default_factory=lambda: {"keys": []})
    down: bool = False
    fail_statuses: list[int] = field(default_factory=list)
    # Every score POST answered with this status (a platform refusing the tool's scores).
    score_status: int | None = None
    jwks_requests: int = 0
    token_requests: int = 0
    used_jtis: set[str] = field(default_factory=set)
    tokens: dict[str, tuple[set[str], float]] = field(default_factory=dict)
    lineitems: dict[str, dict[str, Any]] = field(default_factory=dict)
    scores: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    members: list[Member] = field(default_factory=list)
    page_size: int = 2
    log: list[str] = field(default_factory=list)
    deep_link_responses: list[dict[str, Any]] = field(default_factory=list)
    port: int = 0
    # Browser launches: the tool's login URL (with its query) the course page frames, the
    # tool's launch URL, and the launch_claims() arguments of the id_token /auth signs.
    browser_launch: dict[str, Any] = field(default_factory=dict)
    # /auth shows a Continue button instead of posting back at once (a test can act
    # between the login and the launch); the storage frame forgets everything it stored.
    hold_auth: bool = False
    storage_forgets: bool = False

    # -- server ------------------------------------------------------------------------
    def start(self) -> LoopbackPlatform:
        platform = self

        class Handler(_Handler):
            owner = platform

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def issuer(self) -> str:
        return self.url

    @property
    def auth_login_url(self) -> str:
        return self.url + "/auth"

    @property
    def token_url(self) -> str:
        return self.url + "/token"

    @property
    def keyset_url(self) -> str:
        return self.url + "/jwks"

    @property
    def lineitems_url(self) -> str:
        return f"{self.url}/contexts/{self.context_id}/lineitems"

    @property
    def memberships_url(self) -> str:
        return f"{self.url}/contexts/{self.context_id}/memberships"

    def rotate_key(self) -> None:
        """Publish a new key and sign with it; the old one stays published."""
        self.old_keys[self.kid] = self.key
        self.key, self.kid = new_key(), f"platform-key-{len(self.old_keys) + 1}"

    def jwks(self) -> dict[str, Any]:
        keys = [public_jwk(self.key, self.kid)]
        keys += [public_jwk(key, kid) for kid, key in self.old_keys.items()]
        return {"keys": keys}

    # -- messages ----------------------------------------------------------------------
    def launch_claims(
        self,
        *,
        nonce: str,
        tool_client_id: str | None = None,
        sub: str | None = "learner-1",
        roles: list[str] | None = None,
        resource_link_id: str = "link-1",
        target_link_uri: str = "http://testserver/lti/launch/",
        custom: dict[str, str] | None = None,
        lineitem: str | None = None,
    ) -> dict[str, Any]:
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": self.issuer,
            "aud": tool_client_id or self.client_id,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            "name": "Ada Learner",
            "email": "ada@example.test",
            claims.DEPLOYMENT_ID: self.deployment_id,
            claims.MESSAGE_TYPE: claims.RESOURCE_LINK_REQUEST,
            claims.VERSION: claims.LTI_VERSION,
            claims.ROLES: roles if roles is not None else [ROLE_LEARNER],
            claims.RESOURCE_LINK: {"id": resource_link_id, "title": "Valve quiz"},
            claims.TARGET_LINK_URI: target_link_uri,
            claims.CONTEXT: {"id": self.context_id, "label": "CARD101", "title": "Cardiology"},
            claims.AGS_ENDPOINT: {
                "scope": [
                    claims.SCOPE_LINEITEM,
                    claims.SCOPE_RESULT_READONLY,
                    claims.SCOPE_SCORE,
                ],
                "lineitems": self.lineitems_url,
                **({"lineitem": lineitem} if lineitem else {}),
            },
            claims.NRPS: {
                "context_memberships_url": self.memberships_url,
                "service_versions": ["2.0"],
            },
        }
        if sub is not None:
            payload["sub"] = sub
        if custom is not None:
            payload[claims.CUSTOM] = custom
        return payload

    def deep_linking_claims(self, *, nonce: str, data: str = "opaque-data-42") -> dict[str, Any]:
        payload = self.launch_claims(nonce=nonce, sub="teacher-1", roles=[ROLE_INSTRUCTOR])
        del payload[claims.RESOURCE_LINK]
        payload[claims.MESSAGE_TYPE] = claims.DEEP_LINKING_REQUEST
        payload[claims.DEEP_LINKING_SETTINGS] = {
            "deep_link_return_url": self.url + "/deep-link-return",
            "accept_types": ["ltiResourceLink"],
            "accept_presentation_document_targets": ["iframe", "window"],
            "accept_multiple": False,
            "data": data,
        }
        return payload

    def sign(
        self,
        payload: dict[str, Any],
        *,
        key: Any = None,
        kid: str | None = None,
        algorithm: str = "RS256",
    ) -> str:
        return jwt.encode(
            payload,
            key if key is not None else self.key,
            algorithm=algorithm,
            headers={"kid": kid if kid is not None else self.kid},
        )

    def authorize(self, query: dict[str, str], *, tool_redirect_uri: str) -> dict[str, str]:
        """The OIDC authorization endpoint, strictly: what it checks, and the nonce and
        state it would post back."""
        expected = {
            "scope": "openid",
            "response_type": "id_token",
            "response_mode": "form_post",
            "prompt": "none",
            "client_id": self.client_id,
            "redirect_uri": tool_redirect_uri,
        }
        for name, value in expected.items():
            assert query.get(name) == value, f"authorization request {name}={query.get(name)!r}"
        assert query.get("nonce"), "authorization request without nonce"
        assert query.get("state"), "authorization request without state"
        assert query.get("login_hint"), "authorization request without login_hint"
        return {"nonce": query["nonce"], "state": query["state"]}

    # -- service checks ----------------------------------------------------------------
    def verify_tool_jwt(self, token: str, *, audience: str) -> dict[str, Any]:
        header = jwt.get_unverified_header(token)
        assert header.get("alg") == "RS256", "tool JWT not RS256"
        jwk = next(k for k in self.tool_jwks["keys"] if k["kid"] == header.get("kid"))
        public = RSAAlgorithm.from_jwk(json.dumps(jwk))
        return jwt.decode(
            token,
            public,  # type: ignore[arg-type]
            algorithms=["RS256"],
            audience=audience,
            options={"require": ["iss", "aud", "iat", "exp"]},
        )

    def results(self, lineitem_id: str) -> dict[str, dict[str, Any]]:
        """The latest score per user, as the gradebook shows it."""
        latest: dict[str, dict[str, Any]] = {}
        for score in self.scores.get(lineitem_id, []):
            latest[score["userId"]] = score
        return latest


class _Handler(BaseHTTPRequestHandler):
    owner: LoopbackPlatform

    def log_message(self, format: str, *args: Any) -> None:
        self.owner.log.append(format % args)

    def _send(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if body is not None and "Content-Type" not in (headers or {}):
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _unavailable(self) -> bool:
        if self.owner.down:
            self._send(503, {"error": "maintenance"})
            return True
        if self.owner.fail_statuses:
            self._send(self.owner.fail_statuses.pop(0), {"error": "scripted failure"})
            return True
        return False

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _bearer(self, scope: str) -> bool:
        header = self.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ")
        granted = self.owner.tokens.get(token)
        if not header.startswith("Bearer ") or granted is None or granted[1] < time.time():
            self._send(401, {"error": "invalid_token"})
            return False
        if scope not in granted[0]:
            self._send(403, {"error": "insufficient_scope"})
            return False
        return True

    def _html(self, body: str) -> None:
        data = ("<!doctype html><html lang='en'>" + body + "</html>").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _browser_page(self, path: str, query: dict[str, str]) -> bool:
        owner = self.owner
        launch = owner.browser_launch
        if path == "/course":
            self._html(
                "<head><title>LMS course</title></head><body><main>"
                "<h1>Cardiology course (the LMS)</h1>"
                f"<iframe name='{STORAGE_FRAME}' title='Storage' src='/storage-frame' "
                "width='1' height='1'></iframe>"
                f"<iframe id='tool' title='Quiz' src='{html.escape(launch['login_url'])}' "
                "width='900' height='900'></iframe></main></body>"
            )
            return True
        if path == "/storage-frame":
            forgets = "true" if owner.storage_forgets else "false"
            self._html(
                "<head><title>Storage</title></head><body><script>"
                + STORAGE_SCRIPT.replace("FORGETS", forgets)
                + "</script></body>"
            )
            return True
        if path == "/auth":
            try:
                auth = owner.authorize(query, tool_redirect_uri=launch["launch_url"])
            except AssertionError as error:
                self._send(400, {"error": str(error)})
                return True
            claims_kwargs = dict(launch.get("claims", {}))
            id_token = owner.sign(
                owner.launch_claims(
                    nonce=auth["nonce"], target_link_uri=launch["launch_url"], **claims_kwargs
                )
            )
            submit = (
                "<button type='submit'>Continue</button>"
                if owner.hold_auth
                else "<script>document.forms[0].submit();</script>"
            )
            self._html(
                "<head><title>Signing in</title></head><body><main>"
                f"<form method='post' action='{html.escape(launch['launch_url'])}'>"
                f"<input type='hidden' name='id_token' value='{id_token}'>"
                f"<input type='hidden' name='state' value='{html.escape(auth['state'])}'>"
                f"<input type='hidden' name='lti_storage_target' value='{STORAGE_FRAME}'>"
                f"{submit}</form></main></body>"
            )
            return True
        return False

    def do_GET(self) -> None:
        path = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(path.query).items()}
        if self._unavailable():
            return
        owner = self.owner
        if owner.browser_launch and self._browser_page(path.path, query):
            return
        if path.path == "/jwks":
            owner.jwks_requests += 1
            etag = f'"{owner.kid}-{len(owner.old_keys)}"'
            if self.headers.get("If-None-Match") == etag:
                self._send(304, None, {"ETag": etag, "Cache-Control": "max-age=300"})
                return
            self._send(200, owner.jwks(), {"ETag": etag, "Cache-Control": "max-age=300"})
            return
        match = re.fullmatch(r"/contexts/([^/]+)/lineitems", path.path)
        if match:
            if not self._bearer(claims.SCOPE_LINEITEM):
                return
            if self.headers.get("Accept") != claims.MEDIA_LINEITEMS:
                self._send(406, {"error": "Accept"})
                return
            items = [
                item
                for item in owner.lineitems.values()
                if "resource_link_id" not in query
                or item.get("resourceLinkId") == query["resource_link_id"]
            ]
            self._send(200, items, {"Content-Type": claims.MEDIA_LINEITEMS})
            return
        match = re.fullmatch(r"/contexts/([^/]+)/memberships", path.path)
        if match:
            if not self._bearer(claims.SCOPE_NRPS):
                return
            if self.headers.get("Accept") != claims.MEDIA_MEMBERSHIPS:
                self._send(406, {"error": "Accept"})
                return
            page = int(query.get("page", "1"))
            size = owner.page_size
            chunk = owner.members[(page - 1) * size : page * size]
            headers = {"Content-Type": claims.MEDIA_MEMBERSHIPS}
            if page * size < len(owner.members):
                rel = "rel=next" if page % 2 else 'rel="next"'
                headers["Link"] = (
                    f'<{owner.memberships_url}?page=1>; rel="first", '
                    f"<{owner.memberships_url}?page={page + 1}>; {rel}"
                )
            members = [
                {
                    "user_id": m.user_id,
                    "roles": m.roles,
                    "name": m.name,
                    "email": m.email,
                    "status": m.status,
                }
                for m in chunk
            ]
            body = {
                "id": owner.memberships_url,
                "context": {"id": owner.context_id},
                "members": members,
            }
            self._send(200, body, headers)
            return
        self._send(404, {"error": "not found"})

    def do_POST(self) -> None:
        path = urlsplit(self.path)
        body = self._body()
        if self._unavailable():
            return
        owner = self.owner
        if path.path == "/token":
            owner.token_requests += 1
            form = {key: values[0] for key, values in parse_qs(body.decode()).items()}
            try:
                assert form.get("grant_type") == "client_credentials"
                assert form.get("client_assertion_type") == (
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
                )
                assertion = owner.verify_tool_jwt(
                    form["client_assertion"], audience=owner.token_url
                )
                assert assertion["iss"] == assertion["sub"] == owner.client_id
                assert assertion["jti"] not in owner.used_jtis, "jti replayed"
                owner.used_jtis.add(assertion["jti"])
            except (AssertionError, KeyError, StopIteration, jwt.PyJWTError) as error:
                self._send(400, {"error": "invalid_grant", "error_description": str(error)})
                return
            scopes = set(form.get("scope", "").split())
            token = secrets.token_urlsafe(16)
            owner.tokens[token] = (scopes, time.time() + 3600)
            self._send(
                200,
                {
                    "access_token": token,
                    "token_type": "Bearer",
                    "expires_in": 3600,
                    "scope": " ".join(sorted(scopes)),
                },
            )
            return
        if path.path == "/deep-link-return":
            form = {key: values[0] for key, values in parse_qs(body.decode()).items()}
            owner.deep_link_responses.append(form)
            self._send(200, {"ok": True})
            return
        match = re.fullmatch(r"/contexts/([^/]+)/lineitems", path.path)
        if match:
            if not self._bearer(claims.SCOPE_LINEITEM):
                return
            if self.headers.get("Content-Type") != claims.MEDIA_LINEITEM:
                self._send(415, {"error": "Content-Type"})
                return
            item = json.loads(body)
            if not isinstance(item.get("scoreMaximum"), int | float) or not item.get("label"):
                self._send(400, {"error": "scoreMaximum and label are required"})
                return
            item["id"] = f"{owner.lineitems_url}/{uuid.uuid4().hex[:8]}"
            owner.lineitems[item["id"]] = item
            self._send(201, item, {"Content-Type": claims.MEDIA_LINEITEM})
            return
        match = re.fullmatch(r"/contexts/([^/]+)/lineitems/([^/]+)/scores", path.path)
        if match:
            if not self._bearer(claims.SCOPE_SCORE):
                return
            if owner.score_status is not None:
                self._send(owner.score_status, {"error": "scores refused"})
                return
            if self.headers.get("Content-Type") != claims.MEDIA_SCORE:
                self._send(415, {"error": "Content-Type must be " + claims.MEDIA_SCORE})
                return
            lineitem_id = f"{owner.lineitems_url}/{match.group(2)}"
            if lineitem_id not in owner.lineitems:
                self._send(404, {"error": "no such line item"})
                return
            score = json.loads(body)
            problems = [f"missing {name}" for name in sorted(SCORE_FIELDS) if name not in score]
            if not TIMESTAMP.match(str(score.get("timestamp", ""))):
                problems.append("timestamp must have sub-second precision and an offset")
            if score.get("activityProgress") not in ACTIVITY:
                problems.append("activityProgress")
            if score.get("gradingProgress") not in GRADING:
                problems.append("gradingProgress")
            if not 0 <= score.get("scoreGiven", -1) <= score.get("scoreMaximum", 0):
                problems.append("scoreGiven out of range")
            if problems:
                self._send(400, {"error": "; ".join(problems)})
                return
            history = owner.scores.setdefault(lineitem_id, [])
            previous = owner.results(lineitem_id).get(score["userId"])
            # AGS: an older timestamp than the one on record never updates the result.
            if previous is None or previous["timestamp"] < score["timestamp"]:
                history.append(score)
            self._send(200, None)
            return
        self._send(404, {"error": "not found"})
