"""Data-model checks of Open Badges 0.5–2.0 assertions, badge classes and issuer profiles."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from wallet.openbadges.detect import OB_V1_CONTEXTS
from wallet.openbadges.detect import OB_V2_CLASSES
from wallet.openbadges.detect import OB_V2_CONTEXTS
from wallet.openbadges.detect import as_list
from wallet.openbadges.detect import types_of
from wallet.openbadges.legacy_common import dict_or_none
from wallet.openbadges.legacy_common import fail
from wallet.openbadges.legacy_common import ref_of
from wallet.openbadges.legacy_common import string_at
from wallet.openbadges.legacy_common import verification_of
from wallet.openbadges.legacy_common import warn
from wallet.openbadges.legacy_parse import recipient_of
from wallet.openbadges.model import Check
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
