"""Verify Open Badges 0.5, 1.0, 1.1 and 2.0 assertions (hosted and signed) and standalone nodes."""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from wallet.openbadges.checks import date_checks
from wallet.openbadges.checks import recipient_check
from wallet.openbadges.detect import types_of
from wallet.openbadges.fetch import Fetcher
from wallet.openbadges.jose import decode_unverified
from wallet.openbadges.legacy_common import dict_or_none
from wallet.openbadges.legacy_common import fail
from wallet.openbadges.legacy_common import is_http
from wallet.openbadges.legacy_common import ref_of
from wallet.openbadges.legacy_common import string_at
from wallet.openbadges.legacy_common import unavailable
from wallet.openbadges.legacy_common import verification_of
from wallet.openbadges.legacy_common import warn
from wallet.openbadges.legacy_fetch import Budget
from wallet.openbadges.legacy_fetch import get_node
from wallet.openbadges.legacy_hosted import hosted_copy
from wallet.openbadges.legacy_hosted import hosted_url
from wallet.openbadges.legacy_hosted import scope_check
from wallet.openbadges.legacy_parse import parse_dates
from wallet.openbadges.legacy_parse import parse_legacy
from wallet.openbadges.legacy_signed import signed_checks
from wallet.openbadges.legacy_structure import ISSUER_TYPES
from wallet.openbadges.legacy_structure import SIGNED_TYPES
from wallet.openbadges.legacy_structure import assertion_checks
from wallet.openbadges.legacy_structure import badge_class_checks
from wallet.openbadges.legacy_structure import context_check
from wallet.openbadges.legacy_structure import extension_checks
from wallet.openbadges.legacy_structure import issuer_checks
from wallet.openbadges.legacy_structure import type_checks
from wallet.openbadges.limits import DEFAULT_LIMITS
from wallet.openbadges.limits import Limits
from wallet.openbadges.model import Check
from wallet.openbadges.model import Credential
from wallet.openbadges.model import Format
from wallet.openbadges.model import Spec


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
        # Only a profile fetched from the issuer's own http(s) id may vouch for its keys; an
        # issuer described inside the signed assertion is the signer speaking about itself.
        published = issuer if is_http(issuer_url) else None
        checks += signed_checks(budget, token, assertion, spec, published, issuer_url, limits)

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
