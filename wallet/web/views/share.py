"""Sharing a badge: the share panel, the Mastodon server question, signature preview and image.

The panel is for the signed-in holder's own badges (anyone else's: 404). While a badge is
private, revoked, expired or invalid the panel explains why nothing can be shared; a private
badge's signature image answers the same neutral 404 as every other `/b/` URL.
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint
from flask import Response
from flask import abort
from flask import current_app
from flask import make_response
from flask import request
from flask import url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired
from wtforms.validators import Length

from wallet.models import Badge
from wallet.models.names import full_name
from wallet.services import badges
from wallet.services import profiles
from wallet.services import sharing
from wallet.services.standing import Standing
from wallet.services.standing import describe
from wallet.web import htmx
from wallet.web.forms import strip
from wallet.web.i18n import reader_zone
from wallet.web.miss_limit import miss_limited
from wallet.web.rendering import redirect_to
from wallet.web.rendering import render_page
from wallet.web.visitors import signed_in_user

bp = Blueprint("share", __name__)

PANEL_TARGET = "share-panel"
MASTODON_TARGET = "mastodon-form"
# Short enough that a badge made private soon stops showing in fresh mails; each use after that
# revalidates against the ETag (304) or gets the 404.
SIGNATURE_CACHE = "public, max-age=300"


class MastodonForm(FlaskForm):
    """Ask for the holder's Mastodon server once."""

    instance = StringField(
        _l("Your Mastodon server"),
        validators=[DataRequired(), Length(max=300)],
        filters=[strip],
    )


def _owned(badge_id: int) -> Badge:
    """Return the holder's badge, or 404 (also for anyone else's: never a hint it exists)."""
    badge = badges.get_owned(signed_in_user(), badge_id)
    if badge is None:
        abort(404)
    return badge


def _absolute(endpoint: str, **values: Any) -> str:
    """Return an absolute URL on WALLET_BASE_URL (never the request's Host header)."""
    return current_app.config["BASE_URL"].rstrip("/") + url_for(endpoint, **values)


def _texts(badge: Badge) -> dict[str, str]:
    """Return the share sentence (holder's language) and the page URL of a badge."""
    user = signed_in_user()
    return {
        "text": sharing.share_text(badge.name, badge.issuer_name, user.language or "ja"),
        "url": _absolute("public.show", public_id=badge.public_id),
    }


def _issued_and_expires(badge: Badge) -> tuple[sharing.YearMonth | None, sharing.YearMonth | None]:
    """Return the issue and expiry months as the issuer wrote them (stored dates as fallback)."""
    issued_text, expires_text = sharing.stated_dates(badge.content.payload)
    issued = sharing.year_month(issued_text) or sharing.year_month(badge.issued_on)
    expires = None
    if badge.expires is not None:  # no expiry fields at all for a badge that does not expire
        expires = sharing.year_month(expires_text) or sharing.year_month(badge.expires)
    return issued, expires


def _mastodon_link(text: str, url: str) -> str | None:
    """Return the direct Mastodon share URL when the holder's server is known."""
    instance = signed_in_user().mastodon_instance
    if not instance or sharing.mastodon_instance(instance) is None:
        return None
    return sharing.mastodon_url(instance, text, url)


def _standing(badge: Badge) -> Standing:
    """Return the badge's state as its pages tell it."""
    return describe(badge, str(get_locale()), reader_zone())


def _shareable(badge: Badge) -> bool:
    """Return whether the badge may be shared now: public, and not revoked, expired or invalid."""
    return badge.visibility == "public" and _standing(badge).shareable


def _panel_context(badge: Badge) -> dict[str, Any]:
    """Return what the share panel shows; only the explanation when nothing may be shared."""
    standing = _standing(badge)
    context: dict[str, Any] = {
        "badge": badge,
        "is_public": badge.visibility == "public",
        "standing": standing,
        "holder_name": full_name(signed_in_user()),
    }
    if not context["is_public"] or not standing.shareable:
        return context
    texts = _texts(badge)
    text, url = texts["text"], texts["url"]
    holder = full_name(signed_in_user())
    image_url = _absolute("share.signature_image", public_id=badge.public_id)
    issued, expires = _issued_and_expires(badge)
    alt = _("Badge: %(badge)s", badge=badge.name)
    context.update(
        page_url=url,
        share_title=badge.name,
        share_text=text,
        networks=[
            ("x", "X", sharing.x_url(text, url), None),
            ("facebook", "Facebook", sharing.facebook_url(url), None),
            ("linkedin", "LinkedIn", sharing.linkedin_post_url(url), None),
            ("line", "LINE", sharing.line_url(text, url), sharing.line_app_url(text, url)),
            ("bluesky", "Bluesky", sharing.bluesky_url(text, url), None),
            (
                "email",
                _("Email"),
                sharing.email_url(_("My badge: %(badge)s", badge=badge.name), text, url),
                None,
            ),
        ],
        mastodon_url=_mastodon_link(text, url),
        mastodon_instance=signed_in_user().mastodon_instance,
        linkedin_certification_url=sharing.linkedin_certification_url(
            name=badge.name,
            organization=badge.issuer_name,
            issued=issued,
            expires=expires,
            cert_url=url,
            cert_id=badge.public_id,
        ),
        signature_html=sharing.signature_html(
            page_url=url,
            image_url=image_url,
            holder_name=holder,
            badge_name=badge.name,
            issuer_name=badge.issuer_name,
            issued=issued,
            alt=alt,
        ),
        signature_text=sharing.signature_text(
            page_url=url,
            holder_name=holder,
            badge_name=badge.name,
            issuer_name=badge.issuer_name,
            issued=issued,
        ),
        embed_html=sharing.embed_html(
            page_url=url,
            image_url=_absolute("public.image", public_id=badge.public_id),
            alt=alt,
        ),
        card_html=sharing.embed_card_html(
            page_url=url,
            image_url=image_url,
            holder_name=holder,
            badge_name=badge.name,
            issuer_name=badge.issuer_name,
            alt=alt,
            verify_label=_("Verify this badge"),
        ),
    )
    return context


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/badges/<int:badge_id>/share")
@login_required
def panel(badge_id: int) -> Response:
    """The share panel: a fragment for the detail page (htmx), a full page when opened directly."""
    badge = _owned(badge_id)
    response = render_page(
        "share/page.html", block="panel", target=PANEL_TARGET, **_panel_context(badge)
    )
    return _no_store(response)


