"""Receiving by OpenID4VCI: paste or scan an offer, see who offers what, enter the PIN, take it.

A web wallet cannot register the ``openid-credential-offer://`` scheme, so an offer arrives by
the paste box (or the in-page scanner that fills it), or at /receive/offer, this wallet's
``credential_offer_endpoint`` (issuers link to it with ``credential_offer`` or
``credential_offer_uri``). Every step is a plain form; htmx only swaps the fragment.
"""

from __future__ import annotations

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import request
from flask import url_for
from flask.wrappers import Response
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_limiter.util import get_remote_address
from flask_login import current_user
from flask_login import login_required

from wallet.extensions import limiter
from wallet.services import badge_import
from wallet.services import receiving
from wallet.web.import_errors import failure_text as import_failure_text
from wallet.web.receive_text import failure_text
from wallet.web.rendering import redirect_to
from wallet.web.rendering import render_page
from wallet.web.visitors import signed_in_user

bp = Blueprint("receive", __name__)

RECEIVE_TARGET = "receive-form"
# The scanner needs the camera on this page only (every other page keeps camera=()).
CAMERA_POLICY = "camera=(self), microphone=(), geolocation=()"


def _limit() -> str:
    return current_app.config["RATELIMIT_IMPORT"]


def _key() -> str:
    if current_user.is_authenticated:
        return f"receive-user:{current_user.id}"
    return "receive-ip:" + get_remote_address()


def _start(error: str | None = None, text: str = "", status: int = 200) -> Response:
    response = render_page(
        "receive/start.html",
        block="receive_form",
        target=RECEIVE_TARGET,
        status=status,
        error=error,
        text=text,
    )
    response.headers["Permissions-Policy"] = CAMERA_POLICY
    return response


def _confirm(
    prepared: receiving.Prepared, *, error: str | None = None, status: int = 200
) -> Response:
    return render_page(
        "receive/confirm.html",
        block="receive_form",
        target=RECEIVE_TARGET,
        status=status,
        prepared=prepared,
        issuer_name=_name(prepared.metadata.names) or prepared.offer.credential_issuer,
        names=[_name(c.names) or c.id for c in prepared.configurations],
        token=receiving.pack(signed_in_user(), prepared.offer),
        tx_code=prepared.offer.tx_code,
        error=error,
    )


def _name(names: dict[str, str]) -> str | None:
    """Return the display name in the reader's language, else English, else any."""
    from flask_babel import get_locale

    lang = str(get_locale() or "en")
    return names.get(lang) or names.get("en") or names.get("") or next(iter(names.values()), None)


def _prepare(text: str) -> Response:
    try:
        prepared = receiving.prepare(text)
    except receiving.ReceiveFailed as failure:
        return _start(failure_text(failure.code), text, 422)
    return _confirm(prepared)


@bp.get("/receive")
@login_required
def start() -> Response:
    """The paste box and the scanner."""
    return _start()


@bp.post("/receive")
@login_required
@limiter.limit(_limit, key_func=_key)
def read_offer() -> Response:
    """Read a pasted or scanned offer; show who offers what (and ask for the PIN)."""
    text = (request.form.get("offer") or "").strip()
    if not text:
        return _start(_("Paste the offer link or scan its QR code."), status=422)
    return _prepare(text)


@bp.get("/receive/offer")
@login_required
@limiter.limit(_limit, key_func=_key)
def offer_endpoint() -> Response:
    """This wallet's credential_offer_endpoint: an issuer's link lands the holder here."""
    query = request.query_string.decode("ascii", "replace")
    if not query or len(query) > 16_000:
        return _start()
    return _prepare("openid-credential-offer://?" + query)


@bp.post("/receive/accept")
@login_required
@limiter.limit(_limit, key_func=_key)
def accept() -> Response:
    """Take the offer: the PIN, the token, the proof of the holder's key, the credentials."""
    user = signed_in_user()
    offer = receiving.unpack(user, request.form.get("offer", ""))
    if offer is None:
        return _start(failure_text("expired"), status=422)
    pin = (request.form.get("pin") or "").strip()
    try:
        outcomes = receiving.receive(user, offer, pin)
    except (receiving.ReceiveFailed, badge_import.ImportFailed) as failure:
        if isinstance(failure, badge_import.ImportFailed):
            text = failure_text(failure.code) or import_failure_text(failure)
        else:
            text = failure_text(failure.code)
        if isinstance(failure, receiving.ReceiveFailed) and failure.code.startswith("pin"):
            try:
                return _confirm(receiving.prepare_again(offer), error=text, status=422)
            except receiving.ReceiveFailed as again:
                text = failure_text(again.code)
        return _start(text, status=422)
    added = sum(1 for o in outcomes if o.created)
    if added:
        flash(
            ngettext(
                "The issuer's badge was added to your wallet.",
                "The issuer's %(num)d badges were added to your wallet.",
                added,
            ),
            "success",
        )
    else:
        flash(_("This badge is already in your wallet."), "info")
    return redirect_to(url_for("wallet.show", badge_id=outcomes[0].badge.id))
