"""Passkeys in real Chromium with its virtual authenticator (DevTools WebAuthn domain via CDP):
add one on the account page, sign out, sign in with it, remove it; phone and desktop, ja and en.

WebAuthn refuses an IP address as relying party id, so these steps browse the live server as
http://localhost:<port> (a secure context) with WALLET_BASE_URL set to match for the test.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.conftest import make_user

CASES = [
    pytest.param(viewport, lang, id=f"{viewport}-{lang}")
    for viewport in ("phone", "desktop")
    for lang in ("ja", "en")
]
NO_PASSKEYS = {"ja": "パスキーはまだありません。", "en": "No passkeys yet."}


@pytest.fixture
def localhost(live_server: Any) -> Iterator[str]:
    """Serve the live app as http://localhost:<port> for the duration of one test."""
    original = live_server.app.config["BASE_URL"]
    local = original.replace("http://127.0.0.1:", "http://localhost:")
    live_server.app.config["BASE_URL"] = local
    try:
        yield local
    finally:
        live_server.app.config["BASE_URL"] = original


def virtual_authenticator(tab: Any) -> tuple[Any, str]:
    """Attach a platform authenticator with resident keys and user verification to the tab."""
    cdp = tab.context.new_cdp_session(tab.page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    created = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, created["authenticatorId"]


@pytest.mark.parametrize(("viewport", "lang"), CASES)
def test_passkey_add_sign_out_sign_in_remove(
    open_tab, live_server, localhost: str, viewport: str, lang: str
) -> None:
    email = f"passkey-{viewport}-{lang}@example.com"
    with live_server.app.app_context():
        make_user(email, language=lang, given_name="鍵" if lang == "ja" else "Key")
    tab = open_tab(viewport, lang, name=f"passkey-{viewport}-{lang}")
    page = tab.page
    cdp, authenticator = virtual_authenticator(tab)

    # Sign in with the password, then add a passkey on the account page.
    tab.goto(f"{localhost}/auth/login")
    assert page.get_attribute("#email", "autocomplete") == "username webauthn"
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.locator("main form[action*='/auth/login'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/$"))
    page.locator("header nav a[href$='/account']").click()
    page.wait_for_url(re.compile(r"/account$"))
    expect(page.locator("#passkeys")).to_contain_text(NO_PASSKEYS[lang])
    page.fill("#passkey-name", "Chromium")
    page.locator("form[data-passkey-register] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/account#passkeys$"))
    expect(page.locator(".passkey-list")).to_contain_text("Chromium")
    stored = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert len(stored["credentials"]) == 1
    assert stored["credentials"][0]["isResidentCredential"] is True
    tab.shot("passkey-added")
    tab.assert_accessible()

    # Sign out; open the sign-in page: the browser offers the passkey in the address field
    # (conditional UI), the virtual authenticator picks it, and the holder is signed in.
    page.locator("header .site-menu > summary").click()  # sign-out sits in the header's menu
    page.locator("header form[action$='/auth/logout'] button").click()
    page.wait_for_url(re.compile(r"/$"))
    expect(page.locator("header nav a[href$='/auth/login']")).to_be_visible()
    tab.goto(f"{localhost}/auth/login")
    page.wait_for_url(re.compile(r"/$"))
    expect(page.locator("#badge-list")).to_have_count(1)
    signed = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert signed["credentials"][0]["signCount"] >= 1
    tab.shot("signed-in-with-passkey")

    # Removing it needs a recent sign-in: an hour later, the holder confirms with the passkey
    # (the button: a modal request), then removes it with a plain form.
    with live_server.app.app_context():
        _age_sessions(email)
    page.locator("header nav a[href$='/account']").click()
    page.wait_for_url(re.compile(r"/account$"))
    page.locator(".passkey-list form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/auth/reauth"))
    tab.shot("confirm-its-you")
    tab.assert_accessible()
    page.locator("[data-passkey-reauth]").click()
    page.wait_for_url(re.compile(r"/account$"))
    page.locator(".passkey-list form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/account#passkeys$"))
    expect(page.locator("#passkeys")).to_contain_text(NO_PASSKEYS[lang])
    tab.shot("passkey-removed")
    cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": authenticator})


def _age_sessions(email: str) -> None:
    """Make the holder's sign-ins an hour old (as if the phone had lain on the desk)."""
    from datetime import timedelta

    from sqlalchemy import update

    from wallet.extensions import db
    from wallet.models import User
    from wallet.models import UserSession
    from wallet.models import utcnow
    from wallet.services import accounts

    holder: User | None = accounts.find_by_email(email)
    assert holder is not None
    db.session.execute(
        update(UserSession)
        .where(UserSession.user_id == holder.id)
        .values(authenticated_at=utcnow() - timedelta(hours=1))
    )
    db.session.commit()
