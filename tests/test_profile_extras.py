"""The public profile's bio and photo: private by default, the photo re-encoded by us, the bio
escaped, both in the export, gone with the account and with a squatted account's settings."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from PIL import Image
from PIL import PngImagePlugin

from tests.conftest import PASSWORD
from tests.conftest import htmx_headers
from tests.conftest import make_user

BIO = 'Concrete engineer.\n<script>alert("x")</script> & friends'


def _jpeg_with_gps(size: tuple[int, int] = (900, 600)) -> bytes:
    """A JPEG photo whose EXIF names a place and a camera (what must never be served)."""
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x8825] = {1: "N", 2: (35.0, 41.0, 0.0)}  # GPS latitude
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def _png_with_text() -> bytes:
    """A PNG carrying a text chunk (a re-encoded copy drops it)."""
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    out = io.BytesIO()
    Image.new("RGB", (50, 80), (0, 90, 200)).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def _upload(client, data: bytes, name: str = "me.jpg", **kwargs):
    return client.post(
        "/account/profile/photo",
        data={"photo": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        **kwargs,
    )


def _holder(app, email: str = "taro@example.com"):
    from wallet.services import accounts

    with app.app_context():
        return accounts.find_by_email(email)


def _public(app, on: bool, email: str = "taro@example.com") -> str:
    """Turn the profile on or off; return its path."""
    from wallet.extensions import db
    from wallet.services import accounts

    with app.app_context():
        found = accounts.find_by_email(email)
        accounts.update_profile(found, profile_public=on)
        db.session.refresh(found)
        return f"/u/{found.profile_id}"


def test_private_by_default_and_nothing_shown_while_off(app, client, auth, user):
    auth.login()
    assert client.post("/account/profile/bio", data={"bio": BIO}).status_code == 303
    assert _upload(client, _jpeg_with_gps()).status_code == 303
    holder = _holder(app)
    assert holder.profile_public is False
    path = f"/u/{holder.profile_id}"
    assert client.get(path).status_code == 404
    assert client.get(f"{path}/photo.png").status_code == 404
    # The holder still sees their own photo on the settings page.
    page = client.get("/account/profile").get_data(as_text=True)
    assert "/account/profile/photo.png" in page
    own = client.get("/account/profile/photo.png")
    assert own.status_code == 200 and own.mimetype == "image/png"
    assert own.headers["Cache-Control"] == "no-store"


def test_the_photo_is_our_bounded_png_without_the_uploads_metadata(app, client, auth, user):
    auth.login()
    upload = _jpeg_with_gps()
    assert b"SecretCam" in upload
    assert _upload(client, upload).status_code == 303
    path = _public(app, True)
    page = client.get(path).get_data(as_text=True)
    start = page.index(f"{path}/photo.png")
    photo_url = page[start : page.index('"', start)]
    served = client.get(photo_url)
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served.headers["Content-Security-Policy"]
    assert b"SecretCam" not in served.data
    with Image.open(io.BytesIO(served.data)) as image:
        assert image.format == "PNG"
        assert image.size == (400, 400)  # the middle square, bounded
        assert not image.getexif()
    # A PNG upload is re-encoded too: its text chunk is not served.
    assert _upload(client, _png_with_text(), "me.png").status_code == 303
    page = client.get(path).get_data(as_text=True)
    start = page.index(f"{path}/photo.png")
    second = client.get(page[start : page.index('"', start)])
    assert b"<script>" not in second.data and second.data != _png_with_text()
    with Image.open(io.BytesIO(second.data)) as image:
        assert image.size == (50, 50) and "Comment" not in image.info
    # Off again: the photo is gone from the public address at once.
    _public(app, False)
    assert client.get(photo_url).status_code == 404


def test_unreadable_or_large_uploads_answer_422_and_store_nothing(app, client, auth, user):
    auth.login()
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    for data, name in ((svg, "me.svg"), (b"<html>hello</html>", "me.jpg"), (b"", "me.jpg")):
        response = _upload(client, data, name)
        assert response.status_code == 422
        assert 'role="alert"' in response.get_data(as_text=True)
    fragment = _upload(client, svg, "me.svg", headers=htmx_headers("photo-form"))
    assert fragment.status_code == 422
    assert "<html" not in fragment.get_data(as_text=True)
    from wallet.services import profiles

    with app.app_context():
        holder = _holder(app)
        with pytest.raises(profiles.ProfileProblem) as large:
            profiles.set_photo(holder, b"\xff\xd8" + b"\0" * profiles.PHOTO_MAX_BYTES)
        assert large.value.code == "photo_large"
        assert profiles.photo_version(holder) is None


def test_the_bio_is_plain_text_escaped_on_the_public_page(app, client, auth, user):
    auth.login()
    assert client.post("/account/profile/bio", data={"bio": BIO}).status_code == 303
    path = _public(app, True)
    html = client.get(path, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; friends" in html
    assert "Concrete engineer." in html
    # Emptying it removes it.
    assert client.post("/account/profile/bio", data={"bio": "  "}).status_code == 303
    assert "profile-bio" not in client.get(path).get_data(as_text=True)


def test_a_bad_bio_answers_422_with_the_form_fragment(app, client, auth, user):
    auth.login()
    long = client.post(
        "/account/profile/bio", data={"bio": "あ" * 501}, headers=htmx_headers("bio-form")
    )
    assert long.status_code == 422
    text = long.get_data(as_text=True)
    assert "<html" not in text and "500" in text
    control = client.post("/account/profile/bio", data={"bio": "hello\x07"})
    assert control.status_code == 422
    assert _holder(app).profile_bio is None
    assert client.post("/account/profile/bio", data={"bio": "あ" * 500}).status_code == 303


def test_an_unconfirmed_account_cannot_set_a_bio_or_photo(app, client, auth):
    with app.app_context():
        make_user(verified=False)
    auth.login()
    assert client.post("/account/profile/bio", data={"bio": "hi"}).status_code == 422
    assert _upload(client, _jpeg_with_gps()).status_code == 422
    assert _holder(app).profile_bio is None


def test_bio_and_photo_are_in_the_export_and_go_with_the_account(app, client, auth, user):
    from wallet.extensions import db
    from wallet.models import ProfilePhoto

    auth.login()
    client.post("/account/profile/bio", data={"bio": BIO})
    _upload(client, _jpeg_with_gps())
    response = client.post("/account/export")
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        profile = json.loads(archive.read("profile.json"))
        photo = archive.read("profile/photo.png")
    assert profile["profile_bio"] == BIO.replace("\r\n", "\n")
    assert profile["profile_photo"] == "profile/photo.png"
    assert photo.startswith(b"\x89PNG") and b"SecretCam" not in photo
    deleted = client.post("/account/delete", data={"password": PASSWORD})
    assert deleted.status_code in (302, 303)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(ProfilePhoto)) == 0


def test_proving_a_squatted_address_drops_the_bio_and_photo(app, client, auth):
    from wallet.services import accounts
    from wallet.services import profiles

    with app.app_context():
        squatter = make_user(verified=False)
        squatter.profile_bio = "planted words"
        from wallet.extensions import db
        from wallet.models import ProfilePhoto

        db.session.add(ProfilePhoto(user_id=squatter.id, png=b"\x89PNG", version="x"))
        db.session.commit()
        accounts.prove_address(squatter)
        assert squatter.profile_bio is None
        assert profiles.photo_version(squatter) is None
