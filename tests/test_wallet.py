"""The holder's wallet pages: list, search, filter, load more, import, detail, actions, 404s."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest
from markupsafe import escape
from sqlalchemy import event
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update

from tests import badge_factory as bf
from tests.badge_factory import add_badge
from tests.conftest import htmx_headers
from tests.conftest import make_user
from wallet.extensions import db
from wallet.models import Badge
from wallet.models import BadgeContent
from wallet.openbadges.messages import message
from wallet.services import badges


@pytest.fixture
def holder(app) -> dict[str, object]:
    """A verified holder who reads the site in English."""
    with app.app_context():
        created = make_user(language="en")
        return {"id": created.id, "email": created.email}


@pytest.fixture
def signed_in(client, auth, holder):
    """The test client, signed in as the holder."""
    response = auth.login()
    assert response.status_code in (302, 303)
    return client


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Badge)) or 0


def _badge_id_from(response) -> int:
    location = response.headers.get("Location") or response.headers.get("HX-Redirect") or ""
    match = re.search(r"/badges/(\d+)$", location)
    assert match, location
    return int(match.group(1))


def _upload(client, data: bytes, filename: str, **kwargs):
    return client.post(
        "/badges/import",
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
        **kwargs,
    )


def _import(client, source: bytes | str) -> int:
    """Import a badge through the page (pasted text) and return its id."""
    text = source.decode() if isinstance(source, bytes) else source
    response = client.post("/badges/import", data={"text": text})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return _badge_id_from(response)


def _error_text(response) -> str:
    html = response.get_data(as_text=True)
    # The refusal sits at the control that was used (or above the forms when none was).
    match = re.search(r'class="[^"]*\bimport-error"[^>]*role="alert"[^>]*>(.*?)</div>', html, re.S)
    assert match, html[:3000]
    return re.sub(r"\s+", " ", match.group(1))


# --- home -----------------------------------------------------------------------------------


def test_visitor_sees_the_welcome_page(client) -> None:
    """Signed out, `/` is the welcome page and the wallet pages ask to sign in."""
    assert client.get("/").status_code == 200
    assert 'id="badge-list"' not in client.get("/").get_data(as_text=True)
    for url in ("/badges/import", "/badges/1", "/badges/1/image.png", "/badges/1/download"):
        response = client.get(url)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    htmx = client.get("/badges/import", headers=htmx_headers("import-form"))
    assert "/auth/login" in htmx.headers["HX-Redirect"]


def test_home_lists_badge_cards_usable_first(app, signed_in, holder) -> None:
    """Cards show image, name, issuer, dates, status and disclosure; a valid badge comes
    before one that expires soon, though that one was added last."""
    now = datetime.now(UTC)
    with app.app_context():
        old = add_badge(
            holder["id"],
            name="Older badge",
            issuer_name="First Institute",
            created_at=now - timedelta(days=3),
            issued_on=datetime(2024, 4, 1, tzinfo=UTC),
        ).id
        new = add_badge(
            holder["id"],
            name="Newer badge",
            issuer_name="Second Institute",
            created_at=now,
            expires=now + timedelta(days=10),
            visibility="private",
        ).id
    response = signed_in.get("/")
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert html.index("Older badge") < html.index("Newer badge")
    assert f'src="/badges/{old}/image.png"' in html and f'href="/badges/{new}"' in html
    assert "First Institute" in html and "Issued 1 April 2024" in html
    assert "Expires soon" in html and "Valid" in html
    assert "Private" in html and "Public" in html
    assert 'name="viewport"' in html


@pytest.mark.parametrize(
    ("fields", "label"),
    [
        ({"expires": -2}, "Expired"),
        ({"result": "revoked"}, "Revoked"),
        ({"recipient_confirmed": False}, "Recipient not confirmed"),
        ({"expires": 5}, "Expires soon"),
    ],
)
def test_status_tags(app, signed_in, holder, fields, label) -> None:
    """Each holder-visible status has its tag on the card."""
    if "expires" in fields:
        fields = {**fields, "expires": datetime.now(UTC) + timedelta(days=fields["expires"])}
    with app.app_context():
        add_badge(holder["id"], name="Tagged", **fields)
    html = signed_in.get("/").get_data(as_text=True)
    assert re.search(rf'<span class="tag tag-\w+ status-\w+">{label}</span>', html)


def test_search_and_filter_work_without_javascript(app, signed_in, holder) -> None:
    """GET form: ?q= matches name or issuer; ?status= filters; the form keeps the values."""
    with app.app_context():
        add_badge(holder["id"], name="Concrete Technician", issuer_name="Alpha Institute")
        add_badge(holder["id"], name="Welding", issuer_name="Beta Works")
        add_badge(holder["id"], name="Expired thing", expires=datetime.now(UTC) - timedelta(days=1))
    html = signed_in.get("/?q=concrete").get_data(as_text=True)
    assert "Concrete Technician" in html and "Welding" not in html
    assert 'value="concrete"' in html
    html = signed_in.get("/?q=beta").get_data(as_text=True)
    assert "Welding" in html and "Concrete Technician" not in html
    html = signed_in.get("/?status=expired").get_data(as_text=True)
    assert "Expired thing" in html and "Welding" not in html
    assert '<option value="expired" selected>' in html
    html = signed_in.get("/?q=nothing-like-this").get_data(as_text=True)
    assert "No badge matches your search." in html
    # An unknown filter is ignored rather than an error.
    assert "Welding" in signed_in.get("/?status=bogus&page=abc").get_data(as_text=True)


def test_state_and_visibility_filter_apart_and_together(app, signed_in, holder) -> None:
    """?status= is the state, ?visibility= public or private; both at once; old bookmarks that
    put public/private or unconfirmed into ?status= still show what they showed."""
    past = datetime.now(UTC) - timedelta(days=1)
    with app.app_context():
        add_badge(holder["id"], name="Shown valid")
        add_badge(holder["id"], name="Hidden valid", visibility="private")
        add_badge(holder["id"], name="Hidden expired", visibility="private", expires=past)
        add_badge(holder["id"], name="Unsure", result="unverifiable")

    def names(query: str) -> set[str]:
        html = signed_in.get(query).get_data(as_text=True)
        every = ("Shown valid", "Hidden valid", "Hidden expired", "Unsure")
        return {name for name in every if name in html}

    assert names("/?visibility=private") == {"Hidden valid", "Hidden expired"}
    assert names("/?status=valid&visibility=private") == {"Hidden valid"}
    assert names("/?status=expired&visibility=public") == set()
    assert names("/?status=unverifiable") == {"Unsure"}
    assert names("/?status=private") == {"Hidden valid", "Hidden expired"}  # an old bookmark
    assert names("/?status=unconfirmed") == {"Unsure"}
    html = signed_in.get("/?status=valid&visibility=private").get_data(as_text=True)
    assert '<option value="valid" selected>' in html
    assert '<option value="private" selected>' in html
    assert "No badge matches your search." in signed_in.get(
        "/?status=revoked&visibility=public"
    ).get_data(as_text=True)


def test_htmx_search_gets_the_list_fragment_and_the_pushed_url_a_full_page(
    app, signed_in, holder
) -> None:
    """hx-get targeting #badge-list gets only the list items; the same URL loads a full page."""
    with app.app_context():
        add_badge(holder["id"], name="Concrete Technician")
        add_badge(holder["id"], name="Welding")
    home = signed_in.get("/").get_data(as_text=True)
    assert 'hx-target="#badge-list"' in home and 'hx-push-url="true"' in home
    assert '<ul id="badge-list"' in home
    fragment = signed_in.get("/?q=weld", headers=htmx_headers("badge-list"))
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200
    assert "<html" not in body and 'id="badge-list"' not in body
    assert "Welding" in body and "Concrete Technician" not in body
    assert "HX-Request" in fragment.headers["Vary"] and "HX-Target" in fragment.headers["Vary"]
    full = signed_in.get("/?q=weld").get_data(as_text=True)
    assert "<html" in full and "Welding" in full
    restore = signed_in.get(
        "/?q=weld", headers=htmx_headers("badge-list", **{"HX-History-Restore-Request": "true"})
    )
    assert "<html" in restore.get_data(as_text=True)


