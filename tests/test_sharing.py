"""Sharing: intent URLs parsed back, LinkedIn certification, Mastodon server, signature, embeds."""

from __future__ import annotations

import html
import io
import json
import re
from datetime import UTC
from datetime import datetime
from html.parser import HTMLParser
from urllib.parse import parse_qs
from urllib.parse import parse_qsl
from urllib.parse import urlsplit

import pytest
from PIL import Image

from tests.badge_factory import add_badge
from tests.badge_factory import plain_png
from tests.conftest import htmx_headers
from tests.conftest import make_user

PAGE = "https://wallet.example.test/b/abc123def456ghi789jk"
IMAGE = "https://wallet.example.test/b/abc123def456ghi789jk/signature.png"
HOSTILE = "A&certUrl=https://evil.example/#x?y=1 +%20<script>"


def query(url: str) -> tuple[str, str, str, dict[str, str]]:
    """Return scheme, host, path and the decoded parameters (each exactly once) of url."""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=True)
    names = [name for name, _ in pairs]
    assert len(names) == len(set(names)), f"repeated parameter in {url}"
    return parts.scheme, parts.netloc, parts.path, dict(pairs)


def raw_values_are_encoded(url: str) -> bool:
    """Return whether no reserved character is left raw inside a parameter value."""
    for pair in urlsplit(url).query.split("&"):
        _, _, value = pair.partition("=")
        if re.search(r"[^A-Za-z0-9%._~-]", value):
            return False
    return True


# --- share intents ------------------------------------------------------------------------------


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


def test_x_intent(ctx) -> None:
    from wallet.services import sharing

    url = sharing.x_url(HOSTILE, PAGE)
    scheme, host, path, params = query(url)
    assert (scheme, host, path) == ("https", "twitter.com", "/intent/tweet")
    assert params == {"text": HOSTILE, "url": PAGE, "hashtags": "OpenBadges"}
    assert raw_values_are_encoded(url)


def test_x_text_is_clipped_to_fit_with_the_url(ctx) -> None:
    from wallet.services import sharing

    _, _, _, params = query(sharing.x_url("長" * 400, PAGE))
    assert len(params["text"]) + 23 + len(" #OpenBadges") < 280
    assert params["text"].endswith("…")


def test_facebook_linkedin_line_bluesky_intents(ctx) -> None:
    from wallet.services import sharing

    assert query(sharing.facebook_url(PAGE)) == (
        "https",
        "www.facebook.com",
        "/sharer/sharer.php",
        {"u": PAGE},
    )
    assert query(sharing.linkedin_post_url(PAGE)) == (
        "https",
        "www.linkedin.com",
        "/sharing/share-offsite/",
        {"url": PAGE},
    )
    assert query(sharing.line_url(HOSTILE, PAGE)) == (
        "https",
        "social-plugins.line.me",
        "/lineit/share",
        {"url": PAGE, "text": HOSTILE},
    )
    assert query(sharing.line_app_url(HOSTILE, PAGE)) == (
        "https",
        "line.me",
        "/R/share",
        {"text": f"{HOSTILE} {PAGE}"},
    )
    scheme, host, path, params = query(sharing.bluesky_url(HOSTILE, PAGE))
    assert (scheme, host, path) == ("https", "bsky.app", "/intent/compose")
    assert params == {"text": f"{HOSTILE} {PAGE}"}
    for url in (
        sharing.facebook_url(PAGE),
        sharing.line_url(HOSTILE, PAGE),
        sharing.bluesky_url(HOSTILE, PAGE),
    ):
        assert raw_values_are_encoded(url)


def test_bluesky_text_fits_300_with_the_url(ctx) -> None:
    from wallet.services import sharing

    _, _, _, params = query(sharing.bluesky_url("x" * 500, PAGE))
    assert len(params["text"]) <= 300
    assert params["text"].endswith(" " + PAGE)


def test_mastodon_intent(ctx) -> None:
    from wallet.services import sharing

    url = sharing.mastodon_url("Mastodon.Social", HOSTILE, PAGE)
    assert query(url) == ("https", "mastodon.social", "/share", {"text": f"{HOSTILE} {PAGE}"})
    with pytest.raises(ValueError):
        sharing.mastodon_url("evil.example/path?x=", "t", PAGE)


def test_email_link(ctx) -> None:
    from wallet.services import sharing

    url = sharing.email_url("件名 & more", HOSTILE, PAGE)
    assert url.startswith("mailto:?")
    assert parse_qs(urlsplit(url).query) == {
        "subject": ["件名 & more"],
        "body": [f"{HOSTILE}\n{PAGE}"],
    }


