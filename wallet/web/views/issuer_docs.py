"""Public issuer documents: profiles with keys, status lists, achievements and their images."""

from __future__ import annotations

from flask import Blueprint
from flask import Response
from flask import abort
from flask import request

from wallet.services.issuing import credentials as issuer_documents

bp = Blueprint("issuer_docs", __name__)

# Verifiers anywhere (browser-based ones too) must be able to read these.
CACHE_SECONDS = {"image/png": 86400, issuer_documents.JSON_LD: 300, issuer_documents.VC_LD: 60}


def _serve() -> Response:
    """Answer the published document at this path (the service decides what exists)."""
    found = issuer_documents.document_at(request.path)
    if found is None:
        abort(404)
    content_type, body = found
    response = Response(body, content_type=content_type)
    if content_type != "image/png":
        response.headers["Content-Type"] = f"{content_type}; charset=utf-8"
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS.get(content_type, 60)}"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.get("/issuers/<slug>")
def profile(slug: str) -> Response:
    """The issuer Profile (JSON-LD): the issuer id, and the key it signs with."""
    return _serve()


@bp.get("/issuers/<slug>.png")
def issuer_image(slug: str) -> Response:
    """The issuer's image (our re-encoded PNG)."""
    return _serve()


@bp.get("/status/<slug>/<int:number>")
def status_list(slug: str, number: int) -> Response:
    """A signed BitstringStatusListCredential (revocation)."""
    return _serve()


@bp.get("/achievements/<public_id>")
def achievement(public_id: str) -> Response:
    """An Achievement (badge class) document."""
    return _serve()


@bp.get("/achievements/<public_id>.png")
def achievement_image(public_id: str) -> Response:
    """An achievement's image."""
    return _serve()
