"""The documents page: one entry per document with its picture, the private-badge warning, and
English documents that lead with the name in Latin letters."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from pypdf import PdfReader

from tests.conftest import make_user
from tests.test_documents import add_badge
from wallet.extensions import db


@pytest.fixture
def holder(app):
    """コンクリート 太郎 with furigana and a Latin name, and one public badge."""
    with app.app_context():
        user = make_user()
        user.family_name_kana = "コンクリート"
        user.given_name_kana = "タロウ"
        user.romanized_name = "Taro Concrete"
        db.session.commit()
        badge_id, public_id = add_badge(user.id)
    return {"badge_id": badge_id, "public_id": public_id}


def test_one_entry_per_document_each_with_its_picture(client, auth, holder) -> None:
    auth.login()
    badge_id = holder["badge_id"]
    html = client.get(f"/badges/{badge_id}/documents").get_data(as_text=True)
    entries = re.findall(r'<li class="document-entry" id="document-(\w+)">', html)
    assert entries == ["certificate", "details", "card"]
    for kind in entries:
        assert f'src="/badges/{badge_id}/documents/{kind}.png?lang=ja"' in html
        picture = client.get(f"/badges/{badge_id}/documents/{kind}.png?lang=ja")
        assert picture.status_code == 200 and picture.mimetype == "image/png"
        assert picture.headers["Cache-Control"] == "private, no-store"
        with Image.open(io.BytesIO(picture.data)) as image:
            width, height = image.size
        assert (width > height) == (kind == "card")  # a card is landscape, A4 portrait
        # Each entry offers its PDF in both languages.
        for lang in ("ja", "en"):
            assert f"/badges/{badge_id}/documents/{kind}.pdf?lang={lang}" in html


def test_pictures_are_the_holders_only(app, client, auth, holder) -> None:
    with app.app_context():
        make_user("other@example.com")
    auth.login("other@example.com")
    assert client.get(f"/badges/{holder['badge_id']}/documents/card.png").status_code == 404
    auth.logout()
    auth.login()
    assert client.get(f"/badges/{holder['badge_id']}/documents/poster.png").status_code == 404


def test_a_private_badge_warns_that_the_printed_qr_leads_to_not_found(app, client, auth) -> None:
    with app.app_context():
        user = make_user()
        badge_id, _ = add_badge(user.id, visibility="private")
    auth.login()
    html = client.get(f"/badges/{badge_id}/documents").get_data(as_text=True)
    assert (
        "書類に印刷したQRコードを読み取っても、バッジを公開に戻すまでは「見つかりません」" in html
    )
    assert 'name="visibility" value="public"' in html  # and offers to make it public


def _text(pdf: bytes) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())


@pytest.mark.parametrize("kind", ["certificate", "details"])
def test_the_english_document_leads_with_the_romanized_name(client, auth, holder, kind) -> None:
    auth.login()
    base = f"/badges/{holder['badge_id']}/documents/{kind}.pdf"
    english = _text(client.get(base + "?lang=en").data)
    assert english.index("Taro Concrete") < english.index("コンクリート 太郎")
    assert "コンクリート タロウ" in english  # the reading is still there, beneath
    japanese = _text(client.get(base + "?lang=ja").data)
    assert japanese.index("コンクリート 太郎") < japanese.index("Taro Concrete")
