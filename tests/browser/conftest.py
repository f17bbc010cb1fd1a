"""Real-browser fixtures: the app on a loopback live server, Debian Chromium driven by Playwright.

Every page runs with the production CSP and loads htmx from its CDN URL, answered here from the
copy `scripts/fetch_htmx.py` checked against the pinned SRI (so the page's own integrity check
runs). Any other request that would leave 127.0.0.1 is aborted and recorded, and fails the test;
so do console errors, uncaught page errors and CSP violations.
"""

from __future__ import annotations

import json
import re
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from werkzeug.serving import WSGIRequestHandler

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
HTMX_COPY = ROOT / "wallet" / "static" / "vendor" / "htmx.min.js"
AXE_COPY = Path(__file__).parent / "vendor" / "axe.min.js"
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
# axe-core is added as a same-origin script (answered by the route below), so the page's CSP
# allows it like any script of the app; an inline copy would be refused.
AXE_PATH = "/__browser-tests__/axe.min.js"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
IPHONE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
VIEWPORTS: dict[str, dict[str, Any]] = {
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
        "user_agent": IPHONE_UA,
    },
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    # The narrowest phone we support: every page must fit it without sideways scrolling.
    "narrow": {
        "viewport": {"width": 360, "height": 740},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
        "user_agent": IPHONE_UA,
    },
}
LOCALES = {"ja": "ja-JP", "en": "en-US"}

try:
    import playwright.sync_api  # noqa: F401

    PLAYWRIGHT = True
except ImportError:  # pragma: no cover - the test extras are not installed
    PLAYWRIGHT = False


def _skip_reason() -> str | None:
    """Say why the browser suite cannot run here, or None when it can."""
    if not PLAYWRIGHT:
        return "Playwright is not installed (pip install -r requirements-test.lock)"
    if not CHROMIUM.exists():
        return (
            "Chromium is not installed at /usr/bin/chromium "
            "(as root: apt-get install chromium fonts-noto-cjk, or run `make test` as root)"
        )
    if not HTMX_COPY.is_file():
        return "wallet/static/vendor/htmx.min.js is missing (run: python scripts/fetch_htmx.py)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the browser tests, and skip them with a reason when Chromium is not available."""
    here = Path(__file__).parent
    reason = _skip_reason()
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


# --- pytest-playwright: Debian Chromium instead of a downloaded browser ---------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Launch /usr/bin/chromium with the arguments from notes/stack.md §4."""
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


# --- the live server --------------------------------------------------------------------------


@dataclass
class LiveServer:
    """The app served on 127.0.0.1 from a thread, with its own database file and outbox."""

    app: Any
    url: str
    outbox_dir: Path

    def outbox(self):
        """Return the mail outbox (tests.conftest.Outbox)."""
        from tests.conftest import Outbox

        return Outbox(self.outbox_dir)

    def mails_to(self, address: str, *, at_least: int = 0) -> list[Any]:
        """Return the mails sent to address, oldest first, once at least `at_least` are there.

        The server sends a request's mails after its response (jobs without a queue), so a
        mail may land a moment after the page that caused it: wait up to 10 s, like actions.
        """
        return self.wait_for_mail(address, lambda mails: len(mails) >= at_least)

    def wait_for_mail(self, address: str, ready: Any, seconds: float = 10.0) -> list[Any]:
        """Return the mails to address once ready(mails) holds (or whatever is there at 10 s)."""
        deadline = time.monotonic() + seconds
        mails = self.outbox().to(address)
        while not ready(mails) and time.monotonic() < deadline:
            time.sleep(0.05)
            mails = self.outbox().to(address)
        return mails

    def link_in_last_mail(self, address: str, contains: str) -> str:
        """Return the first link containing `contains` in the newest mail to address."""
        from tests.conftest import Outbox

        def has_link(mails: list[Any]) -> bool:
            return bool(mails) and any(contains in link for link in Outbox.links(mails[-1]))

        mails = self.wait_for_mail(address, has_link)
        assert mails, f"no mail was sent to {address}"
        links = [link for link in Outbox.links(mails[-1]) if contains in link]
        assert links, f"no {contains} link in the mail to {address}: {Outbox.text(mails[-1])}"
        return links[0]


BODY = "tests.live_server.body"


class _OnceClosed:
    """An answer's body whose close() runs once, whoever calls it first."""

    def __init__(self, body: Any) -> None:
        self.body = body
        self.closed = False

    def __iter__(self) -> Any:
        return iter(self.body)

    def close(self) -> None:
        """Close the wrapped body the first time only."""
        if not self.closed:
            self.closed = True
            close = getattr(self.body, "close", None)
            if close is not None:
                close()


