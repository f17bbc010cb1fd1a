"""OB 3.0 API endpoints: discovery, credentials (read, upsert) and the holder's profile."""

from __future__ import annotations

from flask import Blueprint
from flask import Response
from flask import current_app
from flask import json
from flask import request
from flask_limiter.util import get_remote_address
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import MethodNotAllowed

from wallet.api import imsx
from wallet.api.oauth import protect
from wallet.api.ob3 import discovery
from wallet.api.ob3.scopes import CREDENTIAL_READ
from wallet.api.ob3.scopes import CREDENTIAL_UPSERT
from wallet.api.ob3.scopes import PROFILE_READ
from wallet.api.ob3.scopes import PROFILE_UPDATE
from wallet.api.paging import link_header
from wallet.api.paging import query_number
from wallet.extensions import csrf
from wallet.extensions import limiter
from wallet.services import badge_api
from wallet.services import badges
from wallet.services.badge_import import ImportFailed
from wallet.services.oauth import grants as consent

bp = Blueprint("ob3", __name__, url_prefix=discovery.BASE_PATH)
csrf.exempt(bp)  # bearer tokens, never cookies: no cross-site request can carry one

CREDENTIAL_TYPES = ("application/json", "application/vc+ld+json", "text/plain")


def _api_limit() -> str:
    return current_app.config["RATELIMIT_API"]


def _upsert_limit() -> str:
    return current_app.config["RATELIMIT_API_UPSERT"]


def _refuse(status: int, text: str, headers: dict[str, str]) -> Response:
    return imsx.error(status, text, headers=headers)


