"""The token, nonce and credential exchanges: request bodies, the proof of possession, answers."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from wallet.openbadges.errors import BadgeError
from wallet.openbadges.jose import b64url_encode
from wallet.openbadges.jsonutil import loads_object
from wallet.openbadges.limits import Limits
from wallet.openbadges.oid4vci import PRE_AUTHORIZED_GRANT
from wallet.openbadges.oid4vci import Oid4vciError
from wallet.openbadges.oid4vci.metadata import Configuration
from wallet.openbadges.oid4vci.metadata import IssuerMetadata

PROOF_TYP = "openid4vci-proof+jwt"
ANSWER_LIMITS = Limits(max_json_bytes=2 * 1024 * 1024, max_json_depth=64)
MAX_TOKEN = 4096
MAX_NONCE = 512
# Errors after which a new nonce is worth one more try (1.0 invalid_nonce, drafts invalid_proof).
NONCE_ERRORS = frozenset({"invalid_nonce", "invalid_proof"})

Signer = Callable[[bytes], bytes]


@dataclass(frozen=True)
class Token:
    """An access token for the credential endpoint, and the nonce drafts sent with it."""

    access_token: str
    c_nonce: str | None = None


@dataclass(frozen=True)
class Issued:
    """What the credential endpoint answered: the credentials, or an error and a fresh nonce."""

    credentials: tuple[str | dict[str, Any], ...] = ()
    error: str | None = None
    c_nonce: str | None = None
    deferred: bool = False


def _answer(body: bytes, code: str) -> dict[str, Any]:
    try:
        return loads_object(body, limits=ANSWER_LIMITS)
    except BadgeError:
        raise Oid4vciError("the answer is not a JSON object", code=code) from None


def _nonce_value(value: Any) -> str | None:
    if isinstance(value, str) and 0 < len(value) <= MAX_NONCE and value.isprintable():
        return value
    return None


def token_request(code: str, tx_code: str | None) -> bytes:
    """Return the form body of the pre-authorized code token request (no client auth)."""
    fields = {"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": code}
    if tx_code is not None:
        fields["tx_code"] = tx_code
        fields["user_pin"] = tx_code  # drafts up to 12 called it so; 1.0 servers ignore it
    return urlencode(fields).encode("ascii")


def parse_token(status: int, body: bytes) -> Token:
    """Return the token of a 200 answer; a refused code or PIN raises ``oid4vci.pin``."""
    if status != 200:
        error = None
        try:
            error = _answer(body, "oid4vci.token").get("error")
        except Oid4vciError:
            pass
        if status in (400, 401) and error in ("invalid_grant", "invalid_request"):
            raise Oid4vciError("the issuer refused the code or the PIN", code="oid4vci.pin")
        raise Oid4vciError(f"token endpoint answered {status}", code="oid4vci.token")
    document = _answer(body, "oid4vci.token")
    token = document.get("access_token")
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN or not token.isprintable():
        raise Oid4vciError("no usable access token", code="oid4vci.token")
    kind = document.get("token_type", "Bearer")
    if not isinstance(kind, str) or kind.lower() != "bearer":
        # DPoP-bound tokens need proofs we do not make yet.
        raise Oid4vciError("unsupported token type", code="oid4vci.unsupported")
    return Token(token, _nonce_value(document.get("c_nonce")))


def parse_nonce(status: int, body: bytes) -> str:
    """Return the ``c_nonce`` of the nonce endpoint's answer."""
    if status != 200:
        raise Oid4vciError(f"nonce endpoint answered {status}", code="oid4vci.nonce")
    nonce = _nonce_value(_answer(body, "oid4vci.nonce").get("c_nonce"))
    if nonce is None:
        raise Oid4vciError("no usable c_nonce", code="oid4vci.nonce")
    return nonce


def proof_jwt(
    *, kid: str, audience: str, nonce: str | None, sign: Signer, now: float | None = None
) -> str:
    """Return the ``openid4vci-proof+jwt`` (EdDSA) proving the holder's key for this issuer.

    No ``iss``: with a pre-authorized code the wallet is an anonymous client (1.0 §8.2.1.1).
    """
    header = {"alg": "EdDSA", "typ": PROOF_TYP, "kid": kid}
    payload: dict[str, Any] = {"aud": audience, "iat": int(now if now is not None else time.time())}
    if nonce is not None:
        payload["nonce"] = nonce
    signing_input = (
        b64url_encode(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + b64url_encode(json.dumps(payload, separators=(",", ":")).encode())
    )
    return signing_input + "." + b64url_encode(sign(signing_input.encode("ascii")))


def credential_request(
    metadata: IssuerMetadata, configuration: Configuration, proof: str
) -> dict[str, Any]:
    """Return the credential request in the shape the issuer's metadata speaks."""
    if metadata.shape == "v1":
        return {"credential_configuration_id": configuration.id, "proofs": {"jwt": [proof]}}
    request: dict[str, Any] = {
        "format": configuration.format,
        "proof": {"proof_type": "jwt", "jwt": proof},
    }
    if metadata.shape == "draft11":
        request["types"] = list(configuration.types)
        if configuration.contexts:
            request["@context"] = list(configuration.contexts)
        return request
    definition: dict[str, Any] = {"type": list(configuration.types)}
    if configuration.format == "ldp_vc" and configuration.contexts:
        definition["@context"] = list(configuration.contexts)
    request["credential_definition"] = definition
    return request


def _credential_value(value: Any) -> str | dict[str, Any]:
    if isinstance(value, str) and 0 < len(value) <= ANSWER_LIMITS.max_json_bytes:
        return value
    if isinstance(value, dict):
        return value
    raise Oid4vciError(
        "the credential is neither a JWT nor a JSON object", code="oid4vci.credential"
    )


def parse_credential(status: int, body: bytes) -> Issued:
    """Return the credentials of an answer (1.0 ``credentials`` or a draft's ``credential``)."""
    if status == 202:
        return Issued(deferred=True)
    if status != 200:
        try:
            document = _answer(body, "oid4vci.credential")
        except Oid4vciError:
            raise Oid4vciError(
                f"credential endpoint answered {status}", code="oid4vci.credential"
            ) from None
        error = document.get("error")
        return Issued(
            error=error if isinstance(error, str) else "error",
            c_nonce=_nonce_value(document.get("c_nonce")),
        )
    document = _answer(body, "oid4vci.credential")
    if "transaction_id" in document and not document.get("credentials"):
        return Issued(deferred=True)
    listed = document.get("credentials")
    values: list[Any]
    if isinstance(listed, list) and listed:
        # 1.0: objects with a `credential`; draft 14-15 servers sent the values themselves.
        values = [item.get("credential") if isinstance(item, dict) else item for item in listed]
    elif "credential" in document:
        values = [document["credential"]]
    else:
        raise Oid4vciError("the answer holds no credential", code="oid4vci.credential")
    if len(values) > 10:
        raise Oid4vciError("too many credentials in one answer", code="oid4vci.credential")
    return Issued(
        credentials=tuple(_credential_value(v) for v in values),
        c_nonce=_nonce_value(document.get("c_nonce")),
    )
