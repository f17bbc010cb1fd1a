"""Normalise Open Badges 0.5–2.0 assertions into the version-neutral Credential model."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from wallet.openbadges.checks import has_timezone
from wallet.openbadges.checks import parse_datetime
from wallet.openbadges.detect import as_list
from wallet.openbadges.legacy_common import dict_or_none
from wallet.openbadges.legacy_common import fail
from wallet.openbadges.legacy_common import ref_of
from wallet.openbadges.legacy_common import string_at
from wallet.openbadges.legacy_common import verification_of
from wallet.openbadges.legacy_common import warn
from wallet.openbadges.model import Achievement
from wallet.openbadges.model import Alignment
from wallet.openbadges.model import Check
from wallet.openbadges.model import Credential
from wallet.openbadges.model import Evidence
from wallet.openbadges.model import Format
from wallet.openbadges.model import Profile
from wallet.openbadges.model import Recipient
from wallet.openbadges.model import Spec
from wallet.openbadges.recipient import is_valid_hash


def recipient_of(spec: Spec, assertion: Mapping[str, Any]) -> Recipient | None:
    """Return the assertion's recipient (0.5: a bare identity string), or None."""
    if spec == "0.5":
        identity = string_at(assertion, "recipient")
        if identity is None:
            return None
        salt = string_at(assertion, "salt")
        return Recipient(identity, "email", is_valid_hash(identity), salt)
    node = dict_or_none(assertion.get("recipient"))
    identity = string_at(node, "identity")
    if node is None or identity is None:
        return None
    hashed = node.get("hashed")
    return Recipient(
        identity=identity,
        type=string_at(node, "type") or "email",
        hashed=hashed is True or (hashed is None and is_valid_hash(identity)),
        salt=string_at(node, "salt"),
    )


def _date_value(assertion: Mapping[str, Any], spec: Spec, key: str) -> tuple[Any, str]:
    if spec == "0.5":
        key = {"issuedOn": "issued_on"}.get(key, key)
    return assertion.get(key), key


def parse_dates(
    assertion: Mapping[str, Any], spec: Spec
) -> tuple[datetime | None, datetime | None, list[Check]]:
    """Return the issue and expiry dates and the checks their values raise."""
    checks: list[Check] = []
    legacy = spec in ("0.5", "1.0", "1.1")
    issued_raw, issued_key = _date_value(assertion, spec, "issuedOn")
    expires_raw, _ = _date_value(assertion, spec, "expires")
    issued = expires = None
    try:
        issued = parse_datetime(issued_raw, allow_unix=legacy)
    except (ValueError, OverflowError, OSError):
        checks.append(fail("issued_on", "v2.date_invalid", f"{issued_key} is not a date"))
    if issued_raw is None and spec != "0.5":
        checks.append(fail("issued_on", "v2.issued_missing", "no issuedOn"))
    elif spec == "2.0" and isinstance(issued_raw, str) and not has_timezone(issued_raw):
        checks.append(warn("issued_on", "v2.date_no_timezone", "issuedOn has no time zone"))
    try:
        expires = parse_datetime(expires_raw, allow_unix=legacy)
    except (ValueError, OverflowError, OSError):
        checks.append(fail("expiry", "v2.date_invalid", "expires is not a date"))
    return issued, expires, checks


def _image(value: Any) -> str | None:
    return ref_of(value)


def _evidence(value: Any) -> tuple[Evidence, ...]:
    items: list[Evidence] = []
    for item in as_list(value)[:100]:
        if isinstance(item, str):
            items.append(Evidence(id=item))
        elif isinstance(item, dict):
            items.append(
                Evidence(
                    id=string_at(item, "id"),
                    name=string_at(item, "name"),
                    description=string_at(item, "description"),
                    narrative=string_at(item, "narrative"),
                    genre=string_at(item, "genre"),
                )
            )
    return tuple(items)


def _alignments(value: Any) -> tuple[Alignment, ...]:
    items: list[Alignment] = []
    for item in as_list(value)[:100]:
        if isinstance(item, dict):
            items.append(
                Alignment(
                    name=string_at(item, "targetName") or string_at(item, "name"),
                    url=string_at(item, "targetUrl") or string_at(item, "url"),
                    description=(
                        string_at(item, "targetDescription") or string_at(item, "description")
                    ),
                    framework=string_at(item, "targetFramework"),
                    code=string_at(item, "targetCode"),
                )
            )
    return tuple(items)


def _profile(node: Mapping[str, Any] | None, fallback_id: str | None) -> Profile:
    if node is None:
        return Profile(id=fallback_id)
    if "origin" in node and "id" not in node:
        origin = string_at(node, "origin")
        name = string_at(node, "name")
        org = string_at(node, "org")
        return Profile(
            id=origin,
            name=f"{name} ({org})" if name and org else name or org,
            url=origin,
            email=string_at(node, "contact"),
        )
    return Profile(
        id=string_at(node, "id") or fallback_id,
        name=string_at(node, "name"),
        url=string_at(node, "url"),
        email=string_at(node, "email"),
        image=_image(node.get("image")),
        description=string_at(node, "description"),
    )


def _achievement(badge: Mapping[str, Any] | None, fallback_id: str | None) -> Achievement:
    if badge is None:
        return Achievement(id=fallback_id)
    criteria = badge.get("criteria")
    criteria_node = dict_or_none(criteria)
    return Achievement(
        id=string_at(badge, "id") or fallback_id,
        name=string_at(badge, "name") or "",
        description=string_at(badge, "description"),
        criteria_narrative=string_at(criteria_node, "narrative"),
        criteria_url=criteria if isinstance(criteria, str) else string_at(criteria_node, "id"),
        image=_image(badge.get("image")),
        type="BadgeClass",
    )


def parse_legacy(
    payload: Mapping[str, Any],
    *,
    spec: Spec,
    format: Format,
    original: bytes = b"",
    badge: Mapping[str, Any] | None = None,
    issuer: Mapping[str, Any] | None = None,
    source_url: str | None = None,
    signed: Any = None,
) -> Credential:
    """Normalise an OB 0.5–2.0 assertion (with its fetched badge class and issuer, if any)."""
    badge_ref = payload.get("badge")
    badge_node = badge if badge is not None else dict_or_none(badge_ref)
    issuer_ref = badge_node.get("issuer") if badge_node else None
    issuer_node = issuer if issuer is not None else dict_or_none(issuer_ref)
    issued: datetime | None
    expires: datetime | None
    issued, expires, _ = parse_dates(payload, spec)
    ident = string_at(payload, "id")
    if ident is None and spec in ("1.0", "1.1"):
        verification = verification_of(payload) or {}
        hosted = string_at(verification, "type") == "hosted"
        ident = string_at(verification, "url") if hosted else None
        uid = string_at(payload, "uid")
        ident = ident or (f"urn:uid:{uid}" if uid else None)
    return Credential(
        spec=spec,
        format=format,
        achievement=_achievement(badge_node, ref_of(badge_ref)),
        issuer=_profile(issuer_node, ref_of(issuer_ref)),
        id=ident or source_url,
        recipient=recipient_of(spec, payload),
        issued_on=issued,
        expires=expires,
        narrative=string_at(payload, "narrative"),
        image=_image(payload.get("image")),
        evidence=_evidence(payload.get("evidence")),
        alignments=_alignments(badge_node.get("alignment") if badge_node else None),
        payload=signed if signed is not None else dict(payload),
        original=original,
        source_url=source_url,
    )
