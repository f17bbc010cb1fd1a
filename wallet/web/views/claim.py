"""Claiming an awarded badge from the notice mail's link: sign in or register, then receive."""

from __future__ import annotations

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user

from wallet.extensions import limiter
from wallet.services import accounts
from wallet.services import password_policy
from wallet.services.issuing import claims
from wallet.web.forms import ConfirmForm
from wallet.web.forms import RegisterForm
from wallet.web.rendering import redirect_to
from wallet.web.rendering import render_page
from wallet.web.signin import sign_in
from wallet.web.signin import sign_out
from wallet.web.visitors import signed_in_user

bp = Blueprint("claim", __name__)

FORM_TARGET = "claim-form"


class ClaimRegisterForm(RegisterForm):
    """The registration form without an email field: the address is the awarded one."""

    email = None  # type: ignore[assignment]


def _no_store(response):
    """Claim pages carry a capability token: keep them out of caches and history stores."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "same-origin"  # no-referrer would break CSRF checks
    return response


def _invalid(problem: str | None):
    return _no_store(render_page("claim/invalid.html", problem=problem, status=400))


def _mode(award) -> str:
    """Which step the visitor is at: confirm, wrong_account, sign_in or register."""
    if current_user.is_authenticated:
        mine = accounts.owns_address(signed_in_user(), award.email)
        return "confirm" if mine else "wrong_account"
    return "sign_in" if accounts.account_for_address(award.email) is not None else "register"


def _page(token: str, award, form=None, status: int = 200):
    mode = _mode(award)
    if mode == "register" and form is None:
        form = ClaimRegisterForm(formdata=None)
        form.family_name.data = award.family_name
        form.given_name.data = award.given_name
        form.language.data = award.language
        form.name_order.data = award.name_order
    achievement = award.achievement
    return _no_store(
        render_page(
            "claim/show.html",
            block="form",
            target=FORM_TARGET,
            status=status,
            mode=mode,
            token=token,
            award=award,
            achievement=achievement,
            issuer=achievement.issuer,
            form=form,
            confirm_form=ConfirmForm(),
            names_differ=mode == "confirm" and claims.names_differ(award, current_user),
            login_url=url_for("auth.login", next=url_for("claim.claim", token=token)),
        )
    )


@bp.get("/claim/<token>")
def claim(token: str):
    """Show what was awarded and the next step (no state changes on GET)."""
    check = claims.check_token(token)
    if check.problem is not None or check.award is None:
        return _invalid(check.problem)
    return _page(token, check.award)


@bp.post("/claim/<token>")
@limiter.limit(lambda: current_app.config["RATELIMIT_REGISTER_IP"])
def receive(token: str):
    """Receive the badge: signed in with the awarded address, or registering with it."""
    check = claims.check_token(token)
    award = check.award
    if check.problem is not None or award is None:
        return _invalid(check.problem)
    mode = _mode(award)
    try:
        if mode == "confirm":
            if not ConfirmForm().validate_on_submit():
                return _page(token, award, status=400)
            badge = claims.claim(award, current_user)
        elif mode == "register":
            form = ClaimRegisterForm()
            form.known_words = password_policy.personal_words(award.email)
            if not form.validate_on_submit():
                return _page(token, award, form=form, status=422)
            user, badge = claims.register_and_claim(
                award,
                accounts.Registration(
                    email=award.email,
                    family_name=form.family_name.data,
                    given_name=form.given_name.data,
                    family_name_kana=form.family_name_kana.data,
                    given_name_kana=form.given_name_kana.data,
                    romanized_name=form.romanized_name.data,
                    name_order=form.name_order.data,
                    language=form.language.data,
                    password=form.password.data,
                ),
            )
            sign_in(user, method="claim")
        else:
            return redirect_to(url_for("claim.claim", token=token))
    except claims.ClaimProblem as problem:
        if problem.code == "account_exists":
            return redirect_to(url_for("claim.claim", token=token))
        if problem.code in ("revoked", "claimed"):
            return _invalid("used" if problem.code == "claimed" else "revoked")
        current_app.logger.warning("claim of award %s failed: %s", award.id, problem.detail)
        return _no_store(render_page("claim/failed.html", status=503))
    flash(_("The badge is now in your wallet."), "success")
    return redirect_to(url_for("wallet.show", badge_id=badge.id))


@bp.post("/claim/<token>/switch")
def switch_account(token: str):
    """Sign out of another account to receive the badge with the awarded address."""
    if ConfirmForm().validate_on_submit():
        sign_out()
    return redirect_to(url_for("claim.claim", token=token))
