"""Address vetting: which hosts and IP addresses, in any spelling, a fetch may connect to."""

from __future__ import annotations

import re
from collections.abc import Iterable
from ipaddress import IPv4Address
from ipaddress import IPv4Network
from ipaddress import IPv6Address
from ipaddress import IPv6Network
from ipaddress import ip_network

from wallet.openbadges.fetch_base import refused

# Ranges refused on top of ``not ip.is_global``: several are "global" to the stdlib
# (notes/security.md §1.2 S1/S3 verified is_global=True for NAT64, 6to4, ::/96, 192.0.0.192),
# and some wrap an IPv4 address that may be internal.
_DENIED_NETWORKS: tuple[IPv4Network | IPv6Network, ...] = tuple(
    ip_network(cidr)
    for cidr in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "::/96",
        "::ffff:0:0/96",
        "64:ff9b::/96",
        "64:ff9b:1::/48",
        "100::/64",
        "2001::/32",
        "2001:20::/28",
        "2001:db8::/32",
        "2002::/16",
        "3fff::/20",
        "5f00::/16",
        "fc00::/7",
        "fe80::/10",
        "fec0::/10",
        "ff00::/8",
    )
)

_ASCII_DIGITS = re.compile(r"[0-9]+\Z")
_HEX_NUMBER = re.compile(r"0[xX][0-9a-fA-F]*\Z")
_OCTAL_NUMBER = re.compile(r"0[0-7]+\Z")
_DNS_LABEL = re.compile(r"[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\Z")


def parse_allowed_networks(spec: str | Iterable[str]) -> tuple[IPv4Network | IPv6Network, ...]:
    """Parse CIDRs (an iterable or one comma-separated string); ValueError on a bad entry."""
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    return tuple(ip_network(item.strip(), strict=False) for item in items if item.strip())


def is_public_address(address: IPv4Address | IPv6Address) -> bool:
    """Return True when ``address`` is a public unicast address a fetch may connect to."""
    if not address.is_global:
        return False
    if (
        address.is_multicast
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_unspecified
    ):
        return False
    if isinstance(address, IPv6Address) and (
        address.ipv4_mapped is not None or address.sixtofour is not None or address.teredo
    ):
        return False
    return not any(address in network for network in _DENIED_NETWORKS)


def _parse_ipv4_number(part: str) -> int | None:
    """Parse one dotted part the way inet_aton and WHATWG do (hex, octal or decimal)."""
    if _HEX_NUMBER.match(part):
        return int(part[2:] or "0", 16)
    if len(part) > 1 and part.startswith("0"):
        # A leading zero means octal; "08" is no number at all for inet_aton or WHATWG.
        return int(part, 8) if _OCTAL_NUMBER.match(part) else None
    if _ASCII_DIGITS.match(part):
        return int(part, 10)
    return None


def parse_legacy_ipv4(host: str) -> IPv4Address | None:
    """Return the IPv4 address a browser would see in ``host``; None when it is a name.

    Raises FetchError when the host ends in a number but is no valid address, as WHATWG does.
    """
    labels = host.split(".")
    if len(labels) > 1 and labels[-1] == "":
        labels.pop()
    last = labels[-1]
    if not (_ASCII_DIGITS.match(last) or _HEX_NUMBER.match(last)):
        return None
    if len(labels) > 4:
        raise refused()
    numbers = [_parse_ipv4_number(label) for label in labels]
    if any(number is None for number in numbers):
        raise refused()
    values = [number for number in numbers if number is not None]
    if any(value > 255 for value in values[:-1]) or values[-1] >= 256 ** (5 - len(values)):
        raise refused()
    result = values[-1]
    for index, value in enumerate(values[:-1]):
        result += value << (8 * (3 - index))
    return IPv4Address(result)


def normalise_host(host: str) -> str | IPv4Address | IPv6Address:
    """Return the ASCII DNS name or the IP address a browser would connect to for ``host``."""
    if not host:
        raise refused()
    if ":" in host:
        if "%" in host:
            raise refused()
        try:
            return IPv6Address(host)
        except ValueError:
            raise refused() from None
    try:
        # The idna codec applies nameprep and maps ideographic full stops, like a browser would.
        ascii_host = host if host.isascii() else host.encode("idna").decode("ascii")
    except UnicodeError:
        raise refused() from None
    ascii_host = ascii_host.lower()
    address = parse_legacy_ipv4(ascii_host)
    if address is not None:
        return address
    name = ascii_host[:-1] if ascii_host.endswith(".") else ascii_host
    labels = name.split(".")
    if len(name) > 253 or not all(_DNS_LABEL.match(label) for label in labels):
        raise refused()
    # RFC 6761: these names are loopback by definition; refuse without asking DNS.
    if labels[-1] == "localhost":
        raise refused()
    return name
