"""A credential whose only context is the OB 3.0 one is a malformed 3.0 badge, not unreadable."""

from __future__ import annotations

from wallet.openbadges.detect import classify


def test_ob3_context_alone_routes_to_v3() -> None:
    document = {
        "@context": ["https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
    }
    assert classify(document) == "3.0"