def _closing(app: Any) -> Any:
    """Wrap app so that the request handler can close each answer itself."""

    def wsgi(environ: dict, start_response: Any) -> Any:
        body = environ[BODY] = _OnceClosed(app(environ, start_response))
        return body

    return wsgi


class _ClosingHandler(WSGIRequestHandler):
    """Close every answer, even when the browser dropped the connection.

    werkzeug's development server closes the answer after draining the socket, which raises
    when the browser has gone (a cancelled favicon request): the static file it held was then
    left to the garbage collector, and its ResourceWarning failed a later test.
    """

    def run_wsgi(self) -> None:
        """Serve the request, then close its answer if werkzeug did not."""
        try:
            super().run_wsgi()
        finally:
            body = getattr(self, "environ", {}).get(BODY)
            if body is not None:
                body.close()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Run the app with a fresh SQLite file database on a free loopback port."""
    from werkzeug.serving import make_server

    from tests.conftest import CHEAP_HASHING
    from wallet import create_app
    from wallet.extensions import db

    base = tmp_path_factory.mktemp("live")
    outbox = base / "outbox"
    app = create_app(
        {
            "SECRET_KEY": "browser-test-secret-key",
            "DATABASE_URL": f"sqlite:///{base / 'wallet.db'}",
            "MAIL_BACKEND": "outbox",
            "MAIL_OUTBOX_DIR": str(outbox),
            "RATELIMIT_ENABLED": False,
            "FETCH_ALLOWED_NETWORKS": ["127.0.0.1/32"],
            "HTMX_LOCAL": False,  # htmx from its CDN URL, as in production (answered below)
            "BASE_URL": "http://127.0.0.1",  # replaced below once the port is known
            "LOG_LEVEL": "WARNING",  # the server thread writes outside any test's capture
            **CHEAP_HASHING,
        }
    )
    app.instance_path = str(base / "instance")
    with app.app_context():
        db.create_all()
    server = make_server(
        "127.0.0.1", 0, _closing(app), threaded=True, request_handler=_ClosingHandler
    )
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["BASE_URL"] = url
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.daemon = True
    thread.start()
    try:
        yield LiveServer(app=app, url=url, outbox_dir=outbox)
    finally:
        server.shutdown()
        thread.join(5)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(scope="session")
def base_url(live_server: LiveServer) -> str:
    """pytest-base-url's base URL: the live server."""
    return live_server.url


# --- one browser context per (viewport, language, JavaScript) ---------------------------------

CSP_INIT_SCRIPT = """
document.addEventListener("securitypolicyviolation", function (e) {
  window.__walletReport && window.__walletReport(
    e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " at " +
    (e.sourceFile || location.href) + ":" + e.lineNumber);
}, true);
"""

# Standalone buttons and links in the main content that are smaller than 44 x 44 CSS px.
# A link inside running text is exempt (WCAG 2.5.5 "inline" exception): its parent block
# holds other text than the link itself.
TAP_TARGETS_JS = """
() => {
  const small = [];
  const isInline = (el) => {
    if (el.tagName !== "A") return false;
    const parent = el.parentElement;
    if (!parent) return false;
    const own = parent.textContent.replace(el.textContent, "").trim();
    return own.length > 0 && getComputedStyle(el).display === "inline";
  };
  for (const el of document.querySelectorAll(
      "main a[href], main button, main input[type=submit], main input[type=button]")) {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (box.width === 0 || box.height === 0 || style.visibility === "hidden") continue;
    if (el.closest(".visually-hidden")) continue;
    if (isInline(el)) continue;
    if (box.height < 43.5 || box.width < 43.5) {
      small.push(`${el.tagName.toLowerCase()} "${el.textContent.trim().slice(0, 40)}" ` +
                 `${Math.round(box.width)}x${Math.round(box.height)}`);
    }
  }
  return small;
}
"""


# True once htmx has nothing in flight, nothing being swapped and nothing left to settle.
HTMX_SETTLED_JS = """
() => !document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added")
"""


