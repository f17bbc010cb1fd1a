"""Printable documents read back: page size, name order, embedded font, QR, cache, 404s, CLI."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from datetime import UTC
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image
from PIL import ImageDraw
from pypdf import PdfReader

from tests.conftest import PASSWORD
from tests.conftest import make_user
from wallet.extensions import db
from wallet.models import Badge
from wallet.models import BadgeContent
from wallet.models import User
from wallet.services import badges
from wallet.services import documents
from wallet.services.documents import cache as documents_cache
from wallet.services.documents import fonts as documents_fonts

A4 = (595.28, 841.89)
CARD = (91 / 25.4 * 72, 55 / 25.4 * 72)  # 257.95 x 155.91 pt
BASE_URL = "https://wallet.example.test"
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")

pytestmark = pytest.mark.skipif(
    not documents.DEBIAN_FONT.is_file(),
    reason="fonts-ipaexfont-gothic is not installed (scripts/system_deps.sh installs it)",
)
needs_poppler = pytest.mark.skipif(
    shutil.which("pdftoppm") is None, reason="poppler-utils (pdftoppm) is not installed"
)


# --- helpers ------------------------------------------------------------------------------------


def badge_png() -> bytes:
    """Return a round blue badge image with transparency (like our re-encoded PNGs)."""
    image = Image.new("RGBA", (256, 256), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((8, 8, 248, 248), fill=(29, 78, 216, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


DETAILS = {
    "description": "Passed the **concrete diagnostician** examination. <b>not bold</b>",
    "criteria_narrative": "Pass the written and oral examinations.",
    "criteria_url": "https://issuer.example/criteria",
    "issuer": {
        "id": "https://issuer.example",
        "name": "Japan Concrete Institute",
        "url": "https://issuer.example/",
    },
    "identifiers": [
        {"label": "passNumber", "value": "P-2023-004217", "type": "ext:passNumber"},
        {"label": "registrationNumber", "value": "R-2024-118822", "type": "ext:registrationNumber"},
        {"label": "memberClass", "value": "Regular", "type": "ext:memberClass"},
    ],
}


def add_badge(
    user_id: int,
    *,
    visibility: str = "public",
    result: str = "valid",
    name: str = "コンクリート診断士",
    details: dict | None = None,
) -> tuple[int, str]:
    """Insert a Badge and its BadgeContent directly; return (id, public_id)."""
    badge = Badge(
        user_id=user_id,
        credential_key=f"key-{name}-{visibility}-{result}",
        spec="3.0",
        format="png",
        name=name,
        issuer_name="Japan Concrete Institute",
        issuer_id="https://issuer.example",
        issued_on=datetime(2024, 4, 1, tzinfo=UTC),
        expires=datetime(2099, 3, 31, tzinfo=UTC),
        recipient_confirmed=True,
        visibility=visibility,
        result=result,
        report_json="[]",
    )
    badge.content = BadgeContent(
        original=b"{}",
        original_media_type="application/json",
        payload="{}",
        details_json=json.dumps(details if details is not None else DETAILS, ensure_ascii=False),
        image_png=badge_png(),
    )
    db.session.add(badge)
    db.session.commit()
    return badge.id, badge.public_id


def loaded(user_id: int, badge_id: int) -> tuple[Badge, User]:
    """Return the badge (with its content) and its holder, as the views load them."""
    user = db.session.get(User, user_id)
    badge = badges.get_owned(user, badge_id)
    assert badge is not None
    return badge, user


def text_of(pdf: bytes) -> str:
    """Return the extracted text of every page."""
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def page_size(pdf: bytes) -> tuple[float, float]:
    """Return the first page's size in points."""
    box = PdfReader(io.BytesIO(pdf)).pages[0].mediabox
    return float(box.width), float(box.height)


def font_names(pdf: bytes) -> set[str]:
    """Return the base names of the embedded (FontFile2) fonts of every page."""
    names = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        fonts = page["/Resources"]["/Font"]
        for key in fonts:
            font = fonts[key].get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is not None and "/FontFile2" in descriptor.get_object():
                names.add(str(font["/BaseFont"]))
    return names


