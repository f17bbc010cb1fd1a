"""The one way the library reaches the network: a Fetcher protocol and its implementations."""

from __future__ import annotations

import io
import re
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from collections.abc import Collection
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address
from ipaddress import IPv4Network
from ipaddress import IPv6Address
from ipaddress import IPv6Network
from ipaddress import ip_address
from ipaddress import ip_network
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any
from typing import Protocol
from urllib.parse import quote
from urllib.parse import unquote
from urllib.parse import urljoin
from urllib.parse import urlsplit

from wallet.openbadges.errors import FetchError

if TYPE_CHECKING:
    import ssl

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


# --- implementation -------------------------------------------------------------------------

GENERIC_FETCH_MESSAGE = "The resource could not be retrieved."

DEFAULT_MAX_BYTES = 4 * 1024 * 1024
DEFAULT_USER_AGENT = "badge-wallet/0.1 (Open Badges verifier)"
DEFAULT_PORTS: frozenset[int] = frozenset({80, 443})
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_READ_CHUNK = 64 * 1024

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
# Whitespace, controls and backslashes make parsers disagree about the host (security.md S8).
_BAD_URL_CHARS = re.compile(r"[\x00-\x20\x7f\\]")

Resolver = Callable[[str, int], list[str]]


def _refused() -> FetchError:
    return FetchError(GENERIC_FETCH_MESSAGE, code="fetch.refused")


def _failed() -> FetchError:
    return FetchError(GENERIC_FETCH_MESSAGE, code="fetch.failed")


def _timed_out() -> FetchError:
    return FetchError(GENERIC_FETCH_MESSAGE, code="fetch.timeout")


def _too_large() -> FetchError:
    return FetchError(GENERIC_FETCH_MESSAGE, code="fetch.too_large")


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
        raise _refused()
    numbers = [_parse_ipv4_number(label) for label in labels]
    if any(number is None for number in numbers):
        raise _refused()
    values = [number for number in numbers if number is not None]
    if any(value > 255 for value in values[:-1]) or values[-1] >= 256 ** (5 - len(values)):
        raise _refused()
    result = values[-1]
    for index, value in enumerate(values[:-1]):
        result += value << (8 * (3 - index))
    return IPv4Address(result)


def normalise_host(host: str) -> str | IPv4Address | IPv6Address:
    """Return the ASCII DNS name or the IP address a browser would connect to for ``host``."""
    if not host:
        raise _refused()
    if ":" in host:
        if "%" in host:
            raise _refused()
        try:
            return IPv6Address(host)
        except ValueError:
            raise _refused() from None
    try:
        # The idna codec applies nameprep and maps ideographic full stops, like a browser would.
        ascii_host = host if host.isascii() else host.encode("idna").decode("ascii")
    except UnicodeError:
        raise _refused() from None
    ascii_host = ascii_host.lower()
    address = parse_legacy_ipv4(ascii_host)
    if address is not None:
        return address
    name = ascii_host[:-1] if ascii_host.endswith(".") else ascii_host
    labels = name.split(".")
    if len(name) > 253 or not all(_DNS_LABEL.match(label) for label in labels):
        raise _refused()
    # RFC 6761: these names are loopback by definition; refuse without asking DNS.
    if labels[-1] == "localhost":
        raise _refused()
    return name


def _default_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    return [str(info[4][0]) for info in infos]


class _Deadline:
    """A monotonic point in time shared by every step of one fetch."""

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def remaining(self) -> float:
        """Return the seconds left, raising a timeout FetchError when none are."""
        left = self.end - time.monotonic()
        if left <= 0:
            raise _timed_out()
        return left


class _DeadlineRaw(io.RawIOBase):
    """A socket reader that re-arms the timeout before every recv with the time left."""

    def __init__(self, sock: socket.socket, deadline: _Deadline) -> None:
        self._sock = sock
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        # Per-recv timeouts alone let a drip server run forever (security.md S11).
        self._sock.settimeout(self._deadline.remaining())
        return self._sock.recv_into(buffer)


class _DeadlineSocket:
    """The minimal socket face HTTPResponse needs: ``makefile`` over a deadline-bound reader."""

    def __init__(self, sock: socket.socket, deadline: _Deadline) -> None:
        self._sock = sock
        self._deadline = deadline

    def makefile(self, mode: str, *args: Any, **kwargs: Any) -> io.BufferedReader:
        return io.BufferedReader(_DeadlineRaw(self._sock, self._deadline))


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str
    address: IPv4Address | IPv6Address | None
    port: int
    request_target: str


