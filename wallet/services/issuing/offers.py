"""The portal as an OpenID4VCI issuer: an award offered by pre-authorized code to any wallet.

Each issuer is a credential issuer of its own (``{BASE_URL}/oid4vci/{slug}``) and its own
authorization server. The award notice carries a ``credential_offer_uri`` whose random id
derives the code (HMAC with the secret key), so only digests are stored. The code is single use;
its access token is single use and short-lived; the holder proves a key (an
``openid4vci-proof+jwt`` with a fresh ``c_nonce``) and the award's credential is issued again,
signed by the issuer, with ``credentialSubject.id`` set to that key's DID. Its id and status
entry stay the award's: revoking the award revokes every copy.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from flask import current_app
from sqlalchemy import select
from sqlalchemy import update

from wallet.extensions import db
from wallet.models import Award
from wallet.models import AwardOffer
from wallet.models import Issuer
from wallet.models import is_public_id
from wallet.models import new_public_id
from wallet.models import utcnow
from wallet.openbadges.errors import BadgeError
from wallet.openbadges.holder import key_of_did_jwk
from wallet.openbadges.jose import b64url_decode
from wallet.openbadges.jose import key_from_jwk
from wallet.openbadges.jose import verify_compact
from wallet.openbadges.jsonutil import loads_object
from wallet.openbadges.keys import resolve_did_key
from wallet.services import security
from wallet.services.dates import as_aware
from wallet.services.issuing import credentials as documents
from wallet.services.issuing.keys import private_key_of

GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
CONFIGURATION = "OpenBadgeCredential_ldp_vc"
PROOF_TYP = "openid4vci-proof+jwt"
NONCE_PURPOSE = "oid4vci-nonce"
NONCE_AGE = 300  # seconds a c_nonce is accepted
TOKEN_AGE = 600  # seconds an access token lives
CLOCK_SKEW = 300  # seconds a proof's iat may differ from ours
DEFAULT_OFFER_DAYS = 365  # as long as the claim link in the same notice


class OfferProblem(Exception):
    """A refused OpenID4VCI request; ``error`` is the protocol's error code."""

    def __init__(self, error: str, status: int = 400) -> None:
        super().__init__(error)
        self.error = error
        self.status = status


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def _code_for(public_id: str) -> str:
    """Return the pre-authorized code an offer id stands for (nothing to store in clear)."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, f"oid4vci-code\0{public_id}".encode(), hashlib.sha256).hexdigest()


def issuer_id(issuer: Issuer) -> str:
    """Return the credential issuer identifier of one of the portal's issuers."""
    return f"{current_app.config['BASE_URL']}/oid4vci/{issuer.slug}"


def offer_uri(offer: AwardOffer) -> str:
    """Return the https address the offer document is served at."""
    return f"{current_app.config['BASE_URL']}/oid4vci/offers/{offer.public_id}"


def offer_link(offer: AwardOffer) -> str:
    """Return the ``openid-credential-offer://`` link a wallet opens (also the QR code's text)."""
    return "openid-credential-offer://?credential_offer_uri=" + quote(offer_uri(offer), safe="")


def make_offer(award: Award) -> AwardOffer | None:
    """Make a new offer for a pending award (committed); None when it cannot be offered."""
    if award.revoked_at is not None or award.claim_state != "pending":
        return None
    days = int(current_app.config.get("OID4VCI_OFFER_DAYS", DEFAULT_OFFER_DAYS))
    offer = AwardOffer(
        award_id=award.id, public_id=new_public_id(), expires_at=utcnow() + timedelta(days=days)
    )
    offer.code_hash = _digest(_code_for(offer.public_id))
    db.session.add(offer)
    db.session.commit()
    return offer


def notice_context(award: Award) -> dict[str, str]:
    """Return what the award notice shows of a new offer: its link and its QR code's address."""
    offer = make_offer(award)
    if offer is None:
        return {}
    return {"offer_link": offer_link(offer), "offer_qr": offer_uri(offer) + "/qr.png"}


