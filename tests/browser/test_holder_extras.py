"""What holders coming from Credly and Badgr expect, in real Chromium on a 390×844 phone, in
Japanese and English: another confirmed address whose badges can be added, the reminder mail
before a badge expires with its opt-out, a public profile with a bio and a photo."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests import badge_factory as bf
from tests.conftest import make_user

LANGS = [pytest.param(lang, id=f"phone-{lang}") for lang in ("ja", "en")]
CONFIRMED = {"ja": "確認済み", "en": "confirmed"}
PENDING = {"ja": "確認待ち", "en": "waiting for confirmation"}
REMINDERS_OFF = {
    "ja": "バッジの有効期限のお知らせメールを停止しました。",
    "en": "You will no longer get mails before badges expire.",
}
BIO = {
    "ja": "コンクリートの診断をしています。\n<b>太字</b>ではありません。",
    "en": "I test concrete.\n<b>Not bold</b>.",
}


def _to_account(tab: Any) -> None:
    """Open the account settings with the header's link."""
    tab.page.locator("header nav a[href$='/account']").click()
    tab.page.wait_for_url(re.compile(r"/account$"))


def _holder(server: Any, email: str, lang: str) -> None:
    with server.app.app_context():
        make_user(email, language=lang, given_name="太郎" if lang == "ja" else "Alice")


@pytest.mark.parametrize("lang", LANGS)
def test_another_address_is_added_confirmed_and_its_badge_imported(
    open_tab, live_server, lang: str
) -> None:
    email = f"addr-{lang}@example.com"
    work = f"addr-{lang}.work@example.org"
    _holder(live_server, email, lang)
    tab = open_tab("phone", lang)
    page = tab.page
    tab.sign_in(email)
    _to_account(tab)
    page.locator("#email-addresses a[href$='/account/addresses']").click()
    page.wait_for_url(re.compile(r"/account/addresses$"))
    page.fill("#email", work)
    # htmx answers with HX-Redirect to this same URL: wait for the page it loads after click().
    with page.expect_navigation(url=re.compile(r"/account/addresses$")):
        page.locator("#address-form button[type=submit]").click()
    expect(page.locator("#flash")).to_contain_text(work)
    row = page.locator(".address-list li", has_text=work)
    expect(row).to_contain_text(PENDING[lang])
    tab.shot("address-pending")
    tab.assert_accessible()
    assert not tab.small_tap_targets()

    # The mailed link asks first; the button adds it.
    tab.goto(live_server.link_in_last_mail(work, "/account/addresses/confirm/"))
    expect(page.locator("main")).to_contain_text(work)
    tab.shot("address-confirm")
    tab.assert_accessible()
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/account/addresses$"))
    expect(page.locator(".address-list li", has_text=work)).to_contain_text(CONFIRMED[lang])
    tab.shot("address-confirmed")
    tab.assert_accessible()

    # A badge issued to the work address is now this holder's.
    tab.goto("/badges/import")
    name = f"Work badge {lang}"
    page.fill("#import-text", bf.ob3_json(email=work, name=name).decode())
    page.locator("form:has(#import-text) button[type=submit]").click()
    page.wait_for_url(re.compile(r"/badges/\d+$"))
    expect(page.locator("main h1")).to_have_text(name)
    tab.shot("work-badge-added")