@pytest.mark.parametrize(
    ("typed", "host"),
    [
        ("mastodon.social", "mastodon.social"),
        ("  Mastodon.Social  ", "mastodon.social"),
        ("https://mstdn.jp/", "mstdn.jp"),
        ("HTTPS://mstdn.jp", "mstdn.jp"),
        ("@alice@fedibird.com", "fedibird.com"),
        ("ｍｓｔｄｎ．ｊｐ", "mstdn.jp"),  # typed with a full-width IME
        ("mstdn。jp", "mstdn.jp"),
        ("マストドン.jp", "xn--zck4ad5f2e.jp"),
        ("social.example.co.jp.", "social.example.co.jp"),
    ],
)
def test_mastodon_instance_accepts_host_names(typed: str, host: str) -> None:
    from wallet.services.sharing import mastodon_instance

    assert mastodon_instance(typed) == host


@pytest.mark.parametrize(
    "typed",
    [
        "",
        None,
        "javascript:alert(1)",
        "javascript://mastodon.social/%0aalert(1)",
        "http://mastodon.social",
        "mastodon.social/share",
        "https://mastodon.social/@alice",
        "mastodon.social?text=x",
        "mastodon.social#x",
        "user:pass@mastodon.social",
        "https://user@mastodon.social",
        "alice@mastodon.social",
        "mastodon.social:443",
        "127.0.0.1",
        "[::1]",
        "localhost",
        "mastodon",
        "-bad.example",
        "bad-.example",
        "a..example",
        "mastodon.social\r\nSet-Cookie: x=1",
        "mast odon.social",
        "evil.example\\@mastodon.social",
        "a" * 64 + ".example",
        ("a" * 60 + ".") * 5 + "com",
        "data:text/html,x",
    ],
)
def test_mastodon_instance_refuses_everything_else(typed: str | None) -> None:
    from wallet.services.sharing import mastodon_instance

    assert mastodon_instance(typed) is None


# --- LinkedIn certification -------------------------------------------------------------------


def test_linkedin_certification(ctx) -> None:
    from wallet.services import sharing

    url = sharing.linkedin_certification_url(
        name=HOSTILE,
        organization="XYZ研究所 & Co",
        issued=sharing.YearMonth(2025, 4),
        expires=sharing.YearMonth(2028, 12),
        cert_url=PAGE,
        cert_id="abc123def456ghi789jk",
    )
    scheme, host, path, params = query(url)
    assert (scheme, host, path) == ("https", "www.linkedin.com", "/profile/add")
    assert params == {
        "startTask": "CERTIFICATION_NAME",
        "name": HOSTILE,
        "organizationName": "XYZ研究所 & Co",
        "issueYear": "2025",
        "issueMonth": "4",
        "expirationYear": "2028",
        "expirationMonth": "12",
        "certUrl": PAGE,
        "certId": "abc123def456ghi789jk",
    }
    assert raw_values_are_encoded(url)


def test_linkedin_certification_without_expiry_or_date(ctx) -> None:
    from wallet.services import sharing

    _, _, _, params = query(
        sharing.linkedin_certification_url(
            name="B", organization="I", issued=None, expires=None, cert_url=PAGE, cert_id="x"
        )
    )
    assert not {"issueYear", "issueMonth", "expirationYear", "expirationMonth"} & set(params)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-04-01T00:00:00+09:00", (2025, 4)),  # April in Tokyo, March in UTC
        ("2025-12-31T23:30:00-05:00", (2025, 12)),
        ("2025-01-01", (2025, 1)),
        (datetime(2024, 1, 31, 23, 0, tzinfo=UTC), (2024, 1)),
        (datetime(2024, 10, 5), (2024, 10)),
        ("2025-13-01", None),
        ("2025-00-01", None),
        ("soon", None),
        (None, None),
    ],
)
def test_year_month_is_the_month_as_the_issuer_wrote_it(value, expected) -> None:
    from wallet.services.sharing import year_month

    found = year_month(value)
    assert (None if found is None else (found.year, found.month)) == expected
    if found is not None:
        assert isinstance(found.month, int) and 1 <= found.month <= 12