def _live(offer: AwardOffer | None) -> AwardOffer | None:
    if offer is None or as_aware(offer.expires_at) < utcnow():
        return None
    award = db.session.get(Award, offer.award_id)
    if award is None or award.revoked_at is not None:
        return None
    return offer


def offer_document(public_id: str) -> dict[str, Any] | None:
    """Return the credential offer an offer id serves (None: unknown, used, expired, revoked)."""
    if not is_public_id(public_id):
        return None
    offer = _live(db.session.scalar(select(AwardOffer).where(AwardOffer.public_id == public_id)))
    if offer is None or offer.redeemed_at is not None:
        return None
    award = db.session.get(Award, offer.award_id)
    assert award is not None
    return {
        "credential_issuer": issuer_id(award.achievement.issuer),
        "credential_configuration_ids": [CONFIGURATION],
        "grants": {GRANT: {"pre-authorized_code": _code_for(public_id)}},
    }


def live_link(public_id: str) -> str | None:
    """Return the offer link of a usable offer id (for its QR code), else None."""
    if offer_document(public_id) is None:
        return None
    offer = db.session.scalar(select(AwardOffer).where(AwardOffer.public_id == public_id))
    return offer_link(offer) if offer is not None else None


def issuer_metadata(issuer: Issuer) -> dict[str, Any]:
    """Return the Credential Issuer Metadata (1.0, with the drafts' token_endpoint too)."""
    base = issuer_id(issuer)
    return {
        "credential_issuer": base,
        "credential_endpoint": f"{base}/credential",
        "nonce_endpoint": f"{base}/nonce",
        "token_endpoint": f"{base}/token",
        "display": [{"name": issuer.name}],
        "credential_configurations_supported": {
            CONFIGURATION: {
                "format": "ldp_vc",
                "credential_definition": {
                    "@context": [documents.VC_V2, documents.OB3_CONTEXT],
                    "type": ["VerifiableCredential", "OpenBadgeCredential"],
                },
                "cryptographic_binding_methods_supported": ["did:key", "did:jwk"],
                "credential_signing_alg_values_supported": ["eddsa-rdfc-2022"],
                "proof_types_supported": {
                    "jwt": {"proof_signing_alg_values_supported": ["EdDSA", "ES256"]}
                },
                "display": [{"name": "Open Badge"}],
            }
        },
    }


def server_metadata(issuer: Issuer) -> dict[str, Any]:
    """Return the OAuth authorization server metadata (the issuer is its own server)."""
    base = issuer_id(issuer)
    return {
        "issuer": base,
        "token_endpoint": f"{base}/token",
        "grant_types_supported": [GRANT],
        "pre-authorized_grant_anonymous_access_supported": True,
    }


def exchange_code(issuer: Issuer, code: str) -> tuple[str, int]:
    """Return (access token, lifetime) for a pre-authorized code; it works once."""
    if not isinstance(code, str) or not 0 < len(code) <= 200:
        raise OfferProblem("invalid_grant")
    offer = _live(
        db.session.scalar(select(AwardOffer).where(AwardOffer.code_hash == _digest(code)))
    )
    award = db.session.get(Award, offer.award_id) if offer is not None else None
    if offer is None or award is None or award.achievement.issuer_id != issuer.id:
        raise OfferProblem("invalid_grant")
    token = secrets.token_urlsafe(32)
    now = utcnow()
    # One UPDATE that only succeeds while unredeemed: two concurrent exchanges, one token.
    changed = db.session.execute(
        update(AwardOffer)
        .where(AwardOffer.id == offer.id, AwardOffer.redeemed_at.is_(None))
        .values(
            redeemed_at=now,
            token_hash=_digest(token),
            token_expires_at=now + timedelta(seconds=TOKEN_AGE),
        )
    ).rowcount
    db.session.commit()
    if not changed:
        raise OfferProblem("invalid_grant")
    return token, TOKEN_AGE


def new_nonce() -> str:
    """Return a fresh c_nonce (signed, timed: nothing stored)."""
    return security.make_token(NONCE_PURPOSE, secrets.token_urlsafe(12), "")