def text_fonts(pdf: bytes) -> set[str]:
    """Return the fonts that draw text (ReportLab lists Helvetica in each page's preamble)."""
    from pypdf.generic import ContentStream

    reader = PdfReader(io.BytesIO(pdf))
    used = set()
    for page in reader.pages:
        fonts = page["/Resources"]["/Font"]
        names = {key: str(fonts[key].get_object()["/BaseFont"]) for key in fonts}
        current = None
        for operands, operator in ContentStream(page.get_contents(), reader).operations:
            if operator == b"Tf":
                current = names.get(operands[0], str(operands[0]))
            elif operator in (b"Tj", b"TJ", b"'", b'"'):
                used.add(current)
    return used


def rasterize(pdf: bytes, tmp_path: Path, dpi: int = 300) -> Image.Image:
    """Render the first page with pdftoppm at dpi and return it."""
    source = tmp_path / "page.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            str(dpi),
            "-png",
            "-singlefile",
            "-f",
            "1",
            "-l",
            "1",
            str(source),
            str(tmp_path / "page"),
        ],
        check=True,
    )
    return Image.open(tmp_path / "page.png").convert("L")


def decode_qr(image: Image.Image):
    """Return the QR codes zxing-cpp finds in an image."""
    import zxingcpp

    return [b for b in zxingcpp.read_barcodes(image) if b.format == zxingcpp.BarcodeFormat.QRCode]


@pytest.fixture(autouse=True)
def fresh_cache():
    """Each test starts with an empty document cache."""
    documents.cache_clear()
    yield
    documents.cache_clear()


@pytest.fixture
def taro(app):
    """コンクリート 太郎 (family-first, furigana and Latin name) with one public badge."""
    with app.app_context():
        user = make_user(language="ja")
        user.family_name_kana = "コンクリート"
        user.given_name_kana = "タロウ"
        user.romanized_name = "CONCRETE Taro"
        db.session.commit()
        badge_id, public_id = add_badge(user.id)
        return {"user_id": user.id, "badge_id": badge_id, "public_id": public_id}


def given_first_holder(app, visibility: str = "public") -> dict:
    """Taro Concrete (given-first, English) with one "Concrete Engineer" badge; return the ids."""
    with app.app_context():
        user = make_user(
            "jane@example.com",
            family_name="Concrete",
            given_name="Taro",
            name_order="given-first",
            language="en",
        )
        badge_id, public_id = add_badge(user.id, name="Concrete Engineer", visibility=visibility)
        return {"user_id": user.id, "badge_id": badge_id, "public_id": public_id}


def build(app, ids, kind: str, lang: str = "ja", title: str | None = None):
    """Render a document of the fixture's badge."""
    with app.app_context():
        badge, user = loaded(ids["user_id"], ids["badge_id"])
        return documents.build(badge, user, kind, lang, title)


# --- the documents ----------------------------------------------------------------------------


@needs_poppler
def test_certificate_is_a4_with_name_family_first_font_embedded_and_qr_of_public_page(
    app, taro, tmp_path
):
    document = build(app, taro, "certificate", "ja")
    pdf = document.pdf
    assert pdf.startswith(b"%PDF")
    width, height = page_size(pdf)
    assert abs(width - A4[0]) <= 1 and abs(height - A4[1]) <= 1
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
    text = text_of(pdf)
    assert "コンクリート 太郎" in text
    assert "太郎 コンクリート" not in text
    assert "コンクリート タロウ" in text and "CONCRETE Taro" in text
    assert "コンクリート診断士" in text and "Japan Concrete Institute" in text
    assert "2024年4月1日" in text and "2099年3月31日" in text
    assert any(name.endswith("+IPAexGothic") for name in font_names(pdf)), font_names(pdf)
    assert {name.split("+")[-1] for name in text_fonts(pdf)} == {"IPAexGothic"}
    codes = decode_qr(rasterize(pdf, tmp_path))
    assert [c.text for c in codes] == [f"{BASE_URL}/b/{taro['public_id']}"]
    assert codes[0].ec_level == "M"
    assert document.missing == ()


@needs_poppler
def test_english_certificate_of_a_given_first_holder(app, tmp_path):
    ids = given_first_holder(app)
    pdf = build(app, ids, "certificate", "en").pdf
    text = text_of(pdf)
    assert "Taro Concrete" in text
    assert "Concrete Taro" not in text
    assert "1 April 2024" in text and "31 March 2099" in text
    codes = decode_qr(rasterize(pdf, tmp_path))
    assert [c.text for c in codes] == [f"{BASE_URL}/b/{ids['public_id']}"]


