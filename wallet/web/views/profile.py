"""The public profile's bio and photo, edited by the holder (shown only while the profile is on)."""

from __future__ import annotations

from flask import Blueprint
from flask import abort
from flask import flash
from flask import url_for
from flask.wrappers import Response
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import TextAreaField

from wallet.services import profiles
from wallet.web.forms import ConfirmForm
from wallet.web.holder_limits import heavy
from wallet.web.rendering import redirect_to
from wallet.web.rendering import render_page
from wallet.web.visitors import signed_in_user

bp = Blueprint("profile", __name__, url_prefix="/account/profile")

BIO_TARGET = "bio-form"
PHOTO_TARGET = "photo-form"
PROBLEMS = {
    "unverified": _l("Confirm your email address first (use the link we mailed to it)."),
    "bio_long": _l("Use at most %(count)s characters.", count=profiles.BIO_MAX_CHARS),
    "bio_characters": _l(
        "Use plain text of at most %(lines)s lines, without control characters.",
        lines=profiles.BIO_MAX_LINES,
    ),
    "photo_large": _l(
        "The photo is too large (at most %(size)s MB).",
        size=profiles.PHOTO_MAX_BYTES // (1024 * 1024),
    ),
    "photo_unreadable": _l(
        "This file could not be read as a photo. Use a JPEG, PNG or WebP image."
    ),
    "photo_missing": _l("Choose a photo first."),
}


class BioForm(FlaskForm):
    """A few lines about the holder, plain text."""

    bio = TextAreaField(_l("About you"))


class PhotoForm(FlaskForm):
    """A photo of the holder (re-encoded by the server)."""

    photo = FileField(_l("Photo"))


def _page(
    bio_form: BioForm | None = None,
    photo_form: PhotoForm | None = None,
    *,
    block: str | None = None,
    target: str | None = None,
    status: int = 200,
) -> Response:
    holder = signed_in_user()
    if bio_form is None:
        bio_form = BioForm(formdata=None, data={"bio": holder.profile_bio or ""})
    response = render_page(
        "account/profile.html",
        block=block,
        target=target,
        status=status,
        bio_form=bio_form,
        photo_form=photo_form or PhotoForm(formdata=None),
        photo_version=profiles.photo_version(holder),
        bio_max=profiles.BIO_MAX_CHARS,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("")
@login_required
def index() -> Response:
    """The bio and photo of the public profile, with whether the profile is on."""
    return _page()


@bp.post("/bio")
@login_required
def save_bio() -> Response:
    """Save the bio (empty removes it)."""
    form = BioForm()
    if form.validate_on_submit():
        try:
            profiles.set_bio(signed_in_user(), form.bio.data)
        except profiles.ProfileProblem as problem:
            form.bio.errors = [str(PROBLEMS[problem.code])]
        else:
            flash(_("Your bio is saved."), "success")
            return redirect_to(url_for("profile.index"))
    return _page(bio_form=form, block="bio_form", target=BIO_TARGET, status=422)


@bp.post("/photo")
@login_required
@heavy
def save_photo() -> Response:
    """Store a new photo, re-encoded by the server as a square PNG."""
    form = PhotoForm()
    if form.validate_on_submit():
        upload = form.photo.data
        data = upload.stream.read(profiles.PHOTO_MAX_BYTES + 1) if upload else b""
        try:
            if not data:
                raise profiles.ProfileProblem("photo_missing")
            profiles.set_photo(signed_in_user(), data)
        except profiles.ProfileProblem as problem:
            form.photo.errors = [str(PROBLEMS[problem.code])]
        else:
            flash(_("Your photo is saved."), "success")
            return redirect_to(url_for("profile.index"))
    return _page(photo_form=form, block="photo_form", target=PHOTO_TARGET, status=422)


@bp.post("/photo/remove")
@login_required
def remove_photo() -> Response:
    """Delete the photo."""
    if ConfirmForm().validate_on_submit():
        profiles.remove_photo(signed_in_user())
        flash(_("Your photo was removed."), "info")
    return redirect_to(url_for("profile.index"))


@bp.get("/photo.png")
@login_required
def own_photo() -> Response:
    """The holder's own photo, for their settings (also while the profile is off)."""
    data = profiles.own_photo(signed_in_user())
    if data is None:
        abort(404)
    response = Response(data, mimetype="image/png")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
