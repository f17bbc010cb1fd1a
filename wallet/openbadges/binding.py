"""Whether a signing key belongs to the issuer: only the issuer's own published documents decide.

The rules (DESIGN.md, "What the results mean"):

- ``did:key`` issuer: the key is that did:key, nothing else.
- ``did:web`` issuer: the method's DID is the issuer DID (its own document listed the method
  under ``assertionMethod`` when it was resolved), or the issuer's DID document lists the same
  method or key under ``assertionMethod``. A ``controller`` written in another document proves
  nothing.
- HTTPS issuer: the profile fetched from the issuer id (on the issuer's origin, declaring that
  id) lists the method or the same public key; for a VC-JWT header key, the issuer's JWK set
  may list it instead. A ``<issuer>#z6Mk…`` fragment is a key *id*, not a proof.
- Anything else (``urn:uuid:…``) cannot publish keys.

A decision is ``proven``, ``contradicted`` (the issuer's documents list other keys only) or
``unconfirmed`` (nothing the issuer published could be had, or it publishes no keys).

A rotated-out key stays listed, retired: it confirms only proofs made before its retirement
(listing.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from wallet.openbadges.errors import BadgeError
from wallet.openbadges.errors import FetchError
from wallet.openbadges.fetch import Fetcher
from wallet.openbadges.jose import PublicKey
from wallet.openbadges.jose import key_from_jwk
from wallet.openbadges.jsonutil import loads_object
from wallet.openbadges.keys import ACCEPT_DID
from wallet.openbadges.keys import ACCEPT_JSON
from wallet.openbadges.keys import ACCEPT_JWKS
from wallet.openbadges.keys import KeyProblem
from wallet.openbadges.keys import Method
from wallet.openbadges.keys import did_web_url
from wallet.openbadges.keys import resolve_did_key
from wallet.openbadges.keys import split_fragment
from wallet.openbadges.listing import Decision
from wallet.openbadges.listing import Ownership
from wallet.openbadges.listing import as_items
from wallet.openbadges.listing import authorised_keys
from wallet.openbadges.listing import lists_key
from wallet.openbadges.listing import retirement
from wallet.openbadges.listing import same_key
from wallet.openbadges.model import Check

__all__ = [
    "Decision",
    "Ownership",
    "authorised_keys",
    "header_key_ownership",
    "issuer_origin",
    "jwks_url",
    "key_ownership",
    "lists_key",
    "origin",
    "ownership_check",
    "retirement",
    "same_key",
]


def origin(url: str) -> tuple[str, str] | None:
    """Return (scheme, host[:port]) of an http(s) URL, lower-cased; None for anything else."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or not parts.netloc:
        return None
    return scheme, parts.netloc.lower()


def issuer_origin(issuer_id: str) -> tuple[str, str] | None:
    """Return the web origin an issuer publishes from: its URL's, or a did:web's host."""
    if issuer_id.startswith("did:web:"):
        try:
            return origin(did_web_url(split_fragment(issuer_id)[0]))
        except KeyProblem:
            return None
    return origin(issuer_id)


def _fetch_own_document(
    url: str, issuer_id: str, fetcher: Fetcher, accept: str, *, expect_id: str | None = None
) -> tuple[dict[str, Any] | None, str]:
    """Fetch a document the issuer publishes; None (with why) when it is not the issuer's own.

    The answer must come from the issuer's origin (a redirect elsewhere is someone else's
    document) and, when ``expect_id`` is given and the document declares an ``id``, declare it.
    """
    try:
        response = fetcher.fetch(url, accept=accept)
    except FetchError:
        return None, f"{url[:200]} could not be retrieved"
    if response.status != 200:
        return None, f"{url[:200]} answered HTTP {response.status}"
    final = response.url or url
    if origin(final) != issuer_origin(issuer_id):
        return None, f"{url[:200]} redirected to another host"
    try:
        document = loads_object(response.body)
    except BadgeError:
        return None, f"{url[:200]} is not a JSON object"
    declared = document.get("id")
    if expect_id is not None and declared is not None and declared != expect_id:
        return None, f"{url[:200]} declares another id ({str(declared)[:100]})"
    return document, ""


def _unconfirmed(why: str) -> Decision:
    # The check's message already says "nothing published by <issuer> confirms the key".
    return Decision("unconfirmed", why)


def _decide_listing(
    listed: bool | None,
    source: str,
    document: Mapping[str, Any] | None = None,
    key: PublicKey | None = None,
    method_id: str | None = None,
    signed_at: datetime | None = None,
) -> Decision:
    if listed is True and document is not None and key is not None:
        retired = retirement(document, key, method_id, signed_at)
        if retired is not None:
            return retired
    if listed is True:
        return Decision("proven", f"key listed by the issuer's {source}")
    if listed is False:
        return Decision("contradicted", f"the issuer's {source} lists other keys only")
    return _unconfirmed(f"its {source} lists no keys")


def _did_web_document(issuer_did: str, fetcher: Fetcher) -> tuple[dict[str, Any] | None, str]:
    try:
        url = did_web_url(issuer_did)
    except KeyProblem:
        return None, "the issuer DID is malformed"
    document, why = _fetch_own_document(url, issuer_did, fetcher, ACCEPT_DID)
    if document is not None and document.get("id") != issuer_did:
        return None, "its DID document names another DID"
    return document, why