def test_details_sheet_has_identifiers_description_criteria_and_state(app, taro):
    pdf = build(app, taro, "details", "en").pdf
    width, height = page_size(pdf)
    assert abs(width - A4[0]) <= 1 and abs(height - A4[1]) <= 1
    text = text_of(pdf)
    for expected in (
        "コンクリート 太郎",
        "コンクリート診断士",
        "Japan Concrete Institute",
        "Pass number",
        "P-2023-004217",
        "Registration number",
        "R-2024-118822",
        "memberClass",
        "Regular",
        "https://issuer.example/",
        "https://issuer.example/criteria",
        "Pass the written and oral examinations.",
        "1 April 2024",
        "31 March 2099",
        f"{BASE_URL}/b/{taro['public_id']}",
        "State when printed",
        "Valid",
    ):
        assert expected in text, expected
    # Issuer text is plain: Markdown shows as its words, HTML as visible characters.
    assert "Passed the concrete diagnostician examination." in text
    assert "<b>not bold</b>" in text
    assert text.index("Pass number") < text.index("P-2023-004217")


def test_details_labels_follow_the_document_language(app, taro):
    from flask_babel import force_locale
    from flask_babel import gettext

    with app.test_request_context():
        with force_locale("ja"):
            pass_label = gettext("Pass number")
            registration_label = gettext("Registration number")
    pdf = build(app, taro, "details", "ja").pdf
    text = text_of(pdf)
    assert pass_label in text and registration_label in text
    assert {name.split("+")[-1] for name in text_fonts(pdf)} == {"IPAexGothic"}
    assert "2024年4月1日" in text


@needs_poppler
def test_business_card_size_name_title_and_printable_qr(app, taro, tmp_path):
    document = build(app, taro, "card", "ja", "株式会社コンクリート技研 技術部")
    pdf = document.pdf
    width, height = page_size(pdf)
    assert abs(width - CARD[0]) <= 0.5 and abs(height - CARD[1]) <= 0.5
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
    text = text_of(pdf)
    assert "株式会社コンクリート技研 技術部" in text
    assert "コンクリート 太郎" in text and "太郎 コンクリート" not in text
    assert any(name.endswith("+IPAexGothic") for name in font_names(pdf))
    assert {name.split("+")[-1] for name in text_fonts(pdf)} == {"IPAexGothic"}
    dpi = 300
    page = rasterize(pdf, tmp_path, dpi)
    codes = decode_qr(page)
    assert [c.text for c in codes] == [f"{BASE_URL}/b/{taro['public_id']}"]
    assert codes[0].ec_level == "M"
    # zxing-cpp reports the symbol's outer corners; the version gives its modules per side.
    modules = 17 + 4 * int(codes[0].extra["Version"])
    position = codes[0].position
    left, top = position.top_left.x, position.top_left.y
    side = position.top_right.x - position.top_left.x
    module_px = side / modules
    # The symbol (without its quiet zone) is at least 15 mm wide: its dark modules span that.
    assert side / dpi * 25.4 >= 15, side / dpi * 25.4
    symbol = page.crop((left - 3, top - 3, left + side + 3, top + side + 3))
    dark = symbol.point(lambda v: 255 if v < 128 else 0).getbbox()
    assert dark is not None and (dark[2] - dark[0]) / dpi * 25.4 >= 15
    # A 4-module quiet zone on every side is white (the symbol itself is blanked out).
    quiet = int(4 * module_px) - 1
    zone = page.crop((left - quiet, top - quiet, left + side + quiet, top + side + quiet))
    zone.paste(255, (quiet - 2, quiet - 2, zone.width - quiet + 2, zone.height - quiet + 2))
    assert zone.getextrema()[0] > 200, "the quiet zone is not clear"


def test_english_card_of_a_given_first_holder(app):
    ids = given_first_holder(app)
    text = text_of(build(app, ids, "card", "en", "Concrete Lab Inc.").pdf)
    assert "Taro Concrete" in text and "Concrete Taro" not in text
    assert "Concrete Lab Inc." in text
    assert "Scan the QR code to verify" in text


