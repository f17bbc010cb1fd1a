"""Additional email addresses: list, add (after confirming it's you), confirm, resend, remove."""

from __future__ import annotations

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import flash
from flask import url_for
from flask.wrappers import Response
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_login import login_required
from flask_wtf import FlaskForm

from wallet.extensions import limiter
from wallet.services import addresses
from wallet.web.forms import ConfirmForm
from wallet.web.forms import EmailMixin
from wallet.web.rendering import redirect_to
from wallet.web.rendering import render_page
from wallet.web.signin import fresh_required
from wallet.web.signin import sign_out
from wallet.web.visitors import signed_in_user

bp = Blueprint("addresses", __name__, url_prefix="/account/addresses")

FORM_TARGET = "address-form"
PROBLEMS = {
    "unverified": _l("Confirm your sign-in address first (use the link we mailed to it)."),
    "own": _l("This is already your sign-in address."),
    "listed": _l("This address is already in your list."),
    "too_many": _l("You have the most addresses an account can have. Remove one first."),
}


class AddressForm(EmailMixin, FlaskForm):
    """Add an address that badges may be issued to."""


def _add_limit() -> str:
    return current_app.config["RATELIMIT_ADD_ADDRESS"]


def _holder_key() -> str:
    """Rate-limit key: addresses mailed for the signed-in holder, whatever the IP."""
    return f"add-address:{current_user.id}"


def _no_store(response: Response) -> Response:
    """Pages that list addresses or carry a token stay out of caches and referrers."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "same-origin"  # no-referrer would break CSRF checks
    return response


def _page(form: AddressForm, status: int = 200) -> Response:
    holder = signed_in_user()
    return _no_store(
        render_page(
            "account/addresses.html",
            block="address_form",
            target=FORM_TARGET,
            status=status,
            form=form,
            rows=addresses.list_for(holder),
        )
    )


@bp.get("")
@login_required
@fresh_required()
def index() -> Response:
    """The holder's addresses: the sign-in address, the additional ones, and the add form."""
    return _page(AddressForm(formdata=None))


@bp.post("")
@login_required
@fresh_required("addresses.index")
@limiter.limit(_add_limit, key_func=_holder_key, deduct_when=lambda r: r.status_code < 400)
def add() -> Response:
    """Add an address and mail it a confirmation link (the same answer whoever owns it)."""
    form = AddressForm()
    if form.validate_on_submit():
        try:
            addresses.add(signed_in_user(), form.email.data)
        except addresses.AddressProblem as problem:
            form.email.errors.append(str(PROBLEMS[problem.code]))
        else:
            flash(
                _(
                    "We sent a confirmation link to %(email)s. Open it while signed in to this "
                    "wallet to add the address.",
                    email=form.email.data,
                ),
                "success",
            )
            return redirect_to(url_for("addresses.index"))
    return _page(form, status=422)


@bp.post("/<public_id>/resend")
@login_required
@limiter.limit(_add_limit, key_func=_holder_key)
def resend(public_id: str) -> Response:
    """Mail the confirmation link of a pending address again."""
    if not ConfirmForm().validate_on_submit():
        return redirect_to(url_for("addresses.index"))
    if not addresses.resend(signed_in_user(), public_id):
        abort(404)
    flash(_("We sent the confirmation link again."), "info")
    return redirect_to(url_for("addresses.index"))


@bp.post("/<public_id>/remove")
@login_required
@fresh_required("addresses.index")
def remove(public_id: str) -> Response:
    """Remove an additional address (the sign-in address is not in this list)."""
    if not ConfirmForm().validate_on_submit():
        return redirect_to(url_for("addresses.index"))
    email = addresses.remove(signed_in_user(), public_id)
    if email is None:
        abort(404)
    flash(_("%(email)s was removed from your wallet.", email=email), "info")
    return redirect_to(url_for("addresses.index"))


@bp.get("/confirm/<token>")
@login_required
def confirm_page(token: str) -> Response:
    """Show which address the link adds, with the button that adds it (no change on GET)."""
    row = addresses.row_for_token(token)
    if row is None:
        return _no_store(render_page("account/address_confirm.html", problem="invalid", status=400))
    mine = row.user_id == current_user.id
    return _no_store(
        render_page(
            "account/address_confirm.html",
            problem=None if mine else "other_account",
            address=row.email,
            token=token,
            form=ConfirmForm(formdata=None),
        )
    )


@bp.post("/confirm/<token>")
@login_required
def confirm(token: str) -> Response:
    """Confirm the address on the signed-in account."""
    if not ConfirmForm().validate_on_submit():
        return redirect_to(url_for("addresses.confirm_page", token=token))
    try:
        done = addresses.confirm(signed_in_user(), token)
    except addresses.AddressProblem as problem:
        return _no_store(
            render_page(
                "account/address_confirm.html",
                problem=problem.code,
                token=token,
                form=ConfirmForm(formdata=None),
                status=400,
            )
        )
    flash(
        _("%(email)s is confirmed: badges issued to it can now be added.", email=done.email),
        "success",
    )
    return redirect_to(url_for("addresses.index"))


@bp.post("/confirm/<token>/switch")
@login_required
def switch_account(token: str) -> Response:
    """Sign out of this account to open the link in the account that asked for it."""
    if ConfirmForm().validate_on_submit():
        sign_out()
    return redirect_to(url_for("addresses.confirm_page", token=token))
