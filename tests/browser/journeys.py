"""The holder's journey through the wallet, step by step, as a person does it in a browser.

One function drives it with JavaScript on (htmx swaps) or off (plain forms and links); the
steps of features that are not in the app yet are left out and reported as such.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tests import badge_factory as bf
from tests.conftest import PASSWORD

NAMES = {
    "ja": {"family": "コンクリート", "given": "太郎"},
    "en": {"family": "Concrete", "given": "Alice"},
}


@dataclass
class Journey:
    """What a journey did, for the assertions and the report."""

    email: str
    badge_ids: list[int] = field(default_factory=list)
    public_path: str = ""
    skipped: list[str] = field(default_factory=list)
    downloads: dict[str, bytes] = field(default_factory=dict)


def has_endpoint(tab: Any, endpoint: str) -> bool:
    """Return whether the app under test has a route for endpoint (feature present)."""
    return endpoint in tab.server.app.view_functions


def submit(tab: Any, form: str, *, wait_url: str | None = None) -> None:
    """Press the submit button of the form matched by the selector `form`."""
    tab.page.locator(f"{form} button[type=submit]").first.click()
    if wait_url:
        tab.page.wait_for_url(re.compile(wait_url))


def badge_id_of(tab: Any) -> int:
    """Return the badge id of the detail page the tab shows."""
    match = re.search(r"/badges/(\d+)$", tab.url)
    assert match, f"not a badge page: {tab.url}"
    return int(match.group(1))


def flash_text(tab: Any) -> str:
    """Return the text of the flash region (messages after a redirect)."""
    return tab.page.locator("#flash").inner_text()


def register_and_sign_in(tab: Any, journey: Journey) -> None:
    """Welcome page → register → mail → confirm → sign in → empty wallet."""
    page = tab.page
    names = NAMES[tab.lang]
    tab.goto("/")
    tab.shot("welcome")
    page.locator("main a[href$='/auth/register']").first.click()
    page.wait_for_url(re.compile(r"/auth/register"))
    tab.shot("register")
    page.fill("#email", journey.email)
    page.fill("#family_name", names["family"])
    page.fill("#given_name", names["given"])
    assert page.input_value("#language") == tab.lang, "the account language follows the page"
    page.fill("#password", PASSWORD)
    page.fill("#password_confirm", PASSWORD)
    submit(tab, "form[action$='/auth/register']", wait_url=r"/auth/check-email$")
    tab.shot("check-email")

    link = tab.server.link_in_last_mail(journey.email, "/auth/verify/")
    assert link.startswith(tab.server.url), link  # WALLET_BASE_URL is the live server
    tab.goto(link)
    page.wait_for_url(re.compile(r"/auth/login"))
    assert flash_text(tab).strip(), "a confirmation message is shown"
    tab.shot("email-confirmed")
    page.fill("#email", journey.email)
    page.fill("#password", PASSWORD)
    submit(tab, "main form[action*='/auth/login']", wait_url=r"/$")
    assert page.locator("#badge-list").count() == 1
    tab.shot("wallet-empty")


def open_import(tab: Any) -> None:
    """Go to the import page with the wallet's own button."""
    tab.goto("/")
    tab.page.locator("main a[href$='/badges/import']").first.click()
    tab.page.wait_for_url(re.compile(r"/badges/import$"))


def import_badges(tab: Any, journey: Journey, server: Any) -> None:
    """Add three badges: a baked PNG upload, a URL on a loopback issuer, pasted VC-JWT text."""
    page = tab.page
    open_import(tab)
    tab.shot("import")
    page.set_input_files(
        "#import-file",
        {
            "name": "badge.png",
            "mimeType": "image/png",
            "buffer": bf.ob3_png(email=journey.email, name=f"Upload badge {tab.lang}"),
        },
    )
    submit(tab, "form:has(#import-file)", wait_url=r"/badges/\d+$")
    assert page.locator("h1").inner_text() == f"Upload badge {tab.lang}"
    journey.badge_ids.append(badge_id_of(tab))
    tab.shot("added-by-upload")

    server.files["/credentials/1.json"] = bf.ob3_json(
        email=journey.email, name=f"URL badge {tab.lang}"
    )
    open_import(tab)
    page.fill("#import-url", server.url("/credentials/1.json"))
    submit(tab, "form:has(#import-url)", wait_url=r"/badges/\d+$")
    assert page.locator("h1").inner_text() == f"URL badge {tab.lang}"
    journey.badge_ids.append(badge_id_of(tab))
    tab.shot("added-by-url")

    open_import(tab)
    page.fill("#import-text", "this is not a badge")
    with tab.expecting(r"status of 422"):  # the form comes back with its error, as designed
        page.locator("form:has(#import-text) button[type=submit]").click()
        alert = page.locator("#import-form [role=alert]")
        alert.wait_for()
        page.wait_for_load_state()
    assert alert.inner_text().strip()
    tab.shot("import-error")
    page.fill("#import-text", bf.vc_jwt(email=journey.email, name="コンクリート診断士"))
    submit(tab, "form:has(#import-text)", wait_url=r"/badges/\d+$")
    assert page.locator("h1").inner_text() == "コンクリート診断士"
    journey.badge_ids.append(badge_id_of(tab))
    tab.shot("added-by-paste")


