"""Account export: one zip with profile.json, every badge original byte for byte, and index.json."""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD
from tests.conftest import make_user
from tests.public_helpers import add_badge
from tests.public_helpers import assertion
from tests.public_helpers import baked
from wallet.openbadges.baking import bake_svg

BASE = "https://wallet.example.test"
SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">'
    b'<circle cx="32" cy="32" r="30" fill="#c00"/></svg>'
)
JWS = "eyJhbGciOiJSUzI1NiJ9.eyJ0eXBlIjoiQXNzZXJ0aW9uIn0.c2lnbmF0dXJl"


@pytest.fixture
def holder(app):
    """コンクリート 太郎 with a baked PNG, a baked SVG, a JSON, a JWS and a private badge."""
    with app.app_context():
        user = make_user()
        user_id = user.id
        originals = {}
        png = add_badge(user_id, number=1, fmt="png", original=baked(assertion(1)))
        originals[png.public_id] = ("png", baked(assertion(1)))
        svg_bytes = bake_svg(SVG, json.dumps(assertion(2)), "2.0")
        svg = add_badge(user_id, number=2, fmt="svg", original=svg_bytes, name="SVGの資格")
        originals[svg.public_id] = ("svg", svg_bytes)
        text = json.dumps(assertion(3), ensure_ascii=False).encode()
        js = add_badge(user_id, number=3, fmt="json", original=text, expires=None)
        originals[js.public_id] = ("json", text)
        jws = add_badge(
            user_id,
            number=4,
            fmt="jws",
            original=JWS.encode(),
            visibility="private",
            name="非公開の資格",
        )
        originals[jws.public_id] = ("jws", JWS.encode())
        return {"id": user_id, "email": user.email, "originals": originals}


def _export(client) -> zipfile.ZipFile:
    with client.post("/account/export") as response:  # closing it closes the spooled file
        data = response.get_data()
    assert response.status_code == 200, data[:500]
    assert response.mimetype == "application/zip"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert re.search(r'filename="?badge-wallet-\d{4}-\d\d-\d\d\.zip', disposition)
    assert response.headers["Cache-Control"] == "no-store"
    return zipfile.ZipFile(io.BytesIO(data))


def test_zip_holds_every_original_byte_for_byte(client, auth, holder):
    auth.login()
    archive = _export(client)
    assert archive.testzip() is None
    names = set(archive.namelist())
    expected = {f"badges/{pid}.{ext}" for pid, (ext, _) in holder["originals"].items()}
    assert names == expected | {"profile.json", "index.json"}
    for public_id, (ext, original) in holder["originals"].items():
        assert archive.read(f"badges/{public_id}.{ext}") == original


def test_index_describes_each_badge_and_points_at_its_file(client, auth, holder):
    auth.login()
    archive = _export(client)
    index = json.loads(archive.read("index.json"))
    assert index["count"] == 4
    entries = {entry["public_id"]: entry for entry in index["badges"]}
    assert set(entries) == set(holder["originals"])
    for public_id, entry in entries.items():
        assert entry["file"] in archive.namelist()
        assert entry["file"] == f"badges/{public_id}.{holder['originals'][public_id][0]}"
        assert set(entry) >= {
            "public_id",
            "name",
            "issuer",
            "issued_on",
            "expires",
            "result",
            "visibility",
            "spec",
            "format",
            "file",
        }
    png = next(e for e in entries.values() if e["format"] == "png")
    assert png["name"] == "コンクリート技士"
    assert png["issuer"] == "日本コンクリート協会"
    assert png["issued_on"].startswith("2024-04-01T00:00:00")
    assert png["expires"].startswith("2030-01-01T00:00:00")
    assert png["result"] == "valid" and png["spec"] == "2.0"
    assert png["visibility"] == "public"
    assert png["public_url"] == f"{BASE}/b/{png['public_id']}"
    private = next(e for e in entries.values() if e["format"] == "jws")
    assert private["visibility"] == "private" and private["public_url"] is None
    assert next(e for e in entries.values() if e["format"] == "json")["expires"] is None


def test_profile_json_has_names_order_language_settings_and_email(app, client, auth, holder):
    auth.login()
    profile = json.loads(_export(client).read("profile.json"))
    assert profile["email"] == "taro@example.com"
    assert profile["family_name"] == "コンクリート" and profile["given_name"] == "太郎"
    assert profile["name_order"] == "family-first"
    assert profile["display_name"] == "コンクリート 太郎"
    assert profile["language"] == "ja"
    assert profile["settings"] == {
        "default_visibility": "public",
        "profile_public": False,
        "expiry_reminders": True,
    }
    assert profile["profile_url"] is None
    assert profile["additional_addresses"] == []
    assert profile["profile_bio"] is None and profile["profile_photo"] is None
    assert "password" not in json.dumps(profile).lower()
    assert "session" not in json.dumps(profile).lower()


