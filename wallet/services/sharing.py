"""Sharing a public badge: share-intent URLs, LinkedIn certification, email signature and embeds.

Everything here is a pure function of its arguments (no request, no database), except the two
functions at the end: the signature image lookup and storing the holder's Mastodon server.
Every value that goes into a URL is percent-encoded (`urlencode(..., quote_via=quote)`), every
value that goes into HTML is escaped; the HTML snippets come from fixed templates
(notes/sharing.md §1-2, security.md §1.7).
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from html import escape
from typing import Any
from urllib.parse import quote
from urllib.parse import urlencode

from flask_babel import force_locale
from flask_babel import gettext
from PIL import Image

from wallet.extensions import db
from wallet.models import User
from wallet.services import images

X_MAX = 280
X_URL_WEIGHT = 23  # every URL counts as 23 characters once t.co has shortened it
BLUESKY_MAX = 300
SIGNATURE_MAX_CHARS = 10_000  # Gmail's signature field holds at most 10,000 characters of HTML
SIGNATURE_IMAGE_PIXELS = 120  # served at 2x ...
SIGNATURE_IMAGE_SIZE = 60  # ... declared at 1x in the HTML
EMBED_IMAGE_SIZE = 120
NAME_CLIP = 200
HOSTNAME_MAX = 253
FONT = "Arial,'Hiragino Sans','Meiryo',sans-serif"
LINK_COLOUR = "#1a0dab"
INK = "#333333"
MUTED = "#555555"

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_TLD = re.compile(r"^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")
_ISSUED_KEYS = ("issuedOn", "awardedDate", "validFrom", "issuanceDate")
_EXPIRES_KEYS = ("expires", "validUntil", "expirationDate")
_YEAR_MONTH = re.compile(r"^\s*(\d{4})-(\d{2})")


@dataclass(frozen=True)
class YearMonth:
    """A calendar month as LinkedIn wants it: a year and a month number 1-12."""

    year: int
    month: int

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


# --- text --------------------------------------------------------------------------------------


def clip(text: str, limit: int) -> str:
    """Return text cut to at most limit characters, with an ellipsis when it was cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + "…"


def share_text(badge_name: str, issuer_name: str, lang: str) -> str:
    """Return the sentence a holder posts, in the holder's language, with badge and issuer names."""
    with force_locale(lang):
        return gettext(
            "I earned the badge “%(badge)s” from %(issuer)s.",
            badge=clip(badge_name, NAME_CLIP),
            issuer=clip(issuer_name, NAME_CLIP),
        )


def _fit(text: str, room: int) -> str:
    """Return text clipped so that it fits into room characters."""
    return clip(text, max(room, 1))


# --- share intents -----------------------------------------------------------------------------


def _url(base: str, params: list[tuple[str, str]]) -> str:
    """Return base + query with every value percent-encoded (spaces as %20, nothing left raw)."""
    return base + "?" + urlencode(params, quote_via=quote, safe="")


def x_url(text: str, url: str, hashtags: tuple[str, ...] = ("OpenBadges",)) -> str:
    """Return X's (Twitter's) post intent; text is clipped so that text + URL fit 280."""
    room = X_MAX - X_URL_WEIGHT - 1 - sum(len(tag) + 2 for tag in hashtags)
    params = [("text", _fit(text, room)), ("url", url)]
    if hashtags:
        params.append(("hashtags", ",".join(tag.lstrip("#") for tag in hashtags)))
    return _url("https://twitter.com/intent/tweet", params)


def facebook_url(url: str) -> str:
    """Return Facebook's app-less sharer (the preview comes from the page's Open Graph tags)."""
    return _url("https://www.facebook.com/sharer/sharer.php", [("u", url)])


def linkedin_post_url(url: str) -> str:
    """Return LinkedIn's share-offsite URL (only `url` is honoured; the rest comes from OG tags)."""
    return _url("https://www.linkedin.com/sharing/share-offsite/", [("url", url)])


def line_url(text: str, url: str) -> str:
    """Return LINE's web share URL (lineit), which works on desktop and in mobile browsers."""
    return _url("https://social-plugins.line.me/lineit/share", [("url", url), ("text", text)])


def line_app_url(text: str, url: str) -> str:
    """Return LINE's in-app share URL (phones with LINE installed; text carries the URL)."""
    return _url("https://line.me/R/share", [("text", f"{text} {url}")])


def bluesky_url(text: str, url: str) -> str:
    """Return Bluesky's compose intent; the URL goes inside the 300-character text."""
    body = _fit(text, BLUESKY_MAX - len(url) - 1) + " " + url
    return _url("https://bsky.app/intent/compose", [("text", body)])


def mastodon_url(instance: str, text: str, url: str) -> str:
    """Return the share URL on the holder's Mastodon server (instance: a validated host name)."""
    host = mastodon_instance(instance)
    if host is None:
        raise ValueError("not a Mastodon server name")
    return _url(f"https://{host}/share", [("text", f"{text} {url}")])


