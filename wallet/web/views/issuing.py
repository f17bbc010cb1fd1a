"""The issuing portal: issuers, badges and their follow-up, awards one by one or by CSV, revocation.

Each page checks the signed-in account's role for the issuer it shows (web/issuing_access.py):
no role, or too small a role, is 404. Operators, keys and the audit log: views/issuer_admin.py.
"""

from __future__ import annotations

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.file import FileField

from wallet.models.names import full_name
from wallet.services import issuing
from wallet.services.issuing import batches as award_batches
from wallet.services.issuing import claims
from wallet.services.issuing import credentials as issuer_documents
from wallet.services.issuing import followup
from wallet.services.issuing import issuers
from wallet.services.issuing import recipients
from wallet.services.issuing import roles
from wallet.services.issuing.csv_awards import CsvReport
from wallet.services.issuing.errors import IssuingError
from wallet.web.forms import ConfirmForm
from wallet.web.holder_limits import heavy
from wallet.web.issuing_access import achievement_or_404
from wallet.web.issuing_access import actor
from wallet.web.issuing_access import allowed
from wallet.web.issuing_access import award_or_404
from wallet.web.issuing_access import issuer_or_404
from wallet.web.issuing_access import portal_members_only
from wallet.web.issuing_access import role_of
from wallet.web.issuing_forms import ERRORS
from wallet.web.issuing_forms import AchievementForm
from wallet.web.issuing_forms import AwardForm
from wallet.web.issuing_forms import CsvForm
from wallet.web.issuing_forms import IssuerForm
from wallet.web.issuing_forms import ReminderForm
from wallet.web.issuing_forms import RevokeForm
from wallet.web.rendering import redirect_to
from wallet.web.rendering import render_page

bp = Blueprint("issuing", __name__, url_prefix="/issuing")
bp.before_request(portal_members_only)

ISSUER_TARGET = "issuer-form"
ACHIEVEMENT_TARGET = "achievement-form"
AWARD_TARGET = "award-form"
AWARDS_TARGET = "award-list"
PAGE_SIZE = 50


def _upload(field: FileField) -> bytes | None:
    """Return an uploaded file's bytes (None when nothing was chosen)."""
    data = field.data
    if data is None or not getattr(data, "filename", ""):
        return None
    return data.read(int(current_app.config.get("IMPORT_MAX_FILE_BYTES", 10 * 1024 * 1024)))


def _add_error(field, code: str) -> None:
    field.errors = [*field.errors, str(ERRORS.get(code, code))]


@bp.route("/", methods=["GET", "POST"])
def index():
    """The issuers the account works for, and (for the portal administrator) a new one."""
    may_create = roles.may_create_issuers(current_user)
    form = IssuerForm()
    if may_create and form.validate_on_submit():
        try:
            issuer = issuers.create_issuer(
                None,
                form.name.data,
                form.url.data,
                form.email.data,
                description=form.description.data or None,
                image=_upload(form.image),
                owner=current_user._get_current_object(),
            )
        except IssuingError as exc:
            target = {"bad_image": form.image, "bad_url": form.url, "bad_email": form.email}
            _add_error(target.get(exc.code, form.name), exc.code)
        else:
            flash(_("The issuer is created with its own signing key."), "success")
            return redirect_to(url_for("issuing.issuer", slug=issuer.slug))
    return render_page(
        "issuing/index.html",
        block="form",
        target=ISSUER_TARGET,
        status=422 if form.errors else 200,
        issuers=roles.issuers_for(current_user),
        may_create=may_create,
        form=form,
    )


@bp.route("/issuers/<slug>", methods=["GET", "POST"])
def issuer(slug: str):
    """An issuer: its public documents, its badges, and (owners) a form for a new badge."""
    found = issuer_or_404(slug)
    role = role_of(found)
    form = AchievementForm()
    if request.method == "POST":
        found = issuer_or_404(slug, "manage")
        if form.validate_on_submit():
            try:
                achievement = issuers.create_achievement(
                    found,
                    None,
                    form.name.data,
                    form.description.data,
                    form.criteria.data,
                    image=_upload(form.image),
                    validity_days=form.validity_days.data,
                    reminder_days=form.reminder_days.data,
                    actor=actor(),
                )
            except IssuingError as exc:
                _add_error(form.image if exc.code == "bad_image" else form.name, exc.code)
            else:
                flash(_("The badge is created."), "success")
                return redirect_to(url_for("issuing.achievement", public_id=achievement.public_id))
    return render_page(
        "issuing/issuer.html",
        block="form",
        target=ACHIEVEMENT_TARGET,
        status=422 if form.errors else 200,
        issuer=found,
        role=role,
        issuer_id=issuer_documents.issuer_url(found),
        achievements=issuers.achievements_of(found),
        form=form,
    )


