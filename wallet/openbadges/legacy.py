"""Parse, normalise and verify Open Badges 0.5, 1.0, 1.1 and 2.0 (hosted and signed)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from wallet.openbadges.checks import date_checks
from wallet.openbadges.checks import has_timezone
from wallet.openbadges.checks import parse_datetime
from wallet.openbadges.checks import recipient_check
from wallet.openbadges.detect import OB_V1_CONTEXTS
from wallet.openbadges.detect import OB_V2_CLASSES
from wallet.openbadges.detect import OB_V2_CONTEXTS
from wallet.openbadges.detect import as_list
from wallet.openbadges.detect import types_of
from wallet.openbadges.errors import BadgeError
from wallet.openbadges.errors import FetchError
from wallet.openbadges.errors import ParseError
from wallet.openbadges.fetch import Fetcher
from wallet.openbadges.fetch import Response
from wallet.openbadges.jose import InvalidSignature
from wallet.openbadges.jose import PublicKey
from wallet.openbadges.jose import decode_unverified
from wallet.openbadges.jose import key_from_pem
from wallet.openbadges.jose import verify_compact
from wallet.openbadges.jsonutil import loads_object
from wallet.openbadges.limits import DEFAULT_LIMITS
from wallet.openbadges.limits import Limits
from wallet.openbadges.model import Achievement
from wallet.openbadges.model import Alignment
from wallet.openbadges.model import Check
from wallet.openbadges.model import Credential
from wallet.openbadges.model import Evidence
from wallet.openbadges.model import Format
from wallet.openbadges.model import Profile
from wallet.openbadges.model import Recipient
from wallet.openbadges.model import Spec
from wallet.openbadges.recipient import EMAIL_TYPES
from wallet.openbadges.recipient import is_valid_hash

HOSTED_TYPES = frozenset({"hosted", "HostedBadge"})
SIGNED_TYPES = frozenset({"signed", "SignedBadge"})
JWS_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"})
ACCEPT_JSON = "application/ld+json, application/json;q=0.9, */*;q=0.1"
ACCEPT_PEM = "application/x-pem-file, text/plain, application/json;q=0.9, */*;q=0.1"
ISSUER_TYPES = frozenset({"Issuer", "Profile"})
# Prefixes of the OB v2 context, to expand compact IRIs in ``type`` values.
_PREFIXES = {
    "obi": "https://w3id.org/openbadges#",
    "extensions": "https://w3id.org/openbadges/extensions#",
    "schema": "http://schema.org/",
    "sec": "https://w3id.org/security#",
    "cred": "https://w3id.org/credentials#",
    "dc": "http://purl.org/dc/terms/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# --------------------------------------------------------------------------- small helpers


def _str(node: Mapping[str, Any] | None, key: str) -> str | None:
    if node is None:
        return None
    value = node.get(key)
    return value if isinstance(value, str) else None


def _dict(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


def _ref(value: Any) -> str | None:
    """Return the IRI of a reference that is either a string or a node with ``id``."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        ident = value.get("id")
        return ident if isinstance(ident, str) else None
    return None


def is_http(url: str | None) -> bool:
    """Tell whether ``url`` is an absolute, parseable http(s) URL."""
    if not url:
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def authority(url: str) -> str:
    """Return the lower-cased ``host[:port]`` of a URL ("" when it cannot be parsed)."""
    try:
        return urlsplit(url).netloc.lower().rpartition("@")[2]
    except ValueError:
        return ""


def _verification(node: Mapping[str, Any]) -> dict[str, Any] | None:
    return _dict(node.get("verification")) or _dict(node.get("verify"))


def _expand(term: str) -> str:
    prefix, sep, rest = term.partition(":")
    if sep and prefix in _PREFIXES and not rest.startswith("//"):
        return _PREFIXES[prefix] + rest
    return term


def valid_type_term(term: str) -> bool:
    """Tell whether a ``type`` value is a known OB 2.0 class or a well-formed absolute IRI."""
    if term in OB_V2_CLASSES:
        return True
    iri = _expand(term)
    return bool(_IRI.match(iri)) and iri.count("#") <= 1


def _fail(check_id: str, message_id: str, detail: str = "", **params: str) -> Check:
    return Check(check_id, "failed", message_id, detail, params)


def _warn(check_id: str, message_id: str, detail: str = "", **params: str) -> Check:
    return Check(check_id, "warning", message_id, detail, params)


