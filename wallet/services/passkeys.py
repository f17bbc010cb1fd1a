"""Passkeys (WebAuthn, py_webauthn): register several per holder, sign in, confirm, remove.

The relying party is WALLET_BASE_URL: its host is the RP id and its origin the only origin
accepted. Challenges are kept on the server and deleted when used (no replay); user
verification is required and the signature counter must grow when the authenticator keeps one.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import delete
from sqlalchemy import select
from webauthn import generate_authentication_options
from webauthn import generate_registration_options
from webauthn import options_to_json
from webauthn import verify_authentication_response
from webauthn import verify_registration_response
from webauthn.helpers import base64url_to_bytes
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers import parse_authentication_credential_json
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import AuthenticatorSelectionCriteria
from webauthn.helpers.structs import AuthenticatorTransport
from webauthn.helpers.structs import PublicKeyCredentialDescriptor
from webauthn.helpers.structs import ResidentKeyRequirement
from webauthn.helpers.structs import UserVerificationRequirement

from wallet.extensions import db
from wallet.models import Passkey
from wallet.models import PasskeyChallenge
from wallet.models import User
from wallet.models import names
from wallet.models import utcnow
from wallet.services import security_notices

CHALLENGE_TTL = timedelta(minutes=5)
MAX_PASSKEYS = 20
MAX_CREDENTIAL_JSON = 64 * 1024
RP_NAME = "Badge Wallet"


class PasskeyError(Exception):
    """A ceremony failed; code says why: expired, invalid, exists, unknown, too_many."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Ceremony:
    """Options for the browser (JSON text) and the id of the challenge kept for them."""

    options: str
    challenge_id: int


def relying_party() -> tuple[str, str]:
    """Return (RP id, origin) from WALLET_BASE_URL, never from the request."""
    parts = urlsplit(current_app.config["BASE_URL"])
    return parts.hostname or "localhost", f"{parts.scheme}://{parts.netloc}"


def _new_challenge(purpose: str, challenge: bytes, user: User | None) -> int:
    """Keep a challenge for one use; drop the ones nobody used in time."""
    db.session.execute(
        delete(PasskeyChallenge).where(PasskeyChallenge.created_at < utcnow() - CHALLENGE_TTL)
    )
    row = PasskeyChallenge(
        challenge=bytes_to_base64url(challenge),
        purpose=purpose,
        user_id=user.id if user is not None else None,
    )
    db.session.add(row)
    db.session.commit()
    return row.id


def _consume(challenge_id: object, purpose: str, user: User | None) -> bytes:
    """Return a kept challenge once (deleting it); raise PasskeyError('expired') otherwise."""
    if not isinstance(challenge_id, int):
        raise PasskeyError("expired")
    row = db.session.get(PasskeyChallenge, challenge_id)
    if row is None or row.purpose != purpose:
        raise PasskeyError("expired")
    owner = user.id if user is not None else None
    fresh = utcnow() - _aware(row.created_at) <= CHALLENGE_TTL
    value = row.challenge
    gone = db.session.execute(delete(PasskeyChallenge).where(PasskeyChallenge.id == row.id))
    db.session.commit()
    if gone.rowcount != 1 or not fresh or row.user_id != owner:
        raise PasskeyError("expired")
    return base64url_to_bytes(value)


def _aware(value: Any) -> Any:
    """Return value with UTC attached (SQLite gives naive date-times back)."""
    from datetime import UTC

    return value if value.tzinfo else value.replace(tzinfo=UTC)


def list_for(user: User) -> list[Passkey]:
    """Return the user's passkeys, oldest first."""
    return list(
        db.session.scalars(select(Passkey).where(Passkey.user_id == user.id).order_by(Passkey.id))
    )


def _descriptor(passkey: Passkey) -> PublicKeyCredentialDescriptor:
    """Return the WebAuthn descriptor naming one stored passkey."""
    return PublicKeyCredentialDescriptor(id=base64url_to_bytes(passkey.credential_id))


def registration_options(user: User) -> Ceremony:
    """Start adding a passkey: a discoverable credential with user verification."""
    if user.passkey_handle is None:
        user.passkey_handle = bytes_to_base64url(secrets.token_bytes(32))
        db.session.commit()
    rp_id, _origin = relying_party()
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=RP_NAME,
        user_name=user.email,
        user_id=base64url_to_bytes(user.passkey_handle),
        user_display_name=names.full_name(user),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[_descriptor(p) for p in list_for(user)],
    )
    return Ceremony(options_to_json(options), _new_challenge("register", options.challenge, user))


