"""Verification pages for signed-out visitors, answered from memory after one visibility query.

`/b/<public_id>` is what every printed QR code opens, so it is the most-visited page. Flask
renders it once per key; this WSGI middleware keeps the finished response (body and headers,
exactly as Flask's handlers made them) and answers later visits itself, in the manner of
Django's cache middleware. Unlike a plain page cache it still reads the badge on every visit:

- the key holds every value the page shows (the badge's facts and holder's name, the live
  state, the staleness note, the language, the scheme), so no entry can go stale: a change is
  a new key, and the old entry ages out of the LRU;
- a badge made private or deleted has no facts, so the visit goes to Flask and gets the
  neutral 404 at once, whatever is cached;
- a request that carries a sign-in cookie, asks for anything but GET, is over the miss limit
  or meets any error goes to Flask unchanged, and only 200 pages without cookies are kept.

Each worker keeps its own pages; nothing needs invalidating across processes. A visit the cache
cannot answer (first view, unknown id) runs the lookup query once more, in the view.
"""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from collections.abc import Hashable
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from threading import Lock
from typing import Any

from flask import Flask
from werkzeug.wrappers import Request

from wallet.services import badges
from wallet.services import dates
from wallet.services import freshness
from wallet.services import metrics
from wallet.services import states
from wallet.services.verification_page import PageFacts
from wallet.services.verification_page import page_facts
from wallet.web.i18n import LANG_COOKIE
from wallet.web.i18n import visitor_language
from wallet.web.miss_limit import over_limit
from wallet.web.observability import ROUTE_ENVIRON
from wallet.web.visitors import may_be_signed_in

log = logging.getLogger(__name__)

# The view leaves the key of the page it rendered here, for the middleware to keep it under.
KEY_ENVIRON = "wallet.page_cache_key"
PAGE_PATH = re.compile(r"/b/([^/]+)")
Headers = tuple[tuple[str, str], ...]
CACHED_ROUTE = ("public.show", "/b/<public_id>")  # the view whose pages are kept


@dataclass(frozen=True)
class CachedPage:
    """A finished response: the body and every header Flask sent with it."""

    body: bytes
    headers: Headers


class PageCache:
    """Least-recently-used pages, at most `size` of them (~5 KB each)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._pages: OrderedDict[Hashable, CachedPage] = OrderedDict()
        self._lock = Lock()

    def __len__(self) -> int:
        return len(self._pages)

    def get(self, key: Hashable) -> CachedPage | None:
        """Return the page kept under key, if any."""
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
            return page

    def put(self, key: Hashable, page: CachedPage) -> None:
        """Keep page under key, forgetting the least recently used beyond the size."""
        with self._lock:
            self._pages[key] = page
            self._pages.move_to_end(key)
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)


def page_key(facts: PageFacts, at: datetime, lang: str, scheme: str) -> Hashable:
    """Return the key of the page these facts give at `at`, in lang, over scheme (HSTS differs).

    Besides the stored facts, what the clock changes: the state (expiry is live), whether a
    new check is due, and whether the stated validity has ended (said beside other states).
    The zone of the dates follows from lang for visitors (services.dates.default_zone_name).
    """
    ended = facts.expires is not None and dates.as_aware(facts.expires) <= at
    return (
        facts,
        states.state_of(facts, at),
        freshness.is_stale(facts, at),
        ended,
        lang,
        scheme,
    )


class CachedVerificationPages:
    """WSGI middleware answering repeat visits of `/b/<public_id>` from a PageCache."""

    def __init__(self, app: Flask, size: int) -> None:
        self.app = app
        self.next = app.wsgi_app
        self.pages = PageCache(size)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "GET":
            return self.next(environ, start_response)
        match = PAGE_PATH.fullmatch(environ.get("PATH_INFO", ""))
        if match is None:
            return self.next(environ, start_response)
        try:
            page = self._kept(environ, match.group(1))
        except Exception:  # Flask answers the same request below, with its error pages (503)
            log.warning("verification page cache lookup failed", exc_info=True)
            page = None
        if page is not None:
            environ[ROUTE_ENVIRON] = CACHED_ROUTE  # for the request's log line and metrics
            start_response("200 OK", list(page.headers))
            return [page.body]
        return self._render_and_keep(environ, start_response)

    def _kept(self, environ: dict[str, Any], public_id: str) -> CachedPage | None:
        """Return the kept page for this visit, or None when Flask must answer it."""
        request = Request(environ)
        with self.app.app_context():
            cookies = request.cookies
            if may_be_signed_in(cookies) or over_limit(request.remote_addr or "127.0.0.1"):
                return None
            facts = page_facts(public_id)
            if facts is None:
                return None
            lang = visitor_language(
                request.args.get("lang"),
                cookies.get(LANG_COOKIE),
                request.headers.get("Accept-Language", ""),
            )
            page = self.pages.get(page_key(facts, badges.now(), lang, request.scheme))
            metrics.CACHE_LOOKUPS.labels(
                cache="verification_pages", result="miss" if page is None else "hit"
            ).inc()
            return page

    def _render_and_keep(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        """Let Flask answer; keep the answer when the view marked it as a visitor's page."""
        sent: dict[str, Any] = {}

        def hold(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            sent.update(status=status, headers=headers, exc_info=exc_info)
            return lambda _data: None  # the write() callable; Flask never uses it

        parts = self.next(environ, hold)
        try:
            body = b"".join(parts)
        finally:
            close = getattr(parts, "close", None)
            if close is not None:
                close()
        key = environ.get(KEY_ENVIRON)
        headers = sent["headers"]
        if (
            key is not None
            and sent["status"].startswith("200 ")
            and not any(name.lower() == "set-cookie" for name, _value in headers)
        ):
            self.pages.put(key, CachedPage(body, tuple(headers)))
        start_response(sent["status"], headers, sent["exc_info"])
        return [body]


def install(app: Flask) -> None:
    """Put the middleware in front of app when PUBLIC_PAGE_CACHE_SIZE is above 0."""
    size = int(app.config.get("PUBLIC_PAGE_CACHE_SIZE") or 0)
    if size > 0:
        app.wsgi_app = CachedVerificationPages(app, size)  # type: ignore[method-assign]
