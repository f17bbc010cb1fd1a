"""An OpenAPI 3.0 description of this host's OB 2.1 endpoints, as they really answer.

The 2.1 specification discovers hosts by the Badge Connect manifest, not by OpenAPI; this
document is for developers and for tools that test the API against what it promises.
"""

from __future__ import annotations

from typing import Any

from wallet.api.oauth.openapi import security_scheme
from wallet.api.ob21.envelope import STATUS_TEXTS
from wallet.api.ob21.manifest import BASE_PATH
from wallet.api.ob21.scopes import ASSERTION_CREATE
from wallet.api.ob21.scopes import ASSERTION_READ
from wallet.api.ob21.scopes import DESCRIPTIONS
from wallet.api.ob21.scopes import PROFILE_READ

COMPACT_JWS = r"^\s*[-A-Za-z0-9_]+\.[-A-Za-z0-9_]+\.[-A-Za-z0-9_]*\s*$"
STATUS_TEXT_VALUES = sorted(
    {
        *STATUS_TEXTS.values(),
        "REQUEST_VALIDATION_ERROR",
        "RECIPIENT_PROFILE_MISMATCH",
        "INVALID_BADGE",
        "PERMISSION_DENIED",
    }
)
WORDS = {
    400: "Bad request (statusText says which kind)",
    401: "No valid access token, or it lacks the scope (PERMISSION_DENIED)",
    404: "Not found",
    405: "Method not allowed",
    413: "Request too large",
    415: "Unsupported media type",
    429: "Too many requests",
    500: "Internal server error",
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _errors(*codes: int) -> dict[str, Any]:
    """Return status-envelope responses for the given statuses, plus the default."""
    responses: dict[str, Any] = {
        str(c): {"description": WORDS[c], "content": _json(_ref("StatusResponse"))} for c in codes
    }
    responses["default"] = {"description": "Other errors", "content": _json(_ref("StatusResponse"))}
    return responses


def _query(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema}


def _paths() -> dict[str, Any]:
    """Return the operations of this host."""
    paging = {
        "X-Total-Count": {"schema": {"type": "integer", "minimum": 0}},
        "Link": {"schema": {"type": "string"}},
    }
    return {
        "/assertions": {
            "get": {
                "operationId": "getAssertions",
                "security": [{"OAuth2ACG": [ASSERTION_READ]}],
                "parameters": [
                    _query("limit", {"type": "integer", "minimum": 1, "format": "int32"}),
                    _query("offset", {"type": "integer", "minimum": 0, "format": "int32"}),
                    _query("since", {"type": "string", "format": "date-time"}),
                ],
                "responses": {
                    "200": {
                        "description": "The assertions this client may read, newest first.",
                        "headers": paging,
                        "content": _json(_ref("AssertionsResponse")),
                    },
                    **_errors(400, 401, 405, 429, 500),
                },
            },
            "post": {
                "operationId": "postAssertion",
                "security": [{"OAuth2ACG": [ASSERTION_CREATE]}],
                "requestBody": {"required": True, "content": _json(_ref("AssertionPayload"))},
                "responses": {
                    "200": {
                        "description": "Verified and added, or updated.",
                        "content": _json(_ref("StatusResponse")),
                    },
                    **_errors(400, 401, 405, 413, 415, 429, 500),
                },
            },
        },
        "/profile": {
            "get": {
                "operationId": "getProfile",
                "security": [{"OAuth2ACG": [PROFILE_READ]}],
                "responses": {
                    "200": {
                        "description": "The holder's profile.",
                        "content": _json(_ref("ProfileResponse")),
                    },
                    **_errors(401, 405, 429, 500),
                },
            }
        },
        "/discovery": {
            "get": {
                "operationId": "getServiceDescription",
                "security": [],
                "responses": {
                    "200": {
                        "description": "This document.",
                        "content": _json({"type": "object"}),
                    },
                    **_errors(405, 429, 500),
                },
            }
        },
    }


def _schemas() -> dict[str, Any]:
    """Return the data shapes: loose where Open Badges is open, exact where the shape is ours."""
    status = {
        "type": "object",
        "required": ["statusCode", "statusText"],
        "properties": {
            "error": {"type": "string", "nullable": True},
            "statusCode": {"type": "integer", "format": "int32"},
            "statusText": {"type": "string", "enum": STATUS_TEXT_VALUES},
        },
        "additionalProperties": False,
    }
    assertion = {
        "type": "object",
        "required": ["id"],
        "properties": {"id": {"type": "string", "pattern": "^https?://"}},
        "additionalProperties": True,
    }
    return {
        "Status": status,
        "StatusResponse": {
            "type": "object",
            "required": ["status"],
            "properties": {"status": _ref("Status")},
            "additionalProperties": False,
        },
        "Assertion": assertion,
        "AssertionPayload": {
            "type": "object",
            "properties": {
                "assertion": {**assertion, "nullable": True},
                "signedAssertion": {"type": "string", "pattern": COMPACT_JWS, "nullable": True},
            },
            "anyOf": [{"required": ["assertion"]}, {"required": ["signedAssertion"]}],
            "additionalProperties": False,
        },
        "AssertionsResponse": {
            "type": "object",
            "required": ["status"],
            "properties": {
                "status": _ref("Status"),
                "assertions": {"type": "array", "items": {"type": "object"}},
                "signedAssertions": {"type": "array", "items": {"type": "string"}},
            },
            "additionalProperties": False,
        },
        "ProfileResponse": {
            "type": "object",
            "required": ["status", "profile"],
            "properties": {
                "status": _ref("Status"),
                "profile": {
                    "type": "object",
                    "required": ["id", "type"],
                    "properties": {
                        "id": {"type": "string"},
                        "type": {"type": "string"},
                        "name": {"type": "string"},
                        "email": {"type": "string"},
                    },
                    "additionalProperties": True,
                },
            },
            "additionalProperties": False,
        },
    }


def document(base_url: str) -> dict[str, Any]:
    """Return the OpenAPI document of this host, with absolute URLs under base_url."""
    return {
        "openapi": "3.0.1",
        "info": {
            "title": "Badge Wallet",
            "description": "Open Badges 2.1 (Badge Connect) API of a holder's badge wallet. "
            "Relying parties discover it by " + base_url + "/.well-known/badgeconnect.json.",
            "version": "2.1",
        },
        "servers": [{"url": base_url + BASE_PATH, "description": "This wallet."}],
        "paths": _paths(),
        "components": {
            "securitySchemes": {"OAuth2ACG": security_scheme(base_url, DESCRIPTIONS)},
            "schemas": _schemas(),
        },
    }
