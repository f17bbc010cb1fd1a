"""A client that talks to an OB 2.1 host the way Moodle's "Backpack settings" do.

Read (never copied) from Moodle's public sources, API version 2.1 (OPEN_BADGES_V2P1):

Discovery and registration (lib/classes/oauth2/discovery/imsbadgeconnect.php; base_definition.php):
- GET ``{backpack base URL}/.well-known/badgeconnect.json`` (a slash added when missing) with
  Moodle's curl class (lib/filelib.php: User-Agent ``MoodleBot/1.0``, redirects followed).
- process_configuration_json takes the LAST entry of ``badgeConnectAPI`` (array_pop); every key
  ending in ``Url`` becomes an endpoint named ``<key lower-cased>_endpoint`` (registration_endpoint,
  authorization_endpoint, token_endpoint, tokenrevocation_endpoint, ...); ``scopesOffered`` is
  joined with spaces into the issuer's ``scopessupported``; ``image`` becomes its logo.
- register(), only while the issuer has no client id and secret: POST the registration URL with
  ``Content-type: application/json`` and ``Accept: application/json``; body client_name = the
  site's full name, client_uri / tos_uri / policy_uri = wwwroot with a trailing slash, logo_uri =
  ``pix/f/moodle-256.png``, software_id ``moodle``, software_version = $CFG->version (a string),
  redirect_uris = [``admin/oauth2callback.php``], token_endpoint_auth_method
  ``client_secret_basic``, grant_types [authorization_code, refresh_token], response_types
  [code], scope = scopessupported. It keeps client_id and client_secret when the answer has them.

Authorization (badges/classes/oauth2/client.php, get_login_url; admin/oauth2callback.php):
- scope: scopessupported without "profile" and "openid". The loop uses array_search and
  ``isset($key)``; array_search answers false when absent, isset(false) is true, and
  ``unset($arr[false])`` removes index 0. So unless both are offered, the FIRST offered scope
  is dropped. (The wallet offers profile.readonly first, which Moodle never uses.)
- query: client_id, response_type=code, redirect_uri = ``{wwwroot}/admin/oauth2callback.php``,
  state = the session key, scope, code_challenge, code_challenge_method=S256. The verifier is
  base64url (no padding) of 43 random bytes; the challenge base64url(SHA-256(verifier)).
- the callback: an ``error`` parameter sends the user to the login page with the message;
  otherwise ``code`` and ``state`` are required, state must be the session key, then the user
  returns to the page that started with ``oauth2code=<code>``.

Tokens (client.php, upgrade_token and is_logged_in):
- code: POST token URL with ``Authorization: Basic base64(client_id:client_secret)``, form
  fields code, grant_type=authorization_code, redirect_uri, scope (only when known: http_build_query
  leaves out null), code_verifier. Anything but HTTP 200 is an error; the JSON must have
  access_token; ``expires_in`` sets expiry 10 s early; refresh_token and scope are stored (scope is
  read unconditionally, so the answer must carry it).
- refresh, when expired: POST the token URL WITHOUT Basic: refresh_token,
  grant_type=refresh_token, scope = the stored scope, client_id and client_secret in the body.

API calls (backpack_api2p1.php / local/backpack/ob/v2p1/api.php; backpack_api2p1_mapping.php /
mapping_token.php):
- the API base is the manifest's apiBase (newer Moodle, an endpoint named ``apiBase``) or the
  admin's "Backpack API URL" (older Moodle, ``backpackapiurl``): ``{apiBase}/assertions``.
- headers ``Authorization: Bearer <token>``, ``Content-type: application/json``,
  ``Accept: application/json``, ``Expect:`` (empty); POST bodies are PHP json_encode (slashes
  escaped, non-ASCII as \\uXXXX); GET sends limit/offset/since as a query (older Moodle only).
- put_assertions posts ``{"assertion": <get_badge_assertion()>}`` for one issued badge; the
  answer is JSON-decoded, unwrapped from ``result`` if present, and counts as success only when
  ``status.statusCode == 200`` (the HTTP status itself is not looked at); otherwise the message
  shown is ``status.error`` (imploded when an array), else ``error`` (+ ". Message: " message).
Moodle never pushes a signed assertion; ``put_signed`` sends one in the same request shape.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from urllib.parse import parse_qs
from urllib.parse import urlencode
from urllib.parse import urlsplit

import requests

USER_AGENT = "MoodleBot/1.0"
MANIFEST = ".well-known/badgeconnect.json"


def php_json_encode(value: Any) -> str:
    """Return what PHP's json_encode() writes by default (ASCII only, slashes escaped)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=True).replace("/", "\\/")


