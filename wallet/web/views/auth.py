"""Registration, email confirmation, sign-in, sign-out and password reset."""

from __future__ import annotations

from flask import Blueprint
from flask import Response
from flask import current_app
from flask import flash
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_login import login_required

from wallet.extensions import limiter
from wallet.services import accounts
from wallet.services import sessions
from wallet.services.password_policy import assess
from wallet.services.password_policy import personal_words
from wallet.web import login_limits
from wallet.web.forms import ConfirmForm
from wallet.web.forms import ForgotPasswordForm
from wallet.web.forms import LoginForm
from wallet.web.forms import ReauthForm
from wallet.web.forms import RegisterForm
from wallet.web.forms import ResetPasswordForm
from wallet.web.forms import strength_view
from wallet.web.rendering import landing_page
from wallet.web.rendering import redirect_to
from wallet.web.rendering import render_page
from wallet.web.rendering import safe_next_url
from wallet.web.signin import sign_in
from wallet.web.signin import sign_out
from wallet.web.visitors import signed_in_user

bp = Blueprint("auth", __name__, url_prefix="/auth")

FORM_TARGET = "auth-form"


def _login_ip_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN_IP"]


def _password_check_key() -> str:
    """Rate-limit key: current-password checks of the signed-in holder, whatever the IP."""
    return f"password-check:{current_user.id}"


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_REGISTER_IP"], methods=["POST"])
def register():
    """Create an account; the same answer whether or not the address was taken."""
    if current_user.is_authenticated:
        return redirect_to(url_for("main.index"))
    form = RegisterForm()
    if request.method == "GET":
        form.language.data = form.language.data if request.args.get("lang") else _ui_lang()
        form.name_order.data = "family-first" if form.language.data == "ja" else "given-first"
    if form.validate_on_submit():
        accounts.register(
            accounts.Registration(
                email=form.email.data,
                family_name=form.family_name.data,
                given_name=form.given_name.data,
                family_name_kana=form.family_name_kana.data,
                given_name_kana=form.given_name_kana.data,
                romanized_name=form.romanized_name.data,
                name_order=form.name_order.data,
                language=form.language.data,
                password=form.password.data,
            )
        )
        session["registered_email"] = form.email.data
        return redirect_to(url_for("auth.check_email"))
    status = 422 if form.errors else 200
    return render_page(
        "auth/register.html", block="form", target=FORM_TARGET, status=status, form=form
    )


def _ui_lang() -> str:
    """Return the language the page is being shown in."""
    from flask_babel import get_locale

    return str(get_locale() or "ja")


@bp.post("/password-strength")
@limiter.limit(lambda: current_app.config["RATELIMIT_PASSWORD_STRENGTH"])
def password_strength():
    """The strength meter while typing (htmx): the policy's verdict on the password so far."""
    form = request.form
    words = personal_words(form.get("email"), form.get("family_name"), form.get("given_name"))
    holder = current_user if current_user.is_authenticated else None
    if holder is None and form.get("token"):
        holder = accounts.user_for_reset(form.get("token", ""))
    if holder is not None:
        words += accounts.personal_words_of(holder)
    strength = strength_view(assess(form.get("password", "")[:1000], words))
    return render_template("auth/_strength.html", strength=strength)


@bp.get("/check-email")
def check_email():
    """Tell the new holder to look for the confirmation mail."""
    return render_page("auth/check_email.html", email=session.get("registered_email"))


@bp.get("/verify/<token>")
def verify_email(token: str):
    """Confirm an email address from the mailed link."""
    user = accounts.confirm_email(token)
    if user is None:
        return render_page("auth/verify_failed.html", status=400)
    flash(_("Your email address is confirmed."), "success")
    if current_user.is_authenticated:
        return redirect_to(url_for("main.index"))
    return redirect_to(url_for("auth.login"))


