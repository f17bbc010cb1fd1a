"""Bring badges from another wallet: this wallet as an OB 3.0 API client of another host.

The holder names the other host; the wallet reads its discovery document, registers once per
host (RFC 7591), sends the holder through that host's consent with PKCE, then reads the
credentials and imports each through the same verification and gate as every import.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app
from sqlalchemy import select

from wallet.extensions import db
from wallet.models import RemoteHost
from wallet.models import RemoteImport
from wallet.models import User
from wallet.models import utcnow
from wallet.openbadges.errors import FetchError
from wallet.openbadges.fetch import HttpFetcher
from wallet.openbadges.fetch_request import Outgoing
from wallet.services import badge_import
from wallet.services import badges
from wallet.services.oauth import digest
from wallet.services.oauth.clients import RegistrationError
from wallet.services.oauth.clients import check_uri

API_PATH = "/ims/ob/v3p0"
READ_SCOPE = "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.readonly"
CALLBACK_PATH = "/account/bring/callback"
PAGE = 50
MAX_CREDENTIALS = 100  # per run, in one request: a holder with more brings them in several runs


class BringFailed(Exception):
    """The other host could not be used; ``code`` says at which step (translated by the caller)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Started:
    """A started run: the record, where to send the holder, and what to keep until they return."""

    run: RemoteImport
    authorization_url: str
    state: str
    verifier: str


def _fetcher() -> HttpFetcher:
    """Return the hardened fetcher for API calls (the same address rules as every import)."""
    config = current_app.config
    return HttpFetcher(
        config["FETCH_ALLOWED_NETWORKS"],
        timeout=float(config.get("FETCH_TIMEOUT", 5.0)),
        max_bytes=int(config.get("FETCH_MAX_BYTES", 5 * 1024 * 1024)),
    )


def discovery_url(address: str) -> str:
    """Return the discovery URL for what the holder typed (a host, API base or discovery URL)."""
    address = address.strip()
    if "://" not in address:
        address = "https://" + address
    try:
        check_uri(address, "address")
    except RegistrationError:
        raise BringFailed("address") from None
    parts = urlsplit(address)
    origin = f"{parts.scheme}://{parts.netloc}"
    path = parts.path.rstrip("/")
    if path.endswith(API_PATH + "/discovery"):
        return origin + path
    if path.endswith(API_PATH):
        return origin + path + "/discovery"
    return origin + API_PATH + "/discovery"


def _json(response: Any, code: str, *, status: int = 200) -> dict[str, Any]:
    """Return a JSON object body of an expected status, else raise BringFailed(code)."""
    if response.status != status:
        raise BringFailed(code)
    try:
        data = json.loads(response.body)
    except ValueError:
        raise BringFailed(code) from None
    if not isinstance(data, dict):
        raise BringFailed(code)
    return data


def _endpoints(document: dict[str, Any]) -> dict[str, str]:
    """Return the API base and OAuth URLs of a discovery document, each checked."""
    try:
        scheme = document["components"]["securitySchemes"]["OAuth2ACG"]
        flow = scheme["flows"]["authorizationCode"]
        found = {
            "api_base": str(document["servers"][0]["url"]).rstrip("/"),
            "registration": scheme["x-imssf-registrationUrl"],
            "authorization": flow["authorizationUrl"],
            "token": flow["tokenUrl"],
        }
        for name, url in found.items():
            found[name] = check_uri(url, name)
    except (KeyError, IndexError, TypeError, RegistrationError):
        raise BringFailed("discovery") from None
    if READ_SCOPE not in (flow.get("scopes") or {}):
        raise BringFailed("discovery")
    return found


def _seal_key() -> bytes:
    """Derive the key that seals client secrets from the app secret."""
    secret = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    return hashlib.sha256(b"wallet remote client secret v1:" + secret).digest()


def _seal(secret: str, api_base: str) -> bytes:
    nonce = os.urandom(12)
    return nonce + AESGCM(_seal_key()).encrypt(nonce, secret.encode(), api_base.encode())


