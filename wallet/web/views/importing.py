"""Bringing a badge into the wallet: the import dialog (a file, a web address or pasted text)."""

from __future__ import annotations

import re

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import request
from flask import url_for
from flask.wrappers import Response
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import current_user
from flask_login import login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import StringField
from wtforms import TextAreaField
from wtforms.validators import Length
from wtforms.validators import Optional

from wallet.extensions import limiter
from wallet.services import badge_import
from wallet.web.forms import strip
from wallet.web.import_errors import confirmed_addresses_text
from wallet.web.import_errors import failure_text
from wallet.web.rendering import redirect_to
from wallet.web.rendering import render_page
from wallet.web.visitors import signed_in_user

bp = Blueprint("importing", __name__)

IMPORT_TARGET = "import-form"


class ImportForm(FlaskForm):
    """Bring in a badge: a baked image or file, a URL, or pasted JSON / JWS / VC-JWT text."""

    file = FileField(_l("Badge file"))
    url = StringField(_l("Badge URL"), validators=[Optional(), Length(max=2000)], filters=[strip])
    text = TextAreaField(_l("Badge text (JSON, JWS or VC-JWT)"), filters=[strip])


def _import_limit() -> str:
    return current_app.config["RATELIMIT_IMPORT"]


def _import_key() -> str:
    """Rate-limit imports per account, whatever the IP."""
    if current_user.is_authenticated:
        return f"import-user:{current_user.id}"
    return "import-ip:" + get_remote_address()


def _way() -> str | None:
    """Return which of the three forms was sent (its field is always in the request)."""
    if "file" in request.files:
        return "file"
    for way in ("url", "text"):
        if way in request.form:
            return way
    return None


@bp.route("/badges/import", methods=["GET", "POST"])
@login_required
@limiter.limit(_import_limit, methods=["POST"], key_func=_import_key)
def import_badge() -> Response:
    """Show the import dialog; add a badge from an uploaded file, a URL or pasted text.

    A refusal is shown at the control that was used, which takes the focus (autofocus, with
    and without htmx), so a phone scrolls to it rather than leaving it above the screen.
    """
    form = ImportForm()
    error: str | None = None
    if form.validate_on_submit():
        source, error = _source_of(form)
        if source is not None:
            try:
                outcome = badge_import.import_badge(signed_in_user(), source)
            except badge_import.ImportFailed as failure:
                error = failure_text(failure)
            else:
                if outcome.created:
                    flash(_("The badge was added to your wallet."), "success")
                else:
                    flash(_("This badge is already in your wallet."), "info")
                return redirect_to(url_for("wallet.show", badge_id=outcome.badge.id))
    elif request.method == "POST":
        error = _("Please check what you entered.")
    status = 422 if request.method == "POST" else 200
    return render_page(
        "wallet/import.html",
        block="import_form",
        target=IMPORT_TARGET,
        status=status,
        form=form,
        error=error,
        error_way=_way() if error else None,
        # Badges issued to any confirmed address of the holder can be added.
        user_email=confirmed_addresses_text(),
    )


def _source_of(form: ImportForm) -> tuple[bytes | str | None, str | None]:
    """Return the badge source the holder gave (file, URL or text), or an error text."""
    config = current_app.config
    upload = form.file.data
    if upload is not None and getattr(upload, "filename", ""):
        cap = int(config["IMPORT_MAX_FILE_BYTES"])
        data = upload.stream.read(cap + 1)
        if len(data) > cap:
            megabytes = cap // (1024 * 1024)
            return None, _("The file is too large (at most %(size)s MB).", size=megabytes)
        if not data:
            return None, _("The file is empty.")
        return data, None
    if form.url.data:
        url = form.url.data
        if not re.match(r"^https?://\S+$", url, re.IGNORECASE):
            return None, _("Enter a web address that starts with https://.")
        return url, None
    if form.text.data:
        text = form.text.data
        cap = int(config["IMPORT_MAX_TEXT_BYTES"])
        if len(text.encode("utf-8")) > cap:
            return None, _("The text is too large (at most %(size)s KB).", size=cap // 1024)
        return text, None
    return None, _("Choose a badge file, paste its web address, or paste its text.")
