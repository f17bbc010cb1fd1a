"""Verify Open Badges 0.5–2.0 assertions: the overall flow, data-model checks and hosted copies."""

from __future__ import annotations

import re
from collections.abc import Iterable
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from wallet.openbadges.checks import date_checks
from wallet.openbadges.checks import recipient_check
from wallet.openbadges.detect import OB_V1_CONTEXTS
from wallet.openbadges.detect import OB_V2_CLASSES
from wallet.openbadges.detect import OB_V2_CONTEXTS
from wallet.openbadges.detect import as_list
from wallet.openbadges.detect import types_of
from wallet.openbadges.errors import FetchError
from wallet.openbadges.errors import ParseError
from wallet.openbadges.fetch import Fetcher
from wallet.openbadges.jose import decode_unverified
from wallet.openbadges.jsonutil import loads_object
from wallet.openbadges.legacy_common import authority
from wallet.openbadges.legacy_common import dict_or_none
from wallet.openbadges.legacy_common import fail
from wallet.openbadges.legacy_common import is_http
from wallet.openbadges.legacy_common import ref_of
from wallet.openbadges.legacy_common import revocation_reason
from wallet.openbadges.legacy_common import revoked
from wallet.openbadges.legacy_common import string_at
from wallet.openbadges.legacy_common import unavailable
from wallet.openbadges.legacy_common import verification_of
from wallet.openbadges.legacy_common import warn
from wallet.openbadges.legacy_fetch import ACCEPT_JSON
from wallet.openbadges.legacy_fetch import Budget
from wallet.openbadges.legacy_fetch import get_json
from wallet.openbadges.legacy_fetch import get_node
from wallet.openbadges.legacy_parse import parse_dates
from wallet.openbadges.legacy_parse import parse_legacy
from wallet.openbadges.legacy_parse import recipient_of
from wallet.openbadges.legacy_signed import signed_checks
from wallet.openbadges.limits import DEFAULT_LIMITS
from wallet.openbadges.limits import Limits
from wallet.openbadges.model import Check
from wallet.openbadges.model import Credential
from wallet.openbadges.model import Format
from wallet.openbadges.model import Spec
from wallet.openbadges.recipient import EMAIL_TYPES
from wallet.openbadges.recipient import is_valid_hash

HOSTED_TYPES = frozenset({"hosted", "HostedBadge"})
SIGNED_TYPES = frozenset({"signed", "SignedBadge"})
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


def type_checks(node: Mapping[str, Any], check_id: str, expected: frozenset[str]) -> list[Check]:
    """Check that a node's types are all usable and include one of ``expected`` (if any)."""
    types = types_of(node)
    raw = node.get("type", node.get("@type"))
    if not types or len(types) != len(as_list(raw)):
        return [fail(check_id, "v2.type_missing", "no usable type")]
    bad = [t for t in types if not valid_type_term(t)]
    if bad:
        return [fail(check_id, "v2.type_unknown", f"unknown type {bad[0]!r}", type=bad[0])]
    if expected and not expected.intersection(types):
        wanted = sorted(expected)[0]
        return [fail(check_id, "v2.type_wrong", f"type {types} is not {wanted}", type=wanted)]
    return []


def context_check(node: Mapping[str, Any], spec: Spec) -> Check:
    """Check that a node's ``@context`` is the Open Badges context of its version."""
    contexts = as_list(node.get("@context"))
    wanted = OB_V2_CONTEXTS if spec == "2.0" else OB_V1_CONTEXTS
    if any(isinstance(c, str) and c in wanted for c in contexts):
        return Check("context", "passed", "v2.context_ok")
    if any(isinstance(c, dict) and c.get("obi") == _PREFIXES["obi"] for c in contexts):
        return warn("context", "v2.context_inline", "inline copy of the Open Badges context")
    if not contexts:
        return warn("context", "v2.context_missing", "no @context")
    return fail("context", "v2.context_invalid", f"unknown @context {contexts[0]!r}")


def extension_checks(node: Mapping[str, Any]) -> list[Check]:
    """Check that every ``extensions:`` property of a node is a well-typed Extension."""
    checks: list[Check] = []
    for key, value in node.items():
        if not key.startswith("extensions:"):
            continue
        ext = dict_or_none(value)
        types = types_of(ext) if ext else []
        if ext is None or "Extension" not in types:
            checks.append(fail("extensions", "v2.extension_invalid", f"{key} is not an Extension"))
            continue
        bad = [t for t in types if not valid_type_term(t)]
        if bad:
            checks.append(fail("extensions", "v2.extension_invalid", f"{key} has type {bad[0]!r}"))
    return checks