@bp.post("/resend-verification")
@login_required
@limiter.limit("5 per hour")
def resend_verification():
    """Mail the confirmation link again."""
    if ConfirmForm().validate_on_submit() and not current_user.is_verified:
        accounts.send_verification(current_user)
        flash(_("We sent the confirmation mail again."), "info")
    return redirect_to(url_for("main.index"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_ip_limit, methods=["POST"])
@limiter.limit(
    lambda: current_app.config["RATELIMIT_LOGIN_ACCOUNT_ADDRESS"],
    methods=["POST"],
    key_func=login_limits.account_address_key,
    deduct_when=login_limits.failed,
)
@limiter.limit(
    lambda: current_app.config["RATELIMIT_LOGIN_ACCOUNT"],
    methods=["POST"],
    key_func=login_limits.account_key,
    deduct_when=login_limits.failed,
    exempt_when=login_limits.known_device,
)
def login():
    """Sign in with email and password (or a passkey); one generic message for every failure."""
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None:
            sign_in(user, method="password", remember=bool(form.remember.data))
            target = safe_next_url(form.next.data) or url_for(landing_page(user))
            response = redirect_to(target)
            login_limits.remember_device(response, user.email)
            return response
        form.password.errors.append(_("The email address or password is not correct."))
    status = 422 if form.errors else 200
    return render_page(
        "auth/login.html", block="form", target=FORM_TARGET, status=status, form=form
    )


@bp.route("/reauth", methods=["GET", "POST"])
@login_required
@limiter.shared_limit(
    lambda: current_app.config["RATELIMIT_PASSWORD_CHECK"],
    scope="password-check",
    methods=["POST"],
    key_func=_password_check_key,
    deduct_when=login_limits.failed,
)
def reauth():
    """Confirm it's you (password or passkey) before a sensitive action; then go back to it."""
    form = ReauthForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        holder = signed_in_user()
        if accounts.check_password(holder, form.password.data):
            sessions.mark_fresh(holder)
            return redirect_to(safe_next_url(form.next.data) or url_for("account.settings"))
        form.password.errors.append(_("The password is not correct."))
    status = 422 if form.errors else 200
    return render_page(
        "auth/reauth.html", block="form", target=FORM_TARGET, status=status, form=form
    )


@bp.post("/logout")
def logout():
    """Sign out (POST only, so a link cannot sign anyone out); the session ends on the server."""
    if ConfirmForm().validate_on_submit():
        sign_out()
        flash(_("You are signed out."), "info")
    return _forget_pages(redirect_to(url_for("main.index")))


@bp.post("/logout/everywhere")
@login_required
def logout_everywhere():
    """Sign out on every device: a copied, stolen or forgotten session stops working."""
    if not ConfirmForm().validate_on_submit():
        return redirect_to(url_for("account.settings"))
    accounts.end_all_sessions(signed_in_user())
    sign_out()
    flash(_("You are signed out on every device."), "info")
    return _forget_pages(redirect_to(url_for("auth.login")))


def _forget_pages(response: Response) -> Response:
    """Ask the browser to drop cached pages and stored data of the signed-out holder."""
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_RESET_IP"], methods=["POST"])
def forgot_password():
    """Ask for a reset link; the answer is the same whether or not the address exists."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data)
        session["reset_email"] = form.email.data
        return redirect_to(url_for("auth.reset_sent"))
    status = 422 if form.errors else 200
    return render_page(
        "auth/forgot.html", block="form", target=FORM_TARGET, status=status, form=form
    )


@bp.get("/forgot/sent")
def reset_sent():
    """Say that a reset mail is on its way (whether or not the address exists)."""
    return render_page("auth/reset_sent.html", email=session.get("reset_email"))


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Choose a new password from a mailed link (single use, one hour)."""
    holder = accounts.user_for_reset(token)
    if holder is None:
        return render_page("auth/reset_failed.html", status=400)
    form = ResetPasswordForm()
    form.known_words = accounts.personal_words_of(holder)
    if form.validate_on_submit():
        if accounts.reset_password(token, form.password.data) is None:
            return redirect_to(url_for("auth.reset_password", token=token))
        sign_out()
        flash(_("Your password has been changed. Please sign in."), "success")
        return redirect_to(url_for("auth.login"))
    status = 422 if form.errors else 200
    return render_page(
        "auth/reset.html", block="form", target=FORM_TARGET, status=status, form=form, token=token
    )
