"""What an issuer's owners manage: its operators and their roles, its signing key, its audit log."""

from __future__ import annotations

from flask import Blueprint
from flask import Response
from flask import flash
from flask import request
from flask import url_for
from flask_babel import gettext as _

from wallet.services.issuing import audit
from wallet.services.issuing import credentials as issuer_documents
from wallet.services.issuing import roles
from wallet.services.issuing import rotation
from wallet.services.issuing.errors import IssuingError
from wallet.web.forms import ConfirmForm
from wallet.web.issuing_access import actor
from wallet.web.issuing_access import issuer_or_404
from wallet.web.issuing_access import portal_members_only
from wallet.web.issuing_forms import ERRORS
from wallet.web.issuing_forms import ROLE_LABELS
from wallet.web.issuing_forms import OperatorForm
from wallet.web.issuing_forms import RoleForm
from wallet.web.rendering import redirect_to
from wallet.web.rendering import render_page

bp = Blueprint("issuer_admin", __name__, url_prefix="/issuing/issuers")
bp.before_request(portal_members_only)

OPERATOR_TARGET = "operator-form"
LOG_PAGE = 50


@bp.route("/<slug>/operators", methods=["GET", "POST"])
def operators(slug: str):
    """The issuer's operators and their roles; a form to add one (owners only)."""
    issuer = issuer_or_404(slug, "manage")
    form = OperatorForm()
    if form.validate_on_submit():
        try:
            granted = roles.set_role(issuer, form.email.data, form.role.data, actor())
        except IssuingError as exc:
            form.email.errors = [*form.email.errors, str(ERRORS.get(exc.code, exc.code))]
        else:
            flash(
                _(
                    "%(email)s is now %(role)s.",
                    email=granted.user.email,
                    role=str(ROLE_LABELS[granted.role]),
                ),
                "success",
            )
            return redirect_to(url_for("issuer_admin.operators", slug=slug))
    return render_page(
        "issuing/operators.html",
        block="form",
        target=OPERATOR_TARGET,
        status=422 if form.errors else 200,
        issuer=issuer,
        members=roles.members(issuer),
        form=form,
        role_form=RoleForm,
        action_form=ConfirmForm(),
        role_labels=ROLE_LABELS,
    )


@bp.post("/<slug>/operators/<int:user_id>/role")
def change_role(slug: str, user_id: int):
    """Change an operator's role."""
    issuer = issuer_or_404(slug, "manage")
    form = RoleForm()
    member = next((m for m in roles.members(issuer) if m.user_id == user_id), None)
    if member is not None and form.validate_on_submit():
        try:
            roles.set_role(issuer, member.user.email, form.role.data, actor())
        except IssuingError as exc:
            flash(str(ERRORS.get(exc.code, exc.code)), "error")
        else:
            flash(_("The role of %(email)s is changed.", email=member.user.email), "success")
    return redirect_to(url_for("issuer_admin.operators", slug=slug))


@bp.post("/<slug>/operators/<int:user_id>/remove")
def remove(slug: str, user_id: int):
    """Take an operator's role away."""
    issuer = issuer_or_404(slug, "manage")
    if ConfirmForm().validate_on_submit():
        try:
            if roles.remove(issuer, user_id, actor()):
                flash(_("The operator no longer works for this issuer."), "success")
        except IssuingError as exc:
            flash(str(ERRORS.get(exc.code, exc.code)), "error")
    return redirect_to(url_for("issuer_admin.operators", slug=slug))


@bp.route("/<slug>/key", methods=["GET", "POST"])
def key(slug: str):
    """The issuer's signing keys; rotating the current one (after a confirmation)."""
    issuer = issuer_or_404(slug, "manage")
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        rotation.rotate(issuer, actor())
        flash(
            _(
                "The issuer signs with a new key from now on. The old key stays published, so "
                "every badge issued before still verifies."
            ),
            "success",
        )
        return redirect_to(url_for("issuer_admin.key", slug=slug))
    return render_page(
        "issuing/key.html",
        issuer=issuer,
        form=form,
        retired=issuer_documents.retired_keys(issuer),
        profile_url=url_for("issuer_docs.profile", slug=issuer.slug),
    )


@bp.get("/<slug>/log")
def log(slug: str):
    """The issuer's audit log: who awarded, re-sent, revoked, changed roles or keys."""
    issuer = issuer_or_404(slug, "manage")
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page = 1
    events, total = audit.events_of(issuer, page=page, size=LOG_PAGE)
    return render_page(
        "issuing/log.html",
        issuer=issuer,
        events=events,
        total=total,
        page=page,
        has_more=page * LOG_PAGE < total,
    )


@bp.get("/<slug>/log.csv")
def log_csv(slug: str) -> Response:
    """The whole audit log as CSV (cells a spreadsheet would run as formulas are neutralised)."""
    issuer = issuer_or_404(slug, "manage")
    response = Response(audit.export_csv(issuer), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{issuer.slug}-log.csv"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