def _unavailable(check_id: str, url: str, detail: str) -> Check:
    return Check(
        check_id,
        "unsupported",
        "fetch.node_unavailable",
        detail,
        {"url": url},
        outcome="unverifiable",
    )


# --------------------------------------------------------------------------- fetching


class _Budget:
    """Wraps the fetcher: http(s) only, URL length and request count capped per verification."""

    def __init__(self, fetcher: Fetcher, limits: Limits) -> None:
        self.fetcher = fetcher
        self.limits = limits
        self.count = 0

    def fetch(self, url: str, *, accept: str) -> Response:
        """Fetch ``url`` through the wrapped fetcher, or raise FetchError over budget."""
        if not is_http(url) or len(url) > self.limits.max_url_length:
            raise FetchError("only http(s) URLs can be retrieved")
        self.count += 1
        if self.count > self.limits.max_fetches:
            raise FetchError("too many remote requests for one badge")
        return self.fetcher.fetch(url, accept=accept)


@dataclass
class _Fetched:
    doc: dict[str, Any] | None
    checks: list[Check] = field(default_factory=list)
    url: str = ""


def _get_json(budget: _Budget, url: str, check_id: str) -> _Fetched:
    try:
        response = budget.fetch(url, accept=ACCEPT_JSON)
    except FetchError as exc:
        return _Fetched(None, [_unavailable(check_id, url, str(exc))], url)
    if response.status != 200:
        return _Fetched(None, [_unavailable(check_id, url, f"HTTP {response.status}")], url)
    try:
        doc = loads_object(response.body, limits=budget.limits)
    except ParseError as exc:
        return _Fetched(None, [_fail(check_id, "node.malformed", str(exc), url=url)], url)
    return _Fetched(doc, [], response.url or url)


def _get_node(budget: _Budget, url: str, check_id: str) -> _Fetched:
    """Fetch a linked node; when it declares another id, warn and prefer the declared copy."""
    got = _get_json(budget, url, check_id)
    if got.doc is None:
        return got
    declared = got.doc.get("id")
    if isinstance(declared, str) and declared not in (url, got.url):
        got.checks.append(
            _warn(
                check_id,
                "node.id_mismatch",
                f"{url} declared its id as {declared}",
                url=url,
                id=declared,
            )
        )
        if is_http(declared):
            again = _get_json(budget, declared, check_id)
            if again.doc is not None and again.doc.get("id") == declared:
                return _Fetched(again.doc, got.checks, declared)
    return got


# --------------------------------------------------------------------------- structure checks


def _type_checks(node: Mapping[str, Any], check_id: str, expected: frozenset[str]) -> list[Check]:
    types = types_of(node)
    raw = node.get("type", node.get("@type"))
    if not types or len(types) != len(as_list(raw)):
        return [_fail(check_id, "v2.type_missing", "no usable type")]
    bad = [t for t in types if not valid_type_term(t)]
    if bad:
        return [_fail(check_id, "v2.type_unknown", f"unknown type {bad[0]!r}", type=bad[0])]
    if expected and not expected.intersection(types):
        wanted = sorted(expected)[0]
        return [_fail(check_id, "v2.type_wrong", f"type {types} is not {wanted}", type=wanted)]
    return []


def _context_check(node: Mapping[str, Any], spec: Spec) -> Check:
    contexts = as_list(node.get("@context"))
    wanted = OB_V2_CONTEXTS if spec == "2.0" else OB_V1_CONTEXTS
    if any(isinstance(c, str) and c in wanted for c in contexts):
        return Check("context", "passed", "v2.context_ok")
    if any(isinstance(c, dict) and c.get("obi") == _PREFIXES["obi"] for c in contexts):
        return _warn("context", "v2.context_inline", "inline copy of the Open Badges context")
    if not contexts:
        return _warn("context", "v2.context_missing", "no @context")
    return _fail("context", "v2.context_invalid", f"unknown @context {contexts[0]!r}")


def _extension_checks(node: Mapping[str, Any]) -> list[Check]:
    checks: list[Check] = []
    for key, value in node.items():
        if not key.startswith("extensions:"):
            continue
        ext = _dict(value)
        types = types_of(ext) if ext else []
        if ext is None or "Extension" not in types:
            checks.append(_fail("extensions", "v2.extension_invalid", f"{key} is not an Extension"))
            continue
        bad = [t for t in types if not valid_type_term(t)]
        if bad:
            checks.append(_fail("extensions", "v2.extension_invalid", f"{key} has type {bad[0]!r}"))
    return checks


