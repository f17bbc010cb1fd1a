"""The holder's settings: names, language, disclosure default, password."""

from __future__ import annotations

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import flash
from flask import g
from flask import make_response
from flask import request
from flask import url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_login import login_required
from flask_login import login_user
from flask_wtf import FlaskForm
from wtforms import SelectField

from wallet.extensions import limiter
from wallet.services import accounts
from wallet.services import dates
from wallet.services import passkeys
from wallet.services import sessions
from wallet.services import states
from wallet.services.oauth import grants
from wallet.web.forms import ChangePasswordForm
from wallet.web.forms import ConfirmForm
from wallet.web.forms import LanguageForm
from wallet.web.forms import ProfileForm
from wallet.web.i18n import LANG_COOKIE
from wallet.web.i18n import reader_zone
from wallet.web.rendering import redirect_to
from wallet.web.rendering import render_page
from wallet.web.rendering import safe_next_url
from wallet.web.signin import sign_out
from wallet.web.visitors import signed_in_user

bp = Blueprint("account", __name__)

PROFILE_TARGET = "profile-form"
PASSWORD_TARGET = "password-form"
TIMEZONE_TARGET = "timezone-form"
AUTOMATIC = "auto"


class TimezoneForm(FlaskForm):
    """The zone every date is shown in: automatic (by language) or an IANA zone."""

    timezone = SelectField(_l("Time zone"), default=AUTOMATIC)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        lang = str(get_locale() or "en")
        default = dates.reader_zone(None, current_user.language or lang)
        automatic = _("Automatic (now %(zone)s)", zone=dates.zone_name(default, lang))
        # What "automatic" means, for the hint: the zone of each language.
        self.zone_names = {
            code: dates.zone_name(dates.reader_zone(None, code), lang) for code in ("ja", "en")
        }
        zones = [(name, name.replace("_", " ")) for name in dates.timezone_choices()]
        self.timezone.choices = [(AUTOMATIC, automatic), *zones]


def _timezone_form(submitted: bool = False) -> TimezoneForm:
    """Return the time zone form as submitted, or showing the holder's current choice."""
    if submitted:
        return TimezoneForm()
    return TimezoneForm(formdata=None, data={"timezone": current_user.timezone or AUTOMATIC})


@bp.route("/account", methods=["GET", "POST"])
@login_required
def settings():
    """Show and save the account settings."""
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        accounts.update_profile(
            current_user,
            family_name=form.family_name.data,
            given_name=form.given_name.data,
            family_name_kana=form.family_name_kana.data,
            given_name_kana=form.given_name_kana.data,
            romanized_name=form.romanized_name.data,
            name_order=form.name_order.data,
            language=form.language.data,
            default_visibility=form.default_visibility.data,
            profile_public=bool(form.profile_public.data),
        )
        flash(_("Your settings are saved."), "success")
        return redirect_to(url_for("account.settings"))
    status = 422 if form.errors else 200
    holder = signed_in_user()
    return render_page(
        "account/settings.html",
        block="profile_form",
        target=PROFILE_TARGET,
        status=status,
        form=form,
        password_form=ChangePasswordForm(formdata=None),
        **_account_lists(holder),
        timezone_form=_timezone_form(),
        connections=grants.connections_of(current_user),
    )


@bp.post("/account/timezone")
@login_required
def timezone():
    """Choose the time zone dates are shown in (pages and documents)."""
    form = _timezone_form(submitted=True)
    if form.validate_on_submit():
        choice = form.timezone.data
        accounts.set_timezone(current_user, None if choice == AUTOMATIC else choice)
        g.pop("reader_zone", None)  # computed before the change for this request
        zone = dates.zone_name(reader_zone(), str(get_locale() or "en"))
        flash(_("Dates are now shown in %(zone)s.", zone=zone), "success")
        return redirect_to(url_for("account.settings") + "#dates-and-times")
    return render_page(
        "account/settings.html",
        block="timezone_form",
        target=TIMEZONE_TARGET,
        status=422,
        form=ProfileForm(formdata=None, obj=current_user),
        password_form=ChangePasswordForm(formdata=None),
        timezone_form=form,
        **_account_lists(signed_in_user()),
        connections=grants.connections_of(current_user),
    )


def _account_lists(holder) -> dict[str, object]:
    """The devices and passkeys the account page lists, and how early reminders come."""
    return {
        "sessions": sessions.active(holder),
        "this_session": sessions.current(holder),
        "passkeys": passkeys.list_for(holder),
        "reminder_days": states.EXPIRING_SOON.days,
    }


@bp.post("/account/sessions/<public_id>/end")
@login_required
def end_session(public_id: str):
    """Sign out one device (this one included) from the account page."""
    if not ConfirmForm().validate_on_submit():
        return redirect_to(url_for("account.settings"))
    holder = signed_in_user()
    this = sessions.current(holder)
    if not sessions.end_one(holder, public_id):
        abort(404)
    if this is not None and this.public_id == public_id:
        sign_out()
        flash(_("You are signed out."), "info")
        return redirect_to(url_for("auth.login"))
    flash(_("That device is signed out."), "info")
    return redirect_to(url_for("account.settings") + "#sessions")


def _password_check_key() -> str:
    """Rate-limit key: current-password checks of the signed-in holder, whatever the IP."""
    return f"password-check:{current_user.id}"


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limiter.shared_limit(
    lambda: current_app.config["RATELIMIT_PASSWORD_CHECK"],
    scope="password-check",
    methods=["POST"],
    key_func=_password_check_key,
    deduct_when=lambda response: response.status_code == 422,
)
def change_password():
    """Change the password (the current one is asked again); other devices are signed out."""
    form = ChangePasswordForm()
    form.known_words = accounts.personal_words_of(current_user)
    if form.validate_on_submit():
        holder = signed_in_user()
        if accounts.change_password(holder, form.current_password.data, form.password.data):
            # A new session secret here too: a copy of this device's old cookie dies with it.
            login_user(holder, remember=sessions.rotate(holder))
            flash(_("Your password has been changed."), "success")
            return redirect_to(url_for("account.settings"))
        form.current_password.errors.append(_("The current password is not correct."))
    status = 422 if form.errors else 200
    return render_page(
        "account/password.html",
        block="password_form",
        target=PASSWORD_TARGET,
        status=status,
        password_form=form,
    )


@bp.post("/language")
def set_language():
    """Switch the UI language: on the account when signed in, in a cookie always."""
    form = LanguageForm()
    target = safe_next_url(request.form.get("next")) or url_for("main.index")
    response = make_response(redirect_to(target))
    if form.validate_on_submit():
        lang = form.lang.data
        if current_user.is_authenticated:
            accounts.set_language(current_user, lang)
        response.set_cookie(
            LANG_COOKIE,
            lang,
            max_age=60 * 60 * 24 * 365,
            samesite="Lax",
            httponly=True,
            secure=request.is_secure,
        )
    return response


@bp.post("/account/reminders")
@login_required
def reminders():
    """Turn the mails before a badge expires on or off."""
    if ConfirmForm().validate_on_submit():
        on = request.form.get("expiry_reminders") == "on"
        accounts.set_expiry_reminders(signed_in_user(), on)
        if on:
            flash(_("You will get a mail before a badge expires."), "success")
        else:
            flash(_("You will no longer get mails before badges expire."), "info")
    return redirect_to(url_for("account.settings") + "#expiry-reminders")
