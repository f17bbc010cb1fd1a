"""The holder's wallet: badge list, detail, re-verify, disclosure, download, delete."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import flash
from flask import make_response
from flask import request
from flask import url_for
from flask.wrappers import Response
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_login import login_required

from wallet.extensions import limiter
from wallet.models import Badge
from wallet.models.names import full_name
from wallet.services import badges
from wallet.services import states
from wallet.services.about import about
from wallet.services.richtext import render as rich_text
from wallet.services.richtext import safe_url
from wallet.services.standing import describe
from wallet.web import htmx
from wallet.web.forms import ConfirmForm
from wallet.web.i18n import check_text
from wallet.web.i18n import reader_zone
from wallet.web.rendering import redirect_to
from wallet.web.rendering import render_page
from wallet.web.rendering import with_out_of_band
from wallet.web.visitors import signed_in_user

bp = Blueprint("wallet", __name__)

LIST_TARGET = "badge-list"
MORE_TARGET = "load-more"
REPORT_TARGET = "verification-report"
VISIBILITY_TARGET = "visibility-switch"

EXTENSIONS = {"png": "png", "svg": "svg", "json": "json", "jws": "jws", "jwt": "jwt", "url": "json"}
CHECK_MARKS = {"passed": "✓", "failed": "✗", "warning": "!", "skipped": "–", "unsupported": "?"}
MAX_PAGE = 10_000


# --- wallet home ---------------------------------------------------------------------------


def _page_number(value: str | None) -> int:
    """Return a page number from the query string (1 when missing or absurd)."""
    try:
        page = int(value or 1)
    except ValueError:
        return 1
    return min(max(page, 1), MAX_PAGE)


def _list_filters() -> tuple[str, str]:
    """Return the state and visibility filters asked for (unknown values: no filter).

    Older bookmarks put visibility and "unconfirmed" in `status`; they keep working.
    """
    status = request.args.get("status") or ""
    visibility = request.args.get("visibility") or ""
    if status in badges.VISIBILITIES:
        status, visibility = "", visibility or status
    if status == "unconfirmed":
        status = "unverifiable"
    return (
        status if status in states.FILTERS else "",
        visibility if visibility in badges.VISIBILITIES else "",
    )


def home() -> Response:
    """Show the signed-in holder's badges (the `/` page): search, filter and load more."""
    query = (request.args.get("q") or "").strip()[:200]
    status, visibility = _list_filters()
    page = _page_number(request.args.get("page"))
    items, has_more = badges.list_for(
        signed_in_user(), query=query, status=status, visibility=visibility, page=page
    )
    context = {
        "cards": [_card(badge) for badge in items],
        "has_more": has_more,
        "page": page,
        "query": query,
        "status_filter": status,
        "visibility_filter": visibility,
        "filters": _filter_labels(),
        "visibilities": _visibility_labels(),
        "next_url": url_for("main.index", **_list_args(query, status, visibility, page + 1)),
        "previous_url": (
            url_for("main.index", **_list_args(query, status, visibility, page - 1))
            if page > 1
            else None
        ),
    }
    if htmx.wants_fragment(MORE_TARGET):
        response = render_page("wallet/index.html", block="more", target=MORE_TARGET, **context)
    else:
        response = render_page(
            "wallet/index.html", block="badge_list", target=LIST_TARGET, **context
        )
    response.headers["Cache-Control"] = "no-store"
    return response


def _list_args(query: str, status: str, visibility: str, page: int) -> dict[str, Any]:
    """Return the query-string arguments of a list page (empty ones left out)."""
    args: dict[str, Any] = {}
    if query:
        args["q"] = query
    if status:
        args["status"] = status
    if visibility:
        args["visibility"] = visibility
    if page > 1:
        args["page"] = page
    return args


def _filter_labels() -> list[tuple[str, str]]:
    """Return the state filter choices in the current language (states.FILTERS)."""
    return [
        ("", _("Any state")),
        ("valid", _("Valid")),
        ("expiring", _("Expires soon")),
        ("expired", _("Expired")),
        ("revoked", _("Revoked")),
        ("unverifiable", _("Could not be verified")),
    ]


def _visibility_labels() -> list[tuple[str, str]]:
    """Return the visibility filter choices in the current language."""
    return [("", _("All")), ("public", _("Public")), ("private", _("Private"))]


