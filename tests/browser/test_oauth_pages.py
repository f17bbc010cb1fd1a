"""The consent page and connected applications in real Chromium: phone size, ja and en, JS or not.

The application's redirect URI is on another origin (localhost, answered by the test), so the
consent page's CSP must let the approval's redirect leave the site; a violation fails the test.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs
from urllib.parse import urlencode
from urllib.parse import urlsplit

import pytest

from tests import badge_factory as bf
from tests.api import helpers as h
from tests.browser.journeys import NAMES
from tests.conftest import make_user

CALLBACK = "http://localhost:9/callback"
TEXT = {
    "ja": {
        "approve": "承認する",
        "disconnect": "連携を解除する",
        "heading": "連携中のアプリケーション",
    },
    "en": {"approve": "Approve", "disconnect": "Disconnect", "heading": "Connected applications"},
}


def _holder(server: Any, lang: str, js: bool) -> tuple[str, list[int]]:
    """Create a holder with two badges; return the email and the badge ids."""
    from wallet.services import badge_import

    email = f"consent-{lang}-{'js' if js else 'nojs'}@example.com"
    lang = lang.removeprefix("bring-")
    with server.app.app_context(), server.app.test_request_context("/"):
        user = make_user(
            email,
            family_name=NAMES[lang]["family"],
            given_name=NAMES[lang]["given"],
            language=lang,
        )
        ids = [
            badge_import.import_badge(user, bf.ob3_json(email=email, name=name)).badge.id
            for name in ("コンクリート診断士", "Bridge inspector")
        ]
    return email, ids


def _register(server: Any, name: str) -> dict[str, Any]:
    """Register an application whose redirect URI is on another origin."""
    client = server.app.test_client()
    response = client.post(
        "/oauth/register", json=h.metadata(client_name=name, redirect_uris=[CALLBACK])
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def _authorize_path(registered: dict[str, Any]) -> str:
    _verifier, challenge = h.pkce()
    query = {
        "response_type": "code",
        "client_id": registered["client_id"],
        "redirect_uri": CALLBACK,
        "scope": h.ALL_SCOPES,
        "state": "browser-state",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    return "/oauth/authorize?" + urlencode(query)


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_consent_then_disconnect_on_a_phone(open_tab, live_server, lang: str, js: bool) -> None:
    email, badge_ids = _holder(live_server, lang, js)
    app_name = f"Example Issuer {lang} {'js' if js else 'nojs'}"
    registered = _register(live_server, app_name)
    tab = open_tab("phone", lang, js=js)
    arrived: list[str] = []

    def callback(route: Any) -> None:
        arrived.append(route.request.url)
        route.fulfill(
            status=200, body="<!doctype html><title>client</title>ok", content_type="text/html"
        )

    tab.context.route(re.compile(r"^http://localhost:9/"), callback)
    tab.sign_in(email)

    tab.goto(_authorize_path(registered))
    page = tab.page
    assert app_name in page.locator("main h1").inner_text()
    assert "issuer.example" in page.locator("main").inner_text()
    assert "localhost:9" in page.locator("main").inner_text()
    tab.shot("consent")
    assert tab.small_tap_targets() == []
    if js:  # axe-core is a script: without JavaScript the same HTML was checked with it
        tab.assert_accessible()

    page.locator("input[name=badges][value=selected]").check()
    page.locator(f"input[name=badge][value='{badge_ids[1]}']").check()
    page.get_by_role("button", name=TEXT[lang]["approve"], exact=True).click()
    page.wait_for_url(re.compile(r"^http://localhost:9/callback\?"))
    query = parse_qs(urlsplit(page.url).query)
    assert query["state"] == ["browser-state"] and query["code"][0]
    assert len(arrived) == 1

    tab.goto("/account")
    section = page.locator("#connections")
    assert TEXT[lang]["heading"] in section.inner_text()
    assert app_name in section.inner_text()
    tab.shot("connected")
    assert tab.small_tap_targets() == []
    if js:
        tab.assert_accessible()

    section.get_by_role("button", name=re.compile(TEXT[lang]["disconnect"])).click()
    page.wait_for_url(re.compile(r"/account$"))
    page.wait_for_load_state()
    assert app_name not in page.locator("#connections").inner_text()
    tab.shot("disconnected")


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_bring_page_and_an_untrusted_request_on_a_phone(open_tab, live_server, lang: str) -> None:
    email, _ids = _holder(live_server, f"bring-{lang}", js=True)
    tab = open_tab("phone", lang, name=f"bring-{lang}")
    tab.sign_in(email)
    tab.goto("/account/bring")
    tab.shot("bring")
    assert tab.small_tap_targets() == []
    tab.assert_accessible()
    with tab.expecting(r"status of 400"):
        tab.goto("/oauth/authorize?response_type=code&client_id=nobody", status=400)
        tab.shot("invalid-request")
        tab.assert_accessible()