def _recipient_checks(spec: Spec, assertion: Mapping[str, Any]) -> list[Check]:
    recipient = recipient_of(spec, assertion)
    if recipient is None:
        return [fail("recipient_identity", "v2.recipient_invalid", "no recipient identity")]
    if recipient.hashed and not is_valid_hash(recipient.identity):
        return [fail("recipient_identity", "v2.recipient_invalid", "hashed identity is malformed")]
    if (
        not recipient.hashed
        and recipient.type.lower() in EMAIL_TYPES
        and not _EMAIL.match(recipient.identity)
    ):
        return [fail("recipient_identity", "v2.recipient_invalid", "not an email address")]
    if spec in ("2.0", "1.1") and recipient.type not in ("email", "url", "telephone", "id"):
        return [warn("recipient_identity", "v2.recipient_type", f"type {recipient.type!r}")]
    return []


def assertion_checks(assertion: Mapping[str, Any], spec: Spec) -> list[Check]:
    """Data-model checks of an assertion (notes §3.1)."""
    checks: list[Check] = []
    if spec in ("2.0", "1.1"):
        context = context_check(assertion, spec)
        if context.status != "passed":
            checks.append(context)
        checks += type_checks(assertion, "type", frozenset({"Assertion"}))
        ident = string_at(assertion, "id")
        if ident is None or not _IRI.match(ident):
            checks.append(fail("assertion", "v2.id_missing", "assertion id is not an IRI"))
    if spec != "0.5":
        if "badge" not in assertion:
            checks.append(fail("assertion", "v2.badge_missing", "no badge"))
        verification = verification_of(assertion)
        vtype = string_at(verification, "type")
        if vtype not in HOSTED_TYPES | SIGNED_TYPES:
            checks.append(fail("verification", "v2.verification_invalid", f"type {vtype!r}"))
    elif not isinstance(assertion.get("badge"), dict):
        checks.append(fail("assertion", "v2.badge_missing", "no badge"))
    checks += _recipient_checks(spec, assertion)
    image = ref_of(assertion.get("image"))
    if image is not None and image.strip().lower().startswith("data:"):
        checks.append(
            fail("image", "v2.assertion_data_image", "assertion image must not be a data URI")
        )
    evidence = as_list(assertion.get("evidence"))
    if any(not isinstance(item, str | dict) for item in evidence):
        checks.append(fail("evidence", "v2.evidence_invalid", "evidence is not an IRI or object"))
    checks += extension_checks(assertion)
    return checks


def badge_class_checks(badge: Mapping[str, Any], spec: Spec) -> list[Check]:
    """Data-model checks of a badge class."""
    checks: list[Check] = []
    if spec == "2.0":
        checks += type_checks(badge, "badge_class", frozenset({"BadgeClass"}))
    for key in ("name", "description"):
        if not string_at(badge, key):
            checks.append(fail("badge_class", "v2.badge_field_missing", key, field=key))
    if badge.get("criteria") is None:
        checks.append(fail("badge_class", "v2.badge_field_missing", "criteria", field="criteria"))
    if ref_of(badge.get("issuer")) is None and not isinstance(badge.get("issuer"), dict):
        checks.append(fail("badge_class", "v2.badge_field_missing", "issuer", field="issuer"))
    if badge.get("image") is None:
        checks.append(warn("badge_class", "v2.badge_field_missing", "image", field="image"))
    checks += extension_checks(badge)
    return checks


def issuer_checks(issuer: Mapping[str, Any], spec: Spec) -> list[Check]:
    """Data-model checks of an issuer profile."""
    checks: list[Check] = []
    if spec == "2.0":
        checks += type_checks(issuer, "issuer", ISSUER_TYPES)
    if not string_at(issuer, "name"):
        checks.append(fail("issuer", "v2.issuer_field_missing", "name", field="name"))
    for key in ("url", "email"):
        if not string_at(issuer, key):
            checks.append(warn("issuer", "v2.issuer_field_missing", key, field=key))
    return checks


def hosted_url(assertion: Mapping[str, Any], spec: Spec, source_url: str | None) -> str | None:
    """Return the URL the issuer hosts the assertion at (0.5: where it was fetched from)."""
    if spec == "0.5":
        return source_url
    if spec == "1.0":
        return string_at(verification_of(assertion), "url") or source_url
    return string_at(assertion, "id")