@bp.route("/badges/<int:badge_id>/share/mastodon", methods=["GET", "POST"])
@login_required
def mastodon(badge_id: int) -> Response:
    """Ask for the holder's Mastodon server (once), remember it, then open the share there."""
    badge = _owned(badge_id)
    if not _shareable(badge):
        return redirect_to(url_for("share.panel", badge_id=badge.id))
    user = signed_in_user()
    form = MastodonForm(data={"instance": user.mastodon_instance or ""})
    error: str | None = None
    if request.method == "POST":
        form = MastodonForm()
        if form.validate_on_submit():
            host = sharing.mastodon_instance(form.instance.data)
            if host is not None:
                sharing.remember_mastodon_instance(user, host)
                texts = _texts(badge)
                target = sharing.mastodon_url(host, texts["text"], texts["url"])
                if htmx.is_htmx():
                    return htmx.redirect(target)
                # CSP form-action 'self' stops a browser from following a redirect to another
                # site after a form POST, so a plain form lands on a page of ours that moves on.
                return redirect_to(url_for("share.mastodon", badge_id=badge.id, saved=1))
            error = _(
                "Enter the name of your Mastodon server, for example mastodon.social "
                "(no web page address, no user name)."
            )
        else:
            error = _("Please check what you entered.")
    saved_url = None
    if request.method == "GET" and request.args.get("saved") and user.mastodon_instance:
        texts = _texts(badge)
        saved_url = sharing.mastodon_url(user.mastodon_instance, texts["text"], texts["url"])
    response = render_page(
        "share/mastodon.html",
        block="mastodon_form",
        target=MASTODON_TARGET,
        status=422 if error else 200,
        badge=badge,
        form=form,
        error=error,
        saved_url=saved_url,
    )
    return _no_store(response)


@bp.get("/badges/<int:badge_id>/share/signature")
@login_required
def signature_preview(badge_id: int) -> Response:
    """The signature rendered alone, for a sandboxed preview frame on the share panel."""
    badge = _owned(badge_id)
    if not _shareable(badge):
        abort(404)
    context = _panel_context(badge)
    body = (
        '<!doctype html><html><head><meta charset="utf-8"><title>signature</title></head>'
        f'<body style="margin:8px;background:#ffffff;">{context["signature_html"]}</body></html>'
    )
    response = make_response(body)
    response.mimetype = "text/html"
    base = urlsplit(current_app.config["BASE_URL"])
    image_origin = f"{base.scheme}://{base.netloc}"
    # Its own policy: the signature's inline styles are allowed here (and only here), no script
    # at all, and only our own pages may frame it.
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; img-src 'self' {image_origin}; style-src 'unsafe-inline'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
    )
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return _no_store(response)


@bp.get("/b/<public_id>/signature.png")
@miss_limited
def signature_image(public_id: str) -> Response:
    """The small badge PNG an email signature shows (same visibility rule as the other /b/ URLs)."""
    if not profiles.valid_id(public_id):
        abort(404)
    source = badges.public_image(public_id)
    if source is None:
        abort(404)
    data = sharing.signature_png(source)
    response = Response(data, mimetype="image/png")
    response.set_etag(hashlib.sha256(data).hexdigest())
    response.headers["Cache-Control"] = SIGNATURE_CACHE
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Robots-Tag"] = "noindex"
    return response.make_conditional(request)


@bp.after_request
def _never_cache_failures(response: Response) -> Response:
    """A 404 (private or unknown) must not be kept by a cache either."""
    if response.status_code >= 400:
        response.headers["Cache-Control"] = "no-store"
    return response
