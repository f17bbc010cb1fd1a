"""The Badge Connect manifest (/.well-known/badgeconnect.json): how a relying party finds us."""

from __future__ import annotations

from typing import Any

from wallet.api.ob21.scopes import OFFERED

BASE_PATH = "/ims/ob/v2p1"
MANIFEST_PATH = "/.well-known/badgeconnect.json"
CONTEXT = "https://purl.imsglobal.org/spec/ob/v2p1/ob_v2p1.jsonld"


def document(
    base_url: str, *, name: str, image: str | None, terms_url: str, privacy_url: str
) -> dict[str, Any]:
    """Return the manifest with absolute URLs under base_url (one BadgeConnectAPI entry)."""
    api: dict[str, Any] = {
        "type": "BadgeConnectAPI",
        "name": name,
        "apiBase": base_url + BASE_PATH,
        "version": "v2p1",
        "termsOfServiceUrl": terms_url,
        "privacyPolicyUrl": privacy_url,
        "scopesOffered": list(OFFERED),
        "registrationUrl": base_url + "/oauth/register",
        "authorizationUrl": base_url + "/oauth/authorize",
        "tokenUrl": base_url + "/oauth/token",
        "tokenRevocationUrl": base_url + "/oauth/revoke",
    }
    if image:
        api["image"] = image
    return {
        "@context": CONTEXT,
        "id": base_url + MANIFEST_PATH,
        "type": "Manifest",
        "badgeConnectAPI": [api],
    }
