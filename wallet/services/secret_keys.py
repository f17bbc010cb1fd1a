"""Server secrets: how strong a configured secret is, and the development instance secret."""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
from pathlib import Path

MIN_SECRET_BYTES = 32
HOW_TO_MAKE = (
    "Make one with `wallet secret` (or: python3 -c "
    '"import secrets; print(secrets.token_urlsafe(32))").'
)
_HEX = re.compile(r"[0-9a-fA-F]+")
_URLSAFE = re.compile(r"[A-Za-z0-9_\-]+=*")
_BASE64 = re.compile(r"[A-Za-z0-9+/]+=*")


def new_secret() -> str:
    """Return a fresh secret of 32 random bytes, URL-safe base64 (43 characters)."""
    return secrets.token_urlsafe(MIN_SECRET_BYTES)


def secret_bytes(value: str) -> int:
    """Return how many bytes of key material a secret carries, decoding hex or base64 text."""
    text = value.strip()
    if _HEX.fullmatch(text) and len(text) % 2 == 0:
        return len(text) // 2
    for pattern, decode in ((_URLSAFE, base64.urlsafe_b64decode), (_BASE64, base64.b64decode)):
        if pattern.fullmatch(text):
            try:
                return len(decode(text + "=" * (-len(text) % 4)))
            except (binascii.Error, ValueError):
                continue
    return len(text.encode())


def weak_secret(value: object) -> bool:
    """Return whether a secret is missing, too short or too uniform to be random."""
    if not isinstance(value, str) or not value:
        return True
    # "x" * 64 is long but not random: a random 32-byte key shows many distinct characters. Hex
    # has only 16 to show, and 64 random hex digits miss one of them one time in four.
    distinct = 8 if _HEX.fullmatch(value.strip()) else 16
    return secret_bytes(value) < MIN_SECRET_BYTES or len(set(value.strip().lower())) < distinct


def instance_secret(instance_path: str) -> str:
    """Return this instance's generated secret (created once, readable by its owner only)."""
    path = Path(instance_path) / "secret_key"
    try:
        value = path.read_text().strip()
    except FileNotFoundError:
        value = ""
    if value:
        return value
    path.parent.mkdir(parents=True, exist_ok=True)
    value = new_secret()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value