def _json(document: object, status: int = 200) -> Response:
    response = Response(json.dumps(document), status=status, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/discovery")
@limiter.limit(_api_limit, key_func=get_remote_address)
def service_description() -> Response:
    """The OpenAPI discovery document (no authentication: the spec forbids protecting it)."""
    config = current_app.config
    base = config["BASE_URL"]
    document = discovery.document(
        base,
        title="Badge Wallet",
        terms_url=config.get("API_TERMS_URL") or base + "/",
        privacy_url=config.get("API_PRIVACY_URL") or base + "/",
    )
    response = Response(json.dumps(document), mimetype="application/json")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.get("/credentials")
@limiter.limit(_api_limit, key_func=protect.rate_key)
@protect.require(CREDENTIAL_READ, _refuse)
def get_credentials() -> Response:
    """Return one page of the credentials this client may read, with paging headers."""
    cap = int(current_app.config["API_PAGE_LIMIT"])
    try:
        limit = query_number("limit", default=cap, minimum=1)
        offset = query_number("offset", default=0, minimum=0)
        since = badge_api.parse_since(request.args.get("since"))
    except ValueError as exc:
        return imsx.error(400, str(exc) or "since must be an ISO 8601 date-time")
    limit = min(limit, cap)
    page = badge_api.list_credentials(protect.connection(), limit=limit, offset=offset, since=since)
    response = _json({"credential": page.credentials, "compactJwsString": page.compact_jws})
    response.headers["X-Total-Count"] = str(page.total)
    response.headers["Link"] = link_header(page.total, limit, offset)
    return response


@bp.post("/credentials")
@limiter.limit(_api_limit, key_func=protect.rate_key)
@limiter.limit(_upsert_limit, key_func=protect.rate_key)
@protect.require(CREDENTIAL_UPSERT, _refuse)
def upsert_credential() -> Response:
    """Verify a pushed credential and add (201) or replace (200) it; the body is echoed."""
    media = request.mimetype
    if media not in CREDENTIAL_TYPES:
        return imsx.error(415, "Send application/json, application/vc+ld+json or text/plain.")
    body = _body()
    if isinstance(body, Response):
        return body
    try:
        text = badge_api.parse_body(body, media)
        outcome = badge_api.upsert(protect.connection(), text, fetcher=badges.make_fetcher())
    except ImportFailed as failure:
        status = 409 if failure.code == "conflict" else 400
        return imsx.error(status, refusal_text(failure))
    response = Response(body, status=201 if outcome.created else 200, mimetype=media)
    response.headers["Cache-Control"] = "no-store"
    return response


def _body() -> bytes | Response:
    """Return the request body, or the error response when it is empty or too large."""
    cap = int(current_app.config["API_MAX_BODY_BYTES"])
    if request.content_length is not None and request.content_length > cap:
        return imsx.error(413, f"The body is larger than {cap} bytes.")
    data = request.stream.read(cap + 1)
    if len(data) > cap:
        return imsx.error(413, f"The body is larger than {cap} bytes.")
    if not data:
        return imsx.error(400, "The body is empty.")
    return data


def refusal_text(failure: ImportFailed) -> str:
    """Say in English (for the issuer's developers) why a credential was not stored."""
    texts = {
        "wrong_version": "Only Open Badges 3.0 credentials are accepted here.",
        "not_an_open_badge": "The credential is not an Open Badge (OpenBadgeCredential).",
        "not_a_badge": "No credential was found in the body.",
        "not_yours": "The credential is issued to another recipient than this holder.",
        "no_recipient": "The credential names no recipient.",
        "other_identity": "The credential names its recipient by an identifier this holder "
        "has not confirmed.",
        "email_unconfirmed": "The holder has not confirmed their email address yet.",
        "issuer_unconfirmed": "The signature holds, but nothing the issuer publishes confirms "
        "the signing key.",
        "conflict": "A credential with this id from another issuer is already stored.",
        "invalid": "The credential is not valid (its proof or content does not verify).",
        "revoked": "The credential is revoked.",
        "expired": "The credential has expired.",
        "not_yet_valid": "The credential is not valid yet.",
        "unverifiable": "The credential could not be verified now (an issuer document could "
        "not be had).",
    }
    code = failure.code
    if code in texts:
        text = texts[code]
    elif code.startswith("fetch."):
        text = "A document the credential refers to could not be retrieved."
    else:
        text = "The body could not be read as a credential."
    detail = failure.detail if code.startswith("input.") else ""
    return f"{text} {detail}".strip()


@bp.get("/profile")
@limiter.limit(_api_limit, key_func=protect.rate_key)
@protect.require(PROFILE_READ, _refuse)
def get_profile() -> Response:
    """Return the holder's profile."""
    user = consent.user_of(protect.connection())
    return _json(badge_api.profile_of(user))


@bp.put("/profile")
@limiter.limit(_api_limit, key_func=protect.rate_key)
@protect.require(PROFILE_UPDATE, _refuse)
def put_profile() -> Response:
    """Update the holder's names from a Profile (the email address cannot change)."""
    if request.mimetype != "application/json":
        return imsx.error(415, "Send the profile as application/json.")
    body = _body()
    if isinstance(body, Response):
        return body
    try:
        data = json.loads(body)
    except ValueError:
        return imsx.error(400, "The body is not JSON.")
    user = consent.user_of(protect.connection())
    try:
        return _json(badge_api.put_profile(user, data))
    except badge_api.ProfileRefused as refused:
        return imsx.error(400, str(refused))


def refuse_other_methods() -> Response | None:
    """Answer a method a known API path does not take with 405 + Allow, in the API's format.

    Routing fails before any blueprint handler could answer, so this runs as a before_request
    hook of the app, for paths under the API only.
    """
    error = request.routing_exception
    if not isinstance(error, MethodNotAllowed) or not request.path.startswith(bp.url_prefix or ""):
        return None
    allowed = set(error.valid_methods or ()) - {"HEAD", "OPTIONS"}
    if allowed == {"GET"} and request.path.rstrip("/") != bp.url_prefix + "/discovery":
        return imsx.error(404, "No such endpoint.")  # only the catch-all GET route matched
    return imsx.error(405, "Method not allowed.", headers={"Allow": ", ".join(sorted(allowed))})


@bp.get("/<path:rest>")
def unknown(rest: str) -> Response:
    """Answer unknown paths under the API with 404 in the API's error format."""
    return imsx.error(404, "No such endpoint.")


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException) -> Response:
    """Answer HTTP errors inside the API (413, 429, ...) as Imsx_StatusInfo."""
    status = error.code or 500
    response = imsx.error(status, error.description or error.name)
    if status == 429:
        response.headers["Retry-After"] = str(getattr(error, "retry_after", None) or 60)
    return response


@bp.errorhandler(Exception)
def unexpected(error: Exception) -> Response:
    """Answer an unexpected failure as Imsx_StatusInfo (logged; no detail leaks)."""
    current_app.logger.exception("OB 3.0 API error")
    from wallet.extensions import db

    db.session.rollback()
    return imsx.error(500, "The request could not be completed.")