def email_url(subject: str, text: str, url: str) -> str:
    """Return a mailto: link with subject and body (the body ends with the URL)."""
    return _url("mailto:", [("subject", subject), ("body", f"{text}\n{url}")])


def mastodon_instance(value: str | None) -> str | None:
    """Return the host name of a Mastodon server as typed by a holder, or None when it is not one.

    Accepts `mastodon.social`, `https://mastodon.social/`, `@alice@mastodon.social`, full-width
    and internationalised names (returned in ASCII). Refuses schemes other than https, paths,
    queries, ports, credentials, IP addresses and single-label names.
    """
    if not value:
        return None
    text = unicodedata.normalize("NFKC", value).strip().replace("。", ".")
    if text.startswith("@") and text.count("@") == 2:
        text = text.rsplit("@", 1)[1]  # a handle, @alice@mastodon.social
    elif text.lower().startswith("https://"):
        text = text[len("https://") :]
        if text.endswith("/"):
            text = text[:-1]
    text = text.rstrip(".")
    if not text or any(c in text for c in "/\\?#@:%[] \t\r\n"):
        return None
    try:
        host = text.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    labels = host.split(".")
    if len(host) > HOSTNAME_MAX or len(labels) < 2:
        return None
    if not all(_LABEL.match(label) for label in labels) or not _TLD.match(labels[-1]):
        return None
    return host


# --- LinkedIn "Add to profile" -----------------------------------------------------------------


def year_month(value: str | datetime | None) -> YearMonth | None:
    """Return the calendar month of a date as the issuer wrote it (its own time zone).

    A string such as `2025-04-01T00:00:00+09:00` is read as written (April), never shifted to
    UTC (March) - the off-by-one LinkedIn month peers get wrong. A datetime keeps its own zone;
    a naive one is taken as UTC.
    """
    if value is None:
        return None
    if isinstance(value, str):
        match = _YEAR_MONTH.match(value)
        if not match:
            return None
        year, month = int(match.group(1)), int(match.group(2))
    else:
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        year, month = moment.year, moment.month
    if not 1 <= month <= 12 or year < 1:
        return None
    return YearMonth(year, month)


def _payload_object(payload: str) -> dict[str, Any]:
    """Return the JSON object of a stored payload (JSON text, or the claims of a JWS/VC-JWT)."""
    text = (payload or "").strip()
    if not text.startswith("{"):
        parts = text.split(".")
        if len(parts) != 3:
            return {}
        try:
            text = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)).decode("utf-8")
        except (binascii.Error, ValueError):
            return {}
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    vc = data.get("vc")
    return {**vc, **data} if isinstance(vc, dict) else data


def stated_dates(payload: str) -> tuple[str | None, str | None]:
    """Return the issue and expiry dates exactly as the issuer wrote them in the payload."""
    data = _payload_object(payload)

    def first(keys: tuple[str, ...]) -> str | None:
        for key in keys:
            value = data.get(key)
            if isinstance(value, str) and value.strip():
                return value
        return None

    return first(_ISSUED_KEYS), first(_EXPIRES_KEYS)


def linkedin_certification_url(
    *,
    name: str,
    organization: str,
    issued: YearMonth | None,
    expires: YearMonth | None,
    cert_url: str,
    cert_id: str,
) -> str:
    """Return LinkedIn's prefilled "Add licence or certification" URL.

    Expiry fields are left out for a badge that does not expire; months are numbers 1-12.
    """
    params = [("startTask", "CERTIFICATION_NAME"), ("name", clip(name, NAME_CLIP))]
    params.append(("organizationName", clip(organization, NAME_CLIP)))
    if issued is not None:
        params += [("issueYear", str(issued.year)), ("issueMonth", str(issued.month))]
    if expires is not None:
        params += [("expirationYear", str(expires.year)), ("expirationMonth", str(expires.month))]
    params += [("certUrl", cert_url), ("certId", cert_id)]
    return _url("https://www.linkedin.com/profile/add", params)


# --- email signature and embeds ----------------------------------------------------------------


def _https(url: str) -> str:
    """Return url when it is absolute (https in production: mail clients and Gmail need that).

    A development server on plain http still gets a working snippet; anything relative or of
    another scheme is refused.
    """
    if not url.startswith(("https://", "http://")):
        raise ValueError("signature and embed URLs must be absolute https URLs")
    return url


