"""The portal's OpenID4VCI issuer endpoints: offers, metadata, token, nonce and credential."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask import Response
from flask import abort
from flask import g
from flask import jsonify
from flask import request
from flask_limiter.util import get_remote_address

from wallet.extensions import csrf
from wallet.extensions import limiter
from wallet.models import Issuer
from wallet.services import qr
from wallet.services.issuing import offers
from wallet.services.issuing.issuers import get_issuer

bp = Blueprint("oid4vci", __name__)
csrf.exempt(bp)  # codes and bearer tokens, never cookies: no cross-site request can carry one

LIMIT = "60/minute"
MAX_BODY = 64 * 1024


@bp.before_request
def _cookieless() -> None:
    g.cookieless = True


def _json(document: dict[str, Any], status: int = 200, *, private: bool = True) -> Response:
    response = jsonify(document)
    response.status_code = status
    # Codes, tokens and nonces must not be kept by any cache; metadata may be, briefly.
    response.headers["Cache-Control"] = "no-store" if private else "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _error(problem: offers.OfferProblem) -> Response:
    body: dict[str, Any] = {"error": problem.error}
    if problem.error == "invalid_nonce":
        body["c_nonce"] = offers.new_nonce()
    response = _json(body, problem.status)
    if problem.status == 401:
        response.headers["WWW-Authenticate"] = f'Bearer error="{problem.error}"'
    return response


def _issuer(slug: str) -> Issuer:
    issuer = get_issuer(slug) if len(slug) <= 64 else None
    if issuer is None:
        abort(404)
    return issuer


@bp.get("/oid4vci/offers/<public_id>")
@limiter.limit(LIMIT, key_func=get_remote_address)
def offer(public_id: str) -> Response:
    """The credential offer an award notice points at (its pre-authorized code)."""
    document = offers.offer_document(public_id)
    if document is None:
        return _json({"error": "not_found"}, 404)
    return _json(document)


@bp.get("/oid4vci/offers/<public_id>/qr.png")
@limiter.limit(LIMIT, key_func=get_remote_address)
def offer_qr(public_id: str) -> Response:
    """The offer link as a QR code (shown in the award notice beside the claim link)."""
    link = offers.live_link(public_id)
    if link is None:
        abort(404)
    response = Response(qr.png(link), mimetype="image/png")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/.well-known/openid-credential-issuer/oid4vci/<slug>")
@bp.get("/oid4vci/<slug>/.well-known/openid-credential-issuer")
def issuer_metadata(slug: str) -> Response:
    """Credential Issuer Metadata (1.0 location, and the drafts' appended one)."""
    return _json(offers.issuer_metadata(_issuer(slug)), private=False)


@bp.get("/.well-known/oauth-authorization-server/oid4vci/<slug>")
def server_metadata(slug: str) -> Response:
    """OAuth 2.0 authorization server metadata: the issuer is its own server."""
    return _json(offers.server_metadata(_issuer(slug)), private=False)


@bp.post("/oid4vci/<slug>/token")
@limiter.limit(LIMIT, key_func=get_remote_address)
def token(slug: str) -> Response:
    """Exchange a pre-authorized code for an access token (once)."""
    issuer = _issuer(slug)
    if request.form.get("grant_type") != offers.GRANT:
        return _json({"error": "unsupported_grant_type"}, 400)
    try:
        access, lifetime = offers.exchange_code(issuer, request.form.get("pre-authorized_code", ""))
    except offers.OfferProblem as problem:
        return _error(problem)
    return _json(
        {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": lifetime,
            # Drafts up to 13 handed the first nonce out here.
            "c_nonce": offers.new_nonce(),
            "c_nonce_expires_in": offers.NONCE_AGE,
        }
    )


@bp.post("/oid4vci/<slug>/nonce")
@limiter.limit(LIMIT, key_func=get_remote_address)
def nonce(slug: str) -> Response:
    """A fresh c_nonce for the proof of possession."""
    _issuer(slug)
    return _json({"c_nonce": offers.new_nonce()})


@bp.post("/oid4vci/<slug>/credential")
@limiter.limit(LIMIT, key_func=get_remote_address)
def credential(slug: str) -> Response:
    """Issue the offered award, bound to the key the wallet proved."""
    issuer = _issuer(slug)
    scheme, _, access = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not access:
        return _error(offers.OfferProblem("invalid_token", 401))
    if (request.content_length or 0) > MAX_BODY:
        return _json({"error": "invalid_credential_request"}, 400)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _json({"error": "invalid_credential_request"}, 400)
    try:
        return _json(offers.issue(issuer, access.strip(), body))
    except offers.OfferProblem as problem:
        return _error(problem)
