"""Imsx_StatusInfo: the error body of the 1EdTech APIs (what failed, how badly, and why)."""

from __future__ import annotations

from flask import Response
from flask import json

# HTTP status -> imsx_codeMinorFieldValue (1EdTech Common Data Model status codes).
MINOR_CODES = {
    400: "invalid_data",
    401: "unauthorizedrequest",
    403: "forbidden",
    404: "unknownobject",
    405: "invalid_data",
    406: "invalid_data",
    409: "invalid_data",
    413: "invalid_data",
    415: "invalid_data",
    429: "server_busy",
    500: "internal_server_error",
    503: "server_busy",
}


def status_info(status: int, description: str, *, minor: str | None = None) -> dict[str, object]:
    """Return an Imsx_StatusInfo document for an error of the given HTTP status."""
    return {
        "imsx_codeMajor": "failure",
        "imsx_severity": "error",
        "imsx_description": description,
        "imsx_codeMinor": {
            "imsx_codeMinorField": [
                {
                    "imsx_codeMinorFieldName": "TargetEndSystem",
                    "imsx_codeMinorFieldValue": minor or MINOR_CODES.get(status, "invalid_data"),
                }
            ]
        },
    }


def error(
    status: int,
    description: str,
    *,
    minor: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """Return an Imsx_StatusInfo JSON response (never cached)."""
    body = json.dumps(status_info(status, description, minor=minor))
    response = Response(body, status=status, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response
