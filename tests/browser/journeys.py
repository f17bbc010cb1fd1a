"""The holder's journey through the wallet, step by step, as a person does it in a browser.

One function drives it with JavaScript on (htmx swaps) or off (plain forms and links). Every
step is taken through the link, button or panel a person would use; when one is missing the
journey fails with a message naming the step, never skips it.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

from playwright.sync_api import expect

from tests import badge_factory as bf
from tests.conftest import STRONG_PASSWORD as PASSWORD
from tests.conftest import Outbox

NAMES = {
    "ja": {"family": "コンクリート", "given": "太郎"},
    "en": {"family": "Concrete", "given": "Alice"},
}


@dataclass
class Journey:
    """What a journey did, for the assertions and the report."""

    email: str
    badge_ids: list[int] = field(default_factory=list)
    badge_names: list[str] = field(default_factory=list)
    public_path: str = ""
    downloads: dict[str, bytes] = field(default_factory=dict)


def required(tab: Any, selector: str, step: str) -> Any:
    """Return the first visible element matching selector; fail naming the step without one."""
    locator = tab.page.locator(selector).first
    expect(locator, f"{step}: no visible {selector} on {tab.url}").to_be_visible()
    return locator


def follow(tab: Any, selector: str, step: str, wait_url: str) -> None:
    """Click the link a person would use for this step and wait for the page it opens."""
    required(tab, selector, step).click()
    tab.page.wait_for_url(re.compile(wait_url))


def submit(tab: Any, form: str, *, step: str, wait_url: str | None = None) -> None:
    """Press the submit button of the form matched by the selector `form`."""
    required(tab, f"{form} button[type=submit]", step).click()
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
    follow(tab, "main a[href$='/auth/register']", "register", r"/auth/register")
    tab.shot("register")
    page.fill("#email", journey.email)
    page.fill("#family_name", names["family"])
    page.fill("#given_name", names["given"])
    assert page.input_value("#language") == tab.lang, "the account language follows the page"
    page.fill("#password", PASSWORD)
    page.fill("#password_confirm", PASSWORD)
    submit(tab, "form[action$='/auth/register']", step="register", wait_url=r"/auth/check-email$")
    tab.shot("check-email")

    # The holder opens the link of the confirmation mail, as a mail program would.
    link = tab.server.link_in_last_mail(journey.email, "/auth/verify/")
    assert link.startswith(tab.server.url), link  # WALLET_BASE_URL is the live server
    tab.goto(link)
    page.wait_for_url(re.compile(r"/auth/login"))
    assert flash_text(tab).strip(), "confirm email: no confirmation message is shown"
    tab.shot("email-confirmed")
    page.fill("#email", journey.email)
    page.fill("#password", PASSWORD)
    submit(tab, "main form[action*='/auth/login']", step="sign in", wait_url=r"/$")
    assert page.locator("#badge-list").count() == 1, "sign in: the wallet list is not shown"
    assert page.locator("#badge-list .badge-card").count() == 0, "sign in: a new wallet has badges"
    tab.shot("wallet-empty")


def open_import(tab: Any) -> None:
    """Go to the import page with the wallet's own button."""
    follow(tab, "header a.brand", "import: back to the wallet", r"/$")
    follow(tab, "main a[href$='/badges/import']", "import", r"/badges/import$")


def landed(tab: Any, journey: Journey, name: str, step: str) -> None:
    """Check the tab shows the detail page of the badge just added; remember the badge."""
    heading = tab.page.locator("main h1")
    expect(heading, f"{step}: the badge page shows another name").to_have_text(name)
    journey.badge_ids.append(badge_id_of(tab))
    journey.badge_names.append(name)


def import_badges(tab: Any, journey: Journey, server: Any) -> None:
    """Add three badges: a baked PNG upload, a URL on a loopback issuer, pasted VC-JWT text."""
    page = tab.page
    open_import(tab)
    tab.shot("import")
    name = f"Upload badge {tab.lang}"
    required(tab, "#import-file", "import by upload")
    page.set_input_files(
        "#import-file",
        {
            "name": "badge.png",
            "mimeType": "image/png",
            "buffer": bf.ob3_png(email=journey.email, name=name),
        },
    )
    submit(tab, "form:has(#import-file)", step="import by upload", wait_url=r"/badges/\d+$")
    landed(tab, journey, name, "import by upload")
    tab.shot("added-by-upload")

    name = f"URL badge {tab.lang}"
    server.files["/credentials/1.json"] = bf.ob3_json(email=journey.email, name=name)
    open_import(tab)
    required(tab, "#import-url", "import by URL").fill(server.url("/credentials/1.json"))
    submit(tab, "form:has(#import-url)", step="import by URL", wait_url=r"/badges/\d+$")
    landed(tab, journey, name, "import by URL")
    tab.shot("added-by-url")

    open_import(tab)
    required(tab, "#import-text", "import by pasting").fill("this is not a badge")
    with tab.expecting(r"status of 422"):  # the form comes back with its error, as designed
        submit(tab, "form:has(#import-text)", step="import by pasting: refused text")
        alert = page.locator("#import-form [role=alert]")
        alert.wait_for()
        tab.htmx_settled()  # the swapped form posts through htmx only then, not as a plain form
        page.wait_for_load_state()
    assert alert.inner_text().strip(), "import by pasting: the refusal does not say why"
    tab.shot("import-error")
    name = "コンクリート診断士"
    page.fill("#import-text", bf.vc_jwt(email=journey.email, name=name))
    submit(tab, "form:has(#import-text)", step="import by pasting", wait_url=r"/badges/\d+$")
    landed(tab, journey, name, "import by pasting")
    tab.shot("added-by-paste")