def test_load_more_with_htmx_and_plain_next_page(app, signed_in, holder) -> None:
    """30 badges: 24 cards and a load-more link; htmx appends the rest; plain page 2 works."""
    start = datetime(2025, 1, 1, tzinfo=UTC)
    with app.app_context():
        for i in range(30):
            add_badge(holder["id"], name=f"Badge {i:02d}", created_at=start + timedelta(hours=i))
    first = signed_in.get("/").get_data(as_text=True)
    assert first.count('class="badge-card"') == badges.PAGE_SIZE
    assert 'id="load-more"' in first and 'href="/?page=2"' in first
    assert 'hx-get="/?page=2"' in first and 'hx-target="#load-more"' in first
    more = signed_in.get("/?page=2", headers=htmx_headers("load-more"))
    body = more.get_data(as_text=True)
    assert "<html" not in body and body.count('class="badge-card"') == 30 - badges.PAGE_SIZE
    assert 'id="load-more"' not in body and "Badge 00" in body and "Badge 29" not in body
    plain = signed_in.get("/?page=2").get_data(as_text=True)
    assert "<html" in plain and plain.count('class="badge-card"') == 30 - badges.PAGE_SIZE
    assert 'href="/"' in plain and "Previous badges" in plain
    with app.app_context():
        for i in range(30, 50):
            add_badge(holder["id"], name=f"Badge {i:02d}", created_at=start + timedelta(hours=i))
    searched = signed_in.get("/?q=Badge&status=valid&visibility=public").get_data(as_text=True)
    assert 'href="/?q=Badge&amp;status=valid&amp;visibility=public&amp;page=2"' in searched