@dataclass
class Tab:
    """A browser context with one page, recording what must not happen."""

    page: Any
    context: Any
    server: LiveServer
    viewport: str
    lang: str
    js: bool
    shots_dir: Path
    external: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    allowed: list[re.Pattern[str]] = field(default_factory=list)
    cdn_hits: int = 0
    shot_count: int = 0

    @property
    def url(self) -> str:
        """The current page URL."""
        return self.page.url

    def goto(self, path: str, *, status: int | None = 200) -> Any:
        """Open a path of the live server (or an absolute loopback URL); check the status."""
        target = path if path.startswith("http") else self.server.url + path
        response = self.page.goto(target)
        if status is not None:
            assert response is not None and response.status == status, (
                f"{target} answered {response and response.status}, expected {status}"
            )
        return response

    def sign_in(self, email: str, lands: str = r"/$") -> None:
        """Sign in through the real form with the suite's password; wait for the landing page."""
        from tests.conftest import PASSWORD

        self.goto("/auth/login")
        self.page.fill("#email", email)
        self.page.fill("#password", PASSWORD)
        self.page.locator("main form[action*='/auth/login'] button[type=submit]").click()
        self.page.wait_for_url(re.compile(lands))

    def htmx_settled(self) -> None:
        """Wait until htmx has settled the content it swapped in (no-op without JavaScript).

        htmx wires the links and forms it swaps in (their hx-get, hx-post) only when the swap
        settles, 20 ms later: one clicked before is a plain link or form and loads a new page.
        Call this after waiting for the swapped content, before using it.
        """
        if self.js:
            self.page.wait_for_function(HTMX_SETTLED_JS)

    def allow_console(self, pattern: str) -> None:
        """Accept console errors matching pattern (e.g. the 404 of a page opened on purpose)."""
        self.allowed.append(re.compile(pattern))

    @contextmanager
    def expecting(self, pattern: str) -> Iterator[None]:
        """Accept console errors matching pattern within the block only."""
        compiled = re.compile(pattern)
        self.allowed.append(compiled)
        try:
            yield
        finally:
            self.allowed.remove(compiled)

    def record_error(self, text: str) -> None:
        """Remember a console error, page error or CSP violation unless it is expected."""
        if any(p.search(text) for p in self.allowed):
            return
        self.errors.append(text)

    def shot(self, step: str) -> Path:
        """Save a full-page screenshot of this step; check the page while at it."""
        self.shot_count += 1
        self.shots_dir.mkdir(parents=True, exist_ok=True)
        path = self.shots_dir / f"{self.shot_count:02d}-{step}.png"
        self.page.screenshot(
            path=str(path), full_page=True, animations="disabled", caret="hide", scale="css"
        )
        # Hiding the caret leaves style="" on the focused field; htmx copies it when it swaps
        # that field, which the CSP then reports. The wallet itself writes no style attribute.
        self.page.evaluate(
            "document.querySelectorAll('[style=\"\"]').forEach(e => e.removeAttribute('style'))"
        )
        self.check_basics()
        return path

    def check_basics(self) -> None:
        """The page is in the right language, has no horizontal scroll, and nothing failed."""
        assert self.page.get_attribute("html", "lang") == self.lang, (
            f"<html lang> is {self.page.get_attribute('html', 'lang')!r} on {self.url}"
        )
        width = self.page.evaluate("document.documentElement.scrollWidth")
        viewport = self.page.viewport_size["width"]
        assert width <= viewport, f"horizontal scroll on {self.url}: {width} > {viewport} px"
        shown = self.page.evaluate(
            "[...document.querySelectorAll('[hidden]')].filter(e => e.getClientRects().length)"
            ".map(e => e.outerHTML.slice(0, 120))"
        )
        assert not shown, f"elements marked hidden are shown on {self.url}: {shown}"
        self.assert_clean()

    def assert_clean(self) -> None:
        """No request left 127.0.0.1; no console error, page error or CSP violation."""
        external, self.external = self.external, []
        errors, self.errors = self.errors, []
        assert not external, f"requests that would leave 127.0.0.1: {external}"
        assert not errors, "errors in the browser:\n" + "\n".join(errors)

    def small_tap_targets(self) -> list[str]:
        """Return the buttons and standalone links in <main> smaller than 44 x 44 px."""
        return self.page.evaluate(TAP_TARGETS_JS)

    def axe(self) -> list[dict[str, Any]]:
        """Run axe-core on the page; return the serious and critical violations."""
        if not self.page.evaluate("typeof window.axe !== 'undefined'"):
            # Same origin as the page (the live server's, or its localhost name): the CSP's 'self'.
            self.page.add_script_tag(url=self.page.evaluate("location.origin") + AXE_PATH)
        result = self.page.evaluate(
            """async () => {
                 const r = await axe.run(document, {resultTypes: ["violations"]});
                 return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                   nodes: v.nodes.map(n => ({target: n.target.join(" "),
                                            summary: n.failureSummary}))}));
               }"""
        )
        return [v for v in result if v["impact"] in ("serious", "critical")]

    def assert_accessible(self) -> None:
        """Fail with the violations listed when axe finds serious or critical ones."""
        violations = self.axe()
        assert not violations, f"axe on {self.url} ({self.lang}):\n" + json.dumps(
            violations, indent=1, ensure_ascii=False
        )

    def navigations(self) -> int:
        """Return how many main-frame navigations happened so far."""
        return self._navigations  # type: ignore[attr-defined, no-any-return]


