"""The OB 2.1 response envelope: every answer carries a status (code, text, error message)."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask import json

# HTTP status -> statusText (OB 2.1 §Responses lists these values; the rest fall back).
STATUS_TEXTS = {
    200: "OK",
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
}
# Refusals the specification names more precisely than BAD_REQUEST (POST /assertions).
VALIDATION = "REQUEST_VALIDATION_ERROR"
RECIPIENT_MISMATCH = "RECIPIENT_PROFILE_MISMATCH"
INVALID_BADGE = "INVALID_BADGE"
PERMISSION_DENIED = "PERMISSION_DENIED"


def status(code: int, *, error: str | None = None, text: str | None = None) -> dict[str, Any]:
    """Return the status object of an envelope."""
    return {
        "error": error,
        "statusCode": code,
        "statusText": text or STATUS_TEXTS.get(code, "BAD_REQUEST"),
    }


def respond(
    body: dict[str, Any], code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """Return an enveloped JSON response (never cached: it is one holder's data)."""
    response = Response(json.dumps(body), status=code, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def ok(**results: Any) -> Response:
    """Return a 200 envelope with the given result properties."""
    return respond({"status": status(200), **results})


def error(
    code: int, message: str, *, text: str | None = None, headers: dict[str, str] | None = None
) -> Response:
    """Return an error envelope with a human-readable message."""
    return respond({"status": status(code, error=message, text=text)}, code, headers)
