"""The fetcher contract: the Fetcher protocol, the Response it returns and its FetchErrors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from wallet.openbadges.errors import FetchError

ACCEPT_BADGE = (
    "application/ld+json, application/vc+ld+json, application/json, "
    "image/png, image/svg+xml, text/plain;q=0.9, */*;q=0.1"
)


@dataclass(frozen=True)
class Response:
    """A fetched resource; ``url`` is the final URL after redirects."""

    url: str
    status: int
    content_type: str
    body: bytes


class Fetcher(Protocol):
    """Retrieves remote documents; raises ``FetchError`` when it cannot."""

    def fetch(self, url: str, *, accept: str = ACCEPT_BADGE) -> Response:
        """Return the response for ``url`` (any HTTP status), or raise ``FetchError``."""
        ...


GENERIC_FETCH_MESSAGE = "The resource could not be retrieved."

DEFAULT_MAX_BYTES = 4 * 1024 * 1024


def refused() -> FetchError:
    """Return the error for a URL, address or answer the fetcher will not use."""
    return FetchError(GENERIC_FETCH_MESSAGE, code="fetch.refused")


def failed() -> FetchError:
    """Return the error for a resource that could not be retrieved."""
    return FetchError(GENERIC_FETCH_MESSAGE, code="fetch.failed")


def timed_out() -> FetchError:
    """Return the error for a fetch that ran out of time."""
    return FetchError(GENERIC_FETCH_MESSAGE, code="fetch.timeout")


def too_large() -> FetchError:
    """Return the error for a body over the size cap."""
    return FetchError(GENERIC_FETCH_MESSAGE, code="fetch.too_large")
