"""The one way the library reaches the network: a Fetcher protocol and its implementations."""

from __future__ import annotations

from wallet.openbadges.fetch_address import is_public_address
from wallet.openbadges.fetch_address import normalise_host
from wallet.openbadges.fetch_address import parse_allowed_networks
from wallet.openbadges.fetch_address import parse_legacy_ipv4
from wallet.openbadges.fetch_base import ACCEPT_BADGE
from wallet.openbadges.fetch_base import DEFAULT_MAX_BYTES
from wallet.openbadges.fetch_base import GENERIC_FETCH_MESSAGE
from wallet.openbadges.fetch_base import Fetcher
from wallet.openbadges.fetch_base import Response
from wallet.openbadges.fetch_http import DEFAULT_PORTS
from wallet.openbadges.fetch_http import DEFAULT_USER_AGENT
from wallet.openbadges.fetch_http import BudgetedFetcher
from wallet.openbadges.fetch_http import HttpFetcher
from wallet.openbadges.fetch_http import Resolver
from wallet.openbadges.fetch_local import CachingFetcher
from wallet.openbadges.fetch_local import ChainFetcher
from wallet.openbadges.fetch_local import MappingFetcher
from wallet.openbadges.fetch_local import OfflineFetcher
from wallet.openbadges.fetch_local import UrlMapFetcher

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
