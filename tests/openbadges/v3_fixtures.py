"""Own OB 3.0 test vectors: credentials signed with our keys, DID documents, status lists, JWTs."""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import UTC
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import ed25519

from tests.openbadges.fakes import FakeFetcher
from wallet.openbadges.jose import b64url_encode
from wallet.openbadges.jose import sign_compact
from wallet.openbadges.keys import did_key_for
from wallet.openbadges.keys import ed25519_multikey
from wallet.openbadges.signing import sign_eddsa_rdfc_2022
from wallet.openbadges.status import encode_bitstring

VC_V2 = "https://www.w3.org/ns/credentials/v2"
VC_V1 = "https://www.w3.org/2018/credentials/v1"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
CREATED = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
HTTPS_ISSUER = "https://issuer.example/profile"
DID_WEB = "did:web:issuer.example"
DID_WEB_URL = "https://issuer.example/.well-known/did.json"
STATUS_URL = "https://issuer.example/status/1"
REVOKED_INDEX = 7
EMAIL = "taro@example.jp"
SALT = "s4lt"


def private_key(name: str) -> ed25519.Ed25519PrivateKey:
    """A deterministic Ed25519 key per name (tests must be reproducible)."""
    return ed25519.Ed25519PrivateKey.from_private_bytes(hashlib.sha256(name.encode()).digest())


def p256_key(name: str) -> ec.EllipticCurvePrivateKey:
    """A deterministic P-256 key per name."""
    secret = int.from_bytes(hashlib.sha256(name.encode()).digest(), "big") % (2**255)
    return ec.derive_private_key(secret or 1, ec.SECP256R1())


ISSUER_KEY = private_key("issuer")
OTHER_KEY = private_key("attacker")
MULTIKEY = ed25519_multikey(ISSUER_KEY.public_key())
DID_KEY = did_key_for(ISSUER_KEY.public_key())
DID_KEY_VM = f"{DID_KEY}#{MULTIKEY}"
DID_WEB_VM = f"{DID_WEB}#key-1"
HTTPS_VM = f"{HTTPS_ISSUER}#{MULTIKEY}"


def identity_hash(email: str, salt: str) -> str:
    """The OB IdentityHash of an email with a salt."""
    return "sha256$" + hashlib.sha256((email + salt).encode()).hexdigest()


def credential(
    issuer_id: str = HTTPS_ISSUER,
    *,
    valid_from: str = "2026-04-01T09:00:00Z",
    valid_until: str | None = None,
    status_index: int | None = None,
    extra_subject: dict[str, Any] | None = None,
    version: str = "2.0",
) -> dict[str, Any]:
    """An unsigned OB 3.0 credential awarded to EMAIL, with a pass and a registration number."""
    subject: dict[str, Any] = {
        "type": ["AchievementSubject"],
        "identifier": [
            {
                "type": "IdentityObject",
                "identityType": "emailAddress",
                "hashed": True,
                "identityHash": identity_hash(EMAIL, SALT),
                "salt": SALT,
            },
            {
                "type": "IdentityObject",
                "identityType": "ext:passNumber",
                "hashed": False,
                "identityHash": "合格-2026-0042",
            },
        ],
        "licenseNumber": "登録-123456",
        "achievement": {
            "id": "https://issuer.example/achievements/concrete",
            "type": ["Achievement"],
            "name": "コンクリート診断士",
            "description": "Passed the concrete diagnostician examination.",
            "criteria": {"narrative": "Pass the written and oral examinations."},
            "image": {"id": "https://issuer.example/badge.png", "type": "Image"},
            "otherIdentifier": [
                {
                    "type": "IdentifierEntry",
                    "identifier": "R-2026-77",
                    "identifierType": "ext:registrationNumber",
                }
            ],
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
    subject.update(extra_subject or {})
    doc: dict[str, Any] = {
        "@context": [VC_V2 if version == "2.0" else VC_V1, OB_CONTEXT],
        "id": "urn:uuid:0b6a3c39-5b2d-4d6e-9a3f-8a1f4f7b2c10",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer_id, "type": ["Profile"], "name": "Japan Concrete Institute"},
        "name": "コンクリート診断士",
        "credentialSubject": subject,
        "evidence": [
            {
                "id": "https://issuer.example/evidence/1",
                "type": ["Evidence"],
                "name": "Exam record",
            }
        ],
    }
    if version == "2.0":
        doc["validFrom"] = valid_from
        if valid_until:
            doc["validUntil"] = valid_until
    else:
        doc["@context"].append("https://w3id.org/security/data-integrity/v2")
        doc["issuanceDate"] = valid_from
        if valid_until:
            doc["expirationDate"] = valid_until
    if status_index is not None:
        doc["credentialStatus"] = {
            "id": f"{STATUS_URL}#{status_index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(status_index),
            "statusListCredential": STATUS_URL,
        }
    return doc


def sign(
    doc: dict[str, Any],
    vm: str = HTTPS_VM,
    key: ed25519.Ed25519PrivateKey = ISSUER_KEY,
) -> dict[str, Any]:
    """Sign with eddsa-rdfc-2022."""
    return sign_eddsa_rdfc_2022(doc, key, vm, CREATED)


def controller_document(
    issuer_id: str = HTTPS_ISSUER, key: ed25519.Ed25519PrivateKey = ISSUER_KEY
) -> dict[str, Any]:
    """The issuer's profile / controller document listing its assertion key."""
    multikey = ed25519_multikey(key.public_key())
    vm = f"{issuer_id}#{multikey}"
    return {
        "@context": [
            "https://www.w3.org/ns/did/v1",
            "https://w3id.org/security/multikey/v1",
        ],
        "id": issuer_id,
        "verificationMethod": [
            {"id": vm, "type": "Multikey", "controller": issuer_id, "publicKeyMultibase": multikey}
        ],
        "assertionMethod": [vm],
    }


def did_web_document(*, listed: bool = True) -> dict[str, Any]:
    """The did:web DID document; ``listed=False`` leaves the key out of assertionMethod."""
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": DID_WEB,
        "verificationMethod": [
            {
                "id": DID_WEB_VM,
                "type": "Multikey",
                "controller": DID_WEB,
                "publicKeyMultibase": MULTIKEY,
            }
        ],
        "assertionMethod": ["#key-1"] if listed else [],
        "authentication": ["#key-1"],
    }


