"""OAuth 2.0 use cases shared by every API: registration, consent, codes, tokens, connections."""

from __future__ import annotations

import hashlib


def digest(secret: str) -> str:
    """Return the SHA-256 hex digest under which a token, code or secret is stored."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()
