"""The process-local cache of rendered documents, keyed by everything a document shows."""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import replace
from datetime import date
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from flask import current_app

from wallet.models import Badge
from wallet.models import User
from wallet.services import dates
from wallet.services import states
from wallet.services.documents.content import holder_zone
from wallet.services.documents.fonts import Fonts
from wallet.services.documents.types import Document

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "templates" / "pdf"
# Bump when the Python side of the layout changes (template edits are hashed automatically).
LAYOUT_VERSION = "1"
CACHE_ENTRIES = 256
CACHE_BYTES = 64 * 1024 * 1024


class LRU:
    """A bounded, thread-safe in-process LRU of rendered documents (by count and by bytes)."""

    def __init__(self, entries: int = CACHE_ENTRIES, max_bytes: int = CACHE_BYTES) -> None:
        self.entries = entries
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, Document] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> Document | None:
        """Return the document stored under key (and mark it recently used), or None."""
        with self._lock:
            document = self._items.get(key)
            if document is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return document

    def put(self, key: str, document: Document) -> None:
        """Store a document, dropping the least recently used ones beyond the bounds."""
        size = len(document.pdf)
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= len(old.pdf)
            self._items[key] = document
            self._bytes += size
            while len(self._items) > self.entries or self._bytes > self.max_bytes:
                _key, dropped = self._items.popitem(last=False)
                self._bytes -= len(dropped.pdf)

    def clear(self) -> None:
        """Forget every document."""
        with self._lock:
            self._items.clear()
            self._bytes = 0
            self.hits = self.misses = 0

    def info(self) -> dict[str, int]:
        """Return entries, bytes, hits and misses."""
        with self._lock:
            return {
                "entries": len(self._items),
                "bytes": self._bytes,
                "hits": self.hits,
                "misses": self.misses,
            }


# Keyed by content, so a repeated download is instant and any change (name, language, state,
# template) renders afresh. One worker process only: the app stays stateless (another worker
# simply renders its own copy of the same content).
_cache = LRU()


def cache_clear() -> None:
    """Empty the process-local document cache (tests, benchmarks)."""
    _cache.clear()


def cache_info() -> dict[str, int]:
    """Return the cache's size and hit counts."""
    return _cache.info()


def lookup(key: str) -> Document | None:
    """Return the cached document under key, flagged as served from the cache, or None."""
    hit = _cache.get(key)
    if hit is None:
        return None
    return hit if hit.cached else replace(hit, cached=True)


def store(key: str, document: Document) -> None:
    """Keep a freshly rendered document under key (flagged as cached for later hits)."""
    _cache.put(key, replace(document, cached=True))


@lru_cache(maxsize=1)
def _template_digest() -> str:
    """Return a digest of the PDF templates' source, so a template edit invalidates the cache."""
    digest = hashlib.sha256(LAYOUT_VERSION.encode())
    for path in sorted(TEMPLATE_DIR.glob("*.html")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _stamp(value: datetime | date | None) -> str | None:
    """Return a value as ISO text for the cache key."""
    return value.isoformat() if value is not None else None


def cache_key(badge: Badge, user: User, kind: str, lang: str, title_line: str, fonts: Fonts) -> str:
    """Return the content key of a document: everything that can change what it shows."""
    content = badge.content
    zone = holder_zone(user)
    image = content.image_png if content is not None else None
    details_json = content.details_json if content is not None else ""
    fields = {
        "kind": kind,
        "lang": lang,
        "title": title_line,
        "badge": [
            badge.id,
            badge.public_id,
            badge.name,
            badge.issuer_name,
            badge.issuer_id,
            _stamp(badge.issued_on),
            _stamp(badge.expires),
            _stamp(badge.issued_day),
            _stamp(badge.expires_day),
            badge.visibility,
            badge.result,
            badge.reason_json,
            badge.recipient_confirmed,
            _stamp(badge.verified_at),
            # Time moves the status (expiring, expired) without any row changing.
            states.state_of(badge),
            hashlib.sha256(image or b"").hexdigest(),
            hashlib.sha256((details_json or "").encode()).hexdigest(),
        ],
        "user": [
            user.family_name,
            user.given_name,
            user.family_name_kana,
            user.given_name_kana,
            user.romanized_name,
            user.name_order,
            user.timezone,
            user.language,
        ],
        "base_url": current_app.config["BASE_URL"],
        "zone": str(zone),
        # The details sheet prints the day it was printed (in the holder's zone).
        "day": dates.now().astimezone(zone).date().isoformat() if kind == "details" else None,
        "templates": _template_digest(),
        "fonts": fonts.identity(),
    }
    blob = json.dumps(fields, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()
