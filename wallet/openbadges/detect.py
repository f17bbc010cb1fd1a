"""Sniff what an input is (URL, PNG, SVG, JSON, JWS) and which Open Badges version it holds."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from typing import Literal

from wallet.openbadges.baking import PNG_SIGNATURE
from wallet.openbadges.errors import UnsupportedFormat
from wallet.openbadges.model import Spec

Kind = Literal["url", "png", "svg", "json", "jws"]

VC_V2 = "https://www.w3.org/ns/credentials/v2"
VC_V1 = "https://www.w3.org/2018/credentials/v1"
OB_V2_CONTEXTS = frozenset(
    {
        "https://w3id.org/openbadges/v2",
        "http://w3id.org/openbadges/v2",
        "https://openbadgespec.org/v2/context.json",
    }
)
OB_V1_CONTEXTS = frozenset({"https://w3id.org/openbadges/v1", "http://w3id.org/openbadges/v1"})
OB_V2_CLASSES = frozenset(
    {
        "Assertion",
        "BadgeClass",
        "Issuer",
        "Profile",
        "AlignmentObject",
        "CryptographicKey",
        "RevocationList",
        "Criteria",
        "Evidence",
        "Endorsement",
        "Extension",
        "Image",
        "IdentityObject",
        "VerificationObject",
        "HostedBadge",
        "SignedBadge",
    }
)
_URL = re.compile(r"^https?://[^\s]+$", re.IGNORECASE)
_JWS = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")


# Files people pick by mistake, told apart so the message can say what was given.
_IMAGES = ((b"\xff\xd8\xff", "JPEG"), (b"GIF87a", "GIF"), (b"GIF89a", "GIF"), (b"BM", "BMP"))
_FILES = ((b"%PDF-", "PDF"), (b"PK\x03\x04", "ZIP"))
_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"mif1", b"msf1", b"avif")
_HTML = re.compile(r"<(?:!doctype\s+html|html[\s>]|head[\s>]|body[\s>])", re.IGNORECASE)


def sniff(data: bytes | str) -> Kind:
    """Return the container kind of raw input; raise UnsupportedFormat when unrecognised."""
    if isinstance(data, bytes):
        if data.startswith(PNG_SIGNATURE):
            return "png"
        _refuse_other_files(data)
        head = data[:4096].decode("utf-8", "replace")
    else:
        head = data[:4096]
    text = head.lstrip("\ufeff \t\r\n")
    if text.startswith("{"):
        return "json"
    if text.startswith("<"):
        if _HTML.match(_after_prolog(text)):
            raise UnsupportedFormat("an HTML page, not a badge", reason="input.web_page")
        return "svg"
    whole = (data.decode("utf-8", "replace") if isinstance(data, bytes) else data).strip()
    if _URL.match(whole):
        return "url"
    if _JWS.match(whole):
        return "jws"
    raise UnsupportedFormat("not a URL, PNG, SVG, JSON or JWS", reason="input.unknown_format")


def _refuse_other_files(data: bytes) -> None:
    """Raise UnsupportedFormat naming the kind of a common image or document that is no badge."""
    for magic, kind in _IMAGES:
        if data.startswith(magic):
            raise UnsupportedFormat(
                f"a {kind} image", reason="input.other_image", params={"kind": kind}
            )
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        raise UnsupportedFormat("a WebP image", reason="input.other_image", params={"kind": "WebP"})
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        kind = "AVIF" if data[8:12] == b"avif" else "HEIC"
        raise UnsupportedFormat(
            f"a {kind} image", reason="input.other_image", params={"kind": kind}
        )
    for magic, kind in _FILES:
        if data.startswith(magic):
            raise UnsupportedFormat(
                f"a {kind} file", reason="input.other_file", params={"kind": kind}
            )


def _after_prolog(text: str) -> str:
    """Return markup after any XML declaration and comments (an HTML page may start with them)."""
    rest = text
    for _ in range(8):
        rest = rest.lstrip()
        if rest.startswith("<?"):
            rest = rest[rest.find("?>") + 2 :] if "?>" in rest else ""
        elif rest.startswith("<!--"):
            rest = rest[rest.find("-->") + 3 :] if "-->" in rest else ""
        else:
            break
    return rest


def as_list(value: Any) -> list[Any]:
    """Return ``value`` as a list (a scalar becomes a one-item list, None an empty one)."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def type_set(value: Any) -> set[str]:
    """Return the string members of a ``type`` value."""
    return {item for item in as_list(value) if isinstance(item, str)}


def types_of(node: Mapping[str, Any]) -> list[str]:
    """Return the string values of ``type`` (or ``@type``) of a JSON-LD node."""
    raw = node.get("type", node.get("@type"))
    return [t for t in as_list(raw) if isinstance(t, str)]


def is_verifiable_credential(obj: Mapping[str, Any]) -> bool:
    """Tell whether a JSON object is a W3C Verifiable Credential (VC DM 1.1 or 2.0)."""
    contexts = as_list(obj.get("@context"))
    return (
        bool(contexts) and contexts[0] in (VC_V2, VC_V1) and "VerifiableCredential" in types_of(obj)
    )


_V3_HINTS = (
    "purl.imsglobal.org/spec/ob/v3p0",
    "www.w3.org/ns/credentials",
    "www.w3.org/2018/credentials",
)


def _openbadges_context(context: Any) -> bool:
    if isinstance(context, str):
        return "openbadges" in context or "openbadgespec" in context
    if isinstance(context, dict):
        obi = context.get("obi")
        return isinstance(obi, str) and "w3id.org/openbadges" in obi
    return False


# The keys that make a JSON object an OB 1.x assertion, even a broken one.
OB_V1_ASSERTION_KEYS = frozenset({"uid", "recipient", "badge", "verify", "issuedOn"})


def classify(obj: Mapping[str, Any], *, jws: bool = False) -> Spec:
    """Return the Open Badges version of a JSON or JWS payload (notes §1.2)."""
    if jws and isinstance(obj.get("vc"), dict):
        return "3.0"
    if is_verifiable_credential(obj):
        return "3.0"
    contexts = as_list(obj.get("@context"))
    if contexts:
        if any(isinstance(c, str) and c in OB_V2_CONTEXTS for c in contexts):
            return "2.0"
        if any(isinstance(c, str) and c in OB_V1_CONTEXTS for c in contexts):
            return "1.1"
        # An unknown Open Badges-looking context is still routed to 2.0, where the
        # context check reports it as invalid instead of refusing the input outright.
        if any(_openbadges_context(c) for c in contexts):
            return "2.0"
        # A credential-shaped document with an OB 3.0 or VC context in the wrong place is
        # a malformed 3.0 badge: verify it (and report it invalid) rather than refuse it.
        if any(isinstance(c, str) and _VC_LIKE in c for c in contexts for _VC_LIKE in _V3_HINTS):
            return "3.0"
        raise UnsupportedFormat(
            "JSON-LD document with an unknown context", reason="input.json_not_badge"
        )
    recipient = obj.get("recipient")
    if isinstance(recipient, str) and isinstance(obj.get("badge"), dict):
        return "0.5"
    if isinstance(recipient, dict) and ("badge" in obj or "verify" in obj):
        return "1.0"
    if recipient is None and any(t in OB_V2_CLASSES for t in types_of(obj)):
        return "2.0"
    if len(OB_V1_ASSERTION_KEYS & obj.keys()) >= 3:
        # Recognisably an OB 1.x assertion, only malformed: verified (and reported invalid,
        # with the failing check) rather than refused as unreadable.
        return "1.0"
    raise UnsupportedFormat("JSON object is not an Open Badge", reason="input.json_not_badge")