def hosted_copy(
    budget: Budget,
    assertion: dict[str, Any],
    spec: Spec,
    format: Format,
    source_url: str | None,
) -> tuple[dict[str, Any], list[Check]]:
    """Return the assertion to trust (the hosted copy when retrieved) and the hosting checks."""
    url = hosted_url(assertion, spec, source_url)
    if url is None or not is_http(url):
        no_url = Check(
            "hosted",
            "unsupported",
            "hosted.no_url",
            "no hosted URL to check this badge against",
            outcome="unverifiable",
        )
        return assertion, [no_url]
    hosted, checks = fetch_hosted(budget, url, spec)
    if hosted is None:
        return assertion, checks
    # Only the hosted copy is trusted; the supplied one merely named its URL.
    if hosted != assertion and format != "url":
        checks.append(warn("hosted", "hosted.supplied_differs", url))
    return hosted, checks


def fetch_hosted(budget: Budget, url: str, spec: Spec) -> tuple[dict[str, Any] | None, list[Check]]:
    """Retrieve the hosted copy of an assertion: 410/revoked, id match and redirection."""
    try:
        response = budget.fetch(url, accept=ACCEPT_JSON)
    except FetchError as exc:
        return None, [unavailable("hosted", url, str(exc))]
    body: dict[str, Any] | None = None
    try:
        body = loads_object(response.body, limits=budget.limits)
    except ParseError:
        body = None
    if response.status == 410:
        return None, [revoked(revocation_reason(body), f"{url} answered 410 Gone")]
    if response.status != 200:
        return None, [unavailable("hosted", url, f"HTTP {response.status}")]
    if body is None:
        return None, [fail("hosted", "hosted.malformed", "hosted copy is not JSON", url=url)]
    if body.get("revoked") is True:
        return body, [revoked(revocation_reason(body), "hosted copy says revoked: true")]
    checks: list[Check] = []
    declared = string_at(body, "id") if spec in ("2.0", "1.1") else None
    if declared is not None and declared not in (url, response.url):
        checks.append(
            warn(
                "hosted", "hosted.id_redirect", f"{url} declared its id as {declared}", id=declared
            )
        )
        if not is_http(declared):
            return None, checks + [fail("hosted", "hosted.id_mismatch", declared, id=declared)]
        again = get_json(budget, declared, "hosted")
        if again.doc is None or again.doc.get("id") != declared:
            return None, checks + again.checks + [fail("hosted", "hosted.id_mismatch", declared)]
        body = again.doc
        url = declared
        if body.get("revoked") is True:
            return body, checks + [revoked(revocation_reason(body), "hosted copy revoked")]
    checks.append(Check("hosted", "passed", "hosted.retrieved", url, {"url": url}))
    return body, checks


def scope_check(url: str, spec: Spec, issuer: Mapping[str, Any] | None, issuer_url: str) -> Check:
    """Check that the hosted assertion lives where its issuer allows (0.5: the issuer's origin)."""
    if spec == "0.5":
        if not is_http(issuer_url) or authority(issuer_url) != authority(url):
            return fail("scope", "scope.origin", url, url=url)
        return Check("scope", "passed", "scope.ok", params={"url": url})
    return _policy_scope_check(url, issuer, issuer_url)


def _policy_scope_check(
    assertion_url: str, issuer: Mapping[str, Any] | None, issuer_url: str
) -> Check:
    """The hosted assertion must live where the issuer's verification policy allows."""
    if issuer is None:
        return Check("scope", "unsupported", "scope.no_issuer", outcome="unverifiable")
    policy = dict_or_none(issuer.get("verification")) or {}
    issuer_id = string_at(issuer, "id") or issuer_url
    prop = string_at(policy, "verificationProperty")
    if prop not in (None, "id"):
        return warn("scope", "scope.property_unsupported", f"verificationProperty {prop!r}")
    starts = [s for s in as_list(policy.get("startsWith")) if isinstance(s, str)]
    origins = [o.lower() for o in as_list(policy.get("allowedOrigins")) if isinstance(o, str)]
    if not origins and not starts:
        if not is_http(issuer_id):
            return warn("scope", "scope.issuer_not_http", f"issuer id {issuer_id!r}")
        origins = [authority(issuer_id)]
    if starts and not any(assertion_url.startswith(s) for s in starts):
        return fail("scope", "scope.starts_with", assertion_url, url=assertion_url)
    if origins and authority(assertion_url) not in origins:
        return fail("scope", "scope.origin", assertion_url, url=assertion_url)
    return Check("scope", "passed", "scope.ok", params={"url": assertion_url})


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
    budget = Budget(fetcher, limits)
    token: str | None = None
    if isinstance(payload, str):
        token = payload
        assertion = decode_unverified(token, limits=limits)[1]
    else:
        assertion = dict(payload)
    if spec == "2.0" and "recipient" not in assertion and "Assertion" not in types_of(assertion):
        return _verify_node(assertion, budget=budget), None

    verification = verification_of(assertion) or {}
    vtype = string_at(verification, "type")
    signed = token is not None or vtype in SIGNED_TYPES
    checks: list[Check] = []

    if not signed:
        assertion, hosted_checks = hosted_copy(budget, assertion, spec, format, source_url)
        checks += hosted_checks
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
    checks += assertion_checks(assertion, spec)

    badge, issuer, issuer_url = _linked_docs(budget, assertion, spec, checks)

    if not signed:
        url = hosted_url(assertion, spec, source_url)
        if url is not None and is_http(url):
            checks.append(scope_check(url, spec, issuer, issuer_url))
    elif token is not None:
        checks += signed_checks(budget, token, assertion, spec, issuer, issuer_url, limits)

    issued, expires, date_problems = parse_dates(assertion, spec)
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


