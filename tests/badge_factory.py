"""Badges for app-level tests, built and signed with the project's own library and keys.

OB 3.0 credentials are issued by a did:key (verifiable fully offline); OB 2.0 hosted
assertions need their issuer documents served (a FakeFetcher or a loopback HTTP server).
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import io
import json
import threading
import uuid
from collections.abc import Iterator
from collections.abc import Mapping
from contextlib import contextmanager
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519
from PIL import Image

from wallet.openbadges.baking import bake_png
from wallet.openbadges.baking import bake_svg
from wallet.openbadges.errors import FetchError
from wallet.openbadges.fetch import ACCEPT_BADGE
from wallet.openbadges.fetch import Response
from wallet.openbadges.jose import sign_compact
from wallet.openbadges.keys import did_key_for
from wallet.openbadges.signing import sign_eddsa_rdfc_2022

EMAIL = "taro@example.com"
VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB3_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB2_CONTEXT = "https://w3id.org/openbadges/v2"


def private_key(name: str = "issuer") -> ed25519.Ed25519PrivateKey:
    """Return a deterministic Ed25519 key per name (reproducible tests)."""
    return ed25519.Ed25519PrivateKey.from_private_bytes(hashlib.sha256(name.encode()).digest())


def did_of(key_name: str = "issuer") -> tuple[str, str]:
    """Return (did, verification method id) of the did:key for key_name."""
    did = did_key_for(private_key(key_name).public_key())
    return did, f"{did}#{did[len('did:key:') :]}"


def iso(moment: datetime) -> str:
    """Return an XSD dateTime in UTC."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def days(n: float) -> datetime:
    """Return now + n days (negative: in the past)."""
    return datetime.now(UTC).replace(microsecond=0) + timedelta(days=n)