class HttpFetcher:
    """The hardened HTTP(S) client: vetted addresses, pinned IP, total deadline, size cap."""

    def __init__(
        self,
        allowed_networks: Sequence[str] = (),
        *,
        timeout: float = 5.0,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_redirects: int = 3,
        resolver: Resolver | None = None,
        user_agent: str = DEFAULT_USER_AGENT,
        allowed_ports: Collection[int] | None = DEFAULT_PORTS,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        """Configure the fetcher; ``allowed_networks`` are CIDRs reachable despite being private."""
        self.allowed_networks = parse_allowed_networks(allowed_networks)
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.user_agent = user_agent
        self.allowed_ports = None if allowed_ports is None else frozenset(allowed_ports)
        self._resolver = resolver or _default_resolver
        self._ssl_context = ssl_context

    def _tls_context(self) -> ssl.SSLContext:
        # ssl and http.client cost ~25 ms to import; offline runs of `wallet verify` skip them.
        if self._ssl_context is None:
            import ssl

            self._ssl_context = ssl.create_default_context()
        return self._ssl_context

    def fetch(self, url: str, *, accept: str = ACCEPT_BADGE) -> Response:
        """Return the response for ``url`` after at most ``max_redirects`` vetted redirects."""
        return self._fetch(url, accept, _Deadline(self.timeout))

    def budgeted(self, seconds: float, max_requests: int = 8) -> BudgetedFetcher:
        """Return a view sharing one deadline and request count across many fetches."""
        return BudgetedFetcher(self, seconds, max_requests)

    def _fetch(self, url: str, accept: str, deadline: _Deadline) -> Response:
        try:
            return self._follow(url, accept, deadline)
        except FetchError:
            raise
        except Exception as exc:
            # The contract is FetchError only; hostile input must not find another way out.
            raise _failed() from exc

    def _follow(self, url: str, accept: str, deadline: _Deadline) -> Response:
        current = url
        for hop in range(self.max_redirects + 1):
            target = self._parse(current)
            status, content_type, location, body = self._fetch_once(target, accept, deadline)
            if status in _REDIRECT_STATUSES and location is not None:
                if hop == self.max_redirects:
                    break
                following = urljoin(current, location)
                # An https document must not be swapped for one anybody on the path could forge.
                if target.scheme == "https" and not following.lower().startswith("https:"):
                    raise _refused()
                current = following
                continue
            return Response(url=current, status=status, content_type=content_type, body=body)
        raise _refused()

    def allows_address(self, address: IPv4Address | IPv6Address) -> bool:
        """Return True when the fetcher may connect to ``address``."""
        if any(address in network for network in self.allowed_networks):
            return True
        return is_public_address(address)

    def _parse(self, url: str) -> _Target:
        if len(url) > 8192 or _BAD_URL_CHARS.search(url):
            raise _refused()
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise _refused() from None
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise _refused()
        if "@" in parts.netloc or parts.username is not None or parts.password is not None:
            raise _refused()
        host = normalise_host(parts.hostname or "")
        if port is None:
            port = 443 if scheme == "https" else 80
        if not 0 < port < 65536:
            raise _refused()
        if self.allowed_ports is not None and port not in self.allowed_ports:
            # Only allow-listed networks may use other ports; without any, no lookup is needed.
            if not self.allowed_networks:
                raise _refused()
        if isinstance(host, str):
            address = None
            host_text = host
        else:
            address = host
            host_text = str(host)
            if not self.allows_address(address) or not self._port_allowed(address, port):
                raise _refused()
        path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
        query = quote(parts.query, safe="/?%:@!$&'()*+,;=-._~")
        request_target = path + ("?" + query if parts.query else "")
        if not request_target.startswith("/"):
            raise _refused()
        return _Target(scheme, host_text, address, port, request_target)

    def _port_allowed(self, address: IPv4Address | IPv6Address, port: int) -> bool:
        if self.allowed_ports is None or port in self.allowed_ports:
            return True
        # Test servers on loopback use random ports; only explicitly allowed networks get them.
        return any(address in network for network in self.allowed_networks)

    def _addresses(self, target: _Target, deadline: _Deadline) -> list[IPv4Address | IPv6Address]:
        if target.address is not None:
            addresses: list[IPv4Address | IPv6Address] = [target.address]
        else:
            addresses = []
            for text in self._resolve(target.host, target.port, deadline):
                try:
                    addresses.append(ip_address(text.split("%", 1)[0]))
                except ValueError:
                    raise _refused() from None
            if not addresses:
                raise _failed()
        # One bad answer poisons the name: a rebinding attacker controls the order.
        for address in addresses:
            if not self.allows_address(address) or not self._port_allowed(address, target.port):
                raise _refused()
        return addresses

    def _resolve(self, host: str, port: int, deadline: _Deadline) -> list[str]:
        # getaddrinfo has no timeout; a daemon thread keeps the total deadline honest.
        result: list[list[str]] = []
        failure: list[BaseException] = []

        def run() -> None:
            try:
                result.append(list(self._resolver(host, port)))
            except BaseException as exc:  # handed to the caller's thread below
                failure.append(exc)

        worker = threading.Thread(target=run, name="wallet-resolve", daemon=True)
        worker.start()
        worker.join(deadline.remaining())
        if worker.is_alive():
            raise _timed_out()
        if failure or not result:
            raise _failed()
        return result[0]

    def _connect(self, target: _Target, deadline: _Deadline) -> socket.socket:
        addresses = self._addresses(target, deadline)
        for address in addresses:
            try:
                # Connect to the vetted IP itself: a second lookup could rebind (security.md S4).
                sock = socket.create_connection(
                    (str(address), target.port), timeout=deadline.remaining()
                )
            except FetchError:
                raise
            except OSError:
                continue
            if target.scheme != "https":
                return sock
            try:
                sock.settimeout(deadline.remaining())
                return self._tls_context().wrap_socket(sock, server_hostname=target.host)
            except BaseException:
                sock.close()
                raise
        if deadline.end <= time.monotonic():
            raise _timed_out()
        raise _failed()

    def _request_bytes(self, target: _Target, accept: str) -> bytes:
        host = f"[{target.host}]" if ":" in target.host else target.host
        default_port = 443 if target.scheme == "https" else 80
        if target.port != default_port:
            host = f"{host}:{target.port}"
        lines = [
            f"GET {target.request_target} HTTP/1.1",
            f"Host: {host}",
            f"User-Agent: {self.user_agent}",
            f"Accept: {accept}",
            "Accept-Encoding: identity",
            "Connection: close",
        ]
        if _BAD_URL_CHARS.search(accept.replace(" ", "")) or "\n" in self.user_agent:
            raise _refused()
        text = "\r\n".join(lines) + "\r\n\r\n"
        return text.encode("ascii", "strict")

    def _fetch_once(
        self, target: _Target, accept: str, deadline: _Deadline
    ) -> tuple[int, str, str | None, bytes]:
        import http.client

        try:
            sock = self._connect(target, deadline)
        except FetchError:
            raise
        except TimeoutError:
            raise _timed_out() from None
        except (OSError, ValueError, UnicodeError):
            raise _failed() from None
        try:
            return self._exchange(sock, target, accept, deadline)
        except FetchError:
            raise
        except TimeoutError:
            raise _timed_out() from None
        except (OSError, http.client.HTTPException, ValueError, UnicodeError):
            if deadline.end <= time.monotonic():
                raise _timed_out() from None
            raise _failed() from None
        finally:
            sock.close()

    def _exchange(
        self, sock: socket.socket, target: _Target, accept: str, deadline: _Deadline
    ) -> tuple[int, str, str | None, bytes]:
        import http.client

        try:
            request = self._request_bytes(target, accept)
        except UnicodeError:
            raise _refused() from None
        sock.settimeout(deadline.remaining())
        sock.sendall(request)
        response = http.client.HTTPResponse(
            _DeadlineSocket(sock, deadline),  # type: ignore[arg-type]
            method="GET",
        )
        try:
            response.begin()
            status = response.status
            content_type = response.getheader("Content-Type", "") or ""
            if status in _REDIRECT_STATUSES:
                # Never read a redirect body: it is only ever a bomb or noise.
                return status, content_type, response.getheader("Location"), b""
            if response.getheader("Content-Encoding", "identity").strip().lower() not in (
                "",
                "identity",
            ):
                raise _failed()
            length = response.getheader("Content-Length")
            if length is not None and length.strip().isdigit():
                if int(length) > self.max_bytes:
                    raise _too_large()
            body = bytearray()
            while True:
                deadline.remaining()
                chunk = response.read(min(_READ_CHUNK, self.max_bytes - len(body) + 1))
                if not chunk:
                    break
                body += chunk
                if len(body) > self.max_bytes:
                    raise _too_large()
            return status, content_type, None, bytes(body)
        finally:
            response.close()


class BudgetedFetcher:
    """One import's view of an HttpFetcher: a shared total deadline and a request cap."""

    def __init__(self, inner: HttpFetcher, seconds: float, max_requests: int) -> None:
        """Start the budget now: ``seconds`` in all, at most ``max_requests`` fetches."""
        self.inner = inner
        self.max_requests = max_requests
        self.requests = 0
        self._end = time.monotonic() + seconds
        self._lock = threading.Lock()

    def fetch(self, url: str, *, accept: str = ACCEPT_BADGE) -> Response:
        """Fetch within what is left of the budget (each call still capped by the fetcher's)."""
        with self._lock:
            self.requests += 1
            if self.requests > self.max_requests:
                raise _refused()
        deadline = _Deadline(self.inner.timeout)
        deadline.end = min(deadline.end, self._end)
        return self.inner._fetch(url, accept, deadline)


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
        raise _refused()

    def _answer(self, url: str, rest: str, directory: Path) -> Response:
        rest = rest.split("#", 1)[0].split("?", 1)[0]
        relative = unquote(rest).lstrip("/")
        parts = [part for part in relative.split("/") if part not in ("", ".")]
        if not parts and directory.is_file():
            # A whole URL mapped to one file: --url-map https://host/assertion.json=FILE
            path = directory.resolve()
        else:
            if any(part == ".." or "\\" in part or "\x00" in part for part in parts) or not parts:
                raise _refused()
            root = directory.resolve()
            path = root.joinpath(*parts).resolve()
            # resolve() follows symlinks, so this also refuses links that leave the directory.
            if not path.is_relative_to(root):
                raise _refused()
        if not path.is_file():
            return Response(url=url, status=404, content_type="text/plain", body=b"")
        if path.stat().st_size > self.max_bytes:
            raise _too_large()
        body = path.read_bytes()
        if len(body) > self.max_bytes:
            raise _too_large()
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
        raise _refused()


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