def test_card_title_line_is_one_clean_line(app, taro):
    title = "Lab\x00 \n  Engineering" + "x" * 200
    text = text_of(build(app, taro, "card", "en", title).pdf)
    assert "Lab Engineering" in " ".join(text.split())
    assert documents.clean_title(title) == ("Lab Engineering" + "x" * 200)[: documents.TITLE_MAX]


def test_private_badge_documents_carry_a_visible_warning(app):
    with app.app_context():
        user = make_user(language="en")
        badge_id, _ = add_badge(user.id, visibility="private")
        ids = {"user_id": user.id, "badge_id": badge_id}
    for kind in ("certificate", "details"):
        text = " ".join(text_of(build(app, ids, kind, "en").pdf).split())
        assert "This badge is private" in text, kind
        assert "will not verify" in text
    card = " ".join(text_of(build(app, ids, "card", "en").pdf).split())
    assert "Private badge: this QR code will not verify it." in card


def test_long_texts_still_fit_on_one_certificate_and_one_card(app):
    long_name = (
        "一級コンクリート構造物維持管理診断技術者"
        "（鉄筋コンクリート・プレストレストコンクリート・補修補強設計施工管理）認定資格"
    )
    with app.app_context():
        user = make_user(family_name="長谷川原田小笠原", given_name="太郎左衛門之介")
        user.family_name_kana = "ハセガワハラダオガサワラ"
        user.given_name_kana = "タロウザエモンノスケ"
        user.romanized_name = "HASEGAWAHARADAOGASAWARA Tarozaemonnosuke"
        db.session.commit()
        # Not valid, so the state and its reason are printed too (a revoked one has no card).
        badge_id, _ = add_badge(
            user.id, visibility="private", result="unverifiable", name=long_name
        )
        ids = {"user_id": user.id, "badge_id": badge_id}
    for kind in ("certificate", "card"):
        for lang in ("ja", "en"):
            pdf = build(app, ids, kind, lang, "株式会社コンクリート技研 技術部 第一課").pdf
            assert len(PdfReader(io.BytesIO(pdf)).pages) == 1, (kind, lang)
            text = "".join(text_of(pdf).split())
            assert "長谷川原田小笠原太郎左衛門之介" in text
    text = "".join(text_of(build(app, ids, "certificate", "ja").pdf).split())
    assert "".join(long_name.split()) in text and "2099年3月31日" in text
    # A 500-character qualification (the most a badge name holds) is cut short with "…", and
    # what still spills over is rendered again smaller until it fits.
    with app.app_context():
        db.session.get(Badge, badge_id).name = (long_name * 8)[:500]
        db.session.get(Badge, badge_id).issuer_name = "公益社団法人日本コンクリート工学会 " * 6
        db.session.commit()
    for lang in ("ja", "en"):
        pdf = build(app, ids, "certificate", lang).pdf
        assert len(PdfReader(io.BytesIO(pdf)).pages) == 1, lang
        assert "…" in text_of(pdf) and "2099" in text_of(pdf)


def test_revoked_badge_certificate_says_so(app):
    with app.app_context():
        user = make_user(language="en")
        badge_id, _ = add_badge(user.id, result="revoked")
        ids = {"user_id": user.id, "badge_id": badge_id}
    assert "State when printed: Revoked" in text_of(build(app, ids, "certificate", "en").pdf)


# --- characters the font lacks ----------------------------------------------------------------


def test_character_without_glyph_is_marked_and_reported(app):
    with app.app_context():
        user = make_user(family_name="𠮷田", given_name="太郎")
        badge_id, _ = add_badge(user.id)
        ids = {"user_id": user.id, "badge_id": badge_id}
        badge, holder = loaded(user.id, badge_id)
        assert documents.missing_characters(badge, holder) == ["𠮷"]
    document = build(app, ids, "certificate", "ja")
    assert document.missing == ("𠮷",)
    text = text_of(document.pdf)
    assert "〓田 太郎" in text
    assert "𠮷" not in text