def test_stated_dates_from_json_and_jwt_payloads() -> None:
    import base64

    from wallet.services.sharing import stated_dates

    ob2 = {"issuedOn": "2025-04-01T00:00:00+09:00", "expires": "2028-03-31T23:59:59+09:00"}
    assert stated_dates(json.dumps(ob2)) == (ob2["issuedOn"], ob2["expires"])
    ob3 = {"validFrom": "2025-04-01T00:00:00+09:00"}
    claims = base64.urlsafe_b64encode(json.dumps({"vc": ob3}).encode()).rstrip(b"=").decode()
    assert stated_dates(f"eyJhbGciOiJFZERTQSJ9.{claims}.sig") == (ob3["validFrom"], None)
    assert stated_dates("not a payload") == (None, None)
    assert stated_dates("[1, 2]") == (None, None)


# --- signature and embeds ---------------------------------------------------------------------

ALLOWED_TAGS = {"table", "tr", "td", "a", "img", "span", "br", "strong", "p"}
ALLOWED_ATTRIBUTES = {
    "style",
    "href",
    "target",
    "src",
    "width",
    "height",
    "alt",
    "cellpadding",
    "cellspacing",
    "border",
    "role",
}


class AllowList(HTMLParser):
    """Collect every tag and attribute of an HTML snippet."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def check_signature(snippet: str) -> AllowList:
    """Assert the email-signature rules of notes/sharing.md §2; return the parsed snippet."""
    parser = AllowList()
    parser.feed(snippet)
    parser.close()
    assert len(snippet) < 10_000
    assert "<script" not in snippet.lower() and "<svg" not in snippet.lower()
    assert "<style" not in snippet.lower() and "<div" not in snippet.lower()
    images = []
    for tag, attrs in parser.tags:
        assert tag in ALLOWED_TAGS, tag
        assert set(attrs) <= ALLOWED_ATTRIBUTES, (tag, attrs)
        assert not any(name.startswith("on") for name in attrs)
        if tag not in ("tr", "br"):
            assert "style" in attrs, f"<{tag}> without an inline style"
        for name in ("href", "src"):
            if name in attrs:
                assert attrs[name].startswith("https://"), attrs[name]
                assert not attrs[name].startswith("data:")
        if tag == "img":
            images.append(attrs)
    assert parser.tags[0][0] == "table"
    assert len(images) == 1
    image = images[0]
    assert urlsplit(image["src"]).path.endswith(".png") and not urlsplit(image["src"]).query
    assert image["width"].isdigit() and image["height"].isdigit()
    assert 48 <= int(image["width"]) <= 120 and image["alt"]
    return parser


def test_signature_html_passes_the_allow_list(ctx) -> None:
    from wallet.services import sharing

    snippet = sharing.signature_html(
        page_url=PAGE,
        image_url=IMAGE,
        holder_name="コンクリート 太郎",
        badge_name='情報処理士 <img src=x onerror=alert(1)> "quoted"',
        issuer_name="XYZ研究所 & Co",
        issued=sharing.YearMonth(2025, 4),
        alt="Badge: 情報処理士",
    )
    parser = check_signature(snippet)
    text = "".join(parser.text)
    assert "コンクリート 太郎" in text
    assert '情報処理士 <img src=x onerror=alert(1)> "quoted"' in text  # as text, not markup
    assert "XYZ研究所 & Co · 2025-04" in text
    links = [attrs["href"] for tag, attrs in parser.tags if tag == "a"]
    assert links and set(links) == {PAGE}


def test_signature_stays_under_the_limit_with_huge_names(ctx) -> None:
    from wallet.services import sharing

    snippet = sharing.signature_html(
        page_url=PAGE,
        image_url=IMAGE,
        holder_name="&" * 500,
        badge_name="&" * 500,
        issuer_name='"' * 500,
        issued=None,
        alt="<" * 500,
    )
    check_signature(snippet)


def test_signature_refuses_relative_and_data_urls(ctx) -> None:
    from wallet.services import sharing

    for image in ("/b/x/signature.png", "data:image/png;base64,AAAA", "javascript:alert(1)"):
        with pytest.raises(ValueError):
            sharing.signature_html(
                page_url=PAGE,
                image_url=image,
                holder_name="h",
                badge_name="b",
                issuer_name="i",
                issued=None,
                alt="a",
            )


def test_embeds_have_no_script_and_link_the_page(ctx) -> None:
    from wallet.services import sharing

    snippets = [
        sharing.embed_html(page_url=PAGE, image_url=IMAGE, alt="<b>"),
        sharing.embed_card_html(
            page_url=PAGE,
            image_url=IMAGE,
            holder_name="コンクリート 太郎",
            badge_name="<script>alert(1)</script>",
            issuer_name="I",
            alt="a",
            verify_label="Verify",
        ),
    ]
    for snippet in snippets:
        parser = AllowList()
        parser.feed(snippet)
        tags = {tag for tag, _ in parser.tags}
        assert tags <= {"a", "img", "blockquote", "strong", "br"}
        assert "iframe" not in snippet and "<script" not in snippet
        for _tag, attrs in parser.tags:
            assert not any(name.startswith("on") for name in attrs)
        assert {attrs["href"] for tag, attrs in parser.tags if tag == "a"} == {PAGE}


def test_signature_png_is_square_small_and_96_dpi(ctx) -> None:
    from wallet.services import sharing

    wide = io.BytesIO()
    Image.new("RGB", (300, 100), (10, 20, 30)).save(wide, format="PNG")
    data = sharing.signature_png(wide.getvalue())
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG"
        assert image.size == (120, 120)
        assert round(image.info["dpi"][0]) == 96


def test_share_text_names_badge_and_issuer_in_the_holder_language(ctx) -> None:
    from flask_babel import force_locale
    from flask_babel import gettext

    from wallet.services import sharing

    for lang in ("ja", "en"):
        text = sharing.share_text("情報処理士", "XYZ研究所", lang)
        assert "情報処理士" in text and "XYZ研究所" in text
        with force_locale(lang):
            expected = gettext(
                "I earned the badge “%(badge)s” from %(issuer)s.",
                badge="情報処理士",
                issuer="XYZ研究所",
            )
        assert text == expected


# --- views ------------------------------------------------------------------------------------


@pytest.fixture
def holder(app, user, auth):
    """The signed-in holder コンクリート 太郎 with one public and one private badge."""
    auth.login()
    with app.app_context():
        from wallet.extensions import db
        from wallet.models import BadgeContent

        public = add_badge(
            user["id"],
            name="コンクリート診断士",
            issuer_name="日本コンクリート工学会",
            issued_on=datetime(2025, 3, 31, 15, 0, tzinfo=UTC),
            expires=datetime(2030, 3, 31, 14, 59, tzinfo=UTC),
        )
        private = add_badge(user["id"], name="Secret badge", visibility="private")
        ids = {
            "public": public.id,
            "public_id": public.public_id,
            "private": private.id,
            "private_id": private.public_id,
        }
        content = db.session.get(BadgeContent, ids["public"])
        content.payload = json.dumps(
            {"issuedOn": "2025-04-01T00:00:00+09:00", "expires": "2030-03-31T23:59:00+09:00"}
        )
        content.image_png = plain_png(size=300)
        db.session.commit()
    return ids


def links_of(body: str) -> dict[str, str]:
    """Return the share links of a panel by their class."""
    found = {}
    for match in re.finditer(r'<a class="button share-([a-z-]+)" href="([^"]+)"', body):
        found[match.group(1)] = match.group(2).replace("&amp;", "&")
    return found


def test_share_page_offers_every_network(client, holder) -> None:
    response = client.get(f"/badges/{holder['public']}/share")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<!doctype html>" in body.lower()
    assert "js/share.js" in body
    assert response.headers["Cache-Control"] == "no-store"
    page = f"https://wallet.example.test/b/{holder['public_id']}"
    links = links_of(body)
    assert set(links) >= {
        "x",
        "facebook",
        "linkedin",
        "line",
        "bluesky",
        "email",
        "mastodon",
        "linkedin-profile",
    }
    assert query(links["x"])[3]["url"] == page
    assert "コンクリート診断士" in query(links["x"])[3]["text"]
    assert "日本コンクリート工学会" in query(links["x"])[3]["text"]
    assert query(links["facebook"])[3] == {"u": page}
    assert query(links["line"])[3]["url"] == page
    assert query(links["bluesky"])[3]["text"].endswith(page)
    # No server remembered yet: Mastodon asks first.
    assert links["mastodon"] == f"/badges/{holder['public']}/share/mastodon"
    params = query(links["linkedin-profile"])[3]
    assert params["name"] == "コンクリート診断士"
    assert params["organizationName"] == "日本コンクリート工学会"
    # The issuer wrote 2025-04-01 in +09:00: April, not March (stored UTC).
    assert (params["issueYear"], params["issueMonth"]) == ("2025", "4")
    assert (params["expirationYear"], params["expirationMonth"]) == ("2030", "3")
    assert params["certUrl"] == page and params["certId"] == holder["public_id"]
    external = re.findall(
        r'<a class="button share-[a-z-]+" href="(?:https|mailto)[^"]*"([^>]*)>', body
    )
    assert len(external) >= 7
    for rest in external:
        assert 'target="_blank"' in rest and 'rel="noopener noreferrer"' in rest


def test_share_panel_signature_and_embed(client, holder) -> None:
    body = client.get(f"/badges/{holder['public']}/share").get_data(as_text=True)
    source = re.search(r'<textarea id="signature-source"[^>]*>(.*?)</textarea>', body, re.S)
    assert source
    signature = html.unescape(source.group(1))
    parser = check_signature(signature)
    text = "".join(parser.text)
    assert "コンクリート 太郎" in text  # family name first, as the holder chose
    assert "コンクリート診断士" in text
    image = next(attrs["src"] for tag, attrs in parser.tags if tag == "img")
    assert image == f"https://wallet.example.test/b/{holder['public_id']}/signature.png"
    assert "<iframe" in body and re.search(r"<iframe[^>]* sandbox[ >]", body)
    assert 'id="embed-source"' in body and 'id="card-source"' in body
    # No inline script, handler or style attribute in our own page.
    assert not re.search(r"<script(?![^>]*\bsrc=)", body)
    assert not re.search(r"\son[a-z]+=", body)
    assert not re.search(r"<[a-z][^>]*\sstyle=", body)


def test_name_order_given_first_in_the_signature(app, client) -> None:
    with app.app_context():
        created = make_user(
            "jane@example.com",
            family_name="Doe",
            given_name="Jane",
            name_order="given-first",
            language="en",
        )
        badge = add_badge(created.id, name="Welding")
        badge_id = badge.id
    client.post("/auth/login", data={"email": "jane@example.com", "password": "Passw0rd!"})
    body = client.get(f"/badges/{badge_id}/share").get_data(as_text=True)
    assert "Jane Doe" in body and "Doe Jane" not in body
    assert "I earned the badge “Welding”" in html.unescape(body)  # the holder's language


def test_share_panel_fragment_for_htmx(client, holder) -> None:
    response = client.get(f"/badges/{holder['public']}/share", headers=htmx_headers("share-panel"))
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<html" not in body and "share-networks" in body
    assert "HX-Request" in response.headers.get("Vary", "")


def test_detail_page_links_to_the_share_page(client, holder) -> None:
    """The badge page offers Share as a link; signature and embed code live on the share page."""
    body = client.get(f"/badges/{holder['public']}").get_data(as_text=True)
    assert f'href="/badges/{holder["public"]}/share"' in body
    for moved in ('id="share-panel"', "signature-source", "embed-source", "card-source"):
        assert moved not in body, moved
    page = client.get(f"/badges/{holder['public']}/share").get_data(as_text=True)
    for there in ('id="share-panel"', "signature-source", "embed-source", "card-source"):
        assert there in page, there


def test_private_badge_offers_no_share(client, holder) -> None:
    for headers in ({}, htmx_headers("share-panel")):
        response = client.get(f"/badges/{holder['private']}/share", headers=headers)
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        assert "private" in body.lower()
        assert holder["private_id"] not in body
        for absent in ("twitter.com", "linkedin.com", "signature-source", "embed-source", "bsky"):
            assert absent not in body
    assert client.get(f"/b/{holder['private_id']}/signature.png").status_code == 404
    assert client.get(f"/badges/{holder['private']}/share/signature").status_code == 404
    response = client.get(f"/badges/{holder['private']}/share/mastodon")
    assert response.status_code == 303


def test_another_holders_badge_is_404(app, client, holder) -> None:
    with app.app_context():
        other = make_user("hanako@example.com", family_name="山田", given_name="花子")
        theirs = add_badge(other.id, name="Their badge").id
    for path in (
        f"/badges/{theirs}/share",
        f"/badges/{theirs}/share/mastodon",
        f"/badges/{theirs}/share/signature",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Their badge" not in response.get_data(as_text=True)
    assert (
        client.post(f"/badges/{theirs}/share/mastodon", data={"instance": "a.social"}).status_code
        == 404
    )


def test_share_needs_sign_in(client, holder) -> None:
    client.post("/auth/logout")
    response = client.get(f"/badges/{holder['public']}/share")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_signature_image(client, holder) -> None:
    response = client.get(f"/b/{holder['public_id']}/signature.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert "max-age=300" in response.headers["Cache-Control"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    with Image.open(io.BytesIO(response.data)) as image:
        assert image.size == (120, 120)
    again = client.get(
        f"/b/{holder['public_id']}/signature.png",
        headers={"If-None-Match": response.headers["ETag"]},
    )
    assert again.status_code == 304


def test_signature_image_404_the_moment_the_badge_is_private(app, client, holder) -> None:
    assert client.get(f"/b/{holder['public_id']}/signature.png").status_code == 200
    client.post(f"/badges/{holder['public']}/visibility", data={"visibility": "private"})
    response = client.get(f"/b/{holder['public_id']}/signature.png")
    assert response.status_code == 404
    assert response.headers["Cache-Control"] == "no-store"
    for unknown in ("zzzzzzzzzzzzzzzzzzzz", "-rf", "x" * 40):
        assert client.get(f"/b/{unknown}/signature.png").status_code == 404


def test_signature_preview_frame_has_its_own_policy(client, holder) -> None:
    response = client.get(f"/badges/{holder['public']}/share/signature")
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    assert "frame-ancestors 'self'" in csp
    assert "<table" in response.get_data(as_text=True)


def test_mastodon_asks_once_then_remembers(app, client, holder) -> None:
    path = f"/badges/{holder['public']}/share/mastodon"
    form = client.get(path)
    assert form.status_code == 200 and 'name="instance"' in form.get_data(as_text=True)

    bad = client.post(path, data={"instance": "javascript:alert(1)"})
    assert bad.status_code == 422
    assert (
        "javascript:alert" not in bad.get_data(as_text=True).split("</h1>")[1].split('value="')[0]
    )

    saved = client.post(path, data={"instance": "https://Mstdn.JP/"})
    assert saved.status_code == 303
    landing = client.get(saved.headers["Location"])
    body = landing.get_data(as_text=True)
    target = re.search(r'<meta http-equiv="refresh" content="0; url=([^"]+)">', body)
    assert target
    scheme, host, path_, params = query(target.group(1).replace("&amp;", "&"))
    assert (scheme, host, path_) == ("https", "mstdn.jp", "/share")
    assert params["text"].endswith(f"https://wallet.example.test/b/{holder['public_id']}")

    with app.app_context():
        from wallet.extensions import db
        from wallet.models import User

        stored = db.session.scalar(db.select(User).where(User.email == "taro@example.com"))
        assert stored.mastodon_instance == "mstdn.jp"

    # The panel now links straight to the server, and offers to change it.
    links = links_of(client.get(f"/badges/{holder['public']}/share").get_data(as_text=True))
    assert query(links["mastodon"])[1] == "mstdn.jp"


def test_mastodon_htmx_post_redirects_to_the_server(client, holder) -> None:
    path = f"/badges/{holder['public']}/share/mastodon"
    response = client.post(
        path, data={"instance": "@alice@fedibird.com"}, headers=htmx_headers("mastodon-form")
    )
    assert response.status_code == 200
    target = response.headers["HX-Redirect"]
    assert query(target)[:3] == ("https", "fedibird.com", "/share")
    bad = client.post(path, data={"instance": "a/b"}, headers=htmx_headers("mastodon-form"))
    assert bad.status_code == 422 and "<html" not in bad.get_data(as_text=True)


def test_mastodon_form_needs_csrf(app, client, holder) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post(
        f"/badges/{holder['public']}/share/mastodon", data={"instance": "mastodon.social"}
    )
    assert response.status_code in (400, 422)
    with app.app_context():
        from wallet.extensions import db
        from wallet.models import User

        stored = db.session.scalar(db.select(User).where(User.email == "taro@example.com"))
        assert stored.mastodon_instance is None


def test_public_page_carries_open_graph_for_previews(client, holder) -> None:
    body = client.get(f"/b/{holder['public_id']}").get_data(as_text=True)
    page = f"https://wallet.example.test/b/{holder['public_id']}"

    def meta(attribute: str, name: str) -> str:
        match = re.search(rf'<meta {attribute}="{re.escape(name)}" content="([^"]*)"', body)
        assert match, name
        return match.group(1)

    assert "コンクリート診断士" in meta("property", "og:title")
    assert "日本コンクリート工学会" in meta("property", "og:description")
    assert meta("property", "og:url") == page
    image = meta("property", "og:image")
    assert image.startswith("https://") and image.endswith(".png")
    assert meta("name", "twitter:card") in ("summary", "summary_large_image")
