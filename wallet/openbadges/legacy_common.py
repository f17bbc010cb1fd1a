"""Shared helpers of the Open Badges 0.5–2.0 code: typed lookups, URL tests and check builders."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from wallet.openbadges.model import Check


def string_at(node: Mapping[str, Any] | None, key: str) -> str | None:
    """Return ``node[key]`` when it is a string, else None."""
    if node is None:
        return None
    value = node.get(key)
    return value if isinstance(value, str) else None


def dict_or_none(value: Any) -> dict[str, Any] | None:
    """Return ``value`` when it is a JSON object, else None."""
    return value if isinstance(value, dict) else None


def ref_of(value: Any) -> str | None:
    """Return the IRI of a reference that is either a string or a node with ``id``."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        ident = value.get("id")
        return ident if isinstance(ident, str) else None
    return None


def verification_of(node: Mapping[str, Any]) -> dict[str, Any] | None:
    """Return an assertion's ``verification`` object (``verify`` in OB 1.0)."""
    return dict_or_none(node.get("verification")) or dict_or_none(node.get("verify"))


def is_http(url: str | None) -> bool:
    """Tell whether ``url`` is an absolute, parseable http(s) URL."""
    if not url:
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def authority(url: str) -> str:
    """Return the lower-cased ``host[:port]`` of a URL ("" when it cannot be parsed)."""
    try:
        return urlsplit(url).netloc.lower().rpartition("@")[2]
    except ValueError:
        return ""


def fail(check_id: str, message_id: str, detail: str = "", **params: str) -> Check:
    """Build a failed check."""
    return Check(check_id, "failed", message_id, detail, params)


def warn(check_id: str, message_id: str, detail: str = "", **params: str) -> Check:
    """Build a warning check."""
    return Check(check_id, "warning", message_id, detail, params)


def unavailable(check_id: str, url: str, detail: str) -> Check:
    """Build the check for a document at ``url`` that could not be retrieved."""
    return Check(
        check_id,
        "unsupported",
        "fetch.node_unavailable",
        detail,
        {"url": url},
        outcome="unverifiable",
    )


def revocation_reason(node: Mapping[str, Any] | None) -> str:
    """Return the ``revocationReason`` a node gives ("" when none)."""
    reason = string_at(node, "revocationReason") if node else None
    return reason or ""


def revoked(reason: str, detail: str) -> Check:
    """Build the failed revocation check, naming the reason when there is one."""
    message = "revocation.revoked_reason" if reason else "revocation.revoked"
    return Check("revocation", "failed", message, detail, {"reason": reason}, outcome="revoked")