def switch(tab: Any) -> Any:
    """Return the disclosure switch of the badge page."""
    return tab.page.locator("#visibility-switch [role=switch]")


def toggle_visibility(tab: Any, expect: str) -> None:
    """Flip the disclosure switch; with htmx the page must not reload, without it, it must."""
    page = tab.page
    before = tab.navigations()
    url = tab.url
    switch(tab).click()
    checked = "true" if expect == "public" else "false"
    page.wait_for_selector(f"#visibility-switch [role=switch][aria-checked={checked}]")
    page.wait_for_load_state()
    if tab.js:
        assert tab.navigations() == before, "the switch reloaded the page instead of swapping"
        assert tab.url == url
    else:
        assert tab.navigations() > before, "without JavaScript the switch is a plain form"
        assert flash_text(tab).strip()


def disclosure(tab: Any, journey: Journey, visitor: Any) -> None:
    """Public page for a visitor → private with one tap → 404 for the visitor → public again."""
    page = tab.page
    assert switch(tab).get_attribute("aria-checked") == "true", "public by default"
    journey.public_path = page.locator("#visibility-switch .public-link a").get_attribute("href")
    assert re.fullmatch(r"/b/[a-z0-9]+", journey.public_path)
    tab.shot("badge-detail")

    visitor.goto(journey.public_path)
    visitor.shot("public-page")

    toggle_visibility(tab, "private")
    assert page.locator("#visibility-switch .public-link").count() == 0
    tab.shot("badge-private")

    visitor.allow_console(r"status of 404")
    visitor.goto(journey.public_path, status=404)
    assert "コンクリート診断士" not in visitor.page.content()
    visitor.shot("public-page-gone")

    toggle_visibility(tab, "public")
    tab.shot("badge-public-again")
    visitor.goto(journey.public_path)


def documents(tab: Any, journey: Journey) -> None:
    """Download the certificate, the details sheet and the business card (PDF)."""
    if not has_endpoint(tab, "documents.index"):
        journey.skipped.append("documents: the app has no documents pages yet")
        return
    page = tab.page
    badge_id = journey.badge_ids[-1]
    link = page.locator(f"main a[href$='/badges/{badge_id}/documents']")
    if link.count():
        link.first.click()
        page.wait_for_url(re.compile(r"/documents$"))
    else:
        journey.skipped.append("documents: no link from the badge page (opened by address)")
        tab.goto(f"/badges/{badge_id}/documents")
    tab.shot("documents")
    for kind in ("certificate", "details", "card"):
        anchor = page.locator(f"main a[href*='/documents/{kind}.pdf'][href*='lang={tab.lang}']")
        with page.expect_download() as info:
            anchor.first.click()
        data = Path(info.value.path()).read_bytes()
        assert data.startswith(b"%PDF-"), f"{kind} is not a PDF"
        journey.downloads[kind] = data
    tab.goto(f"/badges/{badge_id}")


def share(tab: Any, journey: Journey) -> None:
    """Share panel links and the email-signature copy button (when the panel exists)."""
    page = tab.page
    if not page.locator("main #share-panel").count():
        journey.skipped.append("share panel: not on the badge page yet")
        return
    public_url = tab.server.url + journey.public_path
    if tab.js:  # the panel is loaded into the badge page by htmx
        page.locator("#share-panel #share-url").wait_for()
        page.wait_for_load_state()
    else:  # a plain link to the share page
        page.locator("#share-panel a[href$='/share']").click()
        page.wait_for_url(re.compile(r"/share$"))
    panel = page.locator("#share-panel")
    assert panel.locator("#share-url").input_value() == public_url
    hrefs = [a.get_attribute("href") or "" for a in panel.locator(".share-networks a").all()]
    encoded = quote(public_url, safe="")
    assert hrefs and all(encoded in h or public_url in h for h in hrefs[:-1]), hrefs
    tab.shot("share")
    copy = panel.locator("[data-copy-html]")
    if tab.js and copy.count():
        tab.context.grant_permissions(["clipboard-read", "clipboard-write"])
        copy.first.click()
        page.wait_for_function(
            "b => b.textContent === b.getAttribute('data-copied-text')",
            arg=copy.first.element_handle(),
        )
        text = page.evaluate("navigator.clipboard.readText()")
        assert public_url in text, text
        tab.shot("signature-copied")
    if not tab.js:
        tab.goto(f"/badges/{journey.badge_ids[-1]}")