def _unseal(host: RemoteHost) -> str:
    data = host.client_secret_sealed
    return AESGCM(_seal_key()).decrypt(data[:12], data[12:], host.api_base.encode()).decode()


def _register(fetcher: HttpFetcher, endpoints: dict[str, str], title: str) -> RemoteHost:
    """Register this wallet with the other host (once per host) and commit the registration."""
    base = current_app.config["BASE_URL"]
    metadata = {
        "client_name": "Badge Wallet",
        "client_uri": base + "/",
        "logo_uri": base + "/static/img/favicon.svg",
        "tos_uri": base + "/",
        "policy_uri": base + "/",
        "software_id": "badge-wallet",
        "software_version": "0.1.0",
        "redirect_uris": [base + CALLBACK_PATH],
        "token_endpoint_auth_method": "client_secret_basic",
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
        "scope": READ_SCOPE,
    }
    body = json.dumps(metadata).encode()
    outgoing = Outgoing("POST", {"Content-Type": "application/json"}, body)
    reply = _json(fetcher.send(endpoints["registration"], outgoing), "registration", status=201)
    client_id, secret = reply.get("client_id"), reply.get("client_secret")
    if not isinstance(client_id, str) or not isinstance(secret, str) or not client_id:
        raise BringFailed("registration")
    host = RemoteHost(
        api_base=endpoints["api_base"],
        name=title[:200] or urlsplit(endpoints["api_base"]).netloc,
        authorization_url=endpoints["authorization"],
        token_url=endpoints["token"],
        client_id=client_id[:200],
        client_secret_sealed=_seal(secret, endpoints["api_base"]),
        redirect_uri=base + CALLBACK_PATH,
    )
    db.session.add(host)
    db.session.commit()
    return host


def start(user: User, address: str) -> Started:
    """Discover and register with the other host; return where to send the holder to consent."""
    url = discovery_url(address)
    if url.startswith(current_app.config["BASE_URL"] + "/"):
        raise BringFailed("same_wallet")
    fetcher = _fetcher()
    try:
        document = _json(fetcher.fetch(url, accept="application/json"), "discovery")
        endpoints = _endpoints(document)
        host = db.session.scalar(
            select(RemoteHost).where(RemoteHost.api_base == endpoints["api_base"])
        )
        if host is None or host.redirect_uri != current_app.config["BASE_URL"] + CALLBACK_PATH:
            title = str((document.get("info") or {}).get("title") or "")
            if host is not None:
                db.session.delete(host)
                db.session.flush()
            host = _register(fetcher, endpoints, title)
    except FetchError:
        raise BringFailed("unreachable") from None
    state = secrets.token_urlsafe(24)
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    run = RemoteImport(user_id=user.id, host_id=host.id, state_hash=digest(state))
    db.session.add(run)
    db.session.commit()
    query = {
        "response_type": "code",
        "client_id": host.client_id,
        "redirect_uri": host.redirect_uri,
        "scope": READ_SCOPE,
        "state": state,
        "code_challenge": challenge.rstrip(b"=").decode(),
        "code_challenge_method": "S256",
    }
    separator = "&" if "?" in host.authorization_url else "?"
    return Started(run, host.authorization_url + separator + urlencode(query), state, verifier)


def pending(user: User, state: str) -> RemoteImport | None:
    """Return the holder's pending run for a returned state, if any."""
    if not state or len(state) > 200:
        return None
    return db.session.scalar(
        select(RemoteImport).where(
            RemoteImport.user_id == user.id,
            RemoteImport.state_hash == digest(state),
            RemoteImport.status == "pending",
        )
    )


def finish(user: User, run: RemoteImport, *, code: str | None, verifier: str) -> RemoteImport:
    """Exchange the code, read the credentials and import each; store the report (committed)."""
    fetcher = _fetcher()
    try:
        if not code:
            raise BringFailed("denied")
        token = _token(fetcher, run.host, code, verifier)
        report = _bring(user, fetcher, run.host, token)
    except BringFailed as failure:
        run.status, run.error = "failed", failure.code
    except FetchError:
        run.status, run.error = "failed", "unreachable"
    else:
        run.status, run.report_json = "done", json.dumps(report, ensure_ascii=False)
    run.finished_at = utcnow()
    db.session.commit()
    return run