def _open_tab(
    browser: Any,
    server: LiveServer,
    *,
    viewport: str,
    lang: str,
    js: bool,
    shots_dir: Path,
    extra: dict[str, Any] | None = None,
) -> Tab:
    """Open a fresh context and page with the guards installed."""
    context = browser.new_context(
        **VIEWPORTS[viewport],
        locale=LOCALES[lang],
        java_script_enabled=js,
        accept_downloads=True,
        **(extra or {}),
    )
    context.set_default_timeout(10_000)
    # Assertions wait as long as actions: a shared, loaded machine is slow, not broken.
    expect.set_options(timeout=10_000)
    page = context.new_page()
    tab = Tab(page, context, server, viewport, lang, js, shots_dir)
    tab._navigations = 0  # type: ignore[attr-defined]
    htmx_body = HTMX_COPY.read_bytes()
    cdn_url = server.app.config["HTMX_SRC"]
    axe_url = server.url + AXE_PATH

    def route(r: Any) -> None:
        url = r.request.url
        if url == axe_url or url == axe_url.replace("http://127.0.0.1:", "http://localhost:"):
            r.fulfill(status=200, path=str(AXE_COPY), content_type="application/javascript")
        elif url.startswith(("http://127.0.0.1:", "http://localhost:")):
            # localhost: the same loopback server under a name WebAuthn accepts as an RP id
            r.continue_()
        elif url == cdn_url:
            tab.cdn_hits += 1
            r.fulfill(
                status=200,
                body=htmx_body,
                headers={
                    "Content-Type": "application/javascript; charset=utf-8",
                    "Access-Control-Allow-Origin": "*",
                    "Cache-Control": "public, max-age=31536000, immutable",
                },
            )
        else:
            tab.external.append(url)
            r.abort()

    context.route("**/*", route)

    def on_console(message: Any) -> None:
        if message.type == "error":
            tab.record_error(f"console: {message.text} ({message.location.get('url', '')})")
        elif "Content Security Policy" in message.text or "Refused to" in message.text:
            tab.record_error(f"console {message.type}: {message.text}")

    def on_frame(frame: Any) -> None:
        if frame == page.main_frame:
            tab._navigations += 1  # type: ignore[attr-defined]

    page.on("console", on_console)
    page.on("pageerror", lambda error: tab.record_error(f"page error: {error}"))
    page.on("framenavigated", on_frame)
    if js:
        page.expose_function("__walletReport", lambda text: tab.record_error(f"CSP: {text}"))
        context.add_init_script(CSP_INIT_SCRIPT)
    return tab


@contextmanager
def _tab_factory(live_server: LiveServer, request: pytest.FixtureRequest):
    """Yield a factory of Tabs; every one is checked clean and closed afterwards."""
    tabs: list[Tab] = []
    test_dir = SCREENSHOTS / request.node.originalname.removeprefix("test_")

    def factory(
        browser: Any,
        viewport: str = "phone",
        lang: str = "ja",
        *,
        js: bool = True,
        name: str | None = None,
        **extra: Any,
    ) -> Tab:
        label = name or f"{viewport}-{lang}" + ("" if js else "-nojs")
        if (test_dir / label).exists():
            shutil.rmtree(test_dir / label)  # screenshots of an earlier run
        tab = _open_tab(
            browser,
            live_server,
            viewport=viewport,
            lang=lang,
            js=js,
            shots_dir=test_dir / label,
            extra=extra,
        )
        tabs.append(tab)
        return tab

    yield factory
    try:
        for tab in tabs:
            tab.assert_clean()
    finally:
        for tab in tabs:
            tab.context.close()


@pytest.fixture
def open_tab(browser: Any, live_server: LiveServer, request: pytest.FixtureRequest):
    """Return a factory of Tabs; every one is checked clean and closed at teardown."""
    with _tab_factory(live_server, request) as factory:
        yield partial(factory, browser)


@pytest.fixture
def camera_tab(
    browser_type: Any,
    live_server: LiveServer,
    request: pytest.FixtureRequest,
    tmp_path: Path,
):
    """Return a factory of phone Tabs whose camera films a QR code of the given text."""
    from tests.browser.camera import qr_video

    browsers: list[Any] = []

    def factory(text: str, lang: str) -> Tab:
        video = qr_video(text, tmp_path / f"qr-{len(browsers)}.y4m")
        browser = browser_type.launch(
            executable_path=str(CHROMIUM),
            args=[
                *CHROMIUM_ARGS,
                "--use-fake-ui-for-media-stream",  # the permission prompt says yes
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-video-capture={video}",
            ],
        )
        browsers.append(browser)
        return tabs(browser, "phone", lang, name=f"camera-{lang}", permissions=["camera"])

    try:
        with _tab_factory(live_server, request) as tabs:
            yield factory
    finally:
        for browser in browsers:
            browser.close()