def moodle_scopes(scopessupported: str) -> str:
    """Return the scope get_login_url() asks for, with the array_search/isset behaviour."""
    kept = dict(enumerate(scopessupported.split(" ")))
    for excluded in ("profile", "openid"):
        index = next((k for k, v in kept.items() if v == excluded), False)
        kept.pop(int(index), None)  # unset($arr[false]) is unset($arr[0])
    return " ".join(kept.values())


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


class MoodleError(Exception):
    """What Moodle would show as an error (moodle_exception or the login page message)."""


@dataclass
class Token:
    """A stored badge_backpack_oauth2 record."""

    token: str
    expires: float | None
    refreshtoken: str | None
    scope: str


@dataclass
class MoodleClient:
    """One Moodle site's backpack connection for one user, over real HTTP."""

    wwwroot: str
    backpack_url: str
    site_fullname: str = "Example University Moodle"
    version: str = "2024100700.02"
    http: requests.Session = field(default_factory=requests.Session)
    endpoints: dict[str, str] = field(default_factory=dict)
    scopessupported: str = ""
    api_base: str = ""
    clientid: str = ""
    clientsecret: str = ""
    sesskey: str = field(default_factory=lambda: secrets.token_hex(5))
    code_verifier: str = ""
    token: Token | None = None
    requests_sent: list[tuple[str, str, dict[str, str], bytes]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.wwwroot = self.wwwroot.rstrip("/") + "/"
        self.http.headers["User-Agent"] = USER_AGENT

    @property
    def callback_url(self) -> str:
        """Return the redirect URI Moodle registers and sends (admin/oauth2callback.php)."""
        return self.wwwroot + "admin/oauth2callback.php"

    def _send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        response = self.http.request(method, url, timeout=30, **kwargs)
        request = response.request
        body = request.body or b""
        body = body.encode() if isinstance(body, str) else body
        self.requests_sent.append((method, url, dict(request.headers), body))
        return response

    def discover(self) -> None:
        """Read the manifest and register, as the OAuth 2 service's endpoint discovery does."""
        base = self.backpack_url if self.backpack_url.endswith("/") else self.backpack_url + "/"
        response = self._send("GET", base + MANIFEST)
        info = response.json() if response.content else None
        if not info:
            raise MoodleError("Could not discover end points for identity issuer")
        api = info["badgeConnectAPI"][-1]
        for key, value in api.items():
            if key.endswith("Url") and value:
                self.endpoints[key[: -len("Url")].lower() + "_endpoint"] = value
            elif key == "scopesOffered":
                self.scopessupported = " ".join(value)
            elif key == "apiBase":
                self.api_base = value
        if (
            not self.clientid
            and not self.clientsecret
            and "registration_endpoint" in self.endpoints
        ):
            self._register()

    def _register(self) -> None:
        request = {
            "client_name": self.site_fullname,
            "client_uri": self.wwwroot,
            "logo_uri": self.wwwroot + "pix/f/moodle-256.png",
            "tos_uri": self.wwwroot,
            "policy_uri": self.wwwroot,
            "software_id": "moodle",
            "software_version": self.version,
            "redirect_uris": [self.callback_url],
            "token_endpoint_auth_method": "client_secret_basic",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "scope": self.scopessupported.replace("\r", " "),
        }
        headers = {"Content-type": "application/json", "Accept": "application/json"}
        response = self._send(
            "POST",
            self.endpoints["registration_endpoint"],
            data=php_json_encode(request),
            headers=headers,
        )
        answer = response.json()
        if "client_id" not in answer:
            raise MoodleError("Could not self-register identity issuer. Invalid response")
        self.clientid, self.clientsecret = answer["client_id"], answer["client_secret"]

    def login_url(self) -> str:
        """Return where Moodle sends the user to authorize it (get_login_url)."""
        verifier = _b64url(secrets.token_bytes(43))
        self.code_verifier = verifier
        challenge = _b64url(hashlib.sha256(verifier.encode()).digest())
        params = {
            "client_id": self.clientid,
            "response_type": "code",
            "redirect_uri": self.callback_url,
            "state": self.sesskey,
            "scope": moodle_scopes(self.scopessupported),
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        return self.endpoints["authorization_endpoint"] + "?" + urlencode(params)

    def callback(self, location: str) -> None:
        """Handle the user's return to admin/oauth2callback.php, then upgrade the code."""
        if not location.startswith(self.callback_url + "?"):
            raise MoodleError("the host sent the user elsewhere: " + location[:200])
        query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        if "error" in query:
            raise MoodleError(query.get("error_description") or query["error"])
        if "code" not in query or query.get("state") != self.sesskey:
            raise MoodleError("invalidsesskey")
        self.upgrade_token(query["code"], "authorization_code")

    def upgrade_token(self, code: str, granttype: str) -> None:
        """Exchange a code (Basic) or a refresh token (secret in the body) for a token."""
        # curl's default for a string body (Moodle sets no content type here).
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if granttype == "authorization_code":
            params = {
                "code": code,
                "grant_type": granttype,
                "redirect_uri": self.callback_url,
                "scope": self.token.scope if self.token else None,
                "code_verifier": self.code_verifier,
            }
            raw = f"{self.clientid}:{self.clientsecret}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(raw).decode()
        else:
            params = {
                "refresh_token": code,
                "grant_type": granttype,
                "scope": self.token.scope if self.token else None,
                "client_id": self.clientid,
                "client_secret": self.clientsecret,
            }
        form = {k: v for k, v in params.items() if v is not None}  # http_build_query drops null
        response = self._send(
            "POST", self.endpoints["token_endpoint"], data=urlencode(form), headers=headers
        )
        if response.status_code != 200:
            raise MoodleError(f"oauth2refreshtokenerror {response.status_code} {response.text}")
        answer = response.json()
        if answer.get("error"):
            raise MoodleError(answer["error"] + " " + answer.get("error_description", ""))
        expires = time.time() + answer["expires_in"] - 10 if "expires_in" in answer else None
        self.token = Token(
            answer["access_token"], expires, answer.get("refresh_token"), answer["scope"]
        )

    def is_logged_in(self) -> bool:
        """Refresh an expired token first, as Moodle does before each API call."""
        if self.token is None:
            return False
        if self.token.expires is not None and time.time() >= self.token.expires:
            if not self.token.refreshtoken:
                raise MoodleError("Could not refresh oauth token, please try again.")
            self.upgrade_token(self.token.refreshtoken, "refresh_token")
        return True

    def _api(self, method: str, post: dict[str, Any] | None = None) -> Any:
        if not self.is_logged_in():
            raise MoodleError("backpackexporterror")
        assert self.token is not None
        headers = {
            "Authorization": "Bearer " + self.token.token,
            "Content-type": "application/json",
            "Accept": "application/json",
            "Expect": "",
        }
        url = self.api_base + "/assertions"
        if method == "GET":
            response = self._send("GET", url, params=post or None, headers=headers)
        else:
            response = self._send("POST", url, data=php_json_encode(post), headers=headers)
        try:
            answer = response.json()
        except ValueError:
            return None
        if isinstance(answer, dict) and "result" in answer:
            answer = answer["result"]
        return answer

    def put_assertion(self, assertion: dict[str, Any]) -> tuple[bool, str]:
        """Push one issued badge; return (success, the message Moodle would show)."""
        return self._outcome(self._api("POST", {"assertion": assertion}))

    def put_signed(self, jws: str) -> tuple[bool, str]:
        """Push a signed assertion in the same request shape (Moodle itself never signs)."""
        return self._outcome(self._api("POST", {"signedAssertion": jws}))

    def get_assertions(self, **query: Any) -> Any:
        """Read the backpack's assertions (older Moodle's get_assertions)."""
        return self._api("GET", {k: v for k, v in query.items() if v})

    @staticmethod
    def _outcome(response: Any) -> tuple[bool, str]:
        status = response.get("status") if isinstance(response, dict) else None
        if isinstance(status, dict) and status.get("statusCode") == 200:
            return True, "addedtobackpack"
        if not response:
            return False, "Empty response"
        if isinstance(status, dict) and "error" in status:
            error = status["error"]
            return False, "".join(error) if isinstance(error, list) else str(error)
        if "error" in response:
            message = f". Message: {response['message']}" if "message" in response else ""
            return False, str(response["error"]) + message
        return False, ""
