"""The OAuth 2.0 security scheme both API descriptions (OB 3.0 and 2.1) publish."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def security_scheme(base_url: str, scopes: Mapping[str, str], **extra: str) -> dict[str, Any]:
    """Return the OpenAPI "OAuth2ACG" scheme: this server's authorization code grant with PKCE."""
    return {
        "type": "oauth2",
        "description": "OAuth 2.0 authorization code grant with PKCE (S256).",
        **extra,
        "flows": {
            "authorizationCode": {
                "authorizationUrl": base_url + "/oauth/authorize",
                "tokenUrl": base_url + "/oauth/token",
                "refreshUrl": base_url + "/oauth/token",
                "scopes": dict(scopes),
            }
        },
    }
