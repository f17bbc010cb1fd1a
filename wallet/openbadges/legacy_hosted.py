"""Hosted verification of Open Badges 0.5–2.0: fetch the issuer's copy and check where it lives."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wallet.openbadges.detect import as_list
from wallet.openbadges.errors import FetchError
from wallet.openbadges.errors import ParseError
from wallet.openbadges.jsonutil import loads_object
from wallet.openbadges.legacy_common import authority
from wallet.openbadges.legacy_common import dict_or_none
from wallet.openbadges.legacy_common import fail
from wallet.openbadges.legacy_common import is_http
from wallet.openbadges.legacy_common import revocation_reason
from wallet.openbadges.legacy_common import revoked
from wallet.openbadges.legacy_common import string_at
from wallet.openbadges.legacy_common import unavailable
from wallet.openbadges.legacy_common import verification_of
from wallet.openbadges.legacy_common import warn
from wallet.openbadges.legacy_fetch import ACCEPT_JSON
from wallet.openbadges.legacy_fetch import Budget
from wallet.openbadges.legacy_fetch import get_json
from wallet.openbadges.model import Check
from wallet.openbadges.model import Format
from wallet.openbadges.model import Spec


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