def ob3_credential(
    *,
    email: str | None = EMAIL,
    name: str = "コンクリート診断士",
    issuer_name: str = "Japan Concrete Institute",
    key_name: str = "issuer",
    credential_id: str | None = None,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    description: str = "Passed the **concrete diagnostician** examination.",
    criteria: str = "Pass the written and oral examinations.",
    pass_number: str | None = "合格-2026-0042",
    subject_id: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Return an unsigned OB 3.0 OpenBadgeCredential from a did:key issuer."""
    did, _vm = did_of(key_name)
    identifiers: list[dict[str, Any]] = []
    if email is not None:
        identifiers.append(
            {
                "type": "IdentityObject",
                "identityType": "emailAddress",
                "hashed": False,
                "identityHash": email,
            }
        )
    if pass_number is not None:
        identifiers.append(
            {
                "type": "IdentityObject",
                "identityType": "ext:passNumber",
                "hashed": False,
                "identityHash": pass_number,
            }
        )
    subject: dict[str, Any] = {
        "type": ["AchievementSubject"],
        "achievement": {
            "id": f"https://issuer.example/achievements/{uuid.uuid5(uuid.NAMESPACE_URL, name)}",
            "type": ["Achievement"],
            "name": name,
            "description": description,
            "criteria": {"narrative": criteria},
            "alignment": [
                {
                    "type": ["Alignment"],
                    "targetName": "Concrete diagnosis",
                    "targetUrl": "https://framework.example/cd",
                    "targetCode": "CD-1",
                }
            ],
        },
    }
    if identifiers:
        subject["identifier"] = identifiers
    if subject_id:
        subject["id"] = subject_id
    doc: dict[str, Any] = {
        "@context": [VC_V2, OB3_CONTEXT],
        "id": credential_id or f"urn:uuid:{uuid.uuid4()}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": did, "type": ["Profile"], "name": issuer_name},
        "name": name,
        "validFrom": iso(valid_from or days(-10)),
        "credentialSubject": subject,
        "evidence": [
            {
                "id": "https://issuer.example/evidence/1",
                "type": ["Evidence"],
                "name": "Exam record",
            }
        ],
    }
    if valid_until is not None:
        doc["validUntil"] = iso(valid_until)
    doc.update(extra or {})
    return doc


def sign(doc: Mapping[str, Any], key_name: str = "issuer") -> dict[str, Any]:
    """Return doc with an eddsa-rdfc-2022 proof by the did:key of key_name."""
    _did, vm = did_of(key_name)
    return sign_eddsa_rdfc_2022(doc, private_key(key_name), vm, days(-10))


def ob3_json(**kwargs: Any) -> bytes:
    """Return a signed OB 3.0 credential as JSON bytes (kwargs: see ob3_credential)."""
    return json.dumps(sign(ob3_credential(**kwargs)), ensure_ascii=False).encode("utf-8")


def tampered_json(**kwargs: Any) -> bytes:
    """Return a signed OB 3.0 credential whose name was changed after signing."""
    signed = sign(ob3_credential(**kwargs))
    signed["credentialSubject"]["achievement"]["name"] += " (forged)"
    return json.dumps(signed, ensure_ascii=False).encode("utf-8")


def vc_jwt(key_name: str = "issuer", **kwargs: Any) -> str:
    """Return an OB 3.0 credential as a VC-JWT signed with EdDSA (kid: the did:key method)."""
    did, vm = did_of(key_name)
    credential = ob3_credential(key_name=key_name, **kwargs)
    payload = {
        **credential,
        "iss": did,
        "jti": credential["id"],
        "nbf": int(datetime.fromisoformat(credential["validFrom"]).timestamp()),
    }
    if "validUntil" in credential:
        payload["exp"] = int(datetime.fromisoformat(credential["validUntil"]).timestamp())
    header = {"kid": vm, "typ": "vc+jwt"}
    return sign_compact(payload, private_key(key_name), "EdDSA", header=header)


def plain_png(colour: tuple[int, int, int] = (29, 78, 216), size: int = 64) -> bytes:
    """Return a small plain PNG image."""
    out = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(out, format="PNG")
    return out.getvalue()


def ob3_png(**kwargs: Any) -> bytes:
    """Return a PNG with a signed OB 3.0 credential baked in."""
    return bake_png(plain_png(), "openbadgecredential", ob3_json(**kwargs).decode("utf-8"))


def ob3_svg(**kwargs: Any) -> bytes:
    """Return an SVG with a signed OB 3.0 credential baked in."""
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">'
        b'<circle cx="32" cy="32" r="30" fill="#1d4ed8"/></svg>'
    )
    return bake_svg(svg, ob3_json(**kwargs).decode("utf-8"), "3.0")


# --- OB 2.0 hosted: a set of documents to serve --------------------------------------------


def ob2_hosted_files(
    base: str,
    *,
    email: str = EMAIL,
    revoked: bool = False,
    expires: datetime | None = None,
    name: str = "Concrete Technician",
) -> dict[str, bytes]:
    """Return path -> body of an OB 2.0 hosted assertion, its BadgeClass, Issuer and image."""
    assertion: dict[str, Any] = {
        "@context": OB2_CONTEXT,
        "type": "Assertion",
        "id": f"{base}/assertions/1.json",
        "recipient": {"type": "email", "hashed": False, "identity": email},
        "badge": f"{base}/badges/b.json",
        "verification": {"type": "hosted"},
        "issuedOn": iso(days(-30)),
        "evidence": f"{base}/evidence/1",
    }
    if expires is not None:
        assertion["expires"] = iso(expires)
    if revoked:
        assertion["revoked"] = True
        assertion["revocationReason"] = "issued in error"
    badge_class = {
        "@context": OB2_CONTEXT,
        "type": "BadgeClass",
        "id": f"{base}/badges/b.json",
        "name": name,
        "description": "Passed the concrete technician examination.",
        "image": f"{base}/badges/b.png",
        "criteria": {"narrative": "Pass the exam.\n\nThen *practise*."},
        "issuer": f"{base}/issuer.json",
    }
    issuer = {
        "@context": OB2_CONTEXT,
        "type": "Issuer",
        "id": f"{base}/issuer.json",
        "name": "Concrete Institute",
        "url": base,
        "email": "badges@issuer.example",
    }
    return {
        "/assertions/1.json": json.dumps(assertion).encode(),
        "/badges/b.json": json.dumps(badge_class).encode(),
        "/issuer.json": json.dumps(issuer).encode(),
        "/badges/b.png": plain_png((200, 120, 0)),
    }


def _content_type(path: str) -> str:
    if path.endswith(".png"):
        return "image/png"
    if path.endswith(".svg"):
        return "image/svg+xml"
    return "application/ld+json"


class DictFetcher:
    """A fetcher answering from ``{url: body}``; unknown URLs raise FetchError."""

    def __init__(self, routes: Mapping[str, bytes] | None = None) -> None:
        self.routes = dict(routes or {})
        self.requests: list[str] = []

    def fetch(self, url: str, *, accept: str = ACCEPT_BADGE) -> Response:
        """Return the stored body for url."""
        self.requests.append(url)
        body = self.routes.get(url)
        if body is None:
            raise FetchError("not found in fake fetcher")
        return Response(url, 200, _content_type(url), body)


def hosted_fetcher(base: str = "https://issuer.example", **kwargs: Any) -> DictFetcher:
    """Return a DictFetcher serving an OB 2.0 hosted badge under base."""
    files = ob2_hosted_files(base, **kwargs)
    return DictFetcher({base + path: body for path, body in files.items()})


class BadgeServer:
    """A real HTTP server on 127.0.0.1 serving ``files`` (path -> bytes), in a thread."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        files = self.files

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                body = files.get(self.path.split("?", 1)[0])
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", _content_type(self.path))
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def url(self, path: str) -> str:
        """Return the absolute URL of path."""
        return self.base + path


@contextmanager
def badge_server() -> Iterator[BadgeServer]:
    """Run a BadgeServer for the duration of the block."""
    server = BadgeServer()
    server.thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
        server.thread.join(5)


@functools.cache
def cached_ob3_json(name: str = "コンクリート診断士", email: str | None = EMAIL) -> bytes:
    """Return one signed OB 3.0 credential per (name, email), built once per test run."""
    return ob3_json(name=name, email=email)


def add_badge(user_id: int, **fields: Any) -> Any:
    """Insert a badge row directly, without verification (fast; list tests need many)."""
    from wallet.extensions import db
    from wallet.models import Badge
    from wallet.models import BadgeContent

    values: dict[str, Any] = {
        "user_id": user_id,
        "credential_key": uuid.uuid4().hex,
        "spec": "3.0",
        "format": "json",
        "name": "Badge",
        "issuer_name": "Issuer",
        "result": "valid",
        "recipient_confirmed": True,
        "visibility": "public",
    }
    values.update(fields)
    badge = Badge(**values)
    badge.content = BadgeContent(
        original=b"{}", original_media_type="application/json", payload="{}"
    )
    db.session.add(badge)
    db.session.commit()
    return badge
