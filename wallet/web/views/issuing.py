"""The issuing portal for operators: issuers, achievements, awards, CSV uploads, revocation.

Everyone but a signed-in operator gets 404 (never 403): the portal does not admit it exists.
"""

from __future__ import annotations

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import flash
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.file import FileField

from wallet.services import issuing
from wallet.services.issuing import batches as award_batches
from wallet.services.issuing import claims
from wallet.services.issuing import credentials as issuer_documents
from wallet.services.issuing import issuers
from wallet.services.issuing.csv_awards import CsvReport
from wallet.services.issuing.errors import IssuingError
from wallet.web.forms import ConfirmForm
from wallet.web.holder_limits import heavy
from wallet.web.issuing_forms import ERRORS
from wallet.web.issuing_forms import AchievementForm
from wallet.web.issuing_forms import AwardForm
from wallet.web.issuing_forms import CsvForm
from wallet.web.issuing_forms import IssuerForm
from wallet.web.issuing_forms import RevokeForm
from wallet.web.rendering import redirect_to
from wallet.web.rendering import render_page

bp = Blueprint("issuing", __name__, url_prefix="/issuing")

ISSUER_TARGET = "issuer-form"
ACHIEVEMENT_TARGET = "achievement-form"
AWARD_TARGET = "award-form"
PAGE_SIZE = 50


@bp.before_request
def operators_only() -> None:
    """Hide the portal from everyone but operators (404, never 403)."""
    if not current_user.is_authenticated or not current_user.is_operator:
        abort(404)


def _upload(field: FileField) -> bytes | None:
    """Return an uploaded file's bytes (None when nothing was chosen)."""
    data = field.data
    if data is None or not getattr(data, "filename", ""):
        return None
    return data.read(int(current_app.config.get("IMPORT_MAX_FILE_BYTES", 10 * 1024 * 1024)))


def _issuer_or_404(slug: str):
    issuer = issuers.get_issuer(slug)
    if issuer is None:
        abort(404)
    return issuer


def _achievement_or_404(public_id: str):
    achievement = issuers.achievement_by_public_id(public_id)
    if achievement is None:
        abort(404)
    return achievement


def _award_or_404(award_id: int):
    award = issuing.get_award(award_id)
    if award is None:
        abort(404)
    return award


@bp.route("/", methods=["GET", "POST"])
def index():
    """The issuers, and a form for a new one."""
    form = IssuerForm()
    if form.validate_on_submit():
        try:
            issuer = issuers.create_issuer(
                form.slug.data,
                form.name.data,
                form.url.data,
                form.email.data,
                description=form.description.data or None,
                image=_upload(form.image),
            )
        except IssuingError as exc:
            target = form.slug if exc.code in ("bad_slug", "slug_taken") else form.name
            if exc.code == "bad_image":
                target = form.image
            target.errors = [*target.errors, str(ERRORS.get(exc.code, exc.code))]
        else:
            flash(_("The issuer is created with its own signing key."), "success")
            return redirect_to(url_for("issuing.issuer", slug=issuer.slug))
    return render_page(
        "issuing/index.html",
        block="form",
        target=ISSUER_TARGET,
        status=422 if form.errors else 200,
        issuers=issuers.list_issuers(),
        form=form,
    )


@bp.route("/issuers/<slug>", methods=["GET", "POST"])
def issuer(slug: str):
    """An issuer: its public documents, its achievements, a form for a new achievement."""
    found = _issuer_or_404(slug)
    form = AchievementForm()
    if form.validate_on_submit():
        try:
            achievement = issuers.create_achievement(
                found,
                form.slug.data,
                form.name.data,
                form.description.data,
                form.criteria.data,
                image=_upload(form.image),
                validity_days=form.validity_days.data,
            )
        except IssuingError as exc:
            target = form.image if exc.code == "bad_image" else form.slug
            target.errors = [*target.errors, str(ERRORS.get(exc.code, exc.code))]
        else:
            flash(_("The badge is created."), "success")
            return redirect_to(url_for("issuing.achievement", public_id=achievement.public_id))
    return render_page(
        "issuing/issuer.html",
        block="form",
        target=ACHIEVEMENT_TARGET,
        status=422 if form.errors else 200,
        issuer=found,
        issuer_id=issuer_documents.issuer_url(found),
        achievements=issuers.achievements_of(found),
        form=form,
    )


