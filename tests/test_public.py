"""Public verification page, image and QR codes, profile page: content, meta tags, the 404 rule."""

from __future__ import annotations

import io
import re
import secrets
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from html.parser import HTMLParser

import pytest
import zxingcpp
from PIL import Image
from PIL import ImageDraw
from sqlalchemy import event

from tests.conftest import make_user
from tests.public_helpers import add_badge
from tests.public_helpers import assertion
from tests.public_helpers import baked
from tests.public_helpers import plain_png

BASE = "https://wallet.example.test"
SUFFIXES = ("", "/image.png", "/qr.svg", "/qr.png")


class MetaParser(HTMLParser):
    """Collect <title>, <meta> and <link rel=canonical> from a page."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.canonical: str | None = None
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "meta":
            key = values.get("property") or values.get("name")
            if key:
                self.meta[key] = values.get("content", "")
        elif tag == "link" and values.get("rel") == "canonical":
            self.canonical = values.get("href")
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def parse(html: str) -> MetaParser:
    parser = MetaParser()
    parser.feed(html)
    return parser


@pytest.fixture
def holder(app):
    """The default holder コンクリート 太郎 (family-first) with one public badge."""
    with app.app_context():
        user = make_user()
        badge = add_badge(user.id)
        return {"user_id": user.id, "public_id": badge.public_id}


def _add(app, user_id: int, **kwargs) -> str:
    with app.app_context():
        return add_badge(user_id, **kwargs).public_id


def _set_visibility(app, public_id: str, visibility: str) -> None:
    from sqlalchemy import select

    from wallet.extensions import db
    from wallet.models import Badge
    from wallet.services import badges

    with app.app_context():
        badge = db.session.scalar(select(Badge).where(Badge.public_id == public_id))
        badges.set_visibility(badge, visibility)


def _delete(app, public_id: str) -> None:
    from sqlalchemy import select

    from wallet.extensions import db
    from wallet.models import Badge
    from wallet.services import badges

    with app.app_context():
        badges.delete(db.session.scalar(select(Badge).where(Badge.public_id == public_id)))


# --- the page ------------------------------------------------------------------------------


def test_page_shows_badge_holder_in_name_order_dates_and_state(client, holder):
    response = client.get(f"/b/{holder['public_id']}", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "コンクリート 太郎" in html
    assert "太郎 コンクリート" not in html
    assert "コンクリート技士" in html
    assert "日本コンクリート協会" in html
    assert "1 April 2024" in html
    assert "1 January 2030" in html
    assert re.search(r'class="state-word"[^>]*>.*Valid</p>', html)
    assert "Last checked:" in html
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT', html)


def test_page_in_japanese_formats_dates_the_japanese_way(client, holder):
    response = client.get(f"/b/{holder['public_id']}", headers={"Accept-Language": "ja"})
    html = response.get_data(as_text=True)
    assert '<html lang="ja">' in html
    assert "2024年4月1日" in html
    assert "2030年1月1日" in html


def test_language_switch_cookie_wins_over_accept_language(client, holder):
    client.set_cookie("wallet_lang", "ja")
    html = client.get(f"/b/{holder['public_id']}", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    assert "2024年4月1日" in html


def test_given_first_holder_is_shown_given_name_first(app, client):
    with app.app_context():
        user = make_user(
            "ann@example.com",
            family_name="Smith",
            given_name="Ann",
            name_order="given-first",
            language="en",
        )
        public_id = add_badge(user.id).public_id
    html = client.get(f"/b/{public_id}").get_data(as_text=True)
    assert "Ann Smith" in html
    assert "Smith Ann" not in html


def test_title_open_graph_and_canonical_use_absolute_urls(client, holder):
    public_id = holder["public_id"]
    page = parse(
        client.get(f"/b/{public_id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    )
    url = f"{BASE}/b/{public_id}"
    assert page.title.strip() == "コンクリート技士 – コンクリート 太郎 – Badge Wallet"
    assert page.canonical == url
    assert page.meta["og:url"] == url
    assert page.meta["og:image"] == f"{url}/image.png"
    assert page.meta["twitter:image"] == f"{url}/image.png"
    assert page.meta["twitter:card"] == "summary"
    assert page.meta["og:title"] == "コンクリート技士 – コンクリート 太郎"
    assert "日本コンクリート協会" in page.meta["og:description"]
    assert "コンクリート 太郎" in page.meta["og:description"]
    assert "Valid" in page.meta["og:description"]


def test_base_url_not_the_host_header_builds_absolute_urls(client, holder):
    public_id = holder["public_id"]
    html = client.get(
        f"/b/{public_id}", headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example"}
    ).get_data(as_text=True)
    assert "evil.example" not in html
    assert parse(html).meta["og:image"].startswith(BASE + "/")


def test_badge_text_is_escaped(app, client):
    with app.app_context():
        user = make_user()
        public_id = add_badge(
            user.id, name='<script>alert(1)</script>"', issuer_name="<b>Evil</b>"
        ).public_id
    html = client.get(f"/b/{public_id}").get_data(as_text=True)
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>Evil</b>" not in html


def test_expiry_is_computed_live_even_when_the_stored_result_says_valid(app, client):
    with app.app_context():
        user = make_user()
        yesterday = datetime.now(UTC) - timedelta(days=1)
        public_id = add_badge(user.id, result="valid", expires=yesterday).public_id
    response = client.get(f"/b/{public_id}", headers={"Accept-Language": "en"})
    html = response.get_data(as_text=True)
    assert "state-expired" in html
    assert re.search(r'class="state-word"[^>]*>.*Expired</p>', html)
    assert "Status: Expired" in parse(html).meta["og:description"]


@pytest.mark.parametrize(
    ("result", "confirmed", "state", "word"),
    [
        ("revoked", True, "revoked", "Revoked"),
        ("valid", False, "unconfirmed", "Recipient not confirmed"),
        ("unverifiable", True, "unverifiable", "Could not be verified"),
        ("invalid", True, "invalid", "Not valid"),
        ("valid", True, "valid", "Valid"),
    ],
)
def test_each_state_in_large_words(app, client, result, confirmed, state, word):
    with app.app_context():
        user = make_user()
        public_id = add_badge(user.id, result=result, recipient_confirmed=confirmed).public_id
    html = client.get(f"/b/{public_id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f"state-banner state-{state}" in html
    assert re.search(r'class="state-word"[^>]*>.*' + re.escape(word) + "</p>", html)


def test_revoked_outranks_a_past_expiry(app, client):
    with app.app_context():
        user = make_user()
        public_id = add_badge(
            user.id, result="revoked", expires=datetime.now(UTC) - timedelta(days=3)
        ).public_id
    html = client.get(f"/b/{public_id}").get_data(as_text=True)
    assert "state-banner state-revoked" in html


def test_stale_result_is_shown_with_its_age_and_never_fetched_by_a_visit(app, client, monkeypatch):
    from wallet.services import badges

    def no_network(*args, **kwargs):
        raise AssertionError("a visitor's request must not fetch anything")

    monkeypatch.setattr(badges, "make_fetcher", no_network)
    monkeypatch.setattr(badges, "reverify", no_network)
    with app.app_context():
        user = make_user()
        old = datetime(2024, 5, 1, 3, 0, tzinfo=UTC)
        public_id = add_badge(user.id, verified_at=old).public_id
    html = client.get(f"/b/{public_id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    # English visitors read UTC, Japanese ones Japan Time; the page names the zone.
    assert "1 May 2024, 03:00 (UTC)" in html
    assert "Dates and times are shown in UTC." in html
    assert "a new check is due" in html
    html = client.get(f"/b/{public_id}", headers={"Accept-Language": "ja"}).get_data(as_text=True)
    assert "2024年5月1日 12:00（日本時間）" in html
    fresh = _add(app, holder_id(app), number=2)
    assert "a new check is due" not in client.get(f"/b/{fresh}").get_data(as_text=True)


def holder_id(app) -> int:
    from sqlalchemy import select

    from wallet.extensions import db
    from wallet.models import User

    with app.app_context():
        return db.session.scalar(select(User.id))


def test_page_is_not_kept_by_shared_caches(client, holder):
    response = client.get(f"/b/{holder['public_id']}")
    assert response.headers["Cache-Control"] == "no-cache"
    assert "Cookie" in response.headers["Vary"]
    assert response.headers["X-Robots-Tag"] == "noindex"


# --- image and QR codes --------------------------------------------------------------------


def test_image_is_our_png_with_revalidation_and_nosniff(app, client):
    ours = plain_png((1, 2, 3), 100)
    original = baked(assertion())
    with app.app_context():
        user = make_user()
        public_id = add_badge(user.id, image_png=ours, original=original).public_id
    response = client.get(f"/b/{public_id}/image.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.data == ours
    assert response.data != original
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-cache" in response.headers["Cache-Control"]
    assert "max-age" not in response.headers["Cache-Control"]
    etag = response.headers["ETag"]
    again = client.get(f"/b/{public_id}/image.png", headers={"If-None-Match": etag})
    assert again.status_code == 304


def _decode(image: Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image)]


def test_qr_png_is_print_quality_and_decodes_to_the_public_url(client, holder):
    public_id = holder["public_id"]
    response = client.get(f"/b/{public_id}/qr.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    image = Image.open(io.BytesIO(response.data))
    assert image.width >= 600 and image.height == image.width
    assert _decode(image) == [f"{BASE}/b/{public_id}"]
    results = zxingcpp.read_barcodes(image)
    assert results[0].ec_level == "M"


def _rasterize_svg(svg: str, scale: int = 12) -> Image.Image:
    """Draw the QR path (axis-aligned unit squares) of our SVG onto a white image."""
    width, height = (int(v) for v in re.search(r'viewBox="0 0 (\d+) (\d+)"', svg).groups())
    image = Image.new("L", (width * scale, height * scale), 255)
    draw = ImageDraw.Draw(image)
    path = re.search(r'<path d="([^"]+)"', svg).group(1)
    for x, y, right, bottom in re.findall(r"M(\d+),(\d+)H(\d+)V(\d+)H\d+z", path):
        draw.rectangle(
            (int(x) * scale, int(y) * scale, int(right) * scale - 1, int(bottom) * scale - 1),
            fill=0,
        )
    return image


def test_qr_svg_is_a_safe_path_image_that_decodes_to_the_public_url(client, holder):
    public_id = holder["public_id"]
    response = client.get(f"/b/{public_id}/qr.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == (
        "default-src 'none'; style-src 'unsafe-inline'"
    )
    assert response.headers["Content-Disposition"].startswith("inline")
    svg = response.get_data(as_text=True)
    assert svg.startswith("<svg") and "<path" in svg and "<script" not in svg.lower()
    # Quiet zone: the first dark module starts 4 modules in.
    assert re.search(r'<path d="M4,4H5', svg)
    assert _decode(_rasterize_svg(svg)) == [f"{BASE}/b/{public_id}"]


# --- private and unknown: one neutral 404 ----------------------------------------------------


@pytest.fixture
def frozen_csrf_clock(monkeypatch):
    """Pin the timestamp in signed CSRF tokens so two pages can be compared byte for byte."""
    from itsdangerous.timed import TimestampSigner

    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: 1_800_000_000)


def _without_date(headers) -> list[tuple[str, str]]:
    # The date and the request's own id differ on every answer; everything else may not.
    return sorted((k, v) for k, v in headers.items() if k not in ("Date", "X-Request-ID"))


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_private_and_never_existed_give_identical_404s(
    app, client, holder, suffix, frozen_csrf_clock
):
    public_id = holder["public_id"]
    assert client.get(f"/b/{public_id}{suffix}").status_code == 200
    for _ in range(2):  # an ordinary visitor whose session cookie is already settled
        client.get("/b/warmup")

    _set_visibility(app, public_id, "private")
    private = client.get(f"/b/{public_id}{suffix}")
    _delete(app, public_id)
    gone = client.get(f"/b/{public_id}{suffix}")
    unknown_id = "z" + secrets.token_hex(8)[:19]
    unknown = client.get(f"/b/{unknown_id}{suffix}")

    assert private.status_code == gone.status_code == unknown.status_code == 404
    assert private.data == gone.data
    # The only difference for another id is the address itself (echoed in the language form).
    assert unknown.data.replace(unknown_id.encode(), public_id.encode()) == private.data
    assert _without_date(private.headers) == _without_date(gone.headers)
    assert private.mimetype == "text/html"


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_private_badge_leaks_nothing(app, client, suffix):
    with app.app_context():
        user = make_user()
        public_id = add_badge(
            user.id, visibility="private", name="秘密の資格", issuer_name="Secret Issuer"
        ).public_id
    response = client.get(f"/b/{public_id}{suffix}", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    for secret in (
        "秘密の資格",
        "Secret Issuer",
        "コンクリート",
        "太郎",
        "og:",
        "twitter:",
        "canonical",
        'rel="canonical"',
        "<img",
    ):
        assert secret not in html
    assert "not disclosed or does not exist" in html


def test_switching_to_private_takes_effect_at_once(app, client, holder):
    public_id = holder["public_id"]
    etags = {}
    for suffix in SUFFIXES:
        response = client.get(f"/b/{public_id}{suffix}")
        assert response.status_code == 200
        etags[suffix] = response.headers.get("ETag")
    _set_visibility(app, public_id, "private")
    for suffix in SUFFIXES:
        headers = {"If-None-Match": etags[suffix]} if etags[suffix] else {}
        assert client.get(f"/b/{public_id}{suffix}", headers=headers).status_code == 404
    _set_visibility(app, public_id, "public")
    for suffix in SUFFIXES:
        assert client.get(f"/b/{public_id}{suffix}").status_code == 200


def test_random_ids_find_nothing(client, holder):
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    for _ in range(200):
        guess = "".join(secrets.choice(alphabet) for _ in range(20))
        assert client.get(f"/b/{guess}").status_code == 404
    for guess in ("a", "0", "aaaaaaaaaaaaaaaaaaaa", "00000000000000000000", "1", "admin"):
        assert client.get(f"/b/{guess}").status_code == 404


@pytest.mark.parametrize(
    "bad", ["ABCDEFGHIJ", "a" * 33, "a-b", "a_b", "ａｂｃ", "%E3%81%82", "a.b", "-rf", "a%20b"]
)
def test_malformed_ids_are_refused_before_any_query(app, client, holder, bad):
    from wallet.extensions import db

    statements: list[str] = []
    with app.app_context():
        engine = db.engine

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        for suffix in SUFFIXES:
            assert client.get(f"/b/{bad}{suffix}").status_code == 404
        assert client.get(f"/u/{bad}").status_code == 404
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert not [s for s in statements if "badges" in s or "profile_id" in s]


def test_uppercase_variant_of_a_real_id_is_404(client, holder):
    assert client.get(f"/b/{holder['public_id'].upper()}").status_code == 404


# --- the public profile page -----------------------------------------------------------------


def _profile_id(app, user_id: int) -> str:
    from wallet.extensions import db
    from wallet.models import User

    with app.app_context():
        return db.session.get(User, user_id).profile_id


def _set_profile_public(app, user_id: int, on: bool) -> None:
    from wallet.extensions import db
    from wallet.models import User
    from wallet.services import accounts

    with app.app_context():
        accounts.update_profile(db.session.get(User, user_id), profile_public=on)


def test_profile_is_off_by_default_and_identical_to_unknown(app, client, holder, frozen_csrf_clock):
    profile_id = _profile_id(app, holder["user_id"])
    assert re.fullmatch(r"[a-z][a-z0-9]{19}", profile_id)
    for _ in range(2):
        client.get("/u/warmup")
    off = client.get(f"/u/{profile_id}")
    unknown_id = "q" + secrets.token_hex(10)[:19]
    unknown = client.get(f"/u/{unknown_id}")
    assert off.status_code == unknown.status_code == 404
    assert unknown.data.replace(unknown_id.encode(), profile_id.encode()) == off.data
    assert "コンクリート" not in off.get_data(as_text=True)


def test_profile_lists_public_badges_only_when_switched_on(app, client, holder):
    user_id = holder["user_id"]
    hidden = _add(app, user_id, number=2, name="非公開の資格", visibility="private")
    revoked = _add(app, user_id, number=3, name="取消された資格", result="revoked")
    _set_profile_public(app, user_id, True)
    profile_id = _profile_id(app, user_id)
    response = client.get(f"/u/{profile_id}", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"
    html = response.get_data(as_text=True)
    assert "コンクリート 太郎" in html
    assert f"/b/{holder['public_id']}" in html
    assert f"/b/{revoked}" in html and "Revoked" in html
    assert "非公開の資格" not in html and hidden not in html
    page = parse(html)
    assert page.canonical == f"{BASE}/u/{profile_id}"
    assert page.meta["og:url"] == f"{BASE}/u/{profile_id}"

    _set_profile_public(app, user_id, False)
    assert client.get(f"/u/{profile_id}").status_code == 404


def test_profile_lists_newest_issue_first_and_undated_last(app, client, holder):
    user_id = holder["user_id"]
    newer = _add(app, user_id, number=2, issued_on=datetime(2025, 5, 1, tzinfo=UTC))
    undated = _add(app, user_id, number=3, issued_on=None)
    _set_profile_public(app, user_id, True)
    html = client.get(f"/u/{_profile_id(app, user_id)}").get_data(as_text=True)
    order = [html.index(f'href="/b/{pid}"') for pid in (newer, holder["public_id"], undated)]
    assert order == sorted(order)


def test_profile_ids_are_random_and_distinct(app):
    with app.app_context():
        first = make_user("a@example.com")
        second = make_user("b@example.com")
        assert first.profile_id != second.profile_id
        assert re.fullmatch(r"[a-z][a-z0-9]{19}", first.profile_id)


def test_visitors_get_no_cookie_and_a_plain_language_link(app, client, holder):
    """A QR scan sets no cookie: no session, no CSRF token; ?lang= switches the page only."""
    public_id = holder["public_id"]
    response = client.get(f"/b/{public_id}", headers={"Accept-Language": "ja"})
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    body = response.get_data(as_text=True)
    assert "csrf_token" not in body and "X-CSRFToken" not in body
    assert f'href="/b/{public_id}?lang=en"' in body
    english = client.get(f"/b/{public_id}?lang=en")
    assert '<html lang="en">' in english.get_data(as_text=True)
    assert "Set-Cookie" not in english.headers
    missing = client.get("/b/zzzzzzzzzzzzzzzzzzzz")
    assert missing.status_code == 404 and "Set-Cookie" not in missing.headers