def switch(tab: Any) -> Any:
    """Return the disclosure switch of the badge page."""
    return required(tab, "#visibility-switch [role=switch]", "disclosure switch")


def toggle_visibility(tab: Any, expect_state: str) -> None:
    """Flip the disclosure switch; with htmx the page must not reload, without it, it must."""
    page = tab.page
    before = tab.navigations()
    url = tab.url
    switch(tab).click()
    checked = "true" if expect_state == "public" else "false"
    page.wait_for_selector(f"#visibility-switch [role=switch][aria-checked={checked}]")
    tab.htmx_settled()  # the swapped switch posts through htmx only then, not as a plain form
    page.wait_for_load_state()
    if tab.js:
        assert tab.navigations() == before, "the switch reloaded the page instead of swapping"
        assert tab.url == url
    else:
        assert tab.navigations() > before, "without JavaScript the switch is a plain form"
        assert flash_text(tab).strip()


def sees_badge(visitor: Any, journey: Journey, step: str) -> None:
    """The visitor opens the public page and finds the badge on it."""
    visitor.goto(journey.public_path)
    heading = visitor.page.locator("main h1")
    expect(heading, f"{step}: the public page lacks the badge").to_have_text(
        journey.badge_names[-1]
    )


def sees_nothing(visitor: Any, journey: Journey, step: str) -> None:
    """The visitor opens the public page and gets the neutral 404 without the badge's name."""
    # Allowed for the rest of the test: the browser may log the 404 after goto returns.
    visitor.allow_console(r"status of 404")
    visitor.goto(journey.public_path, status=404)
    content = visitor.page.content()
    for name in journey.badge_names:
        assert name not in content, f"{step}: the 404 page shows the badge name {name!r}"


def disclosure(tab: Any, journey: Journey, visitor: Any) -> None:
    """Public page for a visitor → private with one tap → 404 for the visitor → public again."""
    page = tab.page
    assert switch(tab).get_attribute("aria-checked") == "true", "disclosure: not public by default"
    link = required(tab, "#visibility-switch .public-link a", "disclosure: public page link")
    journey.public_path = link.get_attribute("href") or ""
    assert re.fullmatch(r"/b/[a-z0-9]+", journey.public_path), journey.public_path
    tab.shot("badge-detail")

    sees_badge(visitor, journey, "disclosure: public by default")
    visitor.shot("public-page")

    toggle_visibility(tab, "private")
    assert page.locator("#visibility-switch .public-link").count() == 0, (
        "disclosure: a private badge still offers its public page"
    )
    tab.shot("badge-private")

    sees_nothing(visitor, journey, "disclosure: made private")
    visitor.shot("public-page-gone")

    toggle_visibility(tab, "public")
    tab.shot("badge-public-again")
    sees_badge(visitor, journey, "disclosure: public again")


def back_to_badge(tab: Any, badge_id: int, step: str) -> None:
    """Return to the badge page with the page's own link."""
    follow(tab, f"main a[href$='/badges/{badge_id}']", step, rf"/badges/{badge_id}$")


def documents(tab: Any, journey: Journey) -> None:
    """Download the certificate, the details sheet and the business card (PDF)."""
    page = tab.page
    badge_id = journey.badge_ids[-1]
    follow(
        tab,
        f"main a[href$='/badges/{badge_id}/documents']",
        "documents: link from the badge page",
        r"/documents$",
    )
    tab.shot("documents")
    for kind in ("certificate", "details", "card"):
        step = f"documents: {kind} in {tab.lang}"
        anchor = required(
            tab, f"main a[href*='/documents/{kind}.pdf'][href*='lang={tab.lang}']", step
        )
        with page.expect_download() as info:
            anchor.click()
        data = Path(info.value.path()).read_bytes()
        assert data.startswith(b"%PDF-"), f"{step}: the download is not a PDF"
        journey.downloads[kind] = data
    back_to_badge(tab, badge_id, "documents: back to the badge")