def _recipient_of(spec: Spec, assertion: Mapping[str, Any]) -> Recipient | None:
    if spec == "0.5":
        identity = _str(assertion, "recipient")
        if identity is None:
            return None
        salt = _str(assertion, "salt")
        return Recipient(identity, "email", is_valid_hash(identity), salt)
    node = _dict(assertion.get("recipient"))
    identity = _str(node, "identity")
    if node is None or identity is None:
        return None
    hashed = node.get("hashed")
    return Recipient(
        identity=identity,
        type=_str(node, "type") or "email",
        hashed=hashed is True or (hashed is None and is_valid_hash(identity)),
        salt=_str(node, "salt"),
    )


def _recipient_checks(spec: Spec, assertion: Mapping[str, Any]) -> list[Check]:
    recipient = _recipient_of(spec, assertion)
    if recipient is None:
        return [_fail("recipient_identity", "v2.recipient_invalid", "no recipient identity")]
    if recipient.hashed and not is_valid_hash(recipient.identity):
        return [_fail("recipient_identity", "v2.recipient_invalid", "hashed identity is malformed")]
    if (
        not recipient.hashed
        and recipient.type.lower() in EMAIL_TYPES
        and not _EMAIL.match(recipient.identity)
    ):
        return [_fail("recipient_identity", "v2.recipient_invalid", "not an email address")]
    if spec in ("2.0", "1.1") and recipient.type not in ("email", "url", "telephone", "id"):
        return [_warn("recipient_identity", "v2.recipient_type", f"type {recipient.type!r}")]
    return []


def _date_value(assertion: Mapping[str, Any], spec: Spec, key: str) -> tuple[Any, str]:
    if spec == "0.5":
        key = {"issuedOn": "issued_on"}.get(key, key)
    return assertion.get(key), key


def _parse_dates(
    assertion: Mapping[str, Any], spec: Spec
) -> tuple[datetime | None, datetime | None, list[Check]]:
    checks: list[Check] = []
    legacy = spec in ("0.5", "1.0", "1.1")
    issued_raw, issued_key = _date_value(assertion, spec, "issuedOn")
    expires_raw, _ = _date_value(assertion, spec, "expires")
    issued = expires = None
    try:
        issued = parse_datetime(issued_raw, allow_unix=legacy)
    except (ValueError, OverflowError, OSError):
        checks.append(_fail("issued_on", "v2.date_invalid", f"{issued_key} is not a date"))
    if issued_raw is None and spec != "0.5":
        checks.append(_fail("issued_on", "v2.issued_missing", "no issuedOn"))
    elif spec == "2.0" and isinstance(issued_raw, str) and not has_timezone(issued_raw):
        checks.append(_warn("issued_on", "v2.date_no_timezone", "issuedOn has no time zone"))
    try:
        expires = parse_datetime(expires_raw, allow_unix=legacy)
    except (ValueError, OverflowError, OSError):
        checks.append(_fail("expiry", "v2.date_invalid", "expires is not a date"))
    return issued, expires, checks


def _assertion_checks(assertion: Mapping[str, Any], spec: Spec) -> list[Check]:
    """Data-model checks of an assertion (notes §3.1)."""
    checks: list[Check] = []
    if spec in ("2.0", "1.1"):
        context = _context_check(assertion, spec)
        if context.status != "passed":
            checks.append(context)
        checks += _type_checks(assertion, "type", frozenset({"Assertion"}))
        ident = _str(assertion, "id")
        if ident is None or not _IRI.match(ident):
            checks.append(_fail("assertion", "v2.id_missing", "assertion id is not an IRI"))
    if spec != "0.5":
        if "badge" not in assertion:
            checks.append(_fail("assertion", "v2.badge_missing", "no badge"))
        verification = _verification(assertion)
        vtype = _str(verification, "type")
        if vtype not in HOSTED_TYPES | SIGNED_TYPES:
            checks.append(_fail("verification", "v2.verification_invalid", f"type {vtype!r}"))
    elif not isinstance(assertion.get("badge"), dict):
        checks.append(_fail("assertion", "v2.badge_missing", "no badge"))
    checks += _recipient_checks(spec, assertion)
    image = _ref(assertion.get("image"))
    if image is not None and image.strip().lower().startswith("data:"):
        checks.append(
            _fail("image", "v2.assertion_data_image", "assertion image must not be a data URI")
        )
    evidence = as_list(assertion.get("evidence"))
    if any(not isinstance(item, str | dict) for item in evidence):
        checks.append(_fail("evidence", "v2.evidence_invalid", "evidence is not an IRI or object"))
    checks += _extension_checks(assertion)
    return checks