def test_list_page_runs_a_constant_number_of_queries(app, signed_in, holder) -> None:
    """GET / issues as many SQL statements with 30 badges as with 3 (no N+1)."""
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    def measure() -> int:
        statements.clear()
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert signed_in.get("/").status_code == 200
        finally:
            with app.app_context():
                event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    with app.app_context():
        for i in range(3):
            add_badge(holder["id"], name=f"few {i}")
    few = measure()
    with app.app_context():
        for i in range(27):
            add_badge(holder["id"], name=f"many {i}")
    many = measure()
    assert few == many
    assert not any("badge_contents" in s for s in statements)


def test_badges_url_redirects_home(signed_in) -> None:
    """/badges keeps working and lands on the list, query kept."""
    response = signed_in.get("/badges?q=x")
    assert response.status_code == 303 and response.headers["Location"] == "/?q=x"


# --- import ---------------------------------------------------------------------------------


def test_import_page_offers_three_ways(signed_in) -> None:
    """Upload (with the phone note and accept list), URL and pasted text, each a real form."""
    html = signed_in.get("/badges/import").get_data(as_text=True)
    assert 'accept="image/png,image/svg+xml,.png,.svg,.json,.jws,.jwt"' in html
    assert 'enctype="multipart/form-data"' in html
    assert "Files app" in html and "photo library" in html
    assert 'name="url"' in html and 'name="text"' in html
    assert html.count('method="post" action="/badges/import"') == 3
    assert html.count('hx-target="#import-form"') == 3


@pytest.mark.parametrize(
    ("builder", "filename", "fmt"),
    [
        (bf.ob3_png, "badge.png", "png"),
        (bf.ob3_svg, "badge.svg", "svg"),
        (bf.ob3_json, "badge.json", "json"),
        (lambda: bf.vc_jwt().encode(), "badge.jwt", "jwt"),
    ],
)
def test_import_by_upload(app, signed_in, builder, filename, fmt) -> None:
    """Baked PNG/SVG and JSON/JWT files are verified and added; redirect to the detail."""
    response = _upload(signed_in, builder(), filename)
    assert response.status_code == 303
    badge_id = _badge_id_from(response)
    page = signed_in.get(f"/badges/{badge_id}").get_data(as_text=True)
    assert "The badge was added to your wallet." in page
    assert "コンクリート診断士" in page
    with app.app_context():
        assert db.session.get(Badge, badge_id).format == fmt


def test_import_by_pasted_text(app, signed_in) -> None:
    """Pasted JSON and pasted VC-JWT text both work."""
    first = _import(signed_in, bf.ob3_json(name="Pasted JSON"))
    second = _import(signed_in, bf.vc_jwt(name="Pasted JWT"))
    with app.app_context():
        assert db.session.get(Badge, first).name == "Pasted JSON"
        assert db.session.get(Badge, second).format == "jwt"


@pytest.fixture
def loopback_config(app_config):
    """Let the fetcher reach the test's own HTTP server on 127.0.0.1."""
    app_config["FETCH_ALLOWED_NETWORKS"] = ["127.0.0.1/32"]
    return app_config


def test_import_by_url_from_a_real_server(loopback_config, app, signed_in) -> None:
    """A hosted OB 2.0 assertion and a baked PNG, both fetched from 127.0.0.1."""
    with bf.badge_server() as server:
        server.files.update(bf.ob2_hosted_files(server.base))
        server.files["/baked.png"] = bf.ob3_png(name="Served PNG")
        response = signed_in.post("/badges/import", data={"url": server.url("/assertions/1.json")})
        assert response.status_code == 303, _error_text(response)
        hosted = _badge_id_from(response)
        response = signed_in.post("/badges/import", data={"url": server.url("/baked.png")})
        assert response.status_code == 303
        baked = _badge_id_from(response)
        # Verify again reaches the issuer once more.
        assert signed_in.post(f"/badges/{hosted}/verify").status_code == 303
    with app.app_context():
        badge = db.session.get(Badge, hosted)
        assert (badge.name, badge.spec, badge.format) == ("Concrete Technician", "2.0", "url")
        assert badge.result == "valid"
        assert db.session.get(Badge, baked).name == "Served PNG"
    image = signed_in.get(f"/badges/{hosted}/image.png")
    assert image.status_code == 200 and image.data.startswith(b"\x89PNG")
    # "As received" from a URL: what the address answered, typed by its content.
    download = signed_in.get(f"/badges/{baked}/download")
    assert download.mimetype == "image/png" and download.data.startswith(b"\x89PNG")
    assert download.headers["Content-Disposition"].endswith('.png"')
    hosted_download = signed_in.get(f"/badges/{hosted}/download")
    assert hosted_download.mimetype == "application/json"
    assert json.loads(hosted_download.data)["type"] == "Assertion"


