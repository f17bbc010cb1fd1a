"""The OB 3.0 service description document: an OpenAPI 3.0 profile of this host's API."""

from __future__ import annotations

from typing import Any

from wallet.api.oauth.openapi import security_scheme
from wallet.api.ob3.scopes import CREDENTIAL_READ
from wallet.api.ob3.scopes import CREDENTIAL_UPSERT
from wallet.api.ob3.scopes import DESCRIPTIONS
from wallet.api.ob3.scopes import PROFILE_READ
from wallet.api.ob3.scopes import PROFILE_UPDATE

BASE_PATH = "/ims/ob/v3p0"
JSON_TYPES = ("application/json", "application/vc+ld+json")
COMPACT_JWS = r"^[-A-Za-z0-9_]+\.[-A-Za-z0-9_]+\.[-A-Za-z0-9_]*$"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _errors(*codes: int) -> dict[str, Any]:
    """Return Imsx_StatusInfo responses for the given statuses, plus the default."""
    words = {
        400: "Bad request",
        401: "Not authorized (no valid access token)",
        403: "Forbidden (the token lacks the scope)",
        404: "Not found",
        405: "Method not allowed",
        406: "Not acceptable",
        409: "Conflict (same credential id from another issuer)",
        413: "Request too large",
        415: "Unsupported media type",
        429: "Too many requests",
        500: "Internal server error",
    }
    error = {"content": {"application/json": {"schema": _ref("Imsx_StatusInfo")}}}
    responses: dict[str, Any] = {str(c): {"description": words[c], **error} for c in codes}
    responses["default"] = {"description": "Other errors", **error}
    return responses


def _credential_content() -> dict[str, Any]:
    """Return the media types a credential travels in: JSON-LD or a compact JWS."""
    content: dict[str, Any] = {t: {"schema": _ref("AchievementCredential")} for t in JSON_TYPES}
    content["text/plain"] = {"schema": _ref("CompactJws")}
    return content


def _paths() -> dict[str, Any]:
    """Return the operations of this host."""
    paging = {
        "X-Total-Count": {"schema": {"type": "integer", "minimum": 0}},
        "Link": {"schema": {"type": "string"}},
    }
    read_errors = _errors(400, 401, 403, 405, 406, 429, 500)
    write_errors = _errors(400, 401, 403, 404, 405, 409, 413, 415, 429, 500)
    return {
        "/credentials": {
            "get": {
                "operationId": "getCredentials",
                "tags": ["OpenBadgeCredentials"],
                "security": [{"OAuth2ACG": [CREDENTIAL_READ]}],
                "parameters": [
                    _query("limit", {"type": "integer", "minimum": 1, "format": "int32"}),
                    _query("offset", {"type": "integer", "minimum": 0, "format": "int32"}),
                    _query("since", {"type": "string", "format": "date-time"}),
                ],
                "responses": {
                    "200": {
                        "description": "The credentials the holder lets this client read.",
                        "headers": paging,
                        "content": {
                            "application/json": {"schema": _ref("GetOpenBadgeCredentialsResponse")}
                        },
                    },
                    **read_errors,
                },
            },
            "post": {
                "operationId": "upsertCredential",
                "tags": ["OpenBadgeCredentials"],
                "security": [{"OAuth2ACG": [CREDENTIAL_UPSERT]}],
                "requestBody": {"required": True, "content": _credential_content()},
                "responses": {
                    "200": {"description": "Replaced", "content": _credential_content()},
                    "201": {"description": "Created", "content": _credential_content()},
                    **write_errors,
                },
            },
        },
        "/profile": {
            "get": {
                "operationId": "getProfile",
                "tags": ["Profiles"],
                "security": [{"OAuth2ACG": [PROFILE_READ]}],
                "responses": {
                    "200": {
                        "description": "The holder's profile.",
                        "content": {"application/json": {"schema": _ref("Profile")}},
                    },
                    **_errors(400, 401, 403, 404, 405, 406, 429, 500),
                },
            },
            "put": {
                "operationId": "putProfile",
                "tags": ["Profiles"],
                "security": [{"OAuth2ACG": [PROFILE_UPDATE]}],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("Profile")}},
                },
                "responses": {
                    "200": {
                        "description": "The updated profile.",
                        "content": {"application/json": {"schema": _ref("Profile")}},
                    },
                    **write_errors,
                },
            },
        },
        "/discovery": {
            "get": {
                "operationId": "getServiceDescription",
                "tags": ["Discovery"],
                "security": [],
                "responses": {
                    "200": {
                        "description": "This document.",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                    **_errors(405, 429, 500),
                },
            }
        },
    }


def _query(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema}


def _schemas() -> dict[str, Any]:
    """Return the data shapes: loose where the data model is open, exact where it is ours."""
    code_minor = {
        "type": "object",
        "properties": {
            "imsx_codeMinorField": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["imsx_codeMinorFieldName", "imsx_codeMinorFieldValue"],
                    "properties": {
                        "imsx_codeMinorFieldName": {"type": "string"},
                        "imsx_codeMinorFieldValue": {"type": "string"},
                    },
                },
            }
        },
    }
    return {
        "AchievementCredential": {
            "type": "object",
            "required": ["@context", "type", "issuer", "credentialSubject"],
            "additionalProperties": True,
        },
        "CompactJws": {"type": "string", "pattern": COMPACT_JWS},
        "GetOpenBadgeCredentialsResponse": {
            "type": "object",
            "properties": {
                "credential": {"type": "array", "items": _ref("AchievementCredential")},
                "compactJwsString": {"type": "array", "items": _ref("CompactJws")},
            },
            "additionalProperties": False,
        },
        "Profile": {
            "type": "object",
            "required": ["id", "type"],
            "properties": {
                "id": {"type": "string"},
                "type": {"type": "array", "items": {"type": "string"}},
                "name": {"type": "string"},
                "familyName": {"type": "string"},
                "givenName": {"type": "string"},
                "email": {"type": "string"},
            },
            "additionalProperties": True,
        },
        "Imsx_StatusInfo": {
            "type": "object",
            "required": ["imsx_codeMajor", "imsx_severity"],
            "properties": {
                "imsx_codeMajor": {
                    "type": "string",
                    "enum": ["failure", "processing", "success", "unsupported"],
                },
                "imsx_severity": {"type": "string", "enum": ["error", "status", "warning"]},
                "imsx_description": {"type": "string"},
                "imsx_codeMinor": code_minor,
            },
        },
    }


def document(base_url: str, *, title: str, terms_url: str, privacy_url: str) -> dict[str, Any]:
    """Return the discovery document of this host, with absolute URLs under base_url."""
    return {
        "openapi": "3.0.1",
        "info": {
            "title": title,
            "description": "Open Badges 3.0 API of a holder's badge wallet.",
            "version": "3.0",
            "termsOfService": terms_url,
            "x-imssf-privacyPolicyUrl": privacy_url,
        },
        "servers": [{"url": base_url + BASE_PATH, "description": "This wallet."}],
        "tags": [
            {"name": "OpenBadgeCredentials", "description": "Exchange credentials."},
            {"name": "Profiles", "description": "The holder's profile."},
            {"name": "Discovery", "description": "This document."},
        ],
        "paths": _paths(),
        "components": {
            "securitySchemes": {
                "OAuth2ACG": security_scheme(
                    base_url,
                    DESCRIPTIONS,
                    **{"x-imssf-registrationUrl": base_url + "/oauth/register"},
                )
            },
            "schemas": _schemas(),
        },
    }