def key_ownership(
    method: Method, issuer_id: str | None, fetcher: Fetcher, signed_at: datetime | None = None
) -> Decision:
    """Decide whether a resolved verification method is the issuer's (see the module rules).

    ``signed_at``: when the proof says it was made (a retired key confirms only earlier ones).
    """
    if not issuer_id:
        return Decision("contradicted", "the credential names no issuer id")
    issuer_did = split_fragment(issuer_id)[0]
    method_did = split_fragment(method.id)[0]
    if issuer_id.startswith("did:key:"):
        if method.source == "did:key" and method_did == issuer_did:
            return Decision("proven", "the issuer is the did:key that signed")
        return Decision(
            "contradicted", f"signed by {method_did[:200]}, not by the issuer's did:key"
        )
    if issuer_id.startswith("did:web:"):
        if method.source == "did:web" and method_did == issuer_did:
            return Decision("proven", "key listed under assertionMethod in the issuer DID document")
        document, why = _did_web_document(issuer_did, fetcher)
        if document is None:
            return _unconfirmed(why)
        return _decide_listing(
            lists_key(document, method.key, method.id),
            "DID document",
            document,
            method.key,
            method.id,
            signed_at,
        )
    if issuer_origin(issuer_id) is None:
        return _unconfirmed("an issuer id that is not a web address cannot publish keys")
    document, why = _fetch_own_document(
        issuer_did, issuer_id, fetcher, ACCEPT_JSON, expect_id=issuer_did
    )
    if document is None:
        return _unconfirmed(why)
    return _decide_listing(
        lists_key(document, method.key, method.id),
        "profile",
        document,
        method.key,
        method.id,
        signed_at,
    )


def jwks_url(issuer_id: str) -> str | None:
    """Return ``https://{authority}/.well-known/jwks.json`` for an HTTPS issuer id."""
    parts = urlsplit(issuer_id)
    if parts.scheme.lower() != "https" or not parts.netloc:
        return None
    return f"https://{parts.netloc}/.well-known/jwks.json"


def _jwks_listing(key: PublicKey, issuer_id: str, fetcher: Fetcher) -> tuple[bool | None, str]:
    """Whether the issuer's JWK set lists the key: True/False, or None (with why) when not had."""
    url = jwks_url(issuer_id)
    if url is None:
        return None, "no HTTPS authority to publish a JWK set"
    document, why = _fetch_own_document(url, issuer_id, fetcher, ACCEPT_JWKS)
    if document is None:
        return None, why
    entries = [e for e in as_items(document.get("keys")) if isinstance(e, Mapping)]
    if not entries:
        return None, "its JWK set lists no keys"
    for entry in entries:
        try:
            candidate = key_from_jwk(entry)
        except BadgeError:
            continue
        if same_key(candidate, key):
            if "iss" in entry and entry["iss"] != issuer_id:
                return False, "its JWK set gives the key to another issuer"
            return True, ""
    return False, ""


def header_key_ownership(
    key: PublicKey, kid: str | None, issuer_id: str | None, fetcher: Fetcher
) -> Decision:
    """Decide whether a VC-JWT key (from the JOSE ``jwk`` or a non-DID ``kid``) is the issuer's.

    A key carried in the token proves nothing by itself: the issuer must publish the same key
    (its did:key, its DID document, its JWK set or its profile).
    """
    if not issuer_id:
        return Decision("contradicted", "the credential names no issuer id")
    issuer_did = split_fragment(issuer_id)[0]
    if issuer_id.startswith("did:key:"):
        try:
            own = resolve_did_key(issuer_did).key
        except KeyProblem:
            return Decision("contradicted", "the issuer did:key is malformed")
        if same_key(own, key):
            return Decision("proven", "the issuer is the did:key that signed")
        return Decision("contradicted", "signed with a key other than the issuer's did:key")
    if issuer_id.startswith("did:web:"):
        document, why = _did_web_document(issuer_did, fetcher)
        if document is None:
            return _unconfirmed(why)
        return _decide_listing(lists_key(document, key, kid), "DID document")
    if issuer_origin(issuer_id) is None:
        return _unconfirmed("an issuer id that is not a web address cannot publish keys")
    in_jwks, jwks_why = _jwks_listing(key, issuer_id, fetcher)
    if in_jwks is True:
        return Decision("proven", "key published in the issuer's JWK set")
    document, profile_why = _fetch_own_document(
        issuer_did, issuer_id, fetcher, ACCEPT_JSON, expect_id=issuer_did
    )
    in_profile = lists_key(document, key, kid) if document is not None else None
    if in_profile is True:
        return Decision("proven", "key listed by the issuer's profile")
    if in_jwks is False:
        return Decision("contradicted", jwks_why or "the issuer's JWK set lists other keys only")
    if in_profile is False:
        return Decision("contradicted", "the issuer's profile lists other keys only")
    reasons = [jwks_why, profile_why or "its profile lists no keys"]
    return _unconfirmed("; ".join(reason for reason in reasons if reason))


def ownership_check(decision: Decision, issuer_id: str | None) -> Check:
    """Turn a key-ownership decision into the ``issuer_key`` check."""
    if decision.ownership == "proven":
        return Check("issuer_key", "passed", "ob3.key.issuer_ok", decision.detail)
    if decision.ownership == "contradicted":
        return Check("issuer_key", "failed", "ob3.key.not_issuer", decision.detail)
    return Check(
        "issuer_key",
        "unsupported",
        "ob3.key.unconfirmed",
        decision.detail,
        {"issuer": (issuer_id or "")[:200]},
        outcome="unverifiable",
    )