def test_text_mapping_escapes_marks_and_keeps_variant_ideographs():
    glyphs = documents_fonts.Glyphs(frozenset(map(ord, "ab<\u795e\ufa19 ")), frozenset({ord("c")}))
    assert glyphs("a<b\x07a") == "a&lt;b a"
    assert glyphs("ab\u200b\U000e0100a") == "aba"  # format characters and selectors dropped
    assert glyphs("acca") == 'a<span class="fallback">cc</span>a'
    assert glyphs("a\U00020bb7b") == "a〓b" and glyphs.missing == {"\U00020bb7"}
    # No normalisation: the compatibility ideograph U+FA19 stays itself (NFC would give U+795E).
    assert glyphs("\ufa19") == "\ufa19"


@pytest.mark.skipif(not DEJAVU.is_file(), reason="DejaVu Sans is not installed")
def test_fallback_font_draws_what_the_japanese_font_lacks(app):
    # Georgian is missing from IPAexGothic but present in DejaVu Sans: it stands in for a
    # fallback such as IPAmj Mincho (which would cover 𠮷).
    app.config["PDF_FALLBACK_FONT_PATH"] = str(DEJAVU)
    with app.app_context():
        user = make_user(family_name="ქართველი", given_name="太郎")
        badge_id, _ = add_badge(user.id)
        ids = {"user_id": user.id, "badge_id": badge_id}
    document = build(app, ids, "certificate", "ja")
    assert document.missing == ()
    assert "ქართველი 太郎" in text_of(document.pdf)
    fonts = font_names(document.pdf)
    assert any(n.endswith("+IPAexGothic") for n in fonts)
    assert any(n.endswith("+DejaVuSans") for n in fonts)
    drawn = {name.split("+")[-1] for name in text_fonts(document.pdf)}
    assert drawn == {"IPAexGothic", "DejaVuSans"}


def test_missing_font_fails_with_install_hint(app, taro, tmp_path):
    app.config["PDF_FONT_PATH"] = str(tmp_path / "nowhere.ttf")
    with app.app_context():
        badge, user = loaded(taro["user_id"], taro["badge_id"])
        with pytest.raises(documents.FontMissing, match="apt-get install fonts-ipaexfont-gothic"):
            documents.render(badge, user, "certificate", "ja")


def test_font_without_japanese_glyphs_is_refused(app, taro):
    if not DEJAVU.is_file():
        pytest.skip("DejaVu Sans is not installed")
    app.config["PDF_FONT_PATH"] = str(DEJAVU)
    with app.app_context():
        badge, user = loaded(taro["user_id"], taro["badge_id"])
        with pytest.raises(documents.FontMissing, match="no Japanese glyphs"):
            documents.render(badge, user, "certificate", "ja")


# --- cache ------------------------------------------------------------------------------------


def test_cache_returns_identical_bytes_and_any_change_renders_afresh(app, taro):
    first = build(app, taro, "certificate", "ja")
    again = build(app, taro, "certificate", "ja")
    assert again.cached and not first.cached
    assert again.pdf == first.pdf
    assert documents.cache_info()["hits"] == 1

    english = build(app, taro, "certificate", "en")
    assert not english.cached and english.pdf != first.pdf

    with app.app_context():
        user = db.session.get(User, taro["user_id"])
        user.given_name = "次郎"
        db.session.commit()
    renamed = build(app, taro, "certificate", "ja")
    assert not renamed.cached
    assert "コンクリート 次郎" in text_of(renamed.pdf)

    with app.app_context():
        user = db.session.get(User, taro["user_id"])
        user.name_order = "given-first"
        db.session.commit()
    reordered = build(app, taro, "certificate", "ja")
    assert not reordered.cached and "次郎 コンクリート" in text_of(reordered.pdf)

    with app.app_context():
        db.session.get(Badge, taro["badge_id"]).result = "revoked"
        db.session.commit()
    revoked = build(app, taro, "certificate", "ja")
    assert not revoked.cached and revoked.pdf != reordered.pdf

    with app.app_context():
        db.session.get(Badge, taro["badge_id"]).visibility = "private"
        db.session.commit()
    assert not build(app, taro, "certificate", "ja").cached
    # No business card for a revoked badge (services.states.UNSHAREABLE).
    with pytest.raises(documents.CardOff):
        build(app, taro, "card", "ja", "A")

    with app.app_context():
        db.session.get(Badge, taro["badge_id"]).result = "valid"
        db.session.commit()
    card = build(app, taro, "card", "ja", "A")
    assert not build(app, taro, "card", "ja", "B").cached
    assert build(app, taro, "card", "ja", "A").pdf == card.pdf