def _badge_class_checks(badge: Mapping[str, Any], spec: Spec) -> list[Check]:
    checks: list[Check] = []
    if spec == "2.0":
        checks += _type_checks(badge, "badge_class", frozenset({"BadgeClass"}))
    for key in ("name", "description"):
        if not _str(badge, key):
            checks.append(_fail("badge_class", "v2.badge_field_missing", key, field=key))
    if badge.get("criteria") is None:
        checks.append(_fail("badge_class", "v2.badge_field_missing", "criteria", field="criteria"))
    if _ref(badge.get("issuer")) is None and not isinstance(badge.get("issuer"), dict):
        checks.append(_fail("badge_class", "v2.badge_field_missing", "issuer", field="issuer"))
    if badge.get("image") is None:
        checks.append(_warn("badge_class", "v2.badge_field_missing", "image", field="image"))
    checks += _extension_checks(badge)
    return checks


def _issuer_checks(issuer: Mapping[str, Any], spec: Spec) -> list[Check]:
    checks: list[Check] = []
    if spec == "2.0":
        checks += _type_checks(issuer, "issuer", ISSUER_TYPES)
    if not _str(issuer, "name"):
        checks.append(_fail("issuer", "v2.issuer_field_missing", "name", field="name"))
    for key in ("url", "email"):
        if not _str(issuer, key):
            checks.append(_warn("issuer", "v2.issuer_field_missing", key, field=key))
    return checks


# --------------------------------------------------------------------------- normalisation


def _image(value: Any) -> str | None:
    return _ref(value)


def _evidence(value: Any) -> tuple[Evidence, ...]:
    items: list[Evidence] = []
    for item in as_list(value)[:100]:
        if isinstance(item, str):
            items.append(Evidence(id=item))
        elif isinstance(item, dict):
            items.append(
                Evidence(
                    id=_str(item, "id"),
                    name=_str(item, "name"),
                    description=_str(item, "description"),
                    narrative=_str(item, "narrative"),
                    genre=_str(item, "genre"),
                )
            )
    return tuple(items)


def _alignments(value: Any) -> tuple[Alignment, ...]:
    items: list[Alignment] = []
    for item in as_list(value)[:100]:
        if isinstance(item, dict):
            items.append(
                Alignment(
                    name=_str(item, "targetName") or _str(item, "name"),
                    url=_str(item, "targetUrl") or _str(item, "url"),
                    description=_str(item, "targetDescription") or _str(item, "description"),
                    framework=_str(item, "targetFramework"),
                    code=_str(item, "targetCode"),
                )
            )
    return tuple(items)


def _profile(node: Mapping[str, Any] | None, fallback_id: str | None) -> Profile:
    if node is None:
        return Profile(id=fallback_id)
    if "origin" in node and "id" not in node:
        origin = _str(node, "origin")
        name = _str(node, "name")
        org = _str(node, "org")
        return Profile(
            id=origin,
            name=f"{name} ({org})" if name and org else name or org,
            url=origin,
            email=_str(node, "contact"),
        )
    return Profile(
        id=_str(node, "id") or fallback_id,
        name=_str(node, "name"),
        url=_str(node, "url"),
        email=_str(node, "email"),
        image=_image(node.get("image")),
        description=_str(node, "description"),
    )


def _achievement(badge: Mapping[str, Any] | None, fallback_id: str | None) -> Achievement:
    if badge is None:
        return Achievement(id=fallback_id)
    criteria = badge.get("criteria")
    criteria_node = _dict(criteria)
    return Achievement(
        id=_str(badge, "id") or fallback_id,
        name=_str(badge, "name") or "",
        description=_str(badge, "description"),
        criteria_narrative=_str(criteria_node, "narrative"),
        criteria_url=criteria if isinstance(criteria, str) else _str(criteria_node, "id"),
        image=_image(badge.get("image")),
        type="BadgeClass",
    )