def _linked_docs(
    budget: Budget, assertion: Mapping[str, Any], spec: Spec, checks: list[Check]
) -> tuple[dict[str, Any] | None, dict[str, Any] | None, str]:
    """Fetch the badge class and the issuer profile from their HTTP ids (embedded = untrusted)."""
    if spec == "0.5":
        embedded = dict_or_none(assertion.get("badge"))
        issuer_05 = dict_or_none(embedded.get("issuer")) if embedded else None
        return embedded, issuer_05, string_at(issuer_05, "origin") or ""
    badge_ref = assertion.get("badge")
    if isinstance(badge_ref, str) and not is_http(badge_ref):
        checks.append(unavailable("badge_class", badge_ref, "badge class IRI is not http(s)"))
    elif not isinstance(badge_ref, str | dict):
        checks.append(fail("badge_class", "v2.badge_missing", "badge is not an IRI or object"))
    badge, _ = _linked(
        budget, badge_ref, "badge_class", "v2.badge_embedded", "badge class not retrievable", checks
    )
    if badge is None:
        return None, None, ""
    checks += badge_class_checks(badge, spec)
    issuer, issuer_url = _linked(
        budget,
        badge.get("issuer"),
        "issuer",
        "v2.issuer_embedded",
        "issuer profile not retrievable",
        checks,
    )
    if issuer is not None:
        checks += issuer_checks(issuer, spec)
    return badge, issuer, issuer_url or ""


def _linked(
    budget: Budget,
    ref: Any,
    check_id: str,
    embedded_id: str,
    embedded_detail: str,
    checks: list[Check],
) -> tuple[dict[str, Any] | None, str | None]:
    """Return a linked node fetched from its http(s) id, or its embedded copy, and its URL."""
    url = ref_of(ref)
    if url is not None and is_http(url):
        got = get_node(budget, url, check_id)
        checks += got.checks
        return got.doc, got.url or url
    if isinstance(ref, dict):
        # An embedded copy is only what the assertion claims, so it is flagged, not trusted.
        checks.append(warn(check_id, embedded_id, embedded_detail))
        return ref, url
    return None, url


def _verify_node(node: Mapping[str, Any], *, budget: Budget) -> list[Check]:
    """Validate a standalone OB 2.0 node (BadgeClass, Issuer, ...) that is not an award."""
    checks: list[Check] = [warn("document", "document.not_an_assertion", f"types {types_of(node)}")]
    context = context_check(node, "2.0")
    if context.status == "failed":
        checks.append(context)
    type_problems = type_checks(node, "type", frozenset())
    checks += type_problems
    if type_problems:
        return checks
    types = set(types_of(node))
    if "BadgeClass" in types:
        checks += badge_class_checks(node, "2.0")
        issuer_url = ref_of(node.get("issuer"))
        if issuer_url is not None and is_http(issuer_url):
            got = get_node(budget, issuer_url, "issuer")
            checks += got.checks
            if got.doc is not None:
                checks += issuer_checks(got.doc, "2.0")
    elif types & ISSUER_TYPES:
        checks += issuer_checks(node, "2.0")
    elif "AlignmentObject" in types:
        for key in ("targetName", "targetUrl"):
            if not string_at(node, key):
                checks.append(fail("alignment", "v2.alignment_invalid", key, field=key))
    checks += extension_checks(node)
    if not any(c.status == "failed" for c in checks):
        checks.append(Check("document", "passed", "document.valid"))
    return checks