def test_reimport_is_idempotent(app, signed_in) -> None:
    """The same badge again: same detail page, "already in your wallet", still one row."""
    source = bf.ob3_json()
    first = _import(signed_in, source)
    response = signed_in.post("/badges/import", data={"text": source.decode()})
    assert _badge_id_from(response) == first
    page = signed_in.get(f"/badges/{first}").get_data(as_text=True)
    assert "This badge is already in your wallet." in page
    assert _count(app) == 1


def test_htmx_import_success_redirects_with_hx_redirect(app, signed_in) -> None:
    """htmx import success: HX-Redirect to the detail page (a full page load)."""
    response = signed_in.post(
        "/badges/import", data={"text": bf.ob3_json().decode()}, headers=htmx_headers("import-form")
    )
    assert response.status_code == 200
    assert re.fullmatch(r"/badges/\d+", response.headers["HX-Redirect"])


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ({"text": "hello"}, "neither a badge image (PNG, SVG) nor badge text (JSON, JWS, JWT)"),
        ("plain_png", "The file is a PNG image without badge data. Images saved from a web page"),
        ({"text": '{"a": '}, "The text is not valid JSON (line 1, column 6)."),
        ({"url": "ftp://example.com/a.json"}, "starts with https://"),
        ({}, "Choose a badge file, paste its web address, or paste its text."),
        ({"text": bf.ob3_json(email="someone@else.example").decode()}, "issued to someone else"),
        ({"text": bf.ob3_json(valid_until=bf.days(-1)).decode()}, "This badge has expired."),
        ({"text": bf.ob3_json(valid_from=bf.days(3)).decode()}, "This badge is not valid yet."),
        (
            {"text": bf.tampered_json().decode()},
            "The badge is not valid: its signature or content does not check out. "
            + str(escape(message("ob3.proof.bad_signature", "en"))),
        ),
        (
            {"text": bf.ob2_hosted_files("https://issuer.example")["/assertions/1.json"].decode()},
            "could not be verified right now",
        ),
    ],
    ids=[
        "not-a-badge",
        "plain-png",
        "malformed",
        "bad-url",
        "nothing",
        "not-yours",
        "expired",
        "not-yet-valid",
        "signature",
        "unverifiable",
    ],
)
def test_import_failures_say_why_and_store_nothing(app, signed_in, source, expected) -> None:
    """Each refusal: 422, the reason in plain words, the form again, no row stored."""
    if source == "plain_png":
        response = _upload(signed_in, bf.plain_png(), "photo.png")
    else:
        response = signed_in.post("/badges/import", data=source)
    assert response.status_code == 422
    assert expected in _error_text(response)
    assert "<html" in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)
    assert _count(app) == 0