def _achievement_page(achievement, *, form=None, csv_form=None, report=None, status=200):
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page = 1
    query = (request.args.get("q") or "").strip()[:200]
    state = request.args.get("state") or ""
    state = state if state in followup.STATES else ""
    awards, matched = followup.search(
        achievement, query=query, state=state, page=page, size=PAGE_SIZE
    )
    issuer = achievement.issuer
    target = AWARDS_TARGET if request.method == "GET" else AWARD_TARGET
    return render_page(
        "issuing/achievement.html",
        block="award_list" if target == AWARDS_TARGET else "award_form",
        target=target,
        status=status,
        achievement=achievement,
        issuer=issuer,
        counts=followup.counts(achievement),
        awards=awards,
        matched=matched,
        query=query,
        state=state,
        states=followup.STATES,
        page=page,
        has_more=page * PAGE_SIZE < matched,
        may_award=allowed(issuer, "award"),
        may_manage=allowed(issuer, "manage"),
        form=form or AwardForm(formdata=None),
        csv_form=csv_form or CsvForm(formdata=None),
        reminder_form=ReminderForm(formdata=None, reminder_days=achievement.reminder_days),
        action_form=ConfirmForm(),
        report=report,
        award_state=followup.state_of,
        identifiers_of=followup.identifiers_of,
    )


@bp.get("/achievements/<public_id>")
def achievement(public_id: str):
    """A badge's follow-up: counts, the awards (searched, by state), forms to award."""
    return _achievement_page(achievement_or_404(public_id))


def _award_problem(form: AwardForm):
    """Return (field, message) for dates that cannot be awarded, or None."""
    issued_on = form.issue_date.data or issuing.today()
    if issued_on > issuing.today():
        return form.issue_date, _("The issue date is in the future.")
    if form.expiry.data and form.expiry.data < issued_on:
        return form.expiry, _("The expiry is before the issue date.")
    if form.expiry.data and form.expiry.data < issuing.today():
        return form.expiry, _("The expiry has passed already.")
    return None


def _address_message(conflict: recipients.Conflict) -> str:
    if conflict.kind == "account":
        return _(
            "A wallet account with this address belongs to a person of another name. One "
            "address belongs to one person: correct the address, or, if it is the same person "
            "whose name changed, tick the box below and award again."
        )
    return _(
        "This address was given to another person before: %(earlier)s. One address belongs to "
        "one person: correct the address, or, if it is the same person whose name changed, "
        "tick the box below and award again.",
        earlier=conflict.describe(),
    )


@bp.post("/achievements/<public_id>/award")
@heavy
def award_one(public_id: str):
    """Award the badge to one address and mail the notice."""
    found = achievement_or_404(public_id, "award")
    form = AwardForm()
    if form.validate_on_submit():
        problem = _award_problem(form)
        if problem is None:
            identifiers = tuple(
                (kind, value)
                for kind, value in (
                    ("passNumber", form.pass_number.data),
                    ("registrationNumber", form.registration_number.data),
                )
                if value
            )
            row = issuing.AwardRow(
                email=form.email.data,
                family_name=form.family_name.data,
                given_name=form.given_name.data,
                issued_on=form.issue_date.data or issuing.today(),
                expires_on=form.expiry.data,
                identifiers=identifiers,
                language=form.language.data,
            )
            try:
                outcome = claims.award_and_notify(
                    found, row, actor=actor(), same_person=bool(form.same_person.data)
                )
            except recipients.AddressTaken as exc:
                problem = (form.email, _address_message(exc.conflict))
            else:
                if not outcome.created:
                    # The form stays filled: the operator may only have the date wrong.
                    problem = (
                        form.email,
                        _(
                            "This address already has this badge for that day (%(name)s). "
                            "Change the issue date to award it again.",
                            name=full_name(outcome.award),
                        ),
                    )
                else:
                    _flash_awarded(outcome.award)
                    return redirect_to(url_for("issuing.achievement", public_id=public_id))
        field, message = problem
        field.errors = [*field.errors, message]
    return _achievement_page(found, form=form, status=422)