def fail(run: RemoteImport, code: str) -> None:
    """Close a run that cannot go on (e.g. the holder denied access), committed."""
    run.status, run.error, run.finished_at = "failed", code, utcnow()
    db.session.commit()


def _token(fetcher: HttpFetcher, host: RemoteHost, code: str, verifier: str) -> str:
    """Exchange the authorization code (HTTP Basic, PKCE verifier) for an access token."""
    credentials = f"{host.client_id}:{_unseal(host)}".encode()
    form = urlencode(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": host.redirect_uri,
            "code_verifier": verifier,
        }
    ).encode()
    headers = {
        "Authorization": "Basic " + base64.b64encode(credentials).decode(),
        "Content-Type": "application/x-www-form-urlencoded",
    }
    reply = _json(fetcher.send(host.token_url, Outgoing("POST", headers, form)), "token")
    token = reply.get("access_token")
    if not isinstance(token, str) or not token or len(token) > 4096:
        raise BringFailed("token")
    return token


def _bring(user: User, fetcher: HttpFetcher, host: RemoteHost, token: str) -> list[dict[str, Any]]:
    """Read every page of credentials and import each one; return what happened to each."""
    report: list[dict[str, Any]] = []
    headers = {"Authorization": f"Bearer {token}"}
    offset = 0
    while offset < MAX_CREDENTIALS:
        url = f"{host.api_base}/credentials?{urlencode({'limit': PAGE, 'offset': offset})}"
        page = _json(fetcher.send(url, Outgoing("GET", headers)), "read")
        items = _items(page)
        for item in items[: MAX_CREDENTIALS - len(report)]:
            report.append(_import_one(user, item))
        if len(items) < PAGE:
            break
        offset += PAGE
    return report


def _items(page: dict[str, Any]) -> list[str]:
    """Return the credentials of a page as texts: JSON documents, then compact JWS strings."""
    found: list[str] = []
    for document in page.get("credential") or []:
        if isinstance(document, dict):
            found.append(json.dumps(document, ensure_ascii=False))
    for key in ("compactJwsString", "compactJwsStrings"):
        found.extend(s for s in page.get(key) or [] if isinstance(s, str))
    return found


def _import_one(user: User, text: str) -> dict[str, Any]:
    """Import one credential; return its line of the report."""
    try:
        outcome = badge_import.import_badge(user, text, fetcher=badges.make_fetcher())
    except badge_import.ImportFailed as failure:
        return {
            "outcome": "refused",
            "code": failure.code,
            "message_id": failure.message_id,
            "params": failure.params,
            "name": _name_of(text),
        }
    badge = outcome.badge
    return {
        "outcome": "added" if outcome.created else "already",
        "badge_id": badge.id,
        "name": badge.name,
        "issuer": badge.issuer_name,
    }


def _name_of(text: str) -> str:
    """Return a credential's own name for the report (best effort; it was refused)."""
    try:
        document = json.loads(text)
    except ValueError:
        return ""
    if not isinstance(document, dict):
        return ""
    subject = document.get("credentialSubject")
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    name = achievement.get("name") if isinstance(achievement, dict) else document.get("name")
    return str(name)[:200] if isinstance(name, str) else ""


def run_of(user: User, public_id: str) -> RemoteImport | None:
    """Return one of the holder's runs by its public id."""
    return db.session.scalar(
        select(RemoteImport).where(
            RemoteImport.user_id == user.id, RemoteImport.public_id == public_id
        )
    )


def report_of(run: RemoteImport) -> list[dict[str, Any]]:
    """Return the stored report lines of a run."""
    try:
        lines = json.loads(run.report_json or "[]")
    except ValueError:
        return []
    return [line for line in lines if isinstance(line, dict)] if isinstance(lines, list) else []