def test_htmx_import_failure_returns_the_form_fragment(app, signed_in) -> None:
    """htmx: 422 with just the import-form block (the pasted text kept), nothing stored."""
    response = signed_in.post(
        "/badges/import", data={"text": "hello <b>"}, headers=htmx_headers("import-form")
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<html" not in body and 'id="import-form"' not in body
    assert "neither a badge image" in body
    assert "hello &lt;b&gt;</textarea>" in body
    # The refusal is at the textarea, which takes the focus when htmx swaps the form in.
    assert 'aria-describedby="import-text-error" autofocus' in body
    assert body.count("autofocus") == 1
    assert _count(app) == 0


def test_unreachable_and_refused_urls(loopback_config, app, signed_in) -> None:
    """An issuer's 404 says 404; refused, unresolvable and unreachable addresses share one
    plain message (telling them apart would map the network, security notes S13)."""
    with bf.badge_server() as server:
        missing = signed_in.post("/badges/import", data={"url": server.url("/nope.json")})
        assert missing.status_code == 422
        assert "answered with HTTP status 404 instead of a badge" in _error_text(missing)
        assert "Check that the address is complete" in _error_text(missing)
        closed = f"http://127.0.0.1:{_closed_port()}/a.json"  # allowed, but nobody listens
        unreachable = signed_in.post("/badges/import", data={"url": closed})
    refused = signed_in.post("/badges/import", data={"url": "http://10.0.0.1:9/a.json"})
    local = signed_in.post("/badges/import", data={"url": "http://localhost/a.json"})
    unknown = signed_in.post("/badges/import", data={"url": "https://no-such-name.invalid/a"})
    assert refused.status_code == local.status_code == unknown.status_code == 422
    assert unreachable.status_code == 422
    texts = {_error_text(r) for r in (refused, local, unknown, unreachable)}
    assert len(texts) == 1 and "could not be fetched from that address" in texts.pop()
    assert _count(app) == 0


def _closed_port() -> int:
    """Return a loopback port nothing listens on (bound, then released)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_revoked_badge_is_refused(loopback_config, app, signed_in) -> None:
    """The issuer's hosted copy says revoked: refused with the reason."""
    with bf.badge_server() as server:
        server.files.update(bf.ob2_hosted_files(server.base, revoked=True))
        response = signed_in.post("/badges/import", data={"url": server.url("/assertions/1.json")})
    assert response.status_code == 422
    assert "The issuer has revoked this badge." in _error_text(response)
    assert _count(app) == 0


def test_unconfirmed_email_is_refused(app, client, auth) -> None:
    """A holder who has not confirmed the address cannot add a badge issued to it."""
    with app.app_context():
        make_user(language="en", verified=False)
    auth.login()
    response = client.post("/badges/import", data={"text": bf.ob3_json().decode()})
    assert response.status_code == 422
    assert "Please confirm your email address first" in _error_text(response)
    assert _count(app) == 0


def test_failure_message_in_japanese_for_a_japanese_holder(app, client, auth, user) -> None:
    """The check's own message comes in the holder's language."""
    auth.login()
    response = client.post("/badges/import", data={"text": bf.tampered_json().decode()})
    assert response.status_code == 422
    assert str(escape(message("ob3.proof.bad_signature", "ja"))) in _error_text(response)


@pytest.mark.parametrize(
    ("source", "says"),
    [
        (
            lambda: bf.ob3_json(email=None, subject_id="did:example:holder"),
            "names its recipient by an identifier that is not this account",
        ),
        (
            lambda: bf.ob3_json(email=None, pass_number=None),
            "does not say who it was awarded to",
        ),
    ],
    ids=["another identifier", "no recipient"],
)
def test_badges_not_for_this_holder_are_refused_with_what_to_ask(
    app, signed_in, source, says
) -> None:
    """The gate after the verdict: a valid badge enters only the wallet of its recipient."""
    response = signed_in.post("/badges/import", data={"text": source().decode()})
    assert response.status_code == 422
    text = _error_text(response)
    assert says in text and "Ask the issuer to issue it to" in text
    assert _count(app) == 0


def test_badge_whose_issuer_key_is_not_confirmed_is_refused_in_both_languages(
    app, signed_in
) -> None:
    """Signed by a did:key for an issuer id that publishes nothing: the issuer is named."""
    credential = bf.ob3_credential()
    credential["issuer"]["id"] = "urn:uuid:5d1c7c9e-8a7e-4d2b-9b71-2f6f4f9d1a00"
    text = json.dumps(bf.sign(credential))
    response = signed_in.post("/badges/import", data={"text": text})
    assert response.status_code == 422
    message = _error_text(response)
    assert "nothing published by urn:uuid:5d1c7c9e-8a7e-4d2b-9b71-2f6f4f9d1a00" in message
    assert "Ask the issuer to publish its signing key" in message
    response = signed_in.post("/badges/import?lang=ja", data={"text": text})
    assert "署名鍵" in _error_text(response) and "urn:uuid:5d1c7c9e" in _error_text(response)
    assert _count(app) == 0


@pytest.fixture
def small_caps(app_config):
    """Tiny upload caps so size limits can be tested quickly."""
    app_config["IMPORT_MAX_FILE_BYTES"] = 1024
    app_config["IMPORT_MAX_TEXT_BYTES"] = 1024
    app_config["MAX_CONTENT_LENGTH"] = 64 * 1024
    return app_config


def test_size_caps(small_caps, app, signed_in) -> None:
    """Per-field caps give 422 with a message; a request over MAX_CONTENT_LENGTH gives 413."""
    response = _upload(signed_in, bf.ob3_png(), "badge.png")
    assert response.status_code == 422 and "too large" in _error_text(response)
    response = signed_in.post("/badges/import", data={"text": "x" * 2000})
    assert response.status_code == 422 and "too large" in _error_text(response)
    huge = _upload(signed_in, b"\x89PNG" + b"\0" * (100 * 1024), "huge.png")
    assert huge.status_code == 413
    assert _count(app) == 0


@pytest.fixture
def rate_limited(app_config):
    """Imports limited to two per user."""
    app_config["RATELIMIT_ENABLED"] = True
    app_config["RATELIMIT_IMPORT"] = "2 per hour"
    return app_config


def test_import_rate_limit_is_per_user(rate_limited, app, client, auth, holder) -> None:
    """The third import within the window is refused with 429; another holder is not affected."""
    auth.login()
    for _ in range(2):
        assert client.post("/badges/import", data={"text": "x"}).status_code == 422
    assert client.post("/badges/import", data={"text": "x"}).status_code == 429
    assert client.get("/badges/import").status_code == 200
    auth.logout()
    with app.app_context():
        make_user("hanako@example.com", language="en")
    auth.login("hanako@example.com")
    assert client.post("/badges/import", data={"text": "x"}).status_code == 422


# --- detail ---------------------------------------------------------------------------------


def test_detail_shows_everything_the_badge_says(app, signed_in) -> None:
    """Description/criteria Markdown, identifiers, evidence, alignments, issuer, report, links."""
    badge_id = _import(signed_in, bf.ob3_json())
    response = signed_in.get(f"/badges/{badge_id}")
    html = response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    assert "<strong>concrete diagnostician</strong>" in html
    assert "Pass the written and oral examinations." in html
    assert "<dt>Pass number</dt><dd>合格-2026-0042</dd>" in html
    assert 'href="https://issuer.example/evidence/1"' in html and "Exam record" in html
    assert 'href="https://framework.example/cd"' in html and "(CD-1)" in html
    assert "Japan Concrete Institute" in html and "did:key:" in html
    assert "✓" in html and str(escape(message("ob3.proof.valid", "en"))) in html
    assert "Last verified:" in html
    with app.app_context():
        public_id = db.session.get(Badge, badge_id).public_id
    assert f'href="/b/{public_id}"' in html
    assert f'action="/badges/{badge_id}/verify"' in html
    assert f'href="/badges/{badge_id}/download"' in html
    assert f'href="/badges/{badge_id}/delete"' in html


def test_hostile_issuer_content_is_escaped_and_sanitized(app, signed_in) -> None:
    """Markup in names, Markdown with raw HTML and javascript: links never reach the page live."""
    badge_id = _import(
        signed_in,
        bf.ob3_json(
            name='<script>alert("name")</script>',
            issuer_name='<img src=x onerror=alert("issuer")>',
            description=(
                "<img src=x onerror=alert(1)> [click](javascript:alert(2)) "
                '<div hx-get="/badges/1/delete" hx-trigger="load">x</div> '
                "[ok](https://example.org/ok)"
            ),
            criteria='**bold** <a href="javascript:alert(3)">bad</a>',
        ),
    )
    html = signed_in.get(f"/badges/{badge_id}").get_data(as_text=True)
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    assert not re.search(r"<img[^>]*onerror", html)
    assert not re.search(r'<a\s[^>]*href="\s*javascript:', html, re.IGNORECASE)
    assert not re.search(r"<div[^>]*hx-get", html)
    assert '<a href="https://example.org/ok" rel="nofollow noopener">ok</a>' in html
    assert "<strong>bold</strong>" in html
    # Rich text sits in containers htmx ignores.
    assert re.search(r'<div class="rich-text" hx-disable><p>&lt;img', html)
    listing = signed_in.get("/").get_data(as_text=True)
    assert "<script>alert" not in listing and "<img src=x" not in listing


def test_another_holders_badge_is_404_everywhere(app, client, auth, holder) -> None:
    """Every wallet URL answers 404 for a badge that is not the holder's (and for no badge)."""
    with app.app_context():
        other = make_user("hanako@example.com", language="en")
        foreign = add_badge(other.id, name="Hanako's badge").id
    auth.login()
    missing = foreign + 1000
    for badge_id in (foreign, missing):
        for method, path in [
            ("get", ""),
            ("get", "/image.png"),
            ("get", "/download"),
            ("get", "/delete"),
            ("post", "/delete"),
            ("post", "/verify"),
            ("post", "/visibility"),
        ]:
            response = getattr(client, method)(
                f"/badges/{badge_id}{path}", data={"visibility": "private"}
            )
            assert response.status_code == 404, (method, path)
            assert "Hanako" not in response.get_data(as_text=True)
    with app.app_context():
        badge = db.session.get(Badge, foreign)
        assert badge is not None and badge.visibility == "public"


def test_visibility_switch_with_htmx_and_plain_form(app, signed_in) -> None:
    """htmx swaps just the switch; the plain form redirects; both take effect at once."""
    badge_id = _import(signed_in, bf.ob3_json())
    page = signed_in.get(f"/badges/{badge_id}").get_data(as_text=True)
    assert f'hx-post="/badges/{badge_id}/visibility"' in page
    assert 'hx-target="#visibility-switch"' in page and 'aria-checked="true"' in page
    response = signed_in.post(
        f"/badges/{badge_id}/visibility",
        data={"visibility": "private"},
        headers=htmx_headers("visibility-switch"),
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in body and 'aria-checked="false"' in body
    assert 'name="visibility" value="public"' in body and "/b/" not in body
    with app.app_context():
        assert db.session.get(Badge, badge_id).visibility == "private"
    plain = signed_in.post(f"/badges/{badge_id}/visibility", data={"visibility": "public"})
    assert plain.status_code == 303 and plain.headers["Location"] == f"/badges/{badge_id}"
    with app.app_context():
        assert db.session.get(Badge, badge_id).visibility == "public"
    assert "anyone with its link" in signed_in.get(plain.headers["Location"]).get_data(as_text=True)
    bad = signed_in.post(
        f"/badges/{badge_id}/visibility",
        data={"visibility": "everyone"},
        headers=htmx_headers("visibility-switch"),
    )
    assert bad.status_code == 422 and "<html" not in bad.get_data(as_text=True)


def test_verify_again_with_htmx_and_plain_form(app, signed_in) -> None:
    """Re-verification records a new time; htmx gets the report block, plain a redirect."""
    badge_id = _import(signed_in, bf.ob3_json())
    with app.app_context():
        badge = db.session.get(Badge, badge_id)
        badge.verified_at = datetime(2020, 1, 1, tzinfo=UTC)
        badge.result = "unverifiable"
        db.session.commit()
    page = signed_in.get(f"/badges/{badge_id}").get_data(as_text=True)
    assert "Could not be verified" in page and "state-banner state-unverifiable" in page
    response = signed_in.post(
        f"/badges/{badge_id}/verify", headers=htmx_headers("verification-report")
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in body and "Verify again" in body and "✓" in body
    assert "status-valid" in body and "2020" not in body
    # The banner at the top is replaced too (out of band): no "could not be verified" is left.
    assert '<div id="badge-state" class="badge-state" hx-swap-oob="true">' in body
    assert "state-banner" not in body
    with app.app_context():
        badge = db.session.get(Badge, badge_id)
        assert badge.result == "valid" and badge.verified_at.year >= 2026
    plain = signed_in.post(f"/badges/{badge_id}/verify")
    assert plain.status_code == 303
    # Within REVERIFY_MIN_SECONDS the stored result answers: nothing is fetched again.
    assert "verified moments ago" in signed_in.get(plain.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        db.session.execute(update(Badge).values(verified_at=datetime(2020, 1, 1, tzinfo=UTC)))
        db.session.commit()
    plain = signed_in.post(f"/badges/{badge_id}/verify")
    assert "The badge was verified again." in signed_in.get(plain.headers["Location"]).get_data(
        as_text=True
    )


def test_verify_again_reports_a_revocation(loopback_config, app, signed_in) -> None:
    """The issuer revokes after import: verify again shows it honestly."""
    app.config["REVERIFY_MIN_SECONDS"] = 0  # at once, not a minute after the import
    with bf.badge_server() as server:
        server.files.update(bf.ob2_hosted_files(server.base))
        badge_id = _import(signed_in, server.url("/assertions/1.json"))
        server.files.update(bf.ob2_hosted_files(server.base, revoked=True))
        body = signed_in.post(
            f"/badges/{badge_id}/verify", headers=htmx_headers("verification-report")
        ).get_data(as_text=True)
    assert "status-revoked" in body and "✗" in body
    assert "Revoked" in signed_in.get("/").get_data(as_text=True)


def test_delete_asks_to_confirm_then_removes(app, signed_in) -> None:
    """GET shows a confirmation form; POST removes the badge and its content."""
    badge_id = _import(signed_in, bf.ob3_json())
    confirm = signed_in.get(f"/badges/{badge_id}/delete")
    html = confirm.get_data(as_text=True)
    assert confirm.status_code == 200
    assert f'method="post" action="/badges/{badge_id}/delete"' in html
    assert _count(app) == 1
    response = signed_in.post(f"/badges/{badge_id}/delete")
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert "The badge was removed" in signed_in.get("/").get_data(as_text=True)
    assert _count(app) == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(BadgeContent)) == 0
    assert signed_in.get(f"/badges/{badge_id}").status_code == 404
    again = signed_in.post(f"/badges/{badge_id}/delete", headers=htmx_headers())
    assert again.status_code == 404


@pytest.mark.parametrize(
    ("builder", "filename", "media_type", "extension"),
    [
        (bf.ob3_png, "b.png", "image/png", "png"),
        (bf.ob3_svg, "b.svg", "image/svg+xml", "svg"),
        (bf.ob3_json, "b.json", "application/json", "json"),
        (lambda: bf.vc_jwt().encode(), "b.jwt", "text/plain", "jwt"),
    ],
)
def test_download_as_received(app, signed_in, builder, filename, media_type, extension) -> None:
    """The original bytes, the right media type, an attachment with a safe filename."""
    data = builder()
    badge_id = _badge_id_from(_upload(signed_in, data, filename))
    response = signed_in.get(f"/badges/{badge_id}/download")
    assert response.status_code == 200
    assert response.data == data
    assert response.mimetype == media_type
    with app.app_context():
        public_id = db.session.get(Badge, badge_id).public_id
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="badge-{public_id}.{extension}"'
    )
    assert "no-store" in response.headers["Cache-Control"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_image_is_our_reencoded_png(app, signed_in) -> None:
    """The image URL serves our PNG (not the baked original), privately cacheable."""
    original = bf.ob3_png()
    badge_id = _badge_id_from(_upload(signed_in, original, "b.png"))
    response = signed_in.get(f"/badges/{badge_id}/image.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png" and response.data.startswith(b"\x89PNG")
    assert response.data != original and b"openbadgecredential" not in response.data
    assert response.headers["Cache-Control"] == "no-store"  # a signed-in response
    svg_id = _badge_id_from(_upload(signed_in, bf.ob3_svg(name="SVG one"), "b.svg"))
    svg_image = signed_in.get(f"/badges/{svg_id}/image.png")
    assert svg_image.mimetype == "image/png" and b"<svg" not in svg_image.data


def test_detail_page_opts_out_of_htmx_history(app, signed_in) -> None:
    """Private pages are not kept in htmx history snapshots."""
    badge_id = _import(signed_in, bf.ob3_json())
    assert 'hx-history="false"' in signed_in.get(f"/badges/{badge_id}").get_data(as_text=True)


@pytest.fixture
def csrf_on(app_config):
    """CSRF protection switched on, as in production."""
    app_config["WTF_CSRF_ENABLED"] = True
    return app_config


def _token(html: str) -> str:
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert match, html[:2000]
    return match.group(1)


def test_every_wallet_form_carries_a_csrf_token(csrf_on, app, client, holder) -> None:
    """With CSRF on: the page tokens work for import, verify, visibility and delete; none fails."""
    login_page = client.get("/auth/login").get_data(as_text=True)
    client.post(
        "/auth/login",
        data={"email": holder["email"], "password": "Passw0rd!", "csrf_token": _token(login_page)},
    )
    page = client.get("/badges/import").get_data(as_text=True)
    assert page.count('name="csrf_token"') >= 3
    refused = client.post("/badges/import", data={"text": bf.ob3_json().decode()})
    assert refused.status_code == 400 and _count(app) == 0
    response = client.post(
        "/badges/import", data={"text": bf.ob3_json().decode(), "csrf_token": _token(page)}
    )
    assert response.status_code == 303
    badge_id = _badge_id_from(response)
    detail = client.get(f"/badges/{badge_id}").get_data(as_text=True)
    forms = re.findall(r'<form method="post" action="(/badges/\d+/\w+)".*?</form>', detail, re.S)
    assert {f"/badges/{badge_id}/visibility", f"/badges/{badge_id}/verify"} <= set(forms)
    token = _token(detail)
    assert (
        client.post(
            f"/badges/{badge_id}/visibility", data={"visibility": "private", "csrf_token": token}
        ).status_code
        == 303
    )
    assert client.post(f"/badges/{badge_id}/verify", data={"csrf_token": token}).status_code == 303
    # htmx sends the token from <main hx-headers> instead of a form field.
    headers = htmx_headers("verification-report", **{"X-CSRFToken": token})
    assert client.post(f"/badges/{badge_id}/verify", headers=headers).status_code == 200
    confirm = client.get(f"/badges/{badge_id}/delete").get_data(as_text=True)
    assert client.post(f"/badges/{badge_id}/delete").status_code == 400
    assert (
        client.post(f"/badges/{badge_id}/delete", data={"csrf_token": _token(confirm)}).status_code
        == 303
    )
    assert _count(app) == 0


NO_MATCH_JA = "条件に一致するバッジはありません。"  # "No badge matches your search." in Japanese


def test_search_ignores_control_characters(app, client, auth) -> None:
    """Control characters in the search box (PostgreSQL refuses NUL) are ignored, not an error."""
    with app.app_context():
        holder = make_user()  # reads the site in Japanese
        badge = add_badge(
            holder.id, name="コンクリート技士", issuer_name="日本コンクリート工学会"
        ).id
    auth.login()
    card = f'href="/badges/{badge}"'

    response = client.get("/", query_string={"q": "\x00abc\x01"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="ja"' in html
    assert 'class="badge-card"' not in html and card not in html
    assert NO_MATCH_JA in html

    response = client.get("/", query_string={"q": "\x00技士\x01"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert card in html and "コンクリート技士" in html
    assert NO_MATCH_JA not in html