def status_list(
    revoked: tuple[int, ...] = (REVOKED_INDEX,),
    *,
    purpose: str = "revocation",
    issuer_id: str = HTTPS_ISSUER,
    key: ed25519.Ed25519PrivateKey = ISSUER_KEY,
    entries: int = 131_072,
) -> dict[str, Any]:
    """A signed BitstringStatusListCredential with the given indexes set."""
    bits = bytearray(entries // 8)
    for index in revoked:
        bits[index // 8] |= 0x80 >> (index % 8)
    doc = {
        "@context": [VC_V2],
        "id": STATUS_URL,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_id,
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {
            "id": f"{STATUS_URL}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": encode_bitstring(bytes(bits)),
        },
    }
    multikey = ed25519_multikey(key.public_key())
    return sign_eddsa_rdfc_2022(doc, key, f"{issuer_id}#{multikey}", CREATED)


def dumps(doc: Any) -> bytes:
    """Serialise JSON as bytes."""
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


def fetcher(*, with_status: bool = True, controller: bool = True) -> FakeFetcher:
    """A fake network holding the issuer documents and the status list."""
    fake = FakeFetcher()
    if controller:
        fake.add(HTTPS_ISSUER, dumps(controller_document()))
    fake.add(DID_WEB_URL, dumps(did_web_document()))
    if with_status:
        fake.add(STATUS_URL, dumps(status_list()))
    return fake


def tamper_subject(doc: dict[str, Any]) -> dict[str, Any]:
    """Change one byte of the subject's achievement name."""
    changed = copy.deepcopy(doc)
    achievement = changed["credentialSubject"]["achievement"]
    name = achievement["name"]
    achievement["name"] = name[:-1] + chr(ord(name[-1]) + 1)
    return changed


def jwt(
    doc: dict[str, Any],
    *,
    key: Any = ISSUER_KEY,
    alg: str = "EdDSA",
    kid: str | None = DID_KEY_VM,
    jwk: dict[str, Any] | None = None,
    claims: dict[str, Any] | None = None,
    version: str = "2.0",
    typ: str = "JWT",
) -> str:
    """A VC-JWT of ``doc`` (VC 2.0: payload is the credential; 1.1: ``vc`` claim)."""
    issuer = doc["issuer"]["id"] if isinstance(doc["issuer"], dict) else doc["issuer"]
    start = datetime.fromisoformat(doc.get("validFrom", doc.get("issuanceDate")))
    base = {"iss": issuer, "jti": doc["id"], "nbf": int(start.timestamp())}
    payload: dict[str, Any] = {**doc, **base} if version == "2.0" else {"vc": doc, **base}
    payload.update(claims or {})
    header: dict[str, Any] = {"typ": typ}
    if kid:
        header["kid"] = kid
    if jwk:
        header["jwk"] = jwk
    return sign_compact(payload, key, alg, header=header)


def ed25519_jwk(key: ed25519.Ed25519PrivateKey) -> dict[str, Any]:
    """The public JWK of an Ed25519 key."""
    from cryptography.hazmat.primitives import serialization

    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(raw)}


def p256_jwk(key: ec.EllipticCurvePrivateKey) -> dict[str, Any]:
    """The public JWK of a P-256 key."""
    numbers = key.public_key().public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url_encode(numbers.x.to_bytes(32, "big")),
        "y": b64url_encode(numbers.y.to_bytes(32, "big")),
    }