def register(user: User, challenge_id: object, credential: object, name: str) -> Passkey:
    """Finish adding a passkey; raise PasskeyError when the browser's answer does not hold."""
    expected = _consume(challenge_id, "register", user)
    if len(list_for(user)) >= MAX_PASSKEYS:
        raise PasskeyError("too_many")
    rp_id, origin = relying_party()
    try:
        verified = verify_registration_response(
            credential=_credential_text(credential),
            expected_challenge=expected,
            expected_rp_id=rp_id,
            expected_origin=origin,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError):
        raise PasskeyError("invalid") from None
    credential_id = bytes_to_base64url(verified.credential_id)
    if db.session.scalar(select(Passkey.id).where(Passkey.credential_id == credential_id)):
        raise PasskeyError("exists")
    passkey = Passkey(
        user_id=user.id,
        credential_id=credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=",".join(_transports(credential)),
        device_type=verified.credential_device_type.value,
        backed_up=verified.credential_backed_up,
        aaguid=verified.aaguid,
        name=name.strip()[:100] or RP_NAME,
    )
    db.session.add(passkey)
    db.session.commit()
    security_notices.notify(user, security_notices.PASSKEY_ADDED, detail=passkey.name)
    return passkey


def _credential_text(credential: object) -> str:
    """Return the browser's credential as JSON text, refusing anything oversized or odd."""
    text = credential if isinstance(credential, str) else json.dumps(credential)
    if not isinstance(credential, dict | str) or len(text) > MAX_CREDENTIAL_JSON:
        raise PasskeyError("invalid")
    return text


def _transports(credential: object) -> list[str]:
    """Return the transports the browser reported, keeping only known names."""
    known = {t.value for t in AuthenticatorTransport}
    response = credential.get("response") if isinstance(credential, dict) else None
    values = response.get("transports") if isinstance(response, dict) else None
    return [t for t in values if t in known][:8] if isinstance(values, list) else []


def authentication_options(user: User | None = None) -> Ceremony:
    """Start a sign-in (any discoverable passkey) or, for user, a confirmation with theirs."""
    rp_id, _origin = relying_party()
    allowed = (
        [
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(p.credential_id))
            for p in list_for(user)
        ]
        if user is not None
        else []
    )
    options = generate_authentication_options(
        rp_id=rp_id,
        allow_credentials=allowed,
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return Ceremony(
        options_to_json(options), _new_challenge("authenticate", options.challenge, user)
    )


def authenticate(challenge_id: object, credential: object, user: User | None = None) -> User:
    """Return the holder a passkey assertion proves; for user, it must be one of theirs."""
    expected = _consume(challenge_id, "authenticate", user)
    text = _credential_text(credential)
    try:
        parsed = parse_authentication_credential_json(text)
    except (WebAuthnException, ValueError, TypeError, KeyError):
        raise PasskeyError("invalid") from None
    passkey = db.session.scalar(
        select(Passkey).where(Passkey.credential_id == bytes_to_base64url(parsed.raw_id))
    )
    if passkey is None or (user is not None and passkey.user_id != user.id):
        raise PasskeyError("unknown")
    owner = db.session.get(User, passkey.user_id)
    handle = parsed.response.user_handle
    if owner is None or (handle and bytes_to_base64url(handle) != owner.passkey_handle):
        raise PasskeyError("unknown")
    rp_id, origin = relying_party()
    try:
        verified = verify_authentication_response(
            credential=parsed,
            expected_challenge=expected,
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError):
        raise PasskeyError("invalid") from None
    passkey.sign_count = verified.new_sign_count
    passkey.backed_up = verified.credential_backed_up
    passkey.last_used_at = utcnow()
    db.session.commit()
    return owner


def remove(user: User, public_id: str) -> bool:
    """Remove one of the user's passkeys; False when it is not theirs."""
    passkey = db.session.scalar(
        select(Passkey).where(Passkey.user_id == user.id, Passkey.public_id == public_id[:32])
    )
    if passkey is None:
        return False
    name = passkey.name
    db.session.delete(passkey)
    db.session.commit()
    security_notices.notify(user, security_notices.PASSKEY_REMOVED, detail=name)
    return True
