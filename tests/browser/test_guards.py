"""The suite's own guards can fail: htmx's SRI, the loopback fence, axe-core, CSP reports."""

from __future__ import annotations

import base64
import hashlib

import pytest

from tests.browser.conftest import HTMX_COPY


def test_vendored_htmx_matches_the_pinned_sri(live_server) -> None:
    """The copy answering the CDN URL is byte for byte the release the pages pin."""
    from wallet import config

    digest = base64.b64encode(hashlib.sha384(HTMX_COPY.read_bytes()).digest()).decode()
    assert f"sha384-{digest}" == config.HTMX_SRI == live_server.app.config["HTMX_SRI"]
    assert live_server.app.config["HTMX_SRC"] == config.HTMX_CDN_URL  # the production way


def test_htmx_runs_from_its_cdn_url_with_integrity(open_tab) -> None:
    """The page asks the CDN URL with SRI and crossorigin; htmx 2.0.11 runs with our config."""
    from wallet import config

    tab = open_tab("desktop", "en")
    tab.goto("/")
    script = tab.page.locator(f"script[src='{config.HTMX_CDN_URL}']")
    assert script.get_attribute("integrity") == config.HTMX_SRI
    assert script.get_attribute("crossorigin") == "anonymous"
    tab.page.wait_for_function("window.htmx !== undefined")
    assert tab.page.evaluate("htmx.version") == config.HTMX_VERSION
    assert tab.page.evaluate("[htmx.config.allowEval, htmx.config.allowScriptTags]") == [
        False,
        False,
    ]
    assert tab.cdn_hits == 1


def test_a_tampered_htmx_is_refused_and_the_page_still_works(open_tab) -> None:
    """One changed byte: the browser refuses the script; links and forms work without it."""
    from wallet import config

    tab = open_tab("phone", "ja")
    tampered = HTMX_COPY.read_bytes().replace(b'version:"2.0.11"', b'version:"6.6.66"')
    tab.context.route(
        config.HTMX_CDN_URL,
        lambda r: r.fulfill(
            body=tampered,
            headers={"Content-Type": "text/javascript", "Access-Control-Allow-Origin": "*"},
        ),
    )
    with tab.expecting(r"Failed to find a valid digest in the 'integrity' attribute"):
        tab.goto("/")
        tab.page.wait_for_load_state("load")
        assert tab.page.evaluate("typeof window.htmx") == "undefined"
        tab.page.locator("main a[href$='/auth/login']").first.click()
        tab.page.wait_for_url("**/auth/login")
        tab.page.wait_for_load_state("load")


def test_requests_off_the_loopback_are_aborted_and_recorded(open_tab) -> None:
    """The fence works: a page that would go to the internet fails the test."""
    tab = open_tab("desktop", "en")
    with pytest.raises(Exception, match="ERR_FAILED"):
        tab.page.goto("https://example.org/")
    assert tab.external == ["https://example.org/"]
    tab.external.clear()


# Add an inline style the CSP refuses; window.__refusedStyle holds the harness's report of it
# once the test's side has recorded it (the exposed function's promise settles after that).
REFUSED_STYLE_JS = """
() => {
  const report = window.__walletReport;
  window.__walletReport = (text) => report(text).then(() => { window.__refusedStyle = text; });
  document.querySelector("main").setAttribute("style", "color: red");
}
"""


def test_csp_violations_are_caught(open_tab) -> None:
    """An inline style the CSP refuses is reported, so a template that adds one fails."""
    tab = open_tab("desktop", "en")
    tab.goto("/")
    # Both ways a violation reaches the test (the browser's console message and the page's
    # securitypolicyviolation report) are in before the errors are cleared: one arriving
    # later would fail the test at teardown.
    with tab.page.expect_console_message(lambda m: "Content Security Policy" in m.text):
        tab.page.evaluate(REFUSED_STYLE_JS)
    reported = tab.page.wait_for_function("() => window.__refusedStyle").json_value()
    assert "style-src" in reported, reported
    assert any("style-src" in error for error in tab.errors), tab.errors
    tab.errors.clear()


def test_axe_finds_a_missing_label(open_tab) -> None:
    """axe-core reports a field without a label (the sweep's zero is not a blind zero)."""
    tab = open_tab("desktop", "en")
    tab.goto("/auth/login")
    tab.page.evaluate("document.querySelector('label[for=email]').remove()")
    assert "label" in {v["id"] for v in tab.axe()}
