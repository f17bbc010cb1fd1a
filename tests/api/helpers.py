"""OAuth 2.0 steps for API tests, taken through the real endpoints with the Flask test client."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs
from urllib.parse import urlencode
from urllib.parse import urlsplit

READ = "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.readonly"
UPSERT = "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.upsert"
PROFILE_READ = "https://purl.imsglobal.org/spec/ob/v3p0/scope/profile.readonly"
PROFILE_UPDATE = "https://purl.imsglobal.org/spec/ob/v3p0/scope/profile.update"
ALL_SCOPES = f"{READ} {UPSERT} {PROFILE_READ} {PROFILE_UPDATE}"
REDIRECT = "https://issuer.example/callback"


def metadata(**overrides: Any) -> dict[str, Any]:
    """Return a registration request an OB 3.0 issuer would send."""
    data: dict[str, Any] = {
        "client_name": "Example Issuer",
        "client_uri": "https://issuer.example/",
        "logo_uri": "https://issuer.example/logo.png",
        "tos_uri": "https://issuer.example/tos",
        "policy_uri": "https://issuer.example/privacy",
        "software_id": "example-issuer",
        "software_version": "1.0",
        "redirect_uris": [REDIRECT],
        "token_endpoint_auth_method": "client_secret_basic",
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "scope": ALL_SCOPES,
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def pkce() -> tuple[str, str]:
    """Return (verifier, S256 challenge)."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def basic(client_id: str, secret: str) -> dict[str, str]:
    """Return an HTTP Basic Authorization header."""
    raw = f"{client_id}:{secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def bearer(token: str) -> dict[str, str]:
    """Return a Bearer Authorization header."""
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Registered:
    """A registered client's credentials."""

    client_id: str
    secret: str
    body: dict[str, Any]


def register(client: Any, **overrides: Any) -> Registered:
    """Register a client; assert 201."""
    response = client.post("/oauth/register", json=metadata(**overrides))
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    return Registered(body["client_id"], body["client_secret"], body)


def authorize_url(reg: Registered, *, scope: str = ALL_SCOPES, challenge: str, **extra: str) -> str:
    """Return the authorization request path."""
    query = {
        "response_type": "code",
        "client_id": reg.client_id,
        "redirect_uri": REDIRECT,
        "scope": scope,
        "state": "xyz",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }
    return "/oauth/authorize?" + urlencode({k: v for k, v in query.items() if v is not None})


def approve(client: Any, url: str, **form: Any) -> str:
    """Approve on the consent page; return the code from the redirect."""
    response = client.post(url, data={"decision": "approve", **form})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    location = response.headers["Location"]
    assert location.startswith(REDIRECT + "?"), location
    query = parse_qs(urlsplit(location).query)
    assert query["state"] == ["xyz"]
    return query["code"][0]


def exchange(client: Any, reg: Registered, code: str, verifier: str) -> Any:
    """POST the code to the token endpoint; return the response."""
    return client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
        headers=basic(reg.client_id, reg.secret),
    )


def connect(client: Any, auth: Any, *, scope: str = ALL_SCOPES, **form: Any) -> dict[str, Any]:
    """Register, sign in as the holder, consent and exchange: return the token response."""
    reg = register(client)
    auth.login()
    verifier, challenge = pkce()
    code = approve(client, authorize_url(reg, scope=scope, challenge=challenge), **form)
    response = exchange(client, reg, code, verifier)
    assert response.status_code == 200, response.get_data(as_text=True)
    return {**response.get_json(), "reg": reg}
