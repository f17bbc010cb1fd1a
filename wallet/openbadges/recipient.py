"""Recipient identity matching for hashed (``sha256$``, ``md5$``, salted) and plain identities."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable
from collections.abc import Mapping
from typing import Any

from wallet.openbadges.model import Recipient

EMAIL_TYPES = frozenset({"email", "emailaddress"})
_HASHED = re.compile(r"^(sha256|md5)\$([0-9a-fA-F]+)$")
_HEX_LENGTH = {"sha256": 64, "md5": 32}


def is_valid_hash(identity: str) -> bool:
    """Tell whether ``identity`` has the ``sha256$<64 hex>`` or ``md5$<32 hex>`` form."""
    match = _HASHED.match(identity)
    return bool(match) and len(match.group(2)) == _HEX_LENGTH[match.group(1)]  # type: ignore[union-attr]


def identity_hash(identity: str, salt: str | None = None, algorithm: str = "sha256") -> str:
    """Return ``algorithm$hex(H(identity + salt))``, the OB IdentityHash of a plain value."""
    digest = hashlib.new(algorithm, (identity + (salt or "")).encode("utf-8")).hexdigest()
    return f"{algorithm}${digest}"


def identity_matches(recipient: Recipient, candidate: str) -> bool:
    """Tell whether one plain value (as given or lower-cased) is the recipient's identity."""
    variants = dict.fromkeys([candidate.strip(), candidate.strip().lower()])
    if not recipient.hashed and "$" not in recipient.identity:
        target = recipient.identity.strip()
        email = recipient.type.lower() in EMAIL_TYPES
        return any((v.lower() == target.lower()) if email else (v == target) for v in variants)
    match = _HASHED.match(recipient.identity.strip())
    if match is None:
        return False
    algorithm, expected = match.group(1), match.group(2).lower()
    for value in variants:
        computed = identity_hash(value, recipient.salt, algorithm).split("$", 1)[1]
        if hmac.compare_digest(computed, expected):
            return True
    return False


def recipient_matches(recipient: Recipient, emails: Iterable[str]) -> bool | None:
    """Tell whether any of ``emails`` is the recipient; None when the badge names no email."""
    if recipient.type.lower() not in EMAIL_TYPES:
        return None
    return any(identity_matches(recipient, email) for email in emails)


def recipient_from_identity_object(obj: Mapping[str, Any]) -> Recipient | None:
    """Build a Recipient from an OB 3.0 IdentityObject (None when it is unusable)."""
    identity = obj.get("identityHash")
    if not isinstance(identity, str):
        return None
    kind = obj.get("identityType")
    kind = kind if isinstance(kind, str) else "identifier"
    salt = obj.get("salt")
    return Recipient(
        identity=identity,
        type="email" if kind == "emailAddress" else kind,
        hashed=obj.get("hashed") is True,
        salt=salt if isinstance(salt, str) else None,
    )


def identity_object_matches(obj: Mapping[str, Any], emails: Iterable[str]) -> bool | None:
    """Match an OB 3.0 IdentityObject with ``identityType: emailAddress`` against emails."""
    recipient = recipient_from_identity_object(obj)
    if recipient is None:
        return None
    return recipient_matches(recipient, emails)
