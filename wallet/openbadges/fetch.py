"""The one way the library reaches the network: a Fetcher protocol and its implementations."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING
from typing import Any

from wallet.openbadges.fetch_base import ACCEPT_BADGE
from wallet.openbadges.fetch_base import DEFAULT_MAX_BYTES
from wallet.openbadges.fetch_base import GENERIC_FETCH_MESSAGE
from wallet.openbadges.fetch_base import Fetcher
from wallet.openbadges.fetch_base import Response
from wallet.openbadges.fetch_local import CachingFetcher
from wallet.openbadges.fetch_local import ChainFetcher
from wallet.openbadges.fetch_local import MappingFetcher
from wallet.openbadges.fetch_local import OfflineFetcher
from wallet.openbadges.fetch_local import UrlMapFetcher

if TYPE_CHECKING:
    from wallet.openbadges.fetch_address import is_public_address
    from wallet.openbadges.fetch_address import normalise_host
    from wallet.openbadges.fetch_address import parse_allowed_networks
    from wallet.openbadges.fetch_address import parse_legacy_ipv4
    from wallet.openbadges.fetch_http import DEFAULT_PORTS
    from wallet.openbadges.fetch_http import DEFAULT_USER_AGENT
    from wallet.openbadges.fetch_http import BudgetedFetcher
    from wallet.openbadges.fetch_http import HttpFetcher
    from wallet.openbadges.fetch_http import Resolver

# Most importers want only the Fetcher type; the HTTP client (sockets, TLS, address rules) is
# loaded on first use so that offline work, e.g. `wallet verify --offline`, starts fast.
_LAZY = {
    "is_public_address": "fetch_address",
    "normalise_host": "fetch_address",
    "parse_allowed_networks": "fetch_address",
    "parse_legacy_ipv4": "fetch_address",
    "DEFAULT_PORTS": "fetch_http",
    "DEFAULT_USER_AGENT": "fetch_http",
    "BudgetedFetcher": "fetch_http",
    "HttpFetcher": "fetch_http",
    "Resolver": "fetch_http",
}

if not TYPE_CHECKING:
    # Hidden from type checkers, which would otherwise accept any misspelt name as Any.

    def __getattr__(name: str) -> Any:
        """Import the module that defines ``name`` when it is first asked for."""
        module = _LAZY.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"wallet.openbadges.{module}"), name)
        globals()[name] = value
        return value


__all__ = [
    "ACCEPT_BADGE",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_PORTS",
    "DEFAULT_USER_AGENT",
    "GENERIC_FETCH_MESSAGE",
    "BudgetedFetcher",
    "CachingFetcher",
    "ChainFetcher",
    "Fetcher",
    "HttpFetcher",
    "MappingFetcher",
    "OfflineFetcher",
    "Resolver",
    "Response",
    "UrlMapFetcher",
    "is_public_address",
    "normalise_host",
    "parse_allowed_networks",
    "parse_legacy_ipv4",
]
