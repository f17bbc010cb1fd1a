"""The holder's own data: export the whole account as a zip, delete the account."""

from __future__ import annotations

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import session
from flask import url_for
from flask.wrappers import Response
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_login import login_required
from flask_login import logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import InputRequired
from wtforms.validators import Length

from wallet.extensions import limiter
from wallet.services import export
from wallet.web.forms import ConfirmForm
from wallet.web.holder_limits import heavy
from wallet.web.rendering import redirect_to
from wallet.web.rendering import render_page
from wallet.web.signin import fresh_required
from wallet.web.visitors import signed_in_user

bp = Blueprint("data", __name__, url_prefix="/account")

DELETE_TARGET = "delete-form"


class DeleteAccountForm(FlaskForm):
    """Delete the account: the password is asked again."""

    password = PasswordField(
        _l("Your password"),
        validators=[InputRequired(message=_l("Enter your password.")), Length(max=200)],
    )


def _delete_key() -> str:
    """Rate-limit key: password checks of the signed-in holder (shared with other forms)."""
    return f"password-check:{current_user.id}"


@bp.get("/export")
@login_required
@fresh_required()
def export_page() -> Response:
    """Explain what the export contains, with the download button."""
    response = render_page("data/export.html", form=ConfirmForm(formdata=None))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/export")
@login_required
@fresh_required("data.export_page")
@heavy
def export_download() -> Response:
    """Send the whole account as a zip (POST + CSRF: no link or prefetch starts it)."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        return redirect_to(url_for("data.export_page"))
    archive = export.export_zip(current_user)
    response = Response(archive.chunks(), mimetype="application/zip")
    response.call_on_close(archive.close)
    response.content_length = archive.size
    response.headers["Content-Disposition"] = f'attachment; filename="{export.export_name()}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/delete", methods=["GET", "POST"])
@login_required
@limiter.shared_limit(
    lambda: current_app.config["RATELIMIT_PASSWORD_CHECK"],
    scope="password-check",
    methods=["POST"],
    key_func=_delete_key,
    deduct_when=lambda response: response.status_code == 422,
)
def delete_account() -> Response:
    """Delete the account after the password is entered again (the re-authentication)."""
    form = DeleteAccountForm()
    if form.validate_on_submit():
        holder = signed_in_user()
        # Translated before signing out, in the language of the account being deleted.
        done = _("Your account and all its badges have been deleted.")
        if export.delete_account(holder, form.password.data):
            # The account's sessions went with it (ON DELETE CASCADE).
            logout_user()
            session.clear()
            flash(done, "success")
            response = redirect_to(url_for("main.index"))
            # Drop cached pages and htmx history snapshots of the account (notes/security.md §1.8).
            response.headers["Clear-Site-Data"] = '"cache", "storage"'
            return response
        form.password.errors.append(_("The password is not correct. Nothing was deleted."))
    response = render_page(
        "data/delete.html",
        block="delete_form",
        target=DELETE_TARGET,
        status=422 if form.errors else 200,
        form=form,
    )
    response.headers["Cache-Control"] = "no-store"
    return response
