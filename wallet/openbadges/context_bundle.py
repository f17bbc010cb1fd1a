"""The bundled JSON-LD contexts: hash-pinned files answered by URL, never fetched."""

from __future__ import annotations

import copy
import hashlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CONTEXT_DIR = Path(__file__).resolve().parent / "contexts"
MANIFEST_PATH = CONTEXT_DIR / "manifest.json"


class JsonLdError(Exception):
    """The document cannot be processed as JSON-LD (malformed, or over a limit)."""

    code = "jsonld.invalid"


class UnknownContext(JsonLdError):
    """A context URL that is not bundled: never fetched, so the document cannot be checked."""

    code = "jsonld.unknown_context"

    def __init__(self, url: str) -> None:
        super().__init__(f"context not bundled: {url[:200]}")
        self.url = url


class ContextUnavailable(UnknownContext):
    """A bundled context is listed but missing or damaged on disk (run fetch_contexts.py)."""

    code = "jsonld.context_unavailable"


@dataclass(frozen=True)
class _Entry:
    file: str
    sha256: str


def _read_manifest() -> dict[str, _Entry]:
    try:
        raw = json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {
        url: _Entry(file=str(entry["file"]), sha256=str(entry["sha256"]))
        for url, entry in raw.get("contexts", {}).items()
    }


_MANIFEST = _read_manifest()
_DOCUMENTS: dict[str, Any] = {}
_LOCK = threading.RLock()


def known_context_urls() -> frozenset[str]:
    """Return every context URL the bundle can answer (installed or not)."""
    return frozenset(_MANIFEST)


def is_known_context(url: str) -> bool:
    """Return True when ``url`` is a bundled context."""
    return url in _MANIFEST


def load_context(url: str) -> Any:
    """Return the parsed bundled context document for ``url`` (sha256-checked once)."""
    cached = _DOCUMENTS.get(url)
    if cached is not None:
        return cached
    entry = _MANIFEST.get(url)
    if entry is None:
        raise UnknownContext(url)
    with _LOCK:
        cached = _DOCUMENTS.get(url)
        if cached is not None:
            return cached
        try:
            data = (CONTEXT_DIR / entry.file).read_bytes()
        except OSError as exc:
            raise ContextUnavailable(url) from exc
        # Fail closed: a context that differs from the pinned one changes what was signed.
        if hashlib.sha256(data).hexdigest() != entry.sha256:
            raise ContextUnavailable(url)
        document = json.loads(data)
        _DOCUMENTS[url] = document
        return document


def document_loader(url: str, options: Any = None) -> dict[str, Any]:
    """PyLD document loader answering only bundled contexts; anything else raises."""
    document = load_context(url)
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        # PyLD keeps resolved contexts in its process-wide cache only when tagged "static";
        # bundled contexts are immutable (hash-pinned), so they are processed once per process.
        "tag": "static",
        # PyLD may keep and mutate what it is given; the cache must stay pristine.
        "document": copy.deepcopy(document),
    }
