"""OAuth 2.0 endpoints: registration, the holder's consent page, token and revocation."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from authlib.oauth2 import OAuth2Error
from flask import Blueprint
from flask import Response
from flask import current_app
from flask import json
from flask import render_template
from flask import request
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user
from flask_login import login_required
from werkzeug.exceptions import HTTPException

from wallet.api.oauth import server
from wallet.extensions import csrf
from wallet.extensions import limiter
from wallet.services import badge_api
from wallet.services.oauth import scopes

bp = Blueprint("oauth", __name__)

REGISTRATION_MAX_BYTES = 16 * 1024
TOKEN_MAX_BYTES = 8 * 1024
SECURITY_HEADERS = "wallet_security_headers"  # the web layer's app.extensions key
_DESCRIPTION_SAFE = re.compile(r"[^\x20\x21\x23-\x5b\x5d-\x7e]")


def _json_error(status: int, error: str, description: str) -> Response:
    """Return an RFC 6749 / 7591 style JSON error."""
    body = {"error": error, "error_description": _DESCRIPTION_SAFE.sub("", description)[:300]}
    response = Response(json.dumps(body), status=status, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


def _too_large(cap: int) -> bool:
    """Return whether the request body is larger than cap (declared or not)."""
    if request.content_length is not None and request.content_length > cap:
        return True
    request.max_content_length = cap
    return False


@bp.post("/oauth/register")
@csrf.exempt
@limiter.limit(lambda: current_app.config["RATELIMIT_API_REGISTER"], key_func=get_remote_address)
def register() -> Response:
    """RFC 7591 dynamic registration, open (no initial access token), JSON in and out."""
    if _too_large(REGISTRATION_MAX_BYTES):
        return _json_error(413, "invalid_client_metadata", "the registration is too large")
    if request.mimetype != "application/json":
        return _json_error(400, "invalid_client_metadata", "send the metadata as application/json")
    if not isinstance(request.get_json(silent=True), dict):
        return _json_error(400, "invalid_client_metadata", "the body must be a JSON object")
    response = server.current().create_endpoint_response("client_registration")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/oauth/token")
@csrf.exempt
@limiter.limit(lambda: current_app.config["RATELIMIT_API_TOKEN"], key_func=get_remote_address)
def token() -> Response:
    """Exchange a code (with its PKCE verifier) or a refresh token for tokens."""
    if _too_large(TOKEN_MAX_BYTES):
        return _json_error(413, "invalid_request", "the request is too large")
    return server.current().create_token_response()


@bp.post("/oauth/revoke")
@csrf.exempt
@limiter.limit(lambda: current_app.config["RATELIMIT_API_TOKEN"], key_func=get_remote_address)
def revoke() -> Response:
    """RFC 7009: the client revokes an access or refresh token it holds."""
    if _too_large(TOKEN_MAX_BYTES):
        return _json_error(413, "invalid_request", "the request is too large")
    return server.current().create_endpoint_response("revocation")


@bp.route("/oauth/authorize", methods=["GET", "POST"])
@login_required
def authorize() -> Response:
    """The holder's consent page: who asks, for what; approve or deny (plain HTML forms)."""
    authorization = server.current()
    holder = current_user._get_current_object()  # noqa: SLF001 (Authlib keeps the object)
    try:
        grant = authorization.get_consent_grant(end_user=holder)
    except OAuth2Error as error:
        if error.redirect_uri:
            # The client and its redirect URI are known good: the client hears why.
            return authorization.handle_error_response(None, error)
        return _invalid_request(error.description or error.error or "")
    if request.method == "POST":
        if request.form.get("decision") != "approve":
            return authorization.create_authorization_response(grant_user=None, grant=grant)
        grant.request.consent = _badge_choice()
        return authorization.create_authorization_response(grant_user=holder, grant=grant)
    return _consent_page(grant, holder)


def _badge_choice() -> dict[str, Any]:
    """Return which badges the holder lets the application read (from the consent form)."""
    if request.form.get("badges") != "selected":
        return {"badges": "public", "badge_ids": []}
    ids = [int(v) for v in request.form.getlist("badge") if v.isdigit() and len(v) < 12]
    return {"badges": "selected", "badge_ids": ids}


def _consent_page(grant: Any, holder: Any) -> Response:
    """Render the consent page; its CSP lets the form's redirect reach the application."""
    client = grant.client.record
    requested = scopes.split(grant.request.scope)
    listed = [scopes.known(uri) for uri in requested]
    reads_badges = any(s is not None and s.kind == "read-badges" for s in listed)
    body = render_template(
        "oauth/consent.html",
        client=client,
        client_host=urlsplit(client.client_uri).hostname or client.client_uri,
        redirect_host=urlsplit(grant.redirect_uri).netloc,
        reads=[s for s in listed if s is not None and s.kind.startswith("read")],
        writes=[s for s in listed if s is not None and s.kind == "write"],
        offline=scopes.OFFLINE_ACCESS in requested,
        badges=badge_api.badges_for_consent(holder) if reads_badges else [],
        reads_badges=reads_badges,
        query=request.query_string.decode("ascii", "replace"),
    )
    response = Response(body, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = _policy_allowing(grant.redirect_uri)
    return response


def _policy_allowing(redirect_uri: str) -> str:
    """Return the site's CSP with the application's origin added to form-action.

    Browsers apply form-action to the redirect that answers a form: without the origin, the
    holder's approval would be blocked on its way back to the application.
    """
    parts = urlsplit(redirect_uri)
    origin = f"{parts.scheme}://{parts.netloc}"
    headers = dict(current_app.extensions.get(SECURITY_HEADERS, ()))
    policy = headers.get("Content-Security-Policy", "form-action 'self'")
    return policy.replace("form-action 'self'", f"form-action 'self' {origin}")


def _invalid_request(detail: str) -> Response:
    """Tell the holder the request cannot be trusted (no redirect: the target is not known)."""
    body = render_template(
        "oauth/invalid.html",
        detail=_DESCRIPTION_SAFE.sub("", detail)[:300],
        title=_("This request cannot be used"),
    )
    response = Response(body, status=400, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(413)
@bp.errorhandler(429)
def machine_error(error: HTTPException) -> Response:
    """Answer too-large and too-many requests to the OAuth endpoints in JSON (RFC 6749 style)."""
    status = error.code or 400
    response = _json_error(status, "invalid_request", error.description or error.name)
    if status == 429:
        response.headers["Retry-After"] = str(getattr(error, "retry_after", None) or 60)
    return response