def _nonce_ok(value: Any) -> bool:
    return (
        isinstance(value, str) and security.read_token(NONCE_PURPOSE, value, NONCE_AGE) is not None
    )


def _proof_of(body: dict[str, Any]) -> str:
    proofs = body.get("proofs")
    if isinstance(proofs, dict):
        listed = proofs.get("jwt")
        if isinstance(listed, list) and len(listed) == 1 and isinstance(listed[0], str):
            return listed[0]
    proof = body.get("proof")
    if isinstance(proof, dict) and proof.get("proof_type") == "jwt":
        if isinstance(proof.get("jwt"), str):
            return str(proof["jwt"])
    raise OfferProblem("invalid_proof")


def _wanted(body: dict[str, Any]) -> None:
    """Refuse a request for anything but the offered configuration (1.0 id or a draft's)."""
    if body.get("credential_configuration_id") == CONFIGURATION:
        return
    if "credential_configuration_id" not in body and body.get("format") == "ldp_vc":
        return
    raise OfferProblem("unsupported_credential_type")


def holder_of(proof: str, audience: str) -> str:
    """Return the DID a proof JWT proves (did:key or did:jwk); raise OfferProblem."""
    try:
        header = loads_object(b64url_decode(proof.split(".", 1)[0]))
    except (BadgeError, ValueError):
        raise OfferProblem("invalid_proof") from None
    kid = header.get("kid")
    if header.get("typ") != PROOF_TYP or not isinstance(kid, str) or len(kid) > 2000:
        raise OfferProblem("invalid_proof")
    did = kid.split("#", 1)[0]
    try:
        if did.startswith("did:key:"):
            key: Any = resolve_did_key(kid).key
        elif did.startswith("did:jwk:"):
            key = key_of_did_jwk(did) or key_from_jwk(
                json.loads(b64url_decode(did[len("did:jwk:") :]))
            )
        else:
            raise OfferProblem("invalid_proof")
        payload = verify_compact(proof, key, algorithms=("EdDSA", "ES256"))
    except (BadgeError, ValueError, TypeError, KeyError):
        raise OfferProblem("invalid_proof") from None
    if payload.get("aud") != audience:
        raise OfferProblem("invalid_proof")
    iat = payload.get("iat")
    if not isinstance(iat, int | float) or abs(time.time() - iat) > CLOCK_SKEW:
        raise OfferProblem("invalid_proof")
    if not _nonce_ok(payload.get("nonce")):
        raise OfferProblem("invalid_nonce")
    return did


def issue(issuer: Issuer, token: str, body: dict[str, Any]) -> dict[str, Any]:
    """Return the award's credential bound to the proven DID (the token works once)."""
    offer = db.session.scalar(
        select(AwardOffer).where(AwardOffer.token_hash == _digest(token or "-"))
    )
    expires = offer.token_expires_at if offer is not None else None
    if offer is None or expires is None or offer.issued_at is not None:
        raise OfferProblem("invalid_token", 401)
    if as_aware(expires) < utcnow():
        raise OfferProblem("invalid_token", 401)
    award = db.session.get(Award, offer.award_id)
    if award is None or award.achievement.issuer_id != issuer.id or award.revoked_at is not None:
        raise OfferProblem("invalid_token", 401)
    _wanted(body)
    did = holder_of(_proof_of(body), issuer_id(issuer))
    credential = json.loads(award.credential_json)
    credential.pop("proof", None)
    credential["credentialSubject"] = {"id": did, **credential["credentialSubject"]}
    signed = documents.sign_document(credential, issuer, private_key_of(issuer))
    changed = db.session.execute(
        update(AwardOffer)
        .where(AwardOffer.id == offer.id, AwardOffer.issued_at.is_(None))
        .values(issued_at=utcnow(), holder_id=did)
    ).rowcount
    db.session.commit()
    if not changed:
        raise OfferProblem("invalid_token", 401)
    return {"credentials": [{"credential": signed}], "credential": signed}
