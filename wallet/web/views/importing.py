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
from wallet.services import addresses
from wallet.services import badge_import
from wallet.web.forms import strip
from wallet.web.i18n import check_text
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


@bp.route("/badges/import", methods=["GET", "POST"])
@login_required
@limiter.limit(_import_limit, methods=["POST"], key_func=_import_key)
def import_badge() -> Response:
    """Show the import dialog; add a badge from an uploaded file, a URL or pasted text."""
    form = ImportForm()
    error: str | None = None
    if form.validate_on_submit():
        source, error = _source_of(form)
        if source is not None:
            try:
                outcome = badge_import.import_badge(signed_in_user(), source)
            except badge_import.ImportFailed as failure:
                error = _failure_text(failure)
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
        # Badges issued to any confirmed address of the holder can be added.
        user_email=", ".join(addresses.confirmed_addresses(signed_in_user())) or current_user.email,
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


def _failure_text(failure: badge_import.ImportFailed) -> str:
    """Say in plain words why a badge was not added."""
    code = failure.code
    reason = check_text(failure.message_id, failure.params)
    # Refused, unresolvable and unreachable addresses get one message: telling them apart
    # would let anyone map which internal names exist (security notes S13).
    if code == "fetch.timeout":
        return _(
            "The address took too long to answer. Please try again later, or upload the badge file."
        )
    if code in ("fetch.too_large", "input.too_large"):
        return _("The badge is too large to be read.")
    if code.startswith("fetch."):
        return _(
            "The badge could not be fetched from that address. "
            "Check the address, or download the badge and upload the file."
        )
    if code in ("input.not_a_badge", "not_a_badge"):
        return _(
            "No Open Badge was found in this file or text. An image saved to the photo library "
            "may have lost its badge data: use the original file from the Files app."
        )
    if code == "not_an_open_badge":
        return _(
            "This is a verifiable credential, but not an Open Badge, so it cannot be added to "
            "the wallet."
        )
    if code.startswith("input."):
        return _("This file or text could not be read as a badge.")
    if code == "not_yours":
        return _(
            "This badge was issued to someone else: its recipient is not %(email)s. If it is "
            "yours, ask the issuer to issue it to this address.",
            # Every confirmed address of the holder was compared (services/addresses.py).
            email=", ".join(addresses.confirmed_addresses(signed_in_user())) or current_user.email,
        )
    if code == "no_recipient":
        return _(
            "This badge does not say who it was awarded to, so it cannot be added to a wallet. "
            "Ask the issuer to issue it to %(email)s.",
            email=current_user.email,
        )
    if code == "other_identity":
        return _(
            "This badge names its recipient by an identifier that is not this account's email "
            "address. Ask the issuer to issue it to %(email)s.",
            email=current_user.email,
        )
    if code == "issuer_unconfirmed":
        return _(
            "The badge's signature is intact, but nothing published by %(issuer)s confirms the "
            "key that signed it, so it cannot be shown as valid. Ask the issuer to publish its "
            "signing key in its issuer profile or DID document, then add the badge again.",
            issuer=failure.params.get("issuer") or _("the issuer"),
        )
    if code == "email_unconfirmed":
        return _(
            "Please confirm your email address first (use the link we mailed to %(email)s), "
            "then add the badge again.",
            email=failure.params.get("address") or current_user.email,
        )
    texts = {
        "invalid": _("The badge is not valid: its signature or content does not check out."),
        "revoked": _("The issuer has revoked this badge."),
        "expired": _("This badge has expired."),
        "not_yet_valid": _("This badge is not valid yet."),
        "unverifiable": _(
            "The badge could not be verified right now: something the issuer publishes could "
            "not be reached. Please try again later."
        ),
    }
    text = texts.get(code, _("The badge could not be added."))
    return f"{text} {reason}".strip() if reason else text
