"""Password hashing (argon2id) and signed single-use tokens."""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app
from itsdangerous import BadSignature
from itsdangerous import SignatureExpired
from itsdangerous import URLSafeTimedSerializer
from passlib.context import CryptContext

from wallet.services.password_policy import normalize


def _context() -> CryptContext:
    """Return the CryptContext configured with this app's argon2id cost."""
    config = current_app.config
    key = (
        config["PASSWORD_TIME_COST"],
        config["PASSWORD_MEMORY_COST"],
        config["PASSWORD_PARALLELISM"],
    )
    cache = current_app.extensions.setdefault("wallet_crypt", {})
    if key not in cache:
        cache[key] = CryptContext(
            schemes=["argon2"],
            deprecated="auto",
            argon2__type="ID",
            argon2__rounds=key[0],
            argon2__memory_cost=key[1],
            argon2__parallelism=key[2],
        )
    return cache[key]


def hash_password(password: str) -> str:
    """Return an argon2id hash of the password."""
    return _context().hash(normalize(password))


def verify_password(password: str, password_hash: str) -> tuple[bool, str | None]:
    """Check a password; return (ok, new_hash) where new_hash is set when the cost changed."""
    try:
        return _context().verify_and_update(normalize(password), password_hash)
    except (ValueError, TypeError):
        return False, None


def dummy_verify() -> None:
    """Spend the time of one verification so unknown accounts answer as slowly as known ones."""
    context = _context()
    cache = current_app.extensions.setdefault("wallet_dummy_hash", {})
    if id(context) not in cache:
        cache[id(context)] = context.hash("dummy-password-1A")
    context.verify("not-the-password", cache[id(context)])


def pseudonym(purpose: str, value: str) -> str:
    """Return a keyed digest of value: the same for the same value, meaningless without the key.

    For keys that end up where people read them (rate-limit keys appear in logs).
    """
    key = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(key, f"{purpose}\0{value}".encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    """Return a serializer whose signatures are valid for one purpose only."""
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"wallet.{purpose}")


def fingerprint(*parts: object) -> str:
    """Return a short digest of state that, once changed, kills outstanding tokens."""
    data = "\x1f".join("" if p is None else str(p) for p in parts)
    return hashlib.sha256(data.encode()).hexdigest()[:16]


def make_token(purpose: str, subject: int | str, state: str) -> str:
    """Return a signed token for subject; it dies when the state fingerprint changes."""
    return _serializer(purpose).dumps({"s": subject, "f": state})


def read_token(purpose: str, token: str, max_age: int) -> tuple[int | str, str] | None:
    """Return (subject, state) of a valid token, or None when forged, expired or malformed."""
    if not token or len(token) > 1000:
        return None
    try:
        data = _serializer(purpose).loads(token, max_age=max_age)
    except (SignatureExpired, BadSignature, ValueError, TypeError):
        return None
    if not isinstance(data, dict) or "s" not in data or not isinstance(data.get("f"), str):
        return None
    return data["s"], data["f"]


def same_state(a: str, b: str) -> bool:
    """Compare two fingerprints in constant time."""
    return hmac.compare_digest(a, b)
