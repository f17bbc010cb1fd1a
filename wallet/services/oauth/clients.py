"""Registered applications: open dynamic registration (RFC 7591) and client authentication."""

from __future__ import annotations

import hmac
import json
import re
import secrets
import time
from ipaddress import ip_address
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from wallet.extensions import db
from wallet.models import OAuthClient
from wallet.services.oauth import digest
from wallet.services.oauth import scopes

GRANT_TYPES = ("authorization_code", "refresh_token")
TEXT_LIMITS = {"client_name": 200, "software_id": 200, "software_version": 100}
URI_FIELDS = ("client_uri", "logo_uri", "tos_uri", "policy_uri")
MAX_REDIRECT_URIS = 10
MAX_CONTACTS = 10
# Controls, bidi overrides and zero-width characters let a name pose as another on the consent page.
_SPOOFING = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_LOOPBACK_NAMES = {"localhost"}


class RegistrationError(ValueError):
    """The metadata cannot be registered; ``error`` is the RFC 7591 error code."""

    def __init__(self, description: str, error: str = "invalid_client_metadata") -> None:
        super().__init__(description)
        self.error = error
        self.description = description


def _is_loopback(host: str) -> bool:
    """Return whether host names this machine (http is allowed there, as for native apps)."""
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def check_uri(value: Any, field: str, *, redirect: bool = False) -> str:
    """Return value when it is an absolute https URL (http on loopback), else raise."""
    invalid = "invalid_redirect_uri" if redirect else "invalid_client_metadata"
    if not isinstance(value, str) or not value or len(value) > 2000:
        raise RegistrationError(f"{field} must be an absolute URL", invalid)
    if any(c.isspace() or ord(c) < 32 or c == "\\" for c in value):
        raise RegistrationError(f"{field} must be an absolute URL", invalid)
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
        parts.port  # noqa: B018 (raises ValueError for a bad port)
    except ValueError:
        raise RegistrationError(f"{field} must be an absolute URL", invalid) from None
    secure = parts.scheme == "https" or (parts.scheme == "http" and _is_loopback(host))
    if not secure or not host or parts.username is not None or "@" in parts.netloc:
        raise RegistrationError(f"{field} must be an https URL", invalid)
    if redirect and parts.fragment:
        raise RegistrationError("redirect URIs must not have a fragment", invalid)
    return value


def _text(data: dict[str, Any], field: str, *, required: bool) -> str | None:
    """Return a short, plain, single-line text field of the metadata."""
    value = data.get(field)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise RegistrationError(f"{field} is required")
    value = value.strip()
    if len(value) > TEXT_LIMITS[field] or _SPOOFING.search(value):
        raise RegistrationError(f"{field} is too long or has control characters")
    return value


def validate(data: Any) -> dict[str, Any]:
    """Return the registrable metadata from a registration request, or raise RegistrationError."""
    if not isinstance(data, dict):
        raise RegistrationError("the body must be a JSON object")
    if "software_statement" in data:
        raise RegistrationError(
            "software statements are not accepted", "invalid_software_statement"
        )
    accepted: dict[str, Any] = {"client_name": _text(data, "client_name", required=True)}
    for field in ("software_id", "software_version"):
        value = _text(data, field, required=False)
        if value is not None:
            accepted[field] = value
    accepted["client_uri"] = check_uri(data.get("client_uri"), "client_uri")
    for field in URI_FIELDS[1:]:
        if data.get(field) is not None:
            accepted[field] = check_uri(data[field], field)
    uris = data.get("redirect_uris")
    if not isinstance(uris, list) or not uris or len(uris) > MAX_REDIRECT_URIS:
        raise RegistrationError("redirect_uris must list 1 to 10 URLs", "invalid_redirect_uri")
    accepted["redirect_uris"] = [check_uri(u, "redirect_uris", redirect=True) for u in uris]
    scope = data.get("scope")
    if not isinstance(scope, str) or not scopes.split(scope) or len(scope) > 2000:
        raise RegistrationError("scope must name the scopes the application will ask for")
    if scopes.unknown(scope):
        raise RegistrationError("unknown scope: " + " ".join(scopes.unknown(scope))[:200])
    accepted["scope"] = " ".join(scopes.split(scope))
    accepted.update(_flows(data))
    contacts = data.get("contacts")
    if contacts is not None:
        if not isinstance(contacts, list) or len(contacts) > MAX_CONTACTS:
            raise RegistrationError("contacts must be a list of at most 10 addresses")
        if not all(isinstance(c, str) and 0 < len(c) <= 254 for c in contacts):
            raise RegistrationError("contacts must be a list of at most 10 addresses")
        accepted["contacts"] = contacts
    return accepted


def _flows(data: dict[str, Any]) -> dict[str, Any]:
    """Return the grant types, response types and client authentication method, checked."""
    method = data.get("token_endpoint_auth_method", "client_secret_basic")
    if method != "client_secret_basic":
        raise RegistrationError("token_endpoint_auth_method must be client_secret_basic")
    grant_types = data.get("grant_types", ["authorization_code"])
    if (
        not isinstance(grant_types, list)
        or not grant_types
        or not set(grant_types) <= set(GRANT_TYPES)
        or "authorization_code" not in grant_types
    ):
        raise RegistrationError("grant_types must be authorization_code (and refresh_token)")
    response_types = data.get("response_types", ["code"])
    if response_types != ["code"]:
        raise RegistrationError('response_types must be ["code"]')
    return {
        "token_endpoint_auth_method": method,
        "grant_types": sorted(set(grant_types), key=GRANT_TYPES.index),
        "response_types": ["code"],
    }


def register(metadata: dict[str, Any]) -> dict[str, Any]:
    """Register validated metadata and commit; return the registration response body."""
    client_id = secrets.token_urlsafe(24)
    secret = secrets.token_urlsafe(32)
    body = {
        **metadata,
        "client_id": client_id,
        "client_id_issued_at": int(time.time()),
        "client_secret_expires_at": 0,
    }
    client = OAuthClient(
        client_id=client_id,
        secret_hash=digest(secret),
        name=metadata["client_name"],
        client_uri=metadata["client_uri"],
        logo_uri=metadata.get("logo_uri"),
        tos_uri=metadata.get("tos_uri"),
        policy_uri=metadata.get("policy_uri"),
        software_id=metadata.get("software_id"),
        software_version=metadata.get("software_version"),
        redirect_uris=json.dumps(metadata["redirect_uris"]),
        scope=metadata["scope"],
        grant_types=" ".join(metadata["grant_types"]),
        metadata_json=json.dumps(body, ensure_ascii=False),
    )
    db.session.add(client)
    db.session.commit()
    # The secret is shown once, here; only its hash is kept.
    return {**body, "client_secret": secret}


def find(client_id: Any) -> OAuthClient | None:
    """Return the registered application with this client id, if any."""
    if not isinstance(client_id, str) or not 0 < len(client_id) <= 64:
        return None
    return db.session.scalar(select(OAuthClient).where(OAuthClient.client_id == client_id))


def secret_matches(client: OAuthClient, secret: Any) -> bool:
    """Return whether secret is the application's (compared in constant time)."""
    if not isinstance(secret, str) or len(secret) > 200:
        return False
    return hmac.compare_digest(client.secret_hash, digest(secret))


def redirect_uris(client: OAuthClient) -> list[str]:
    """Return the application's registered redirect URIs."""
    try:
        value = json.loads(client.redirect_uris)
    except ValueError:
        return []
    return [u for u in value if isinstance(u, str)] if isinstance(value, list) else []