def parse_legacy(
    payload: Mapping[str, Any],
    *,
    spec: Spec,
    format: Format,
    original: bytes = b"",
    badge: Mapping[str, Any] | None = None,
    issuer: Mapping[str, Any] | None = None,
    source_url: str | None = None,
    signed: Any = None,
) -> Credential:
    """Normalise an OB 0.5–2.0 assertion (with its fetched badge class and issuer, if any)."""
    badge_ref = payload.get("badge")
    badge_node = badge if badge is not None else _dict(badge_ref)
    issuer_ref = badge_node.get("issuer") if badge_node else None
    issuer_node = issuer if issuer is not None else _dict(issuer_ref)
    issued: datetime | None
    expires: datetime | None
    issued, expires, _ = _parse_dates(payload, spec)
    ident = _str(payload, "id")
    if ident is None and spec in ("1.0", "1.1"):
        verification = _verification(payload) or {}
        ident = _str(verification, "url") if _str(verification, "type") == "hosted" else None
        uid = _str(payload, "uid")
        ident = ident or (f"urn:uid:{uid}" if uid else None)
    return Credential(
        spec=spec,
        format=format,
        achievement=_achievement(badge_node, _ref(badge_ref)),
        issuer=_profile(issuer_node, _ref(issuer_ref)),
        id=ident or source_url,
        recipient=_recipient_of(spec, payload),
        issued_on=issued,
        expires=expires,
        narrative=_str(payload, "narrative"),
        image=_image(payload.get("image")),
        evidence=_evidence(payload.get("evidence")),
        alignments=_alignments(badge_node.get("alignment") if badge_node else None),
        payload=signed if signed is not None else dict(payload),
        original=original,
        source_url=source_url,
    )


# --------------------------------------------------------------------------- verification


def _revocation_reason(node: Mapping[str, Any] | None) -> str:
    reason = _str(node, "revocationReason") if node else None
    return reason or ""


def _revoked(reason: str, detail: str) -> Check:
    message = "revocation.revoked_reason" if reason else "revocation.revoked"
    return Check("revocation", "failed", message, detail, {"reason": reason}, outcome="revoked")


def _fetch_hosted(
    budget: _Budget, url: str, spec: Spec
) -> tuple[dict[str, Any] | None, list[Check]]:
    """Retrieve the hosted copy of an assertion: 410/revoked, id match and redirection."""
    try:
        response = budget.fetch(url, accept=ACCEPT_JSON)
    except FetchError as exc:
        return None, [_unavailable("hosted", url, str(exc))]
    body: dict[str, Any] | None = None
    try:
        body = loads_object(response.body, limits=budget.limits)
    except ParseError:
        body = None
    if response.status == 410:
        return None, [_revoked(_revocation_reason(body), f"{url} answered 410 Gone")]
    if response.status != 200:
        return None, [_unavailable("hosted", url, f"HTTP {response.status}")]
    if body is None:
        return None, [_fail("hosted", "hosted.malformed", "hosted copy is not JSON", url=url)]
    if body.get("revoked") is True:
        return body, [_revoked(_revocation_reason(body), "hosted copy says revoked: true")]
    checks: list[Check] = []
    declared = _str(body, "id") if spec in ("2.0", "1.1") else None
    if declared is not None and declared not in (url, response.url):
        checks.append(
            _warn(
                "hosted", "hosted.id_redirect", f"{url} declared its id as {declared}", id=declared
            )
        )
        if not is_http(declared):
            return None, checks + [_fail("hosted", "hosted.id_mismatch", declared, id=declared)]
        again, more = _fetch_hosted_once(budget, declared)
        if again is None or again.get("id") != declared:
            return None, checks + more + [_fail("hosted", "hosted.id_mismatch", declared)]
        body = again
        url = declared
        if body.get("revoked") is True:
            return body, checks + [_revoked(_revocation_reason(body), "hosted copy revoked")]
    checks.append(Check("hosted", "passed", "hosted.retrieved", url, {"url": url}))
    return body, checks


def _fetch_hosted_once(budget: _Budget, url: str) -> tuple[dict[str, Any] | None, list[Check]]:
    got = _get_json(budget, url, "hosted")
    return got.doc, got.checks