def _card(badge: Badge) -> dict[str, Any]:
    """Return what a badge card shows (no heavy content is loaded)."""
    return {
        "id": badge.id,
        "name": badge.name,
        "issuer": badge.issuer_name,
        "issued_on": badge.issued_on,
        "expires": badge.expires,
        "issued_day": badge.issued_day,
        "expires_day": badge.expires_day,
        "status": states.state_of(badge),
        "visibility": badge.visibility,
    }


@bp.get("/badges")
@login_required
def index() -> Response:
    """The badge list lives at `/`; keep /badges working for bookmarks and typed URLs."""
    return redirect_to(url_for("main.index", **request.args))


# --- detail and actions --------------------------------------------------------------------


def _min_interval() -> timedelta:
    return timedelta(seconds=float(current_app.config["REVERIFY_MIN_SECONDS"]))


def _aware(value: datetime) -> datetime:
    """Return value with UTC attached (SQLite gives naive date-times back)."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _owned(badge_id: int) -> Badge:
    """Return the holder's badge, or 404 (also for anyone else's: never a hint it exists)."""
    badge = badges.get_owned(signed_in_user(), badge_id)
    if badge is None:
        abort(404)
    return badge


def _report(badge: Badge, state: str) -> dict[str, Any]:
    """Return the stored verification report in words."""
    checks = []
    for check in badges.checks_of(badge):
        if not isinstance(check, dict):
            continue
        status = str(check.get("status") or "")
        params = check.get("params") if isinstance(check.get("params"), dict) else None
        checks.append(
            {
                "status": status,
                "mark": CHECK_MARKS.get(status, "?"),
                "text": check_text(check.get("message_id"), params) or str(check.get("id") or ""),
            }
        )
    return {"status": state, "result": badge.result, "checks": checks}


def _public_url(badge: Badge) -> str:
    """Return the public page of a badge (`public.show` once that blueprint exists)."""
    if "public.show" in current_app.view_functions:
        return url_for("public.show", public_id=badge.public_id)
    return f"/b/{badge.public_id}"


def _detail_context(badge: Badge) -> dict[str, Any]:
    """Return everything the detail page shows, derived from the stored badge."""
    details = badges.details(badge)
    issuer = details.get("issuer") if isinstance(details.get("issuer"), dict) else {}
    described = about(details, badge.issuer_name)
    standing = describe(badge, str(get_locale()), reader_zone())
    return {
        "badge": badge,
        "card": _card(badge),
        "details": details,
        "issuer": issuer,
        "issuer_url": described.issuer_url,
        "criteria_url": described.criteria_url,
        "evidence": [e for e in details.get("evidence") or [] if isinstance(e, dict)],
        "alignments": [a for a in details.get("alignments") or [] if isinstance(a, dict)],
        "identifiers": [{"label": label, "value": value} for label, value in described.identifiers],
        "standing": standing,
        "holder_name": full_name(signed_in_user()),
        "report": _report(badge, standing.state),
        "public_url": _public_url(badge),
        "rich_text": rich_text,
        "safe_url": safe_url,
    }


@bp.get("/badges/<int:badge_id>")
@login_required
def show(badge_id: int) -> Response:
    """Show everything the badge says, its verification report and the holder's controls."""
    badge = _owned(badge_id)
    response = render_page("wallet/show.html", **_detail_context(badge))
    response.headers["Cache-Control"] = "no-store"
    return response


def _holder_key() -> str:
    """Rate-limit key: re-verifications by the signed-in holder, whatever the IP."""
    return f"reverify-holder:{current_user.id}"


def _badge_key() -> str:
    """Rate-limit key: re-verifications of one badge."""
    return f"reverify-badge:{current_user.id}:{request.view_args.get('badge_id')}"