def signature_html(
    *,
    page_url: str,
    image_url: str,
    holder_name: str,
    badge_name: str,
    issuer_name: str,
    issued: YearMonth | None,
    alt: str,
) -> str:
    """Return the email-signature block: one table, inline styles, an absolute https PNG.

    `holder_name` is already in the holder's name order. Values are escaped here; URLs must
    be absolute https (from WALLET_BASE_URL, never the request's Host header).
    """
    page = escape(_https(page_url))
    image = escape(_https(image_url))
    size = SIGNATURE_IMAGE_SIZE
    issuer_line = escape(clip(issuer_name, NAME_CLIP))
    if issued is not None:
        issuer_line += f" · {issued}"
    text_style = (
        f"vertical-align:middle;font-family:{FONT};font-size:12px;line-height:16px;color:{INK};"
    )
    html = (
        '<table cellpadding="0" cellspacing="0" border="0" role="presentation"'
        ' style="border-collapse:collapse;">'
        "<tr>"
        '<td style="padding:0 8px 0 0;vertical-align:middle;">'
        f'<a href="{page}" target="_blank" style="text-decoration:none;">'
        f'<img src="{image}" width="{size}" height="{size}" alt="{escape(clip(alt, NAME_CLIP))}"'
        f' style="display:block;border:0;width:{size}px;height:{size}px;">'
        "</a></td>"
        f'<td style="{text_style}">'
        f'<strong style="font-size:13px;color:{INK};">'
        f"{escape(clip(holder_name, NAME_CLIP))}</strong>"
        "<br>"
        f'<a href="{page}" target="_blank" style="color:{LINK_COLOUR};text-decoration:none;">'
        f"{escape(clip(badge_name, NAME_CLIP))}</a>"
        "<br>"
        f'<span style="color:{MUTED};">{issuer_line}</span>'
        "</td>"
        "</tr>"
        "</table>"
    )
    if len(html) > SIGNATURE_MAX_CHARS:  # cannot happen with clipped names; keep the promise
        raise ValueError("signature too long")
    return html


def signature_text(
    *, page_url: str, holder_name: str, badge_name: str, issuer_name: str, issued: YearMonth | None
) -> str:
    """Return the plain-text twin of the signature (what a plain-text mail gets when pasted)."""
    issuer_line = clip(issuer_name, NAME_CLIP) + (f" · {issued}" if issued else "")
    return "\n".join(
        [clip(holder_name, NAME_CLIP), clip(badge_name, NAME_CLIP), issuer_line, page_url]
    )


def embed_html(*, page_url: str, image_url: str, alt: str) -> str:
    """Return the embed snippet: the badge image linked to its verification page, no script."""
    size = EMBED_IMAGE_SIZE
    return (
        f'<a href="{escape(_https(page_url))}" target="_blank" rel="noopener">'
        f'<img src="{escape(_https(image_url))}" width="{size}" height="{size}"'
        f' alt="{escape(clip(alt, NAME_CLIP))}" style="object-fit:contain;border:0;"></a>'
    )


def embed_card_html(
    *,
    page_url: str,
    image_url: str,
    holder_name: str,
    badge_name: str,
    issuer_name: str,
    alt: str,
    verify_label: str,
) -> str:
    """Return an iframe-free badge card; without its styles it is still a plain, working link."""
    page = escape(_https(page_url))
    size = SIGNATURE_IMAGE_SIZE
    return (
        f'<blockquote cite="{page}" style="margin:0;padding:12px;border:1px solid #d9e2ec;'
        f"border-radius:8px;max-width:360px;font-family:{FONT};font-size:14px;line-height:20px;"
        f'color:{INK};">'
        f'<a href="{page}" target="_blank" rel="noopener" style="color:{LINK_COLOUR};">'
        f'<img src="{escape(_https(image_url))}" width="{size}" height="{size}"'
        f' alt="{escape(clip(alt, NAME_CLIP))}" style="float:left;margin:0 12px 0 0;border:0;">'
        f"<strong>{escape(clip(badge_name, NAME_CLIP))}</strong></a><br>"
        f"{escape(clip(issuer_name, NAME_CLIP))}<br>"
        f"{escape(clip(holder_name, NAME_CLIP))}<br>"
        f'<a href="{page}" target="_blank" rel="noopener" style="color:{LINK_COLOUR};">'
        f"{escape(verify_label)}</a>"
        "</blockquote>"
    )


def signature_png(png: bytes, size: int = SIGNATURE_IMAGE_PIXELS) -> bytes:
    """Return one of our PNGs as a size x size square (padded, never stretched), tagged 96 dpi."""
    small = images.resized(png, size)
    with Image.open(io.BytesIO(small)) as image:
        frame = image.convert("RGBA")
    canvas = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    canvas.paste(frame, ((size - frame.width) // 2, (size - frame.height) // 2))
    out = io.BytesIO()
    # Outlook rescales (and blurs) images that are not 96 dpi.
    canvas.save(out, format="PNG", dpi=(96, 96), optimize=True)
    return out.getvalue()


# --- the one database touch ------------------------------------------------------------------


def remember_mastodon_instance(user: User, host: str) -> str:
    """Store the holder's Mastodon server (validated) so the wallet asks only once; return it."""
    valid = mastodon_instance(host)
    if valid is None:
        raise ValueError("not a Mastodon server name")
    user.mastodon_instance = valid
    db.session.commit()
    return valid
