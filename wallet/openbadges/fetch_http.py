"""The hardened HTTP(S) fetcher: vetted and pinned addresses, re-vetted redirects, deadline, cap."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Callable
from collections.abc import Collection
from collections.abc import Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address
from ipaddress import IPv6Address
from ipaddress import ip_address
from typing import TYPE_CHECKING
from urllib.parse import quote
from urllib.parse import urljoin
from urllib.parse import urlsplit

from wallet.openbadges.errors import FetchError
from wallet.openbadges.fetch_address import is_public_address
from wallet.openbadges.fetch_address import normalise_host
from wallet.openbadges.fetch_address import parse_allowed_networks
from wallet.openbadges.fetch_base import ACCEPT_BADGE
from wallet.openbadges.fetch_base import DEFAULT_MAX_BYTES
from wallet.openbadges.fetch_base import Response
from wallet.openbadges.fetch_base import failed
from wallet.openbadges.fetch_base import refused
from wallet.openbadges.fetch_base import timed_out
from wallet.openbadges.fetch_base import too_large
from wallet.openbadges.fetch_deadline import Deadline
from wallet.openbadges.fetch_deadline import DeadlineSocket
from wallet.openbadges.fetch_request import Outgoing
from wallet.openbadges.fetch_request import request_bytes

if TYPE_CHECKING:
    import ssl

DEFAULT_USER_AGENT = "badge-wallet/0.1 (Open Badges verifier)"
DEFAULT_PORTS: frozenset[int] = frozenset({80, 443})
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_READ_CHUNK = 64 * 1024
# Whitespace, controls and backslashes make parsers disagree about the host (security.md S8).
_BAD_URL_CHARS = re.compile(r"[\x00-\x20\x7f\\]")

Resolver = Callable[[str, int], list[str]]


def _default_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    return [str(info[4][0]) for info in infos]


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
        return self._fetch(url, accept, Deadline(self.timeout))

    def send(self, url: str, outgoing: Outgoing, *, accept: str = "application/json") -> Response:
        """Make one request with a method, headers and body (API calls); redirects are returned,
        never followed, so credentials in it never reach another address."""
        try:
            target = self._parse(url)
            status, content_type, _location, body = self._fetch_once(
                target, accept, Deadline(self.timeout), outgoing
            )
        except FetchError:
            raise
        except Exception as exc:
            raise failed() from exc
        return Response(url=url, status=status, content_type=content_type, body=body)

    def budgeted(self, seconds: float, max_requests: int = 8) -> BudgetedFetcher:
        """Return a view sharing one deadline and request count across many fetches."""
        return BudgetedFetcher(self, seconds, max_requests)

    def _fetch(self, url: str, accept: str, deadline: Deadline) -> Response:
        try:
            return self._follow(url, accept, deadline)
        except FetchError:
            raise
        except Exception as exc:
            # The contract is FetchError only; hostile input must not find another way out.
            raise failed() from exc

    def _follow(self, url: str, accept: str, deadline: Deadline) -> Response:
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
                    raise refused()
                current = following
                continue
            return Response(url=current, status=status, content_type=content_type, body=body)
        raise refused()

    def allows_address(self, address: IPv4Address | IPv6Address) -> bool:
        """Return True when the fetcher may connect to ``address``."""
        if any(address in network for network in self.allowed_networks):
            return True
        return is_public_address(address)

    def _parse(self, url: str) -> _Target:
        if len(url) > 8192 or _BAD_URL_CHARS.search(url):
            raise refused()
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise refused() from None
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise refused()
        if "@" in parts.netloc or parts.username is not None or parts.password is not None:
            raise refused()
        host = normalise_host(parts.hostname or "")
        if port is None:
            port = 443 if scheme == "https" else 80
        if not 0 < port < 65536:
            raise refused()
        if self.allowed_ports is not None and port not in self.allowed_ports:
            # Only allow-listed networks may use other ports; without any, no lookup is needed.
            if not self.allowed_networks:
                raise refused()
        if isinstance(host, str):
            address = None
            host_text = host
        else:
            address = host
            host_text = str(host)
            if not self.allows_address(address) or not self._port_allowed(address, port):
                raise refused()
        path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
        query = quote(parts.query, safe="/?%:@!$&'()*+,;=-._~")
        request_target = path + ("?" + query if parts.query else "")
        if not request_target.startswith("/"):
            raise refused()
        return _Target(scheme, host_text, address, port, request_target)

    def _port_allowed(self, address: IPv4Address | IPv6Address, port: int) -> bool:
        if self.allowed_ports is None or port in self.allowed_ports:
            return True
        # Test servers on loopback use random ports; only explicitly allowed networks get them.
        return any(address in network for network in self.allowed_networks)

    def _addresses(self, target: _Target, deadline: Deadline) -> list[IPv4Address | IPv6Address]:
        if target.address is not None:
            addresses: list[IPv4Address | IPv6Address] = [target.address]
        else:
            addresses = []
            for text in self._resolve(target.host, target.port, deadline):
                try:
                    addresses.append(ip_address(text.split("%", 1)[0]))
                except ValueError:
                    raise refused() from None
            if not addresses:
                raise failed()
        # One bad answer poisons the name: a rebinding attacker controls the order.
        for address in addresses:
            if not self.allows_address(address) or not self._port_allowed(address, target.port):
                raise refused()
        return addresses

    def _resolve(self, host: str, port: int, deadline: Deadline) -> list[str]:
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
            raise timed_out()
        if failure or not result:
            raise failed()
        return result[0]

    def _connect(self, target: _Target, deadline: Deadline) -> socket.socket:
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
            raise timed_out()
        raise failed()

    def _request_bytes(self, target: _Target, accept: str, outgoing: Outgoing | None) -> bytes:
        host = f"[{target.host}]" if ":" in target.host else target.host
        default_port = 443 if target.scheme == "https" else 80
        if target.port != default_port:
            host = f"{host}:{target.port}"
        return request_bytes(
            host,
            target.request_target,
            accept=accept,
            user_agent=self.user_agent,
            outgoing=outgoing,
        )

    def _fetch_once(
        self, target: _Target, accept: str, deadline: Deadline, outgoing: Outgoing | None = None
    ) -> tuple[int, str, str | None, bytes]:
        import http.client

        try:
            sock = self._connect(target, deadline)
        except FetchError:
            raise
        except TimeoutError:
            raise timed_out() from None
        except (OSError, ValueError, UnicodeError):
            raise failed() from None
        try:
            return self._exchange(sock, target, accept, deadline, outgoing)
        except FetchError:
            raise
        except TimeoutError:
            raise timed_out() from None
        except (OSError, http.client.HTTPException, ValueError, UnicodeError):
            if deadline.end <= time.monotonic():
                raise timed_out() from None
            raise failed() from None
        finally:
            sock.close()

    def _exchange(
        self,
        sock: socket.socket,
        target: _Target,
        accept: str,
        deadline: Deadline,
        outgoing: Outgoing | None,
    ) -> tuple[int, str, str | None, bytes]:
        import http.client

        try:
            request = self._request_bytes(target, accept, outgoing)
        except UnicodeError:
            raise refused() from None
        sock.settimeout(deadline.remaining())
        sock.sendall(request)
        response = http.client.HTTPResponse(
            DeadlineSocket(sock, deadline),  # type: ignore[arg-type]
            method=outgoing.method if outgoing else "GET",
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
                raise failed()
            length = response.getheader("Content-Length")
            if length is not None and length.strip().isdigit():
                if int(length) > self.max_bytes:
                    raise too_large()
            body = bytearray()
            while True:
                deadline.remaining()
                chunk = response.read(min(_READ_CHUNK, self.max_bytes - len(body) + 1))
                if not chunk:
                    break
                body += chunk
                if len(body) > self.max_bytes:
                    raise too_large()
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
                raise refused()
        deadline = Deadline(self.inner.timeout)
        deadline.end = min(deadline.end, self._end)
        return self.inner._fetch(url, accept, deadline)