def _scope_checks(assertion_url: str, issuer: Mapping[str, Any] | None, issuer_url: str) -> Check:
    """The hosted assertion must live where the issuer's verification policy allows."""
    if issuer is None:
        return Check("scope", "unsupported", "scope.no_issuer", outcome="unverifiable")
    policy = _dict(issuer.get("verification")) or {}
    issuer_id = _str(issuer, "id") or issuer_url
    prop = _str(policy, "verificationProperty")
    if prop not in (None, "id"):
        return _warn("scope", "scope.property_unsupported", f"verificationProperty {prop!r}")
    starts = [s for s in as_list(policy.get("startsWith")) if isinstance(s, str)]
    origins = [o.lower() for o in as_list(policy.get("allowedOrigins")) if isinstance(o, str)]
    if not origins and not starts:
        if not is_http(issuer_id):
            return _warn("scope", "scope.issuer_not_http", f"issuer id {issuer_id!r}")
        origins = [authority(issuer_id)]
    if starts and not any(assertion_url.startswith(s) for s in starts):
        return _fail("scope", "scope.starts_with", assertion_url, url=assertion_url)
    if origins and authority(assertion_url) not in origins:
        return _fail("scope", "scope.origin", assertion_url, url=assertion_url)
    return Check("scope", "passed", "scope.ok", params={"url": assertion_url})


def _issuer_key_refs(issuer: Mapping[str, Any]) -> list[Any]:
    return as_list(issuer.get("publicKey"))[: DEFAULT_LIMITS.max_list_items]


def _load_key(
    budget: _Budget, creator: str, issuer: Mapping[str, Any], issuer_id: str
) -> tuple[PublicKey | None, list[Check]]:
    """Find the issuer-listed key ``creator``; check its owner and load its PEM."""
    refs = _issuer_key_refs(issuer)
    if creator not in [_ref(r) for r in refs]:
        return None, [_fail("key", "signed.key_not_listed", creator, key=creator)]
    embedded = next((r for r in refs if isinstance(r, dict) and _ref(r) == creator), None)
    if embedded is not None and _str(embedded, "publicKeyPem"):
        key_doc: dict[str, Any] | None = embedded
        checks: list[Check] = []
    else:
        got = _get_json(budget, creator, "key")
        key_doc, checks = got.doc, got.checks
        if key_doc is None:
            return None, checks
    owner = _str(key_doc, "owner")
    if owner is None:
        checks.append(_warn("key", "signed.key_owner_missing", creator))
    elif owner != issuer_id:
        return None, checks + [_fail("key", "signed.key_owner_mismatch", owner, key=creator)]
    pem = _str(key_doc, "publicKeyPem")
    if pem is None:
        return None, checks + [_fail("key", "signed.key_unusable", "no publicKeyPem")]
    try:
        return key_from_pem(pem), checks
    except BadgeError as exc:
        return None, checks + [_fail("key", "signed.key_unusable", str(exc))]


def _signature_check(token: str, key: PublicKey, limits: Limits) -> Check:
    try:
        verify_compact(token, key, algorithms=JWS_ALGORITHMS, limits=limits)
    except InvalidSignature as exc:
        return _fail("signature", "signed.signature_invalid", str(exc))
    except ParseError as exc:
        return _fail("signature", "signed.signature_invalid", str(exc))
    return Check("signature", "passed", "signed.signature_ok")


def _revocation_list_check(
    budget: _Budget, issuer: Mapping[str, Any], assertion: Mapping[str, Any]
) -> Check:
    list_url = _ref(issuer.get("revocationList"))
    if list_url is None:
        return Check("revocation", "skipped", "revocation.no_list")
    got = _get_json(budget, list_url, "revocation")
    if got.doc is None:
        return got.checks[0]
    ident = _str(assertion, "id")
    uid = _str(assertion, "uid")
    entries = got.doc.get("revokedAssertions")
    if entries is None:
        # OB 1.x lists are a plain object mapping uid (or id) to a reason.
        for key in (uid, ident):
            if key is not None and key in got.doc:
                reason = got.doc[key]
                return _revoked(reason if isinstance(reason, str) else "", f"{key} is listed")
        return Check("revocation", "passed", "revocation.not_revoked")
    for entry in as_list(entries)[: budget.limits.max_list_items]:
        if isinstance(entry, str) and entry in (ident, uid):
            return _revoked("", f"{entry} is listed")
        if isinstance(entry, dict):
            listed = [_str(entry, "id"), _str(entry, "uid")]
            if (ident is not None and ident in listed) or (uid is not None and uid in listed):
                return _revoked(_revocation_reason(entry), "assertion is listed")
    return Check("revocation", "passed", "revocation.not_revoked")


