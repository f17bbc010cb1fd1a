"""Connected applications (disconnect) and "bring badges from another wallet" (the API client)."""

from __future__ import annotations

import hmac

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import flash
from flask import request
from flask import session
from flask import url_for
from flask.wrappers import Response
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired
from wtforms.validators import Length

from wallet.extensions import limiter
from wallet.services import remote_import
from wallet.services.badge_import import ImportFailed
from wallet.services.oauth import grants
from wallet.web.forms import strip
from wallet.web.import_errors import failure_text
from wallet.web.rendering import redirect_to
from wallet.web.rendering import render_page
from wallet.web.visitors import signed_in_user

bp = Blueprint("connections", __name__)

BRING_TARGET = "bring-form"
SESSION_KEY = "bring"


class BringForm(FlaskForm):
    """The other wallet's address."""

    address = StringField(
        _l("Address of the other wallet"),
        validators=[DataRequired(), Length(max=500)],
        filters=[strip],
    )


@bp.post("/account/connections/<public_id>/disconnect")
@login_required
def disconnect(public_id: str) -> Response:
    """Disconnect an application: its tokens stop working at once."""
    if len(public_id) > 32 or not grants.disconnect(signed_in_user(), public_id):
        abort(404)
    flash(_("The application is disconnected. It can no longer use your wallet."), "success")
    return redirect_to(url_for("account.settings"))


def _bring_key() -> str:
    return f"bring-user:{current_user.id}" if current_user.is_authenticated else "bring-anon"


@bp.route("/account/bring", methods=["GET", "POST"])
@login_required
@limiter.limit(lambda: current_app.config["RATELIMIT_BRING"], methods=["POST"], key_func=_bring_key)
def bring() -> Response:
    """Ask for the other wallet's address; discover it, register, and send the holder there."""
    form = BringForm()
    error = None
    if form.validate_on_submit():
        try:
            started = remote_import.start(signed_in_user(), form.address.data)
        except remote_import.BringFailed as failure:
            error = bring_error(failure.code)
        else:
            session[SESSION_KEY] = {
                "state": started.state,
                "verifier": started.verifier,
                "url": started.authorization_url,
                "run": started.run.public_id,
            }
            return redirect_to(url_for("connections.bring_go", public_id=started.run.public_id))
    status = 422 if request.method == "POST" else 200
    return render_page(
        "account/bring.html",
        block="bring_form",
        target=BRING_TARGET,
        status=status,
        form=form,
        error=error,
    )


@bp.get("/account/bring/<public_id>/go")
@login_required
def bring_go(public_id: str) -> Response:
    """Say where the holder is going, with a plain link there (no form posts off this site)."""
    pending = session.get(SESSION_KEY) or {}
    run = remote_import.run_of(signed_in_user(), public_id)
    if run is None or pending.get("run") != public_id or run.status != "pending":
        abort(404)
    response = render_page("account/bring_go.html", run=run, url=pending["url"])
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/account/bring/callback")
@login_required
def bring_callback() -> Response:
    """The other wallet sends the holder back here: read and import the badges, then report."""
    pending = session.pop(SESSION_KEY, None) or {}
    state = request.args.get("state", "")
    expected = str(pending.get("state", ""))
    run = remote_import.pending(signed_in_user(), state)
    if run is None or not expected or not hmac.compare_digest(state, expected):
        flash(_("This return link is not valid any more. Please start again."), "error")
        return redirect_to(url_for("connections.bring"))
    code = request.args.get("code")
    if request.args.get("error") or not code:
        remote_import.fail(run, "denied")
    else:
        remote_import.finish(signed_in_user(), run, code=code, verifier=pending["verifier"])
    return redirect_to(url_for("connections.bring_report", public_id=run.public_id))


@bp.get("/account/bring/<public_id>")
@login_required
def bring_report(public_id: str) -> Response:
    """Show what came in from the other wallet, what was refused and why."""
    run = remote_import.run_of(signed_in_user(), public_id)
    if run is None or run.status == "pending":
        abort(404)
    lines = remote_import.report_of(run)
    for line in lines:
        if line.get("outcome") == "refused":
            failure = ImportFailed(
                str(line.get("code") or ""), "", line.get("message_id"), line.get("params") or {}
            )
            line["reason"] = failure_text(failure)
    response = render_page(
        "account/bring_report.html",
        run=run,
        lines=lines,
        error=bring_error(run.error) if run.error else None,
        added=sum(1 for line in lines if line.get("outcome") == "added"),
        already=sum(1 for line in lines if line.get("outcome") == "already"),
        refused=sum(1 for line in lines if line.get("outcome") == "refused"),
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def bring_error(code: str) -> str:
    """Say in plain words why bringing badges did not work."""
    texts = {
        "address": _("Enter the web address of the other wallet, starting with https://."),
        "same_wallet": _("That is this wallet. Enter the address of the other one."),
        "registration": _(
            "The other wallet did not let this wallet connect to it. Ask its operators whether "
            "it allows other applications to connect."
        ),
        "token": _("The other wallet did not give access. Please start again."),
        "denied": _("Access was not allowed on the other wallet, so nothing was brought in."),
        "read": _("The other wallet did not hand over your badges. Please try again later."),
    }
    # Unreachable, refused and not-an-API addresses get one message (security notes S13).
    return texts.get(
        code,
        _(
            "No wallet that speaks the Open Badges 3.0 API was found at that address. Check the "
            "address, or ask the other wallet's operators for it."
        ),
    )