_ISSUER: dict[str, Any] = {}


def _award(tab: Any, email: str) -> None:
    """Award a badge of a portal issuer to email and mail the notice (as an operator would)."""
    from wallet.extensions import db
    from wallet.services import issuing
    from wallet.services.issuing import claims
    from wallet.services.issuing import issuers

    app = tab.server.app
    with app.app_context(), app.test_request_context("/"):
        if "id" not in _ISSUER:
            issuer = issuers.create_issuer(
                "jci", "日本コンクリート工学会", "https://www.jci-net.or.jp/", "badges@example.org"
            )
            achievement = issuers.create_achievement(
                issuer,
                "gishi",
                "コンクリート技士",
                "コンクリート技士として登録されたことを示します。",
                "コンクリート技士試験に合格し、登録すること。",
            )
            _ISSUER["id"] = achievement.id
        achievement = db.session.get(issuing.Achievement, _ISSUER["id"])
        outcome = issuing.award(
            achievement,
            issuing.AwardRow(
                email=email,
                family_name=NAMES[tab.lang]["family"],
                given_name=NAMES[tab.lang]["given"],
                issued_on=date.today(),
                identifiers=(("passNumber", "G-2026-01234"),),
                language=tab.lang,
            ),
        )
        assert claims.send_notice(outcome.award)


def claim(tab: Any, journey: Journey) -> None:
    """Receive a badge awarded by the portal from the link in its notice mail."""
    if not has_endpoint(tab, "claim.claim"):
        journey.skipped.append("claim: the app has no issuing yet")
        return
    _award(tab, journey.email)
    link = tab.server.link_in_last_mail(journey.email, "/claim/")
    tab.goto(link)
    tab.shot("claim")
    submit(tab, "main form[action*='/claim/']", wait_url=r"/badges/\d+$")
    assert tab.page.locator("h1").inner_text() == "コンクリート技士"
    journey.badge_ids.append(badge_id_of(tab))
    tab.shot("claimed")


def export_and_delete(tab: Any, journey: Journey, visitor: Any) -> None:
    """Download all data as a zip, then delete the account; the public page is gone."""
    page = tab.page
    if has_endpoint(tab, "data.export_page"):
        tab.goto("/account")
        link = page.locator("main a[href$='/account/export']")
        if link.count():
            link.first.click()
            page.wait_for_url(re.compile(r"/account/export$"))
        else:
            journey.skipped.append("export: no link from the account page (opened by address)")
            tab.goto("/account/export")
        tab.shot("export")
        with page.expect_download() as info:
            page.locator("main form[action$='/account/export'] button[type=submit]").click()
        with zipfile.ZipFile(io.BytesIO(Path(info.value.path()).read_bytes())) as archive:
            names = archive.namelist()
        assert len(names) >= len(journey.badge_ids), names
    else:
        journey.skipped.append("export: the app has no data export yet")
    if not has_endpoint(tab, "data.delete_account"):
        journey.skipped.append("delete account: not in the app yet")
        return
    tab.goto("/account/delete")
    tab.shot("delete-account")
    page.fill("#password", PASSWORD)
    submit(tab, "main form[action$='/account/delete']", wait_url=r"/$")
    assert flash_text(tab).strip()
    assert page.locator("main a[href$='/auth/register']").count()
    tab.shot("account-deleted")
    visitor.goto(journey.public_path, status=404)


def run_journey(tab: Any, visitor: Any, email: str) -> Journey:
    """The whole journey of one holder; returns what it did."""
    journey = Journey(email=email)
    with bf.badge_server() as server:
        register_and_sign_in(tab, journey)
        import_badges(tab, journey, server)
    disclosure(tab, journey, visitor)
    documents(tab, journey)
    share(tab, journey)
    claim(tab, journey)
    export_and_delete(tab, journey, visitor)
    return journey