@pytest.mark.parametrize("lang", LANGS)
def test_the_expiry_reminder_mail_leads_to_the_badge_and_the_opt_out(
    open_tab, live_server, lang: str
) -> None:
    from wallet.services import accounts
    from wallet.services import badge_import
    from wallet.services import expiry_reminders

    email = f"remind-{lang}@example.com"
    _holder(live_server, email, lang)
    name = f"Expiring badge {lang}"
    with live_server.app.app_context():
        holder = accounts.find_by_email(email)
        badge_import.import_badge(
            holder, bf.ob3_json(email=email, name=name, valid_until=bf.days(10))
        )
        sent = expiry_reminders.send_due()
    assert len(sent.sent) >= 1
    mails = live_server.mails_to(email, at_least=1)
    subject = mails[-1]["Subject"]
    assert name in subject
    assert ("有効期限" in subject) if lang == "ja" else ("expires on" in subject)

    tab = open_tab("phone", lang)
    page = tab.page
    tab.sign_in(email)
    tab.goto(live_server.link_in_last_mail(email, "/badges/"))
    expect(page.locator("main h1")).to_have_text(name)
    tab.shot("badge-from-reminder")

    tab.goto(live_server.link_in_last_mail(email, "#expiry-reminders"))
    box = page.locator("#expiry-reminders-on")
    expect(box).to_be_checked()
    tab.shot("reminders-on")
    tab.assert_accessible()
    box.uncheck()
    page.locator("#expiry-reminders button[type=submit]").click()
    page.wait_for_url(re.compile(r"/account#expiry-reminders$"))
    expect(page.locator("#flash")).to_contain_text(REMINDERS_OFF[lang])
    expect(page.locator("#expiry-reminders-on")).not_to_be_checked()
    tab.shot("reminders-off")
    tab.assert_accessible()
    with live_server.app.app_context():
        assert accounts.find_by_email(email).expiry_reminders is False


def _photo() -> bytes:
    """A camera-sized JPEG (landscape: the profile keeps the middle square)."""
    out = io.BytesIO()
    Image.new("RGB", (1200, 800), (30, 120, 60)).save(out, format="JPEG")
    return out.getvalue()


@pytest.mark.parametrize("lang", LANGS)
def test_the_public_profile_shows_a_bio_and_photo_once_turned_on(
    open_tab, live_server, lang: str
) -> None:
    email = f"profile-{lang}@example.com"
    _holder(live_server, email, lang)
    tab = open_tab("phone", lang)
    page = tab.page
    tab.sign_in(email)
    _to_account(tab)
    page.locator("#public-profile a[href$='/account/profile']").click()
    page.wait_for_url(re.compile(r"/account/profile$"))
    tab.shot("profile-empty")
    tab.assert_accessible()

    page.set_input_files("#photo", {"name": "me.jpg", "mimeType": "image/jpeg", "buffer": _photo()})
    with page.expect_navigation(url=re.compile(r"/account/profile$")):  # HX-Redirect, as the bio
        page.locator("#photo-form button[type=submit]").click()
    expect(page.locator("#photo-form img.profile-photo")).to_be_visible()
    page.fill("#bio", BIO[lang])
    with page.expect_navigation():  # htmx answers with HX-Redirect: the page reloads after click()
        page.locator("#bio-form button[type=submit]").click()
    expect(page.locator("#bio")).to_have_value(BIO[lang])
    tab.shot("profile-filled")
    tab.assert_accessible()
    assert not tab.small_tap_targets()

    # Private by default: turn the profile on in the settings, then visit it signed out.
    _to_account(tab)
    path = page.locator("#public-profile a[href*='/u/']")
    expect(path).to_have_count(0)
    page.check("#profile_public")
    with page.expect_navigation(url=re.compile(r"/account$")):  # HX-Redirect to this same URL
        page.locator("#profile-form button[type=submit]").click()
    profile_url = page.locator("#public-profile a[href*='/u/']").get_attribute("href")
    visitor = open_tab("phone", lang, name=f"visitor-{lang}")
    visitor.goto(profile_url)
    vpage = visitor.page
    bio = vpage.locator(".profile-bio")
    expect(bio).to_have_text(BIO[lang])
    assert vpage.locator(".profile-bio b").count() == 0  # plain text, escaped
    photo = vpage.locator("img.profile-photo")
    expect(photo).to_be_visible()
    size = photo.evaluate("img => [img.naturalWidth, img.naturalHeight, img.complete]")
    assert size == [400, 400, True]
    visitor.shot("public-profile")
    visitor.assert_accessible()