def _flash_awarded(award) -> None:
    who = f"{full_name(award)} ({award.email})"
    if award.notified_at is not None:
        flash(_("The badge is awarded to %(who)s and the notice is mailed.", who=who), "success")
    else:
        flash(
            _(
                "The badge is awarded to %(who)s, but the notice could not be mailed. "
                "Send it again from the list when the mail server is back.",
                who=who,
            ),
            "error",
        )


@bp.post("/achievements/<public_id>/csv")
@heavy
def award_csv(public_id: str):
    """Take an uploaded CSV as a batch awarded step by step (views/award_batches.py)."""
    found = achievement_or_404(public_id, "award")
    csv_form = CsvForm()
    data = _upload(csv_form.file) if csv_form.validate_on_submit() else None
    if not data:
        csv_form.file.errors = [*csv_form.file.errors, _("Choose a CSV file.")]
        return _achievement_page(found, csv_form=csv_form, status=422)
    try:
        batch, parsed = award_batches.start(found, data, actor=actor())
    except IssuingError as exc:
        _add_error(csv_form.file, exc.code)
        return _achievement_page(found, csv_form=csv_form, status=422)
    if batch is None:  # no line to award: the problems are the whole answer
        report = CsvReport(problems=parsed.problems, lines=parsed.lines, header=parsed.header)
        return _achievement_page(found, report=report, status=422)
    return redirect_to(url_for("award_batches.show", batch_id=batch.public_id))


@bp.post("/achievements/<public_id>/reminder")
def reminder(public_id: str):
    """Turn the one reminder of unclaimed recipients on (after N days) or off."""
    found = achievement_or_404(public_id, "manage")
    form = ReminderForm()
    if form.validate_on_submit():
        issuers.set_reminder(found, form.reminder_days.data, actor())
        if form.reminder_days.data:
            flash(
                _(
                    "Unclaimed recipients get one reminder %(days)s days after their notice.",
                    days=form.reminder_days.data,
                ),
                "success",
            )
        else:
            flash(_("No reminder is sent for this badge."), "success")
    else:
        flash(str(ERRORS["bad_reminder"]), "error")
    return redirect_to(url_for("issuing.achievement", public_id=public_id))


@bp.post("/achievements/<public_id>/resend-all")
def resend_all(public_id: str):
    """Mail the notice again to every unclaimed recipient of the badge."""
    found = achievement_or_404(public_id, "resend")
    if ConfirmForm().validate_on_submit():
        count = followup.resend_all(found, actor())
        flash(
            _("The notice is being mailed again to %(count)s unclaimed recipients.", count=count),
            "success",
        )
    return redirect_to(url_for("issuing.achievement", public_id=public_id, state="unclaimed"))


@bp.route("/awards/<int:award_id>/revoke", methods=["GET", "POST"])
def revoke(award_id: int):
    """Confirm, then revoke an award (its status bit is set and the list re-signed)."""
    award = award_or_404(award_id, "revoke")
    form = RevokeForm()
    if request.method == "POST" and form.validate_on_submit():
        if claims.revoke(award, form.reason.data or "", actor=actor()):
            flash(_("The badge is revoked. Verifiers see it as revoked from now on."), "success")
        return redirect_to(url_for("issuing.achievement", public_id=award.achievement.public_id))
    status = 422 if form.errors else 200
    return render_page("issuing/revoke.html", award=award, form=form, status=status)


@bp.post("/awards/<int:award_id>/resend")
def resend(award_id: int):
    """Mail the award notice again, with a fresh claim link."""
    award = award_or_404(award_id, "resend")
    if ConfirmForm().validate_on_submit():
        who = f"{full_name(award)} ({award.email})"
        if followup.resend(award, actor()):
            flash(_("The notice is mailed again to %(who)s.", who=who), "success")
        else:
            flash(
                _(
                    "No notice was sent to %(who)s: the badge is received, revoked or the "
                    "mail failed.",
                    who=who,
                ),
                "info",
            )
    # Back to the list as the operator left it (search and state kept).
    kept = {
        name: request.form.get(name, "")[:200] for name in ("q", "state") if request.form.get(name)
    }
    return redirect_to(
        url_for("issuing.achievement", public_id=award.achievement.public_id, **kept)
    )