def _linked_docs(
    budget: _Budget, assertion: Mapping[str, Any], spec: Spec, checks: list[Check]
) -> tuple[dict[str, Any] | None, dict[str, Any] | None, str]:
    """Fetch the badge class and the issuer profile from their HTTP ids (embedded = untrusted)."""
    if spec == "0.5":
        embedded = _dict(assertion.get("badge"))
        issuer_05 = _dict(embedded.get("issuer")) if embedded else None
        return embedded, issuer_05, _str(issuer_05, "origin") or ""
    badge_ref = assertion.get("badge")
    badge_url = _ref(badge_ref)
    badge: dict[str, Any] | None = None
    if badge_url is not None and is_http(badge_url):
        got = _get_node(budget, badge_url, "badge_class")
        checks += got.checks
        badge = got.doc
    elif isinstance(badge_ref, dict):
        badge = badge_ref
        checks.append(_warn("badge_class", "v2.badge_embedded", "badge class not retrievable"))
    elif isinstance(badge_ref, str):
        checks.append(_unavailable("badge_class", badge_ref, "badge class IRI is not http(s)"))
    else:
        checks.append(_fail("badge_class", "v2.badge_missing", "badge is not an IRI or object"))
    if badge is None:
        return None, None, ""
    checks += _badge_class_checks(badge, spec)
    issuer_ref = badge.get("issuer")
    issuer_url = _ref(issuer_ref)
    issuer: dict[str, Any] | None = None
    if issuer_url is not None and is_http(issuer_url):
        got = _get_node(budget, issuer_url, "issuer")
        checks += got.checks
        issuer = got.doc
        issuer_url = got.url or issuer_url
    elif isinstance(issuer_ref, dict):
        issuer = issuer_ref
        checks.append(_warn("issuer", "v2.issuer_embedded", "issuer profile not retrievable"))
    if issuer is not None:
        checks += _issuer_checks(issuer, spec)
    return badge, issuer, issuer_url or ""


def _hosted_url(assertion: Mapping[str, Any], spec: Spec, source_url: str | None) -> str | None:
    if spec == "0.5":
        return source_url
    if spec == "1.0":
        return _str(_verification(assertion), "url") or source_url
    return _str(assertion, "id")


def verify_legacy(
    payload: Mapping[str, Any] | str,
    *,
    spec: Spec,
    format: Format,
    fetcher: Fetcher,
    now: datetime,
    limits: Limits = DEFAULT_LIMITS,
    original: bytes = b"",
    source_url: str | None = None,
    emails: Iterable[str] | None = None,
) -> tuple[list[Check], Credential | None]:
    """Verify an OB 0.5–2.0 assertion (a JSON dict, or a compact JWS for signed badges).

    Every problem is a Check; only unreadable input raises (the JWS payload itself).
    """
    budget = _Budget(fetcher, limits)
    token: str | None = None
    if isinstance(payload, str):
        token = payload
        assertion = decode_unverified(token, limits=limits)[1]
    else:
        assertion = dict(payload)
    if spec == "2.0" and "recipient" not in assertion and "Assertion" not in types_of(assertion):
        return _verify_node(assertion, budget=budget), None

    verification = _verification(assertion) or {}
    vtype = _str(verification, "type")
    signed = token is not None or vtype in SIGNED_TYPES
    checks: list[Check] = []

    if not signed:
        url = _hosted_url(assertion, spec, source_url)
        if url is None or not is_http(url):
            checks.append(
                Check(
                    "hosted",
                    "unsupported",
                    "hosted.no_url",
                    "no hosted URL to check this badge against",
                    outcome="unverifiable",
                )
            )
        else:
            hosted, hosted_checks = _fetch_hosted(budget, url, spec)
            checks += hosted_checks
            if hosted is not None:
                # Only the hosted copy is trusted; the supplied one merely named its URL.
                if hosted != assertion and format != "url":
                    checks.append(_warn("hosted", "hosted.supplied_differs", url))
                assertion = hosted
    elif token is None:
        checks.append(
            Check(
                "signature",
                "unsupported",
                "signed.token_missing",
                "signed badge given without its JWS",
                outcome="unverifiable",
            )
        )
    checks += _assertion_checks(assertion, spec)

    badge, issuer, issuer_url = _linked_docs(budget, assertion, spec, checks)

    if not signed:
        url = _hosted_url(assertion, spec, source_url)
        if url is not None and is_http(url):
            if spec == "0.5":
                origin = issuer_url
                if not is_http(origin) or authority(origin) != authority(url):
                    checks.append(_fail("scope", "scope.origin", url, url=url))
                else:
                    checks.append(Check("scope", "passed", "scope.ok", params={"url": url}))
            else:
                checks.append(_scope_checks(url, issuer, issuer_url))
    elif token is not None:
        checks += _signed_checks(budget, token, assertion, spec, issuer, issuer_url, limits)

    issued, expires, date_problems = _parse_dates(assertion, spec)
    checks += date_problems
    checks += date_checks(issued, None, expires, now)
    credential = parse_legacy(
        assertion,
        spec=spec,
        format=format,
        original=original,
        badge=badge,
        issuer=issuer,
        source_url=source_url,
        signed=token,
    )
    checks.append(recipient_check(credential.recipient, emails))
    return checks, credential