def test_cache_is_bounded():
    cache = documents_cache.LRU(entries=2, max_bytes=10)
    for n in range(3):
        cache.put(str(n), documents.Document(b"12345", "card", "ja", "a.pdf", "a.pdf"))
    assert cache.get("0") is None and cache.get("2") is not None
    assert cache.info()["entries"] == 2 and cache.info()["bytes"] == 10
    cache.put("big", documents.Document(b"x" * 11, "card", "ja", "a.pdf", "a.pdf"))
    assert cache.get("big") is None


# --- web ----------------------------------------------------------------------------------------


def test_owner_downloads_each_document_as_an_attachment(app, client, auth, taro):
    auth.login()
    for kind in ("certificate", "details", "card"):
        response = client.get(f"/badges/{taro['badge_id']}/documents/{kind}.pdf?lang=en")
        assert response.status_code == 200, kind
        assert response.mimetype == "application/pdf"
        assert response.data.startswith(b"%PDF")
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith("attachment; ")
        assert f'filename="{kind}-{taro["public_id"]}-en.pdf"' in disposition
        assert "filename*=UTF-8''" in disposition
        assert "no-store" in response.headers["Cache-Control"]
        disposition.encode("ascii")  # header stays ASCII; the UTF-8 name is percent-encoded
    response = client.get(f"/badges/{taro['badge_id']}/documents/certificate.pdf?lang=ja")
    assert "%E8%A8%BC%E6%9B%B8" in response.headers["Content-Disposition"]  # 証書


def test_card_title_comes_from_the_get_form(app, client, auth, taro):
    auth.login()
    response = client.get(
        f"/badges/{taro['badge_id']}/documents/card.pdf",
        query_string={"title": "技術部", "lang": "ja"},
    )
    assert response.status_code == 200
    assert "技術部" in text_of(response.data)


def test_documents_page_lists_downloads_and_title_form(app, client, auth, taro):
    auth.login()
    response = client.get(f"/badges/{taro['badge_id']}/documents")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for kind in ("certificate", "details", "card"):
        assert f"/badges/{taro['badge_id']}/documents/{kind}.pdf?lang=ja" in page
    assert 'method="get"' in page and 'name="title"' in page
    assert "This badge is private" not in page


def test_documents_page_warns_about_private_badge_and_missing_glyphs(app, client, auth):
    with app.app_context():
        user = make_user(family_name="𠮷田", given_name="太郎", language="en")
        badge_id, _ = add_badge(user.id, visibility="private")
    auth.login()
    page = client.get(f"/badges/{badge_id}/documents").get_data(as_text=True)
    assert "This badge is private" in page
    assert "𠮷" in page and "〓" in page


def test_badge_page_links_to_the_documents(app, client, auth, taro):
    auth.login()
    page = client.get(f"/badges/{taro['badge_id']}").get_data(as_text=True)
    assert f'href="/badges/{taro["badge_id"]}/documents"' in page


def test_another_holders_documents_are_not_found(app, client, auth, taro):
    with app.app_context():
        make_user("other@example.com")
    auth.login("other@example.com", PASSWORD)
    assert client.get(f"/badges/{taro['badge_id']}/documents").status_code == 404
    for kind in ("certificate", "details", "card"):
        response = client.get(f"/badges/{taro['badge_id']}/documents/{kind}.pdf")
        assert response.status_code == 404
    assert client.get("/badges/999999/documents/certificate.pdf").status_code == 404


def test_unknown_kind_is_not_found_and_signed_out_visitors_sign_in(app, client, auth, taro):
    response = client.get(f"/badges/{taro['badge_id']}/documents/certificate.pdf")
    assert response.status_code in (302, 303) and "/auth/login" in response.headers["Location"]
    auth.login()
    assert client.get(f"/badges/{taro['badge_id']}/documents/letter.pdf").status_code == 404


def test_missing_font_page_explains_instead_of_crashing(app, client, auth, taro, tmp_path):
    app.config["PDF_FONT_PATH"] = str(tmp_path / "nowhere.ttf")
    auth.login()
    response = client.get(f"/badges/{taro['badge_id']}/documents/certificate.pdf")
    assert response.status_code == 503
    assert response.mimetype == "text/html"