SHARE_NETWORKS = ("x", "facebook", "linkedin", "line", "bluesky", "email")


def share(tab: Any, journey: Journey) -> None:
    """Share page: the link, every network carrying it, Mastodon, and the signature copy."""
    page = tab.page
    public_url = tab.server.url + journey.public_path
    # The badge page's main action; the share page holds the links, signature and embed code.
    follow(
        tab, "main .badge-actions a[href$='/share']", "share: the badge page's button", r"/share$"
    )
    panel = page.locator("main #share-panel")
    shown = panel.locator("#share-url").input_value()
    assert shown == public_url, f"share: the link field shows {shown}, not {public_url}"
    encoded = quote(public_url, safe="")
    for key in (*SHARE_NETWORKS, "linkedin-profile"):
        step = f"share: {key}"
        href = required(tab, f"main #share-panel a.share-{key}", step).get_attribute("href")
        assert href and (encoded in href or public_url in href), f"{step}: {href}"
    required(tab, "main #share-panel a.share-mastodon", "share: Mastodon")
    tab.shot("share")
    if tab.js:
        copy = required(tab, "main #share-panel [data-copy-html]", "share: copy signature")
        tab.context.grant_permissions(["clipboard-read", "clipboard-write"])
        copy.click()
        page.wait_for_function(
            "b => b.textContent === b.getAttribute('data-copied-text')",
            arg=copy.element_handle(),
        )
        text = page.evaluate("navigator.clipboard.readText()")
        assert public_url in text, f"share: the copied signature lacks the link: {text}"
        tab.shot("signature-copied")
    else:  # the signature is still there to select by hand
        source = required(tab, "main #share-panel #signature-source", "share: signature source")
        assert public_url in source.input_value(), "share: the signature lacks the link"
    back_to_badge(tab, journey.badge_ids[-1], "share: back to the badge")


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
    name = "コンクリート技士"
    _award(tab, journey.email)
    # The holder opens the claim link of the notice mail, as a mail program would.
    link = tab.server.link_in_last_mail(journey.email, "/claim/")
    tab.goto(link)
    heading = tab.page.locator("main h1")
    expect(heading, "claim: the page does not show the awarded badge").to_have_text(name)
    tab.shot("claim")
    submit(tab, "main form[action*='/claim/']", step="claim", wait_url=r"/badges/\d+$")
    landed(tab, journey, name, "claim")
    tab.shot("claimed")
    confirmation = tab.server.wait_for_mail(
        journey.email, lambda mails: mails and "/claim/" not in Outbox.text(mails[-1])
    )[-1]
    text = Outbox.text(confirmation)
    assert name in text and "/claim/" not in text, f"claim: no issuance mail, last is: {text}"


def open_account(tab: Any, step: str) -> None:
    """Open the account page with the site navigation."""
    follow(tab, "header nav a[href$='/account']", step, r"/account$")


def export_and_delete(tab: Any, journey: Journey, visitor: Any) -> None:
    """Download all data as a zip, then delete the account; the public page is gone."""
    page = tab.page
    open_account(tab, "export: account link")
    follow(tab, "main a[href$='/account/export']", "export: link", r"/account/export$")
    tab.shot("export")
    button = required(
        tab, "main form[action$='/account/export'] button[type=submit]", "export: download"
    )
    with page.expect_download() as info:
        button.click()
    with zipfile.ZipFile(io.BytesIO(Path(info.value.path()).read_bytes())) as archive:
        files = set(archive.namelist())
        index = json.loads(archive.read("index.json"))["badges"]
        profile = json.loads(archive.read("profile.json"))
    assert profile["email"] == journey.email, profile
    assert sorted(entry["name"] for entry in index) == sorted(journey.badge_names), index
    missing = [entry["file"] for entry in index if entry["file"] not in files]
    assert not missing, f"export: index.json points at files not in the zip: {missing}"

    open_account(tab, "delete account: account link")
    follow(tab, "main a[href$='/account/delete']", "delete account: link", r"/account/delete$")
    tab.shot("delete-account")
    required(tab, "#password", "delete account: password").fill(PASSWORD)
    submit(tab, "main form[action$='/account/delete']", step="delete account", wait_url=r"/$")
    assert flash_text(tab).strip(), "delete account: no message says the account is gone"
    required(tab, "main a[href$='/auth/register']", "delete account: signed out")
    tab.shot("account-deleted")
    sees_nothing(visitor, journey, "delete account")


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