def test_another_holder_exports_only_their_own(app, client, auth, holder):
    with app.app_context():
        other = make_user("hanako@example.com", family_name="山田", given_name="花子")
        mine = add_badge(
            other.id, number=7, name="花子の資格", recipient="hanako@example.com"
        ).public_id
    auth.login("hanako@example.com")
    archive = _export(client)
    names = archive.namelist()
    assert names == ["profile.json", f"badges/{mine}.png", "index.json"]
    everything = b"".join(archive.read(n) for n in names)
    for public_id in holder["originals"]:
        assert public_id.encode() not in everything
    assert b"taro@example.com" not in everything
    assert json.loads(archive.read("profile.json"))["email"] == "hanako@example.com"


def test_export_needs_sign_in(client, holder):
    response = client.post("/account/export")
    assert response.status_code in (302, 303)
    assert "/auth/login" in response.headers["Location"]
    assert client.get("/account/export").status_code in (302, 303)


def test_export_page_explains_and_offers_the_download(client, auth, holder):
    auth.login()
    response = client.get("/account/export")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'action="/account/export"' in html and 'method="post"' in html


def test_many_badges_are_all_exported(app, client, auth):
    with app.app_context():
        user = make_user()
        ids = {add_badge(user.id, number=n, fmt="json").public_id for n in range(1, 121)}
    auth.login()
    archive = _export(client)
    index = json.loads(archive.read("index.json"))
    assert index["count"] == 120
    assert {e["public_id"] for e in index["badges"]} == ids


def test_empty_wallet_exports_profile_and_empty_index(app, client, auth, user):
    auth.login()
    archive = _export(client)
    assert archive.namelist() == ["profile.json", "index.json"]
    assert json.loads(archive.read("index.json"))["badges"] == []


@pytest.fixture
def csrf_on(app_config):
    """Turn CSRF protection on for this test's app."""
    app_config["WTF_CSRF_ENABLED"] = True


def _csrf_token(client, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


def login_with_csrf(client, email: str = "taro@example.com") -> None:
    """Sign in through the real form, token included."""
    token = _csrf_token(client, "/auth/login")
    response = client.post(
        "/auth/login", data={"email": email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code in (302, 303)


def test_export_needs_the_csrf_token(csrf_on, app, client, holder):
    login_with_csrf(client)
    refused = client.post("/account/export")
    assert refused.mimetype != "application/zip"
    token = _csrf_token(client, "/account/export")
    with client.post("/account/export", data={"csrf_token": token}) as accepted:
        assert accepted.mimetype == "application/zip"


def test_small_exports_are_plain_bytes_with_nothing_left_open(app, holder):
    from wallet.extensions import db
    from wallet.models import User
    from wallet.services import export

    with app.test_request_context():
        user = db.session.scalar(select(User).where(User.id == holder["id"]))
        result = export.export_zip(user)
    assert result.file is None and result.size == len(result.data)
    assert len(zipfile.ZipFile(io.BytesIO(result.data)).namelist()) == 6


def test_large_exports_stream_from_a_temporary_file_and_close_it(
    app, client, auth, holder, monkeypatch
):
    from wallet.extensions import db
    from wallet.models import User
    from wallet.services import export

    monkeypatch.setattr(export, "SPOOL_BYTES", 512)
    with app.test_request_context():
        user = db.session.scalar(select(User).where(User.id == holder["id"]))
        result = export.export_zip(user)
    assert result.data is None and result.file is not None
    data = b"".join(result.chunks(size=100))
    assert result.file.closed and len(data) == result.size
    assert len(zipfile.ZipFile(io.BytesIO(data)).namelist()) == 6

    auth.login()
    archive = _export(client)  # the same through HTTP, streamed
    for public_id, (ext, original) in holder["originals"].items():
        assert archive.read(f"badges/{public_id}.{ext}") == original


@pytest.mark.parametrize("spool", [None, 512])
def test_export_response_has_a_length_and_reads_without_closing(
    client, auth, holder, spool, monkeypatch
):
    from wallet.services import export

    if spool:
        monkeypatch.setattr(export, "SPOOL_BYTES", spool)
    auth.login()
    response = client.post("/account/export")  # a client that never calls close()
    assert int(response.headers["Content-Length"]) == len(response.data)
    assert zipfile.ZipFile(io.BytesIO(response.data)).testzip() is None
