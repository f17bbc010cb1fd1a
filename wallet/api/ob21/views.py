"""OB 2.1 API endpoints: the manifest, assertions (read, push), the holder's profile."""

from __future__ import annotations

from flask import Blueprint
from flask import Response
from flask import current_app
from flask import json
from flask import request
from flask import url_for
from flask_limiter.util import get_remote_address
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import MethodNotAllowed

from wallet.api.oauth import protect
from wallet.api.ob21 import envelope
from wallet.api.ob21 import manifest
from wallet.api.ob21 import openapi
from wallet.api.ob21.refusals import refusal
from wallet.api.ob21.scopes import ASSERTION_CREATE
from wallet.api.ob21.scopes import ASSERTION_READ
from wallet.api.ob21.scopes import PROFILE_READ
from wallet.api.paging import link_header
from wallet.api.paging import query_number
from wallet.extensions import csrf
from wallet.extensions import limiter
from wallet.services import badge_api
from wallet.services import badge_api21
from wallet.services import badges
from wallet.services.badge_import import ImportFailed
from wallet.services.oauth import grants as consent

bp = Blueprint("ob21", __name__, url_prefix=manifest.BASE_PATH)
well_known = Blueprint("ob21_manifest", __name__)
csrf.exempt(bp)  # bearer tokens, never cookies: no cross-site request can carry one

JSON_TYPES = ("application/json", "application/ld+json")


def _api_limit() -> str:
    return current_app.config["RATELIMIT_API"]


def _upsert_limit() -> str:
    return current_app.config["RATELIMIT_API_UPSERT"]


def _refuse(status: int, text: str, headers: dict[str, str]) -> Response:
    """Answer a refused token in the envelope: 401, scope refusals as PERMISSION_DENIED."""
    if status == 403:
        # The 2.1 specification answers a missing scope with 401 PERMISSION_DENIED.
        return envelope.error(401, text, text=envelope.PERMISSION_DENIED, headers=headers)
    return envelope.error(status, text, headers=headers)


def _public_document(document: object) -> Response:
    response = Response(json.dumps(document), mimetype="application/json")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@well_known.get(manifest.MANIFEST_PATH)
@limiter.limit(_api_limit, key_func=get_remote_address)
def badge_connect_manifest() -> Response:
    """The Badge Connect manifest: where to register, authorize, get tokens and call the API."""
    config = current_app.config
    base = config["BASE_URL"]
    return _public_document(
        manifest.document(
            base,
            name="Badge Wallet",
            image=base + url_for("static", filename="img/favicon.svg"),
            terms_url=config.get("API_TERMS_URL") or base + "/",
            privacy_url=config.get("API_PRIVACY_URL") or base + "/",
        )
    )


@bp.get("/discovery")
@limiter.limit(_api_limit, key_func=get_remote_address)
def service_description() -> Response:
    """An OpenAPI description of this host's 2.1 endpoints (for developers and test tools)."""
    return _public_document(openapi.document(current_app.config["BASE_URL"]))


@bp.get("/assertions")
@limiter.limit(_api_limit, key_func=protect.rate_key)
@protect.require(ASSERTION_READ, _refuse)
def get_assertions() -> Response:
    """Return one page of the assertions this client may read, with paging headers."""
    cap = int(current_app.config["API_PAGE_LIMIT"])
    try:
        limit = query_number("limit", default=cap, minimum=1)
        offset = query_number("offset", default=0, minimum=0)
    except ValueError as exc:
        return envelope.error(400, str(exc), text=envelope.VALIDATION)
    try:
        since = badge_api.parse_since(request.args.get("since"))
    except ValueError:
        message = "since must be an ISO 8601 timestamp with a time zone"
        return envelope.error(400, message, text=envelope.VALIDATION)
    limit = min(limit, cap)
    page = badge_api21.list_assertions(
        protect.connection(), limit=limit, offset=offset, since=since
    )
    response = envelope.ok(assertions=page.assertions, signedAssertions=page.signed)
    response.headers["X-Total-Count"] = str(page.total)
    response.headers["Link"] = link_header(page.total, limit, offset)
    return response


@bp.post("/assertions")
@limiter.limit(_api_limit, key_func=protect.rate_key)
@limiter.limit(_upsert_limit, key_func=protect.rate_key)
@protect.require(ASSERTION_CREATE, _refuse)
def post_assertion() -> Response:
    """Verify a pushed assertion and add or update it (200), or say why not (nothing stored)."""
    if request.mimetype not in JSON_TYPES:
        return envelope.error(415, "Send the Assertion Payload as application/json.")
    cap = int(current_app.config["API_MAX_BODY_BYTES"])
    if request.content_length is not None and request.content_length > cap:
        return envelope.error(413, f"The body is larger than {cap} bytes.")
    body = request.stream.read(cap + 1)
    if len(body) > cap:
        return envelope.error(413, f"The body is larger than {cap} bytes.")
    try:
        badge_api21.push(protect.connection(), body, fetcher=badges.make_fetcher())
    except ImportFailed as failure:
        text, message = refusal(failure)
        return envelope.error(400, message, text=text)
    return envelope.ok()


@bp.get("/profile")
@limiter.limit(_api_limit, key_func=protect.rate_key)
@protect.require(PROFILE_READ, _refuse)
def get_profile() -> Response:
    """Return the holder's profile."""
    user = consent.user_of(protect.connection())
    return envelope.ok(profile=badge_api21.profile_of(user))


def refuse_other_methods() -> Response | None:
    """Answer a method a known 2.1 path does not take with 405 + Allow, in the envelope.

    Routing fails before any blueprint handler could answer, so this runs as a before_request
    hook of the app, for paths under the API (and the manifest) only.
    """
    error = request.routing_exception
    if not isinstance(error, MethodNotAllowed):
        return None
    path = request.path.rstrip("/")
    if path != manifest.MANIFEST_PATH and not request.path.startswith(bp.url_prefix or ""):
        return None
    allowed = set(error.valid_methods or ()) - {"HEAD", "OPTIONS"}
    known = {bp.url_prefix + p for p in ("/assertions", "/profile", "/discovery")}
    if allowed == {"GET"} and path not in known | {manifest.MANIFEST_PATH}:
        return envelope.error(404, "No such endpoint.")  # only the catch-all GET route matched
    return envelope.error(405, "Method not allowed.", headers={"Allow": ", ".join(sorted(allowed))})


@bp.get("/<path:rest>")
def unknown(rest: str) -> Response:
    """Answer unknown paths under the API with 404 in the envelope."""
    return envelope.error(404, "No such endpoint.")


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException) -> Response:
    """Answer HTTP errors inside the API (413, 429, ...) in the envelope."""
    status = error.code or 500
    response = envelope.error(status, error.description or error.name)
    if status == 429:
        response.headers["Retry-After"] = str(getattr(error, "retry_after", None) or 60)
    return response


@bp.errorhandler(Exception)
def unexpected(error: Exception) -> Response:
    """Answer an unexpected failure in the envelope (logged; no detail leaks)."""
    current_app.logger.exception("OB 2.1 API error")
    from wallet.extensions import db

    db.session.rollback()
    return envelope.error(500, "The request could not be completed.")
