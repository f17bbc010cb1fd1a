"""Credential offers: what the holder pasted or scanned, and the offer object it leads to."""

from __future__ import annotations

import re
from dataclasses import dataclass
from ipaddress import ip_address
from typing import Any
from urllib.parse import parse_qs
from urllib.parse import urlsplit

from wallet.openbadges.errors import BadgeError
from wallet.openbadges.jsonutil import loads_object
from wallet.openbadges.limits import Limits
from wallet.openbadges.oid4vci import PRE_AUTHORIZED_GRANT
from wallet.openbadges.oid4vci import Oid4vciError

MAX_INPUT = 16 * 1024
MAX_IDS = 20
MAX_CODE = 2048
OFFER_LIMITS = Limits(max_json_bytes=64 * 1024, max_json_depth=12)
_ID = re.compile(r"[\x21-\x7e]{1,200}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


@dataclass(frozen=True)
class TxCode:
    """The PIN the issuer sent by another channel: digits or text, its length, a hint."""

    input_mode: str = "numeric"
    length: int | None = None
    description: str | None = None


@dataclass(frozen=True)
class Offer:
    """A pre-authorized code offer: the issuer, what it offers, the code and the PIN it wants."""

    credential_issuer: str
    configuration_ids: tuple[str, ...]
    pre_authorized_code: str
    tx_code: TxCode | None = None
    authorization_server: str | None = None


@dataclass(frozen=True)
class OfferSource:
    """What a pasted text names: the offer itself (JSON text) or the URL to fetch it from."""

    offer_json: str | None = None
    offer_uri: str | None = None


def _fail(message: str) -> Oid4vciError:
    return Oid4vciError(message, code="oid4vci.offer")


def is_local_host(host: str) -> bool:
    """Return whether host names this machine (plain http is accepted there, for tests)."""
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(value: Any, what: str = "URL", code: str = "oid4vci.offer") -> str:
    """Return value when it is an absolute https URL (http only on loopback), else raise."""
    problem = Oid4vciError(f"{what} is not an https URL", code=code)
    if not isinstance(value, str) or not value or len(value) > 2000:
        raise problem
    if any(c.isspace() or ord(c) < 32 or c in "\\\x7f" for c in value):
        raise problem
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
        parts.port  # noqa: B018 (raises ValueError for a bad port)
    except ValueError:
        raise problem from None
    secure = parts.scheme == "https" or (parts.scheme == "http" and is_local_host(host))
    if not secure or not host or "@" in parts.netloc or parts.fragment:
        raise problem
    return value


def read_input(text: str) -> OfferSource:
    """Return what a pasted or scanned text names: ``openid-credential-offer://…``, a link with
    ``credential_offer``/``credential_offer_uri``, an https offer URL, or the offer JSON."""
    text = (text or "").strip()
    if not text or len(text) > MAX_INPUT:
        raise _fail("empty or oversized offer")
    if text.startswith("{"):
        return OfferSource(offer_json=text)
    try:
        parts = urlsplit(text)
    except ValueError:
        raise _fail("not an offer link") from None
    query = parse_qs(parts.query, keep_blank_values=False, max_num_fields=20)
    offers = query.get("credential_offer") or []
    uris = query.get("credential_offer_uri") or []
    if len(offers) + len(uris) > 1:
        raise _fail("an offer link names more than one offer")
    if offers:
        return OfferSource(offer_json=offers[0])
    if uris:
        return OfferSource(offer_uri=check_url(uris[0], "credential_offer_uri"))
    if parts.scheme in ("https", "http"):
        # A plain https address: the offer document itself (credential_offer_uri given bare).
        return OfferSource(offer_uri=check_url(text, "offer address"))
    raise _fail("not an offer link")


def _tx_code(grant: dict[str, Any]) -> TxCode | None:
    value = grant.get("tx_code")
    if isinstance(value, dict):
        mode = value.get("input_mode", "numeric")
        length = value.get("length")
        description = value.get("description")
        if mode not in ("numeric", "text"):
            raise _fail("unknown tx_code input_mode")
        if length is not None and (
            not isinstance(length, int) or isinstance(length, bool) or not 1 <= length <= 64
        ):
            raise _fail("tx_code length out of range")
        if isinstance(description, str):
            description = " ".join(_CONTROL.sub(" ", description).split())[:300] or None
        else:
            description = None
        return TxCode(mode, length, description)
    if value is not None:
        raise _fail("tx_code is not an object")
    # Drafts up to 11: a boolean user_pin_required instead.
    if grant.get("user_pin_required") is True:
        return TxCode("numeric", None, None)
    return None


def parse_offer(data: bytes | str) -> Offer:
    """Parse an offer object (1.0 ``credential_configuration_ids``, or a draft's
    ``credentials``); only the pre-authorized code grant is taken."""
    try:
        document = loads_object(data, limits=OFFER_LIMITS)
    except BadgeError:
        raise _fail("the offer is not a JSON object") from None
    issuer = check_url(document.get("credential_issuer"), "credential_issuer")
    ids = document.get("credential_configuration_ids")
    if ids is None:
        ids = document.get("credentials")  # drafts up to 12
    if not isinstance(ids, list) or not ids or len(ids) > MAX_IDS:
        raise _fail("the offer names no credentials")
    # Drafts 11-12 could name a credential inline by format; only ids map to the metadata.
    if not all(isinstance(i, str) and _ID.fullmatch(i) for i in ids):
        raise _fail("unusable credential configuration ids")
    grants = document.get("grants")
    grant = grants.get(PRE_AUTHORIZED_GRANT) if isinstance(grants, dict) else None
    if not isinstance(grant, dict):
        raise Oid4vciError("no pre-authorized code grant", code="oid4vci.unsupported")
    code = grant.get("pre-authorized_code")
    if not isinstance(code, str) or not code or len(code) > MAX_CODE or _CONTROL.search(code):
        raise _fail("missing pre-authorized code")
    server = grant.get("authorization_server")
    return Offer(
        credential_issuer=issuer,
        configuration_ids=tuple(dict.fromkeys(ids)),
        pre_authorized_code=code,
        tx_code=_tx_code(grant),
        authorization_server=check_url(server, "authorization_server") if server else None,
    )
