"""Budgeted retrieval of the JSON documents an Open Badges 0.5–2.0 assertion links to."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import Any

from wallet.openbadges.errors import FetchError
from wallet.openbadges.errors import ParseError
from wallet.openbadges.fetch import Fetcher
from wallet.openbadges.fetch import Response
from wallet.openbadges.jsonutil import loads_object
from wallet.openbadges.legacy_common import fail
from wallet.openbadges.legacy_common import is_http
from wallet.openbadges.legacy_common import unavailable
from wallet.openbadges.legacy_common import warn
from wallet.openbadges.limits import Limits
from wallet.openbadges.model import Check

ACCEPT_JSON = "application/ld+json, application/json;q=0.9, */*;q=0.1"


class Budget:
    """Wraps the fetcher: http(s) only, URL length and request count capped per verification."""

    def __init__(self, fetcher: Fetcher, limits: Limits) -> None:
        self.fetcher = fetcher
        self.limits = limits
        self.count = 0

    def fetch(self, url: str, *, accept: str) -> Response:
        """Fetch ``url`` through the wrapped fetcher, or raise FetchError over budget."""
        if not is_http(url) or len(url) > self.limits.max_url_length:
            raise FetchError("only http(s) URLs can be retrieved")
        self.count += 1
        if self.count > self.limits.max_fetches:
            raise FetchError("too many remote requests for one badge")
        return self.fetcher.fetch(url, accept=accept)


@dataclass
class Fetched:
    """A retrieved JSON object (None when not had), the checks it raised and its final URL."""

    doc: dict[str, Any] | None
    checks: list[Check] = field(default_factory=list)
    url: str = ""


def get_json(budget: Budget, url: str, check_id: str) -> Fetched:
    """Fetch ``url`` as a JSON object; an unavailable or malformed one becomes a check."""
    try:
        response = budget.fetch(url, accept=ACCEPT_JSON)
    except FetchError as exc:
        return Fetched(None, [unavailable(check_id, url, str(exc))], url)
    if response.status != 200:
        return Fetched(None, [unavailable(check_id, url, f"HTTP {response.status}")], url)
    try:
        doc = loads_object(response.body, limits=budget.limits)
    except ParseError as exc:
        return Fetched(None, [fail(check_id, "node.malformed", str(exc), url=url)], url)
    return Fetched(doc, [], response.url or url)


def get_node(budget: Budget, url: str, check_id: str) -> Fetched:
    """Fetch a linked node; when it declares another id, warn and prefer the declared copy."""
    got = get_json(budget, url, check_id)
    if got.doc is None:
        return got
    declared = got.doc.get("id")
    if isinstance(declared, str) and declared not in (url, got.url):
        got.checks.append(
            warn(
                check_id,
                "node.id_mismatch",
                f"{url} declared its id as {declared}",
                url=url,
                id=declared,
            )
        )
        if is_http(declared):
            again = get_json(budget, declared, check_id)
            if again.doc is not None and again.doc.get("id") == declared:
                return Fetched(again.doc, got.checks, declared)
    return got
