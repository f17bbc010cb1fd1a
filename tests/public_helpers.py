"""Badges inserted straight into the database for the public-page, export and freshness tests.

A real OB 2.0 hosted assertion baked into a real PNG, with its BadgeClass and Issuer served by
an in-memory fetcher, so re-verification works on the stored original exactly as in production.
"""

from __future__ import annotations

import io
import json
from datetime import UTC
from datetime import datetime
from typing import Any

from PIL import Image

from tests.openbadges.fakes import FakeFetcher
from wallet.openbadges.baking import bake_png

ISSUER = "https://issuer.example"
CONTEXT = "https://w3id.org/openbadges/v2"


def plain_png(color: tuple[int, int, int] = (200, 40, 40), size: int = 64) -> bytes:
    """Return a small solid-colour PNG."""
    out = io.BytesIO()
    Image.new("RGB", (size, size), color).save(out, format="PNG")
    return out.getvalue()


def assertion(
    number: int = 1,
    *,
    recipient: str = "taro@example.com",
    expires: str | None = "2030-01-01T00:00:00Z",
    issued_on: str = "2024-04-01T00:00:00Z",
    **extra: Any,
) -> dict[str, Any]:
    """Return an OB 2.0 hosted assertion for the test issuer."""
    data: dict[str, Any] = {
        "@context": CONTEXT,
        "type": "Assertion",
        "id": f"{ISSUER}/assertions/{number}.json",
        "recipient": {"type": "email", "hashed": False, "identity": recipient},
        "badge": f"{ISSUER}/badges/b.json",
        "verification": {"type": "hosted"},
        "issuedOn": issued_on,
        **extra,
    }
    if expires:
        data["expires"] = expires
    return data


def issuer_documents(name: str = "コンクリート技士") -> dict[str, bytes]:
    """Return the BadgeClass, Issuer and image the assertions point to, by URL."""
    badge_class = {
        "@context": CONTEXT,
        "type": "BadgeClass",
        "id": f"{ISSUER}/badges/b.json",
        "name": name,
        "description": "Passed the concrete engineer examination.",
        "image": f"{ISSUER}/badges/b.png",
        "criteria": {"narrative": "Pass the exam."},
        "issuer": f"{ISSUER}/issuer.json",
    }
    issuer = {
        "@context": CONTEXT,
        "type": "Issuer",
        "id": f"{ISSUER}/issuer.json",
        "name": "日本コンクリート協会",
        "url": ISSUER,
        "email": "badges@issuer.example",
    }
    return {
        badge_class["id"]: json.dumps(badge_class).encode(),
        issuer["id"]: json.dumps(issuer).encode(),
        badge_class["image"]: plain_png(),
    }


def fetcher_for(*assertions: dict[str, Any]) -> FakeFetcher:
    """Return a fake fetcher serving the issuer documents and these hosted assertions."""
    fake = FakeFetcher()
    for url, body in issuer_documents().items():
        fake.add(url, body)
    for data in assertions:
        fake.add(data["id"], json.dumps(data))
    return fake


def baked(data: dict[str, Any]) -> bytes:
    """Return a PNG with the assertion baked in (what an issuer mails to a holder)."""
    return bake_png(plain_png((30, 90, 200)), "openbadges", json.dumps(data))


def add_badge(
    user_id: int,
    *,
    number: int = 1,
    name: str = "コンクリート技士",
    issuer_name: str = "日本コンクリート協会",
    visibility: str = "public",
    result: str = "valid",
    recipient_confirmed: bool = True,
    issued_on: datetime | None = datetime(2024, 4, 1, tzinfo=UTC),
    expires: datetime | None = datetime(2030, 1, 1, tzinfo=UTC),
    verified_at: datetime | None = None,
    fmt: str = "png",
    original: bytes | None = None,
    image_png: bytes | None = None,
    public_id: str | None = None,
    recipient: str = "taro@example.com",
) -> Any:
    """Insert a badge (and its content) for user_id and commit; needs an app context."""
    from wallet.extensions import db
    from wallet.models import Badge
    from wallet.models import BadgeContent
    from wallet.models import utcnow

    data = assertion(
        number,
        recipient=recipient,
        expires=expires.strftime("%Y-%m-%dT%H:%M:%SZ") if expires else None,
        issued_on=(issued_on or datetime(2024, 4, 1, tzinfo=UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    payload = json.dumps(data)
    if original is None:
        original = baked(data) if fmt == "png" else payload.encode()
    media = {"png": "image/png", "svg": "image/svg+xml", "json": "application/json"}
    badge = Badge(
        user_id=user_id,
        credential_key=f"key-{number}",
        spec="2.0",
        format=fmt,
        name=name,
        issuer_name=issuer_name,
        issuer_id=f"{ISSUER}/issuer.json",
        issued_on=issued_on,
        expires=expires,
        recipient_confirmed=recipient_confirmed,
        visibility=visibility,
        result=result,
        report_json="[]",
        verified_at=verified_at or utcnow(),
    )
    if public_id:
        badge.public_id = public_id
    badge.content = BadgeContent(
        original=original,
        original_media_type=media.get(fmt, "text/plain"),
        payload=payload,
        details_json=json.dumps({"description": "Passed the concrete engineer examination."}),
        image_png=image_png if image_png is not None else plain_png((20, 160, 60), 128),
    )
    db.session.add(badge)
    db.session.commit()
    return badge
