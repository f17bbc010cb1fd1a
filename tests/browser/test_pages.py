"""Every page, in Japanese and English, on a 360 px phone: axe-core, overflow, tap targets, lang."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from tests import badge_factory as bf
from tests.browser.journeys import NAMES
from tests.conftest import make_user


@dataclass
class Holder:
    """A holder made for the sweep, with a public and a private badge."""

    email: str
    public_badge: int
    public_path: str
    private_badge: int
    profile_path: str
    claim_path: str


def _make_holder(server: Any, lang: str) -> Holder:
    """Create a verified holder with two badges (through the services, as the CLI does)."""
    from wallet.extensions import db
    from wallet.services import badge_import
    from wallet.services import badges

    email = f"sweep-{lang}@example.com"
    app = server.app
    with app.app_context(), app.test_request_context("/"):
        user = make_user(
            email,
            family_name=NAMES[lang]["family"],
            given_name=NAMES[lang]["given"],
            name_order="family-first" if lang == "ja" else "given-first",
            language=lang,
        )
        user.profile_public = True
        db.session.commit()
        shown = badge_import.import_badge(user, bf.ob3_json(email=email, name="コンクリート診断士"))
        hidden = badge_import.import_badge(
            user, bf.ob3_json(email=email, name="Concrete Technician", valid_until=bf.days(20))
        )
        badges.set_visibility(hidden.badge, "private")
        holder = Holder(
            email=email,
            public_badge=shown.badge.id,
            public_path=f"/b/{shown.badge.public_id}",
            private_badge=hidden.badge.id,
            profile_path=f"/u/{user.profile_id}",
            claim_path=_claim_path(lang, email),
        )
    return holder


def _claim_path(lang: str, email: str) -> str:
    """Award a portal badge to email; return the claim page path (needs an app context)."""
    from wallet.extensions import db
    from wallet.services import issuing
    from wallet.services.issuing import claims
    from wallet.services.issuing import issuers

    issuer = issuers.get_issuer("sweep")
    if issuer is None:
        issuer = issuers.create_issuer(
            "sweep", "日本コンクリート工学会", "https://www.jci-net.or.jp/", "badges@example.org"
        )
        issuers.create_achievement(
            issuer, "gishi", "コンクリート技士", "登録を示します。", "試験に合格すること。"
        )
        db.session.refresh(issuer)
    achievement = issuers.achievements_of(issuer)[0]
    award = issuing.award(
        achievement,
        issuing.AwardRow(
            email=email,
            family_name=NAMES[lang]["family"],
            given_name=NAMES[lang]["given"],
            issued_on=date.today(),
            language=lang,
        ),
    ).award
    url = claims.claim_url(award)
    return "/" + url.split("/", 3)[3]


def _pages(holder: Holder) -> tuple[list[tuple[str, str, int]], list[tuple[str, str, int]]]:
    """Return (anonymous pages, signed-in pages) as (name, path, expected status)."""
    anonymous = [
        ("welcome", "/", 200),
        ("login", "/auth/login", 200),
        ("register", "/auth/register", 200),
        ("forgot", "/auth/forgot", 200),
        ("forgot-sent", "/auth/forgot/sent", 200),
        ("check-email", "/auth/check-email", 200),
        ("verify-failed", "/auth/verify/not-a-token", 400),
        ("reset-failed", "/auth/reset/not-a-token", 400),
        ("public-badge", holder.public_path, 200),
        ("public-badge-gone", "/b/doesnotexist0000000000", 404),
        ("public-profile", holder.profile_path, 200),
        ("not-found", "/no-such-page", 404),
        ("claim-invalid", "/claim/not-a-token", 400),
    ]
    badge = f"/badges/{holder.public_badge}"
    signed_in = [
        ("wallet", "/", 200),
        ("wallet-no-match", "/?q=zzzz-nothing", 200),
        ("import", "/badges/import", 200),
        ("badge", badge, 200),
        ("badge-private", f"/badges/{holder.private_badge}", 200),
        ("badge-delete", f"{badge}/delete", 200),
        ("documents", f"{badge}/documents", 200),
        ("share", f"{badge}/share", 200),
        ("share-mastodon", f"{badge}/share/mastodon", 200),
        ("account", "/account", 200),
        ("password", "/account/password", 200),
        ("export", "/account/export", 200),
        ("delete-account", "/account/delete", 200),
        ("addresses", "/account/addresses", 200),
        ("address-confirm-invalid", "/account/addresses/confirm/not-a-token", 400),
        ("profile-bio-photo", "/account/profile", 200),
        ("claim", holder.claim_path, 200),
    ]
    return anonymous, signed_in


@dataclass
class Findings:
    """Problems collected over all pages, reported together."""

    axe: dict[str, Any]
    small: dict[str, list[str]]
    other: list[str]


def _inspect(tab: Any, name: str, findings: Findings) -> None:
    """Check the page the tab shows and keep a screenshot of it."""
    tab.shot(name)  # also checks <html lang>, 360 px overflow and browser errors
    small = tab.small_tap_targets()
    if small:
        findings.small[name] = small
    violations = tab.axe()
    if violations:
        findings.axe[name] = violations


def _visit(tab: Any, name: str, path: str, status: int, findings: Findings) -> None:
    if status >= 400:
        with tab.expecting(rf"status of {status}"):
            tab.goto(path, status=status)
            _inspect(tab, name, findings)
    else:
        tab.goto(path, status=status)
        _inspect(tab, name, findings)


def _form_errors(tab: Any, findings: Findings) -> None:
    """Send the register and import forms wrong: errors are shown, announced and linked."""
    page = tab.page
    with tab.expecting(r"status of 422"):
        tab.goto("/auth/register")
        page.fill("#email", "not-an-address")
        page.fill("#password", "short")
        page.locator("main form[action$='/auth/register'] button[type=submit]").click()
        page.locator("main [role=alert]").first.wait_for()
        page.wait_for_load_state()
        _inspect(tab, "register-errors", findings)
    invalid = page.locator("main input[aria-invalid=true]")
    assert invalid.count() >= 2
    for field in invalid.all():
        described = (field.get_attribute("aria-describedby") or "").split()
        errors = [d for d in described if d.endswith("-error")]
        if not errors or not page.locator(f"#{errors[0]}").inner_text().strip():
            findings.other.append(f"register: #{field.get_attribute('id')} has no linked error")


@pytest.fixture(scope="module")
def holders(live_server) -> dict[str, Holder]:
    """One holder per language."""
    return {lang: _make_holder(live_server, lang) for lang in ("ja", "en")}


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_every_page(open_tab, holders: dict[str, Holder], lang: str) -> None:
    """axe-core finds nothing serious or critical; 360 px never scrolls sideways; 44 px targets."""
    holder = holders[lang]
    findings = Findings(axe={}, small={}, other=[])
    visitor = open_tab("narrow", lang, name=f"360-{lang}-visitor")
    anonymous, signed_in = _pages(holder)
    for name, path, status in anonymous:
        _visit(visitor, name, path, status, findings)
    _form_errors(visitor, findings)

    tab = open_tab("narrow", lang, name=f"360-{lang}-holder")
    tab.sign_in(holder.email)
    for name, path, status in signed_in:
        _visit(tab, name, path, status, findings)
    tab.goto("/badges/import")
    tab.page.fill("#import-text", "{}")
    with tab.expecting(r"status of 422"):
        tab.page.locator("form:has(#import-text) button[type=submit]").click()
        tab.page.locator("#import-form [role=alert]").wait_for()
        tab.page.wait_for_load_state()
        _inspect(tab, "import-error", findings)

    report = []
    if findings.axe:
        report.append(
            "axe-core serious/critical violations:\n"
            + json.dumps(findings.axe, indent=1, ensure_ascii=False)
        )
    if findings.small:
        report.append(
            "tap targets under 44 x 44 px:\n"
            + json.dumps(findings.small, indent=1, ensure_ascii=False)
        )
    report.extend(findings.other)
    assert not report, "\n".join(report)
