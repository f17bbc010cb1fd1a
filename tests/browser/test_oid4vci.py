"""Issue 19 in a phone, in Japanese and English, with and without JavaScript: receive a badge by
an OpenID4VCI offer (the npm issuer with a PIN; the portal's own award notice), and share a
collection whose page and signed presentation a visitor gets. axe stays at 0."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import make_user
from tests.oid4vci_issuer import npm_issuer

LANGS = ["ja", "en"]
OFFER_LINK = re.compile(r"openid-credential-offer://\S+")


@pytest.fixture(scope="module")
def issuer():
    with npm_issuer() as running:
        yield running


def _holder(server: Any, email: str, lang: str) -> None:
    with server.app.app_context():
        make_user(email, language=lang)


def _checked(tab: Any, name: str) -> None:
    """Screenshot the step (language, overflow, browser errors); axe where JavaScript runs."""
    tab.shot(name)
    if tab.js:  # axe is a script: a tab without JavaScript cannot run it (the js run checks)
        tab.assert_accessible()


def _submit(tab: Any, selector: str, wait_url: str) -> None:
    tab.page.locator(selector).click()
    tab.page.wait_for_url(re.compile(wait_url))


def _read_offer(tab: Any, offer: str) -> None:
    """From the wallet, through "Add a badge", paste the offer and read it."""
    tab.page.locator("main a[href='/badges/import']").first.click()
    tab.page.wait_for_url(re.compile(r"/badges/import$"))
    tab.page.locator("main a[href='/receive']").click()
    tab.page.wait_for_url(re.compile(r"/receive$"))
    _checked(tab, "receive")
    tab.page.fill("#offer-text", offer)
    tab.page.locator("#offer-form button[type=submit]").click()
    tab.page.locator("input[name=offer][type=hidden]").wait_for(state="attached")
    tab.htmx_settled()  # the swapped form posts through htmx only then, not as a plain form


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
@pytest.mark.parametrize("lang", LANGS)
def test_receive_from_an_offer_with_a_pin(open_tab, live_server, issuer, lang, js) -> None:
    """Before: the wallet had no way to take an OpenID4VCI offer."""
    email = f"pin-{lang}-{js}@example.com"
    _holder(live_server, email, lang)
    made = issuer.offer(issuer="v1", configurations=["OpenBadge_ldp"], tx_code="2468")
    tab = open_tab("phone", lang, js=js)
    tab.sign_in(email)
    _read_offer(tab, made["offer"])
    main = tab.page.locator("main").inner_text()
    assert "テスト研修所" in main or "Test Institute" in main, main
    _checked(tab, "confirm")
    tab.page.fill("#offer-pin", "1111")
    with tab.expecting(r"status of 422"):  # the form comes back with its error, as designed
        tab.page.locator("main form[action='/receive/accept'] button[type=submit]").click()
        tab.page.locator(".form-errors").wait_for()
        tab.htmx_settled()  # as after reading the offer
    assert "PIN" in tab.page.locator(".form-errors").inner_text()
    _checked(tab, "wrong-pin")
    tab.page.fill("#offer-pin", "2468")
    _submit(tab, "main form[action='/receive/accept'] button[type=submit]", r"/badges/\d+$")
    assert "Concrete Engineer" in tab.page.locator("main").inner_text() or (
        "コンクリート技士" in tab.page.locator("main").inner_text()
    )
    _checked(tab, "received")


@pytest.mark.parametrize("lang", LANGS)
def test_receive_by_scanning_the_offers_qr_code(camera_tab, live_server, issuer, lang) -> None:
    """Before: scanning was tested only up to the button; no camera ever read a code."""
    email = f"scan-{lang}@example.com"
    _holder(live_server, email, lang)
    made = issuer.offer(issuer="v1", configurations=["OpenBadge_jwt"])
    tab = camera_tab(made["offer"], lang)
    tab.sign_in(email)
    tab.goto("/receive")
    tab.page.locator("[data-scan-start]").click()
    # The camera films the code; the page reads it (jsQR: Chromium on Linux has no
    # BarcodeDetector), fills the paste box and sends it: the offer's confirmation appears.
    tab.page.locator("input[name=offer][type=hidden]").wait_for(state="attached", timeout=30_000)
    tab.htmx_settled()  # as after reading a pasted offer
    main = tab.page.locator("main").inner_text()
    assert "テスト研修所" in main or "Test Institute" in main, main
    camera_on = "[...document.querySelectorAll('video')].some(v => v.srcObject)"
    assert not tab.page.evaluate(camera_on)  # the camera is off again
    _checked(tab, "scanned")
    _submit(tab, "main form[action='/receive/accept'] button[type=submit]", r"/badges/\d+$")
    _checked(tab, "received")


@pytest.mark.parametrize("lang", LANGS)
def test_the_portal_notice_offer_is_taken_into_a_wallet_under_another_address(
    open_tab, live_server, lang
) -> None:
    """Before: an award notice held only the claim link for this portal's wallet."""
    from wallet.services.issuing import claims
    from wallet.services.issuing import issuers

    app = live_server.app
    awarded = f"awarded-{lang}@example.org"
    with app.app_context(), app.test_request_context("/"):
        issuer = issuers.create_issuer(
            f"offer-{lang}", "日本コンクリート工学会", "https://www.jci-net.or.jp/", "b@example.org"
        )
        achievement = issuers.create_achievement(
            issuer, "gishi", "コンクリート技士", "登録を示します。", "試験に合格すること。"
        )
        from datetime import date

        from wallet.services import issuing

        claims.award_and_notify(
            achievement,
            issuing.AwardRow(
                email=awarded,
                family_name="コンクリート",
                given_name="太郎",
                issued_on=date(2026, 4, 1),
                language=lang,
            ),
        )
    mails = live_server.mails_to(awarded, at_least=1)
    from tests.conftest import Outbox

    link = OFFER_LINK.search(Outbox.text(mails[-1]))
    assert link, Outbox.text(mails[-1])
    # The holder keeps badges under another address: the badge is bound to their key instead.
    email = f"other-wallet-{lang}@example.com"
    _holder(live_server, email, lang)
    tab = open_tab("phone", lang)
    tab.sign_in(email)
    _read_offer(tab, link.group(0))
    assert "日本コンクリート工学会" in tab.page.locator("main").inner_text()
    _checked(tab, "confirm")
    _submit(tab, "main form[action='/receive/accept'] button[type=submit]", r"/badges/\d+$")
    assert "コンクリート技士" in tab.page.locator("main").inner_text()
    _checked(tab, "received")


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
@pytest.mark.parametrize("lang", LANGS)
def test_a_collection_is_made_shared_and_presented(open_tab, live_server, lang, js) -> None:
    """Before: badges could only be shared one by one, and never as a signed presentation."""
    from tests.public_helpers import add_badge

    app = live_server.app
    email = f"collector-{lang}-{js}@example.com"
    with app.app_context():
        user = make_user(email, language=lang)
        add_badge(user.id, number=1, name="コンクリート技士")
        add_badge(user.id, number=2, name="非公開のバッジ", visibility="private")
    tab = open_tab("phone", lang, js=js)
    tab.sign_in(email)
    tab.page.locator("main a[href='/collections']").click()
    tab.page.wait_for_url(re.compile(r"/collections$"))
    _checked(tab, "collections")
    tab.page.locator("main a[href='/collections/new']").click()
    tab.page.wait_for_url(re.compile(r"/collections/new$"))
    tab.page.fill("#collection-name-ja", "就職用")
    tab.page.fill("#collection-name-en", "For job applications")
    tab.page.locator("main input[name=badge]").first.check()
    tab.page.locator("main input[name=badge]").nth(1).check()
    _checked(tab, "new")
    _submit(tab, "#collection-form button[type=submit]", r"/collections/[a-z0-9]{20}$")
    _checked(tab, "saved")
    shared = tab.page.locator("main .share-link a").get_attribute("href")
    assert shared and re.search(r"/c/[a-z][a-z0-9]{19}$", shared)

    visitor = open_tab("phone", lang, js=js, name=f"visitor-{lang}-{js}")
    visitor.goto(shared.removeprefix(live_server.url))
    main = visitor.page.locator("main").inner_text()
    assert ("就職用" if lang == "ja" else "For job applications") in main
    assert "コンクリート技士" in main and "非公開のバッジ" not in main
    _checked(visitor, "public")
    with visitor.page.expect_download() as info:
        visitor.page.locator("main a[download]").click()
    presentation = json.loads(Path(info.value.path()).read_text(encoding="utf-8"))
    assert presentation["type"] == ["VerifiablePresentation"]
    assert presentation["proof"]["proofPurpose"] == "authentication"
    assert len(presentation["verifiableCredential"]) == 1