def _achievement_page(achievement, *, form=None, csv_form=None, report=None, status=200):
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page = 1
    awards, total = issuing.awards_of(achievement, page=page, size=PAGE_SIZE)
    return render_page(
        "issuing/achievement.html",
        block="award_form",
        target=AWARD_TARGET,
        status=status,
        achievement=achievement,
        issuer=achievement.issuer,
        awards=awards,
        total=total,
        page=page,
        has_more=page * PAGE_SIZE < total,
        form=form or AwardForm(formdata=None),
        csv_form=csv_form or CsvForm(formdata=None),
        action_form=ConfirmForm(),
        report=report,
        award_state=state_of,
    )


@bp.get("/achievements/<public_id>")
def achievement(public_id: str):
    """An achievement: its awards, and forms to award one address or a CSV file."""
    return _achievement_page(_achievement_or_404(public_id))


@bp.post("/achievements/<public_id>/award")
@heavy
def award_one(public_id: str):
    """Award the badge to one address and mail the notice."""
    found = _achievement_or_404(public_id)
    form = AwardForm()
    if form.validate_on_submit():
        issued_on = form.issue_date.data or issuing.today()
        problem = None
        if issued_on > issuing.today():
            problem = (form.issue_date, _("The issue date is in the future."))
        elif form.expiry.data and form.expiry.data < issued_on:
            problem = (form.expiry, _("The expiry is before the issue date."))
        elif form.expiry.data and form.expiry.data < issuing.today():
            problem = (form.expiry, _("The expiry has passed already."))
        if problem is None:
            identifiers = tuple(
                (kind, value)
                for kind, value in (
                    ("passNumber", form.pass_number.data),
                    ("registrationNumber", form.registration_number.data),
                )
                if value
            )
            outcome = claims.award_and_notify(
                found,
                issuing.AwardRow(
                    email=form.email.data,
                    family_name=form.family_name.data,
                    given_name=form.given_name.data,
                    issued_on=issued_on,
                    expires_on=form.expiry.data,
                    identifiers=identifiers,
                    language=form.language.data,
                ),
            )
            if outcome.created and outcome.award.notified_at is not None:
                flash(_("The badge is awarded and the notice is mailed."), "success")
            elif outcome.created:
                flash(
                    _(
                        "The badge is awarded, but the notice could not be mailed. "
                        "Send it again from the list when the mail server is back."
                    ),
                    "error",
                )
            else:
                flash(_("This address already has this badge for that day."), "info")
            return redirect_to(url_for("issuing.achievement", public_id=public_id))
        field, message = problem
        field.errors = [*field.errors, message]
    return _achievement_page(found, form=form, status=422)


@bp.post("/achievements/<public_id>/csv")
@heavy
def award_csv(public_id: str):
    """Take an uploaded CSV as a batch awarded step by step (views/award_batches.py)."""
    found = _achievement_or_404(public_id)
    csv_form = CsvForm()
    data = _upload(csv_form.file) if csv_form.validate_on_submit() else None
    if not data:
        csv_form.file.errors = [*csv_form.file.errors, _("Choose a CSV file.")]
        return _achievement_page(found, csv_form=csv_form, status=422)
    try:
        batch, problems = award_batches.start(found, data)
    except IssuingError as exc:
        csv_form.file.errors = [*csv_form.file.errors, str(ERRORS.get(exc.code, exc.code))]
        return _achievement_page(found, csv_form=csv_form, status=422)
    if batch is None:  # no line to award: the problems are the whole answer
        return _achievement_page(found, report=CsvReport(problems=problems), status=422)
    return redirect_to(url_for("award_batches.show", batch_id=batch.public_id))


@bp.route("/awards/<int:award_id>/revoke", methods=["GET", "POST"])
def revoke(award_id: int):
    """Confirm, then revoke an award (its status bit is set and the list re-signed)."""
    award = _award_or_404(award_id)
    form = RevokeForm()
    if request.method == "POST" and form.validate_on_submit():
        if claims.revoke(award, form.reason.data or ""):
            flash(_("The badge is revoked. Verifiers see it as revoked from now on."), "success")
        return redirect_to(url_for("issuing.achievement", public_id=award.achievement.public_id))
    status = 422 if form.errors else 200
    return render_page("issuing/revoke.html", award=award, form=form, status=status)


@bp.post("/awards/<int:award_id>/resend")
def resend(award_id: int):
    """Mail the award notice again, with a fresh claim link."""
    award = _award_or_404(award_id)
    if ConfirmForm().validate_on_submit():
        if claims.send_notice(award):
            flash(_("The notice is mailed again."), "success")
        else:
            flash(
                _("No notice was sent: the badge is received, revoked or the mail failed."),
                "info",
            )
    return redirect_to(url_for("issuing.achievement", public_id=award.achievement.public_id))


def state_of(award) -> str:
    """Return the award's state for the table: revoked, claimed or pending."""
    if award.revoked_at is not None:
        return "revoked"
    return award.claim_state