@bp.post("/badges/<int:badge_id>/verify")
@login_required
@limiter.limit(lambda: current_app.config["RATELIMIT_REVERIFY_HOLDER"], key_func=_holder_key)
@limiter.limit(lambda: current_app.config["RATELIMIT_REVERIFY_BADGE"], key_func=_badge_key)
def verify(badge_id: int) -> Response:
    """Verify the badge again from its stored original (outbound requests: limited)."""
    badge = _owned(badge_id)
    # Within the minimum interval the stored result is as current as a new one would be:
    # answer with it rather than send the issuer's servers the same requests again.
    checked = abs(datetime.now(UTC) - _aware(badge.verified_at)) >= _min_interval()
    if checked:
        badges.reverify(badge)
    if htmx.wants_fragment(REPORT_TARGET):
        # The commit expired the row; load it again (content included) to render the report,
        # and the state banner at the top with it (one state on the page, never two).
        badge = _owned(badge_id)
        context = _detail_context(badge)
        response = render_page(
            "wallet/show.html", block="report", target=REPORT_TARGET, report_open=True, **context
        )
        return with_out_of_band(response, "wallet/show.html", "state_banner", oob=True, **context)
    if checked:
        flash(_("The badge was verified again."), "success")
    else:
        flash(_("The badge was verified moments ago: this is that result."), "info")
    return redirect_to(url_for("wallet.show", badge_id=badge.id))


@bp.post("/badges/<int:badge_id>/visibility")
@login_required
def visibility(badge_id: int) -> Response:
    """Make the badge public or private (one tap; a plain form without JavaScript)."""
    badge = _owned(badge_id)
    value = request.form.get("visibility", "")
    form = ConfirmForm()
    if value not in ("public", "private") or not form.validate_on_submit():
        return render_page(
            "wallet/show.html",
            block="visibility_switch",
            target=VISIBILITY_TARGET,
            status=422,
            **_detail_context(badge),
        )
    badges.set_visibility(badge, value)
    if htmx.wants_fragment(VISIBILITY_TARGET):
        badge = _owned(badge_id)
        return render_page(
            "wallet/show.html",
            block="visibility_switch",
            target=VISIBILITY_TARGET,
            **_detail_context(badge),
        )
    if value == "public":
        flash(_("The badge is public: anyone with its link can verify it."), "success")
    else:
        flash(_("The badge is private: its public page is gone."), "success")
    return redirect_to(url_for("wallet.show", badge_id=badge.id))


@bp.route("/badges/<int:badge_id>/delete", methods=["GET", "POST"])
@login_required
def delete(badge_id: int) -> Response:
    """Ask to confirm, then remove the badge from the wallet."""
    badge = _owned(badge_id)
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        badges.delete(badge)
        flash(_("The badge was removed from your wallet."), "success")
        return redirect_to(url_for("main.index"))
    return render_page("wallet/delete.html", badge=badge, card=_card(badge))


@bp.get("/badges/<int:badge_id>/download")
@login_required
def download(badge_id: int) -> Response:
    """Send the badge exactly as it was received (baked image, JSON or JWS/JWT text)."""
    badge = _owned(badge_id)
    content = badge.content
    media_type, extension = _received_type(badge)
    response = make_response(content.original)
    response.headers["Content-Type"] = media_type
    response.headers["Content-Disposition"] = (
        f'attachment; filename="badge-{badge.public_id}.{extension}"'
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _received_type(badge: Badge) -> tuple[str, str]:
    """Return the media type and file extension of what was received.

    A badge imported by URL keeps whatever the address answered (a baked image or text),
    so its type is read from the bytes rather than from the import format.
    """
    content = badge.content
    if badge.format != "url":
        media_type = content.original_media_type or "application/octet-stream"
        return media_type, EXTENSIONS.get(badge.format, "bin")
    head = content.original[:512].lstrip()
    if head.startswith(b"\x89PNG"):
        return "image/png", "png"
    if head.startswith((b"<svg", b"<?xml", b"<!--")):
        return "image/svg+xml", "svg"
    if head.startswith((b"{", b"[")):
        return "application/json", "json"
    return "text/plain", "jwt" if badge.spec == "3.0" else "jws"


@bp.get("/badges/<int:badge_id>/image.png")
@login_required
def image(badge_id: int) -> Response:
    """Send our re-encoded PNG of the badge image (never the issuer's bytes)."""
    png = badges.image_of(signed_in_user(), badge_id)
    if png is None:
        abort(404)
    response = make_response(png)
    response.headers["Content-Type"] = "image/png"
    response.headers["Cache-Control"] = "private, max-age=300"
    return response
