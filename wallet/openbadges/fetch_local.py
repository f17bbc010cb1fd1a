"""Fetchers that open no socket of their own: URL-mapped files, offline, chained and cached."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote

from wallet.openbadges.errors import FetchError
from wallet.openbadges.fetch_base import ACCEPT_BADGE
from wallet.openbadges.fetch_base import DEFAULT_MAX_BYTES
from wallet.openbadges.fetch_base import Fetcher
from wallet.openbadges.fetch_base import Response
from wallet.openbadges.fetch_base import refused
from wallet.openbadges.fetch_base import too_large


class UrlMapFetcher:
    """Answers URLs under given prefixes from local directories (``wallet verify --url-map``)."""

    def __init__(
        self, prefix_to_dir: Mapping[str, Path], *, max_bytes: int = DEFAULT_MAX_BYTES
    ) -> None:
        """Map each URL prefix to a directory (or a whole URL to one file); longest prefix wins."""
        self._prefixes = sorted(
            ((prefix, Path(directory)) for prefix, directory in prefix_to_dir.items()),
            key=lambda item: len(item[0]),
            reverse=True,
        )
        self.max_bytes = max_bytes

    def fetch(self, url: str, *, accept: str = ACCEPT_BADGE) -> Response:
        """Return the mapped file (404 when missing under a mapped prefix), else FetchError."""
        for prefix, directory in self._prefixes:
            if url.startswith(prefix):
                return self._answer(url, url[len(prefix) :], directory)
        raise refused()

    def _answer(self, url: str, rest: str, directory: Path) -> Response:
        rest = rest.split("#", 1)[0].split("?", 1)[0]
        relative = unquote(rest).lstrip("/")
        parts = [part for part in relative.split("/") if part not in ("", ".")]
        if not parts and directory.is_file():
            # A whole URL mapped to one file: --url-map https://host/assertion.json=FILE
            path = directory.resolve()
        else:
            if any(part == ".." or "\\" in part or "\x00" in part for part in parts) or not parts:
                raise refused()
            root = directory.resolve()
            path = root.joinpath(*parts).resolve()
            # resolve() follows symlinks, so this also refuses links that leave the directory.
            if not path.is_relative_to(root):
                raise refused()
        if not path.is_file():
            return Response(url=url, status=404, content_type="text/plain", body=b"")
        if path.stat().st_size > self.max_bytes:
            raise too_large()
        body = path.read_bytes()
        if len(body) > self.max_bytes:
            raise too_large()
        return Response(url=url, status=200, content_type=_guess_type(path), body=body)


MappingFetcher = UrlMapFetcher

_CONTENT_TYPES = {
    ".json": "application/json",
    ".jsonld": "application/ld+json",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".jws": "text/plain",
    ".jwt": "text/plain",
    ".txt": "text/plain",
}


def _guess_type(path: Path) -> str:
    return _CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream")


class OfflineFetcher:
    """A fetcher that never reaches anything: every call raises FetchError."""

    def fetch(self, url: str, *, accept: str = ACCEPT_BADGE) -> Response:
        """Refuse ``url``."""
        raise refused()


class ChainFetcher:
    """Asks ``primary`` first and ``fallback`` only when the primary raises FetchError."""

    def __init__(self, primary: Fetcher, fallback: Fetcher) -> None:
        """Chain two fetchers."""
        self.primary = primary
        self.fallback = fallback

    def fetch(self, url: str, *, accept: str = ACCEPT_BADGE) -> Response:
        """Return the primary's answer, or the fallback's when the primary has none."""
        try:
            return self.primary.fetch(url, accept=accept)
        except FetchError:
            return self.fallback.fetch(url, accept=accept)


class CachingFetcher:
    """A bounded, thread-safe, in-process TTL cache in front of another fetcher."""

    def __init__(
        self,
        inner: Fetcher,
        ttl: float = 300.0,
        max_entries: int = 256,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Cache ``inner``'s responses for ``ttl`` seconds, keeping at most ``max_entries``."""
        self.inner = inner
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[tuple[str, str], tuple[float, Response]] = OrderedDict()
        self._lock = threading.Lock()

    def fetch(self, url: str, *, accept: str = ACCEPT_BADGE) -> Response:
        """Return a fresh cached response or fetch (errors are never cached)."""
        key = (url, accept)
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] > now:
                self._entries.move_to_end(key)
                return entry[1]
            if entry is not None:
                del self._entries[key]
        response = self.inner.fetch(url, accept=accept)
        if self.max_entries > 0 and self.ttl > 0:
            with self._lock:
                self._entries[key] = (self._clock() + self.ttl, response)
                self._entries.move_to_end(key)
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
        return response

    def clear(self) -> None:
        """Drop every cached response."""
        with self._lock:
            self._entries.clear()