def test_content_disposition_is_ascii_with_utf8_name():
    document = documents.Document(
        b"%PDF", "certificate", "ja", "certificate-abc-ja.pdf", "証書 - a/b.pdf"
    )
    value = documents.content_disposition(document)
    value.encode("ascii")
    assert value == (
        'attachment; filename="certificate-abc-ja.pdf"; '
        "filename*=UTF-8''%E8%A8%BC%E6%9B%B8%20-%20a%2Fb.pdf"
    )


# --- CLI ----------------------------------------------------------------------------------------


def test_cli_renders_a_valid_pdf(app, runner, taro, tmp_path):
    out = tmp_path / "cert.pdf"
    result = runner.invoke(
        args=["documents", "render", taro["public_id"], "certificate", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    pdf = out.read_bytes()
    assert "コンクリート 太郎" in text_of(pdf)
    assert "2024年4月1日" in text_of(pdf)  # the holder's language by default
    assert not (tmp_path / "cert.pdf.part").exists()
    result = runner.invoke(
        args=[
            "documents",
            "render",
            taro["public_id"],
            "card",
            "-o",
            str(tmp_path / "c.pdf"),
            "--lang",
            "en",
            "--title",
            "Engineering",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Engineering" in text_of((tmp_path / "c.pdf").read_bytes())


def test_cli_fails_cleanly_on_bad_input(app, runner, taro, tmp_path):
    cases = [
        (
            ["documents", "render", "nosuchbadge", "certificate", "-o", str(tmp_path / "a.pdf")],
            "no badge with the public id",
        ),
        (["documents", "render", "-x", "certificate", "-o", str(tmp_path / "a.pdf")], ""),
        (
            [
                "documents",
                "render",
                taro["public_id"],
                "certificate",
                "-o",
                str(tmp_path / "missing-dir" / "a.pdf"),
            ],
            "cannot write",
        ),
    ]
    for args, expected in cases:
        result = runner.invoke(args=args)
        assert result.exit_code != 0, args
        assert "Traceback" not in result.output
        assert expected in result.output
    result = runner.invoke(args=["documents", "render", taro["public_id"], "letter", "-o", "x.pdf"])
    assert result.exit_code == 2


def test_cli_fails_cleanly_without_font(app, runner, taro, tmp_path):
    app.config["PDF_FONT_PATH"] = str(tmp_path / "nowhere.ttf")
    out = tmp_path / "a.pdf"
    args = ["documents", "render", taro["public_id"], "certificate", "-o", str(out)]
    result = runner.invoke(args=args)
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    assert "apt-get install fonts-ipaexfont-gothic" in lines[0]
    assert not out.exists()


def test_cli_warns_about_missing_glyphs_and_private_badge(app, runner, tmp_path):
    with app.app_context():
        user = make_user(family_name="𠮷田", given_name="太郎")
        _, public_id = add_badge(user.id, visibility="private")
    result = runner.invoke(
        args=["documents", "render", public_id, "card", "-o", str(tmp_path / "a.pdf")]
    )
    assert result.exit_code == 0
    assert "U+20BB7" in result.output and "private" in result.output


def test_cli_renders_many_in_one_process(app, runner, taro, tmp_path):
    other = given_first_holder(app, visibility="private")["public_id"]
    ids = tmp_path / "ids.txt"
    ids.write_text(f"# institute batch\n{taro['public_id']}\nnosuchbadge\n{other}\n")
    out = tmp_path / "pdfs"
    result = runner.invoke(
        args=["documents", "render-many", "certificate", "--ids", str(ids), "-o", str(out)]
    )
    assert result.exit_code == 1  # one id was unknown
    assert "no badge with the public id nosuchbadge" in result.output
    assert "Wrote 2 certificate PDF(s)" in result.output
    assert "private" in result.output and "Traceback" not in result.output
    taro_pdf = (out / f"{taro['public_id']}-certificate.pdf").read_bytes()
    assert "コンクリート 太郎" in text_of(taro_pdf)
    assert "Taro Concrete" in text_of((out / f"{other}-certificate.pdf").read_bytes())
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"{taro['public_id']}-certificate.pdf", f"{other}-certificate.pdf"]
    )