def _signed_checks(
    budget: _Budget,
    token: str,
    assertion: Mapping[str, Any],
    spec: Spec,
    issuer: Mapping[str, Any] | None,
    issuer_url: str,
    limits: Limits,
) -> list[Check]:
    checks: list[Check] = []
    verification = _verification(assertion) or {}
    if issuer is None:
        return [
            Check(
                "key",
                "unsupported",
                "signed.no_issuer",
                "issuer profile needed to trust the key",
                outcome="unverifiable",
            )
        ]
    key: PublicKey | None
    if spec == "1.0":
        key_url = _str(verification, "url")
        key, checks = _load_pem_url(budget, key_url, issuer, issuer_url)
    else:
        creator = _str(verification, "creator")
        if creator is None:
            refs = [_ref(r) for r in _issuer_key_refs(issuer)]
            creator = next((r for r in refs if r), None)
        if creator is None:
            return [_fail("key", "signed.no_key", "no verification.creator or issuer publicKey")]
        key, checks = _load_key(budget, creator, issuer, _str(issuer, "id") or issuer_url)
    if key is None:
        return checks
    signature = _signature_check(token, key, limits)
    checks.append(signature)
    if signature.status == "passed":
        checks.append(_revocation_list_check(budget, issuer, assertion))
    return checks


def _load_pem_url(
    budget: _Budget, key_url: str | None, issuer: Mapping[str, Any], issuer_url: str
) -> tuple[PublicKey | None, list[Check]]:
    """OB 1.0 signed: ``verify.url`` is a PEM key on the issuer's origin."""
    if key_url is None or not is_http(key_url):
        return None, [_fail("key", "signed.no_key", "verify.url is not a key URL")]
    origins = {authority(u) for u in (_str(issuer, "url"), issuer_url) if u and is_http(u)}
    if authority(key_url) not in origins:
        return None, [_fail("key", "signed.key_not_listed", key_url, key=key_url)]
    try:
        response = budget.fetch(key_url, accept=ACCEPT_PEM)
    except FetchError as exc:
        return None, [_unavailable("key", key_url, str(exc))]
    if response.status != 200:
        return None, [_unavailable("key", key_url, f"HTTP {response.status}")]
    try:
        return key_from_pem(response.body[: budget.limits.max_json_bytes]), []
    except BadgeError as exc:
        return None, [_fail("key", "signed.key_unusable", str(exc))]


def _verify_node(node: Mapping[str, Any], *, budget: _Budget) -> list[Check]:
    """Validate a standalone OB 2.0 node (BadgeClass, Issuer, ...) that is not an award."""
    checks: list[Check] = [
        _warn("document", "document.not_an_assertion", f"types {types_of(node)}")
    ]
    context = _context_check(node, "2.0")
    if context.status == "failed":
        checks.append(context)
    type_problems = _type_checks(node, "type", frozenset())
    checks += type_problems
    if type_problems:
        return checks
    types = set(types_of(node))
    if "BadgeClass" in types:
        checks += _badge_class_checks(node, "2.0")
        issuer_url = _ref(node.get("issuer"))
        if issuer_url is not None and is_http(issuer_url):
            got = _get_node(budget, issuer_url, "issuer")
            checks += got.checks
            if got.doc is not None:
                checks += _issuer_checks(got.doc, "2.0")
    elif types & ISSUER_TYPES:
        checks += _issuer_checks(node, "2.0")
    elif "AlignmentObject" in types:
        for key in ("targetName", "targetUrl"):
            if not _str(node, key):
                checks.append(_fail("alignment", "v2.alignment_invalid", key, field=key))
    checks += _extension_checks(node)
    if not any(c.status == "failed" for c in checks):
        checks.append(Check("document", "passed", "document.valid"))
    return checks
