"""Tests for the one fetcher: SSRF refusals before any connection, deadline, size cap, helpers."""

from __future__ import annotations

import datetime
import http.server
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import pytest

from wallet.openbadges.errors import FetchError
from wallet.openbadges.fetch import GENERIC_FETCH_MESSAGE
from wallet.openbadges.fetch import BudgetedFetcher
from wallet.openbadges.fetch import CachingFetcher
from wallet.openbadges.fetch import ChainFetcher
from wallet.openbadges.fetch import HttpFetcher
from wallet.openbadges.fetch import OfflineFetcher
from wallet.openbadges.fetch import Response
from wallet.openbadges.fetch import UrlMapFetcher
from wallet.openbadges.fetch import is_public_address
from wallet.openbadges.fetch import normalise_host

LOOPBACK = ["127.0.0.1/32"]


# --- a local fake issuer on 127.0.0.1 -------------------------------------------------------


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves the behaviours the fetcher must survive; every loop is bounded."""

    protocol_version = "HTTP/1.1"
    seen: list[dict[str, str]] = []

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""

    def do_GET(self) -> None:
        """Dispatch on the path."""
        type(self).seen.append({k.lower(): v for k, v in self.headers.items()})
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        try:
            getattr(self, "_" + parts.path.strip("/").replace("-", "_"))(query)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            pass

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _ok(self, query: dict[str, list[str]]) -> None:
        self._send(200, b'{"ok": true}', "application/ld+json")

    def _gone(self, query: dict[str, list[str]]) -> None:
        self._send(410, b"gone", "text/plain")

    def _redirect(self, query: dict[str, list[str]]) -> None:
        self.send_response(302)
        self.send_header("Location", query["to"][0])
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _loop(self, query: dict[str, list[str]]) -> None:
        self.send_response(302)
        self.send_header("Location", "/loop")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _drip(self, query: dict[str, list[str]]) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        self.wfile.flush()
        for _ in range(100):  # at most 5 s, long after the client gave up
            self.wfile.write(b"x")
            self.wfile.flush()
            time.sleep(0.05)

    def _drip_headers(self, query: dict[str, list[str]]) -> None:
        self.wfile.write(b"HTTP/1.1 200 OK\r\n")
        for index in range(100):
            self.wfile.write(f"X-{index}: y\r\n".encode())
            self.wfile.flush()
            time.sleep(0.05)

    def _endless(self, query: dict[str, list[str]]) -> None:
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunk = b"a" * 65536
        for _ in range(2000):  # bounded: 128 MiB, the client stops far earlier
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))

    def _huge_length(self, query: dict[str, list[str]]) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2147483648")
        self.end_headers()
        self.wfile.write(b"{" * 1024)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """Run the fake issuer on 127.0.0.1 in a thread; yield its base URL."""
    httpd = _Server(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


@pytest.fixture()
def connects(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Record every outbound connection the fetcher makes."""
    calls: list[tuple[str, int]] = []
    real = socket.create_connection

    def counting(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        calls.append(address)
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", counting)
    return calls


@pytest.fixture()
def listener() -> Iterator[socket.socket]:
    """A loopback socket that must never receive a connection."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.setblocking(False)
    yield sock
    sock.close()


def _assert_no_connection(sock: socket.socket) -> None:
    time.sleep(0.02)
    with pytest.raises(BlockingIOError):
        conn, _ = sock.accept()
        conn.close()


def _fake_resolver(table: dict[str, list[str]]) -> Callable[[str, int], list[str]]:
    def resolve(host: str, port: int) -> list[str]:
        return table[host]

    return resolve


def _refused(fetcher: HttpFetcher | BudgetedFetcher, url: str) -> FetchError:
    with pytest.raises(FetchError) as info:
        fetcher.fetch(url)
    assert str(info.value) == GENERIC_FETCH_MESSAGE
    return info.value


# --- SSRF matrix ----------------------------------------------------------------------------

LOOPBACK_SPELLINGS = [
    "127.0.0.1",
    "127.1",
    "2130706433",
    "0x7f000001",
    "017700000001",
    "0177.0.0.1",
    "0x7f.1",
    "0x7F.0.0.1",
    "127.0.0.1.",
    "127.000.000.001",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "[::127.0.0.1]",
    "[0:0:0:0:0:ffff:7f00:1]",
    "127%E3%80%820%E3%80%820%E3%80%821",
    "127\u30020\u30020\u30021",
    "\uff11\uff12\uff17.0.0.1",
]


@pytest.mark.parametrize("host", LOOPBACK_SPELLINGS)
def test_loopback_spellings_never_connect(
    host: str, listener: socket.socket, connects: list[tuple[str, int]]
) -> None:
    """Every spelling of 127.0.0.1 is refused before a connection, even to a live port."""
    port = listener.getsockname()[1]
    fetcher = HttpFetcher(allowed_ports=None, resolver=_fake_resolver({}))
    error = _refused(fetcher, f"http://{host}:{port}/x")
    assert error.code == "fetch.refused"
    assert connects == []
    _assert_no_connection(listener)


FORBIDDEN_LITERALS = [
    "0",
    "0.0.0.0",
    "[::]",
    "[::1]",
    "10.0.0.1",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "0xa9fea9fe",
    "2852039166",
    "100.64.0.1",
    "100.100.100.200",
    "192.0.0.192",
    "198.18.0.1",
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "[fd00:ec2::254]",
    "[fe80::1]",
    "[fc00::1]",
    "[ff02::1]",
    "[::ffff:169.254.169.254]",
    "[::ffff:8.8.8.8]",
    "[64:ff9b::a9fe:a9fe]",
    "[64:ff9b::808:808]",
    "[64:ff9b:1::a9fe:a9fe]",
    "[2002:a9fe:a9fe::1]",
    "[2001:0:4136:e378:8000:63bf:3fff:fdd2]",
    "[::a9fe:a9fe]",
    "[2001:db8::1]",
    "[fec0::1]",
]


@pytest.mark.parametrize("host", FORBIDDEN_LITERALS)
def test_forbidden_literals_never_connect(host: str, connects: list[tuple[str, int]]) -> None:
    """Private, link-local, metadata, multicast, reserved and wrapped addresses are refused."""
    fetcher = HttpFetcher(resolver=_fake_resolver({}))
    _refused(fetcher, f"http://{host}/latest/meta-data/")
    _refused(fetcher, f"https://{host}/")
    assert connects == []


RESOLVED_FORBIDDEN = [
    ["127.0.0.1"],
    ["10.1.2.3"],
    ["169.254.169.254"],
    ["100.100.100.200"],
    ["fd00:ec2::254"],
    ["::1"],
    ["::ffff:127.0.0.1"],
    ["64:ff9b::a9fe:a9fe"],
    ["2002:a9fe:a9fe::1"],
    ["fe80::1%eth0"],
    ["8.8.8.8", "10.0.0.1"],
    ["2606:4700:4700::1111", "127.0.0.1"],
    ["not-an-address"],
]


@pytest.mark.parametrize("answers", RESOLVED_FORBIDDEN)
def test_names_resolving_to_forbidden_addresses(
    answers: list[str], connects: list[tuple[str, int]]
) -> None:
    """A DNS name is refused when any address it resolves to is forbidden."""
    fetcher = HttpFetcher(resolver=_fake_resolver({"issuer.example": answers}))
    _refused(fetcher, "https://issuer.example/assertion.json")
    assert connects == []


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "gopher://issuer.example/_x",
        "ftp://issuer.example/x",
        "dict://issuer.example:11211/",
        "ldap://issuer.example/",
        "data:application/json,{}",
        "javascript:alert(1)",
        "jar:http://issuer.example/x!/",
        "//issuer.example/x",
        "http:/issuer.example",
        "http:\\\\issuer.example\\x",
        " http://issuer.example/",
        "http://issuer.example/a b",
        "http://issuer.example/\r\nX-Injected: 1",
        "http://user@issuer.example/",
        "http://issuer.example@127.0.0.1/",
        "http://127.0.0.1\\@issuer.example/",
        "http://issuer.example:0/",
        "http://issuer.example:22/",
        "http://issuer.example:6379/",
        "http://issuer.example:65536/",
        "http://issuer.example:99999/",
        "http://localhost/",
        "http://LOCALHOST./",
        "http://a.localhost/",
        "http://\u24db\u24de\u24d2\u24d0\u24db\u24d7\u24de\u24e2\u24e3/",
        "http://1.2.3.4.5/",
        "http://256.0.0.1/",
        "http://09.0.0.1/",
        "http://[fe80::1%25eth0]/",
        "http://bad_host!.example/",
        "http://" + "a" * 64 + ".example/",
        "http://issuer.example/" + "a" * 9000,
    ],
)
def test_bad_schemes_and_shapes(url: str, connects: list[tuple[str, int]]) -> None:
    """Non-http schemes, userinfo, odd ports and malformed hosts are refused up front."""
    resolver_calls: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        resolver_calls.append(host)
        return ["93.184.215.14"]

    fetcher = HttpFetcher(resolver=resolver)
    _refused(fetcher, url)
    assert connects == []
    assert resolver_calls == []


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:169.254.169.254]/",
        "http://[::ffff:127.0.0.1]:{port}/ok",
        "http://0x7f.2:{port}/ok",
        "http://10.0.0.1:{port}/ok",
        "http://internal.example/ok",
        "gopher://127.0.0.1:{port}/",
        "file:///etc/passwd",
    ],
)
def test_redirect_to_forbidden_target(
    target: str, server: str, connects: list[tuple[str, int]]
) -> None:
    """A redirect from an allowed test server to a forbidden address is refused pre-connect."""
    port = urlsplit(server).port
    fetcher = HttpFetcher(
        allowed_networks=LOOPBACK,
        timeout=2.0,
        resolver=_fake_resolver({"internal.example": ["192.168.0.10"]}),
    )
    _refused(fetcher, f"{server}/redirect?to={target.format(port=port)}")
    assert connects == [("127.0.0.1", port)]


def test_redirect_limit(server: str, connects: list[tuple[str, int]]) -> None:
    """A redirect loop stops after the cap: one first request plus three hops."""
    fetcher = HttpFetcher(allowed_networks=LOOPBACK, timeout=2.0)
    error = _refused(fetcher, f"{server}/loop")
    assert error.code == "fetch.refused"
    assert len(connects) == 4


def test_refusals_share_one_message(server: str) -> None:
    """Refused, unreachable, timeout and too large all read the same and name no address."""
    errors: list[FetchError] = []
    for fetcher, url in [
        (HttpFetcher(), "http://127.0.0.1/"),
        (HttpFetcher(allowed_networks=LOOPBACK, timeout=0.3), f"{server}/drip"),
        (HttpFetcher(allowed_networks=LOOPBACK, max_bytes=10), f"{server}/ok"),
        (HttpFetcher(allowed_networks=LOOPBACK, timeout=1.0), "http://127.0.0.1:1/"),
    ]:
        with pytest.raises(FetchError) as info:
            fetcher.fetch(url)
        errors.append(info.value)
    assert {str(error) for error in errors} == {GENERIC_FETCH_MESSAGE}
    assert "127" not in GENERIC_FETCH_MESSAGE
    assert {error.code for error in errors} == {
        "fetch.refused",
        "fetch.timeout",
        "fetch.too_large",
        "fetch.failed",
    }


def test_address_policy_units() -> None:
    """Public addresses pass; allowed networks open exactly what they name."""
    for text in ["8.8.8.8", "93.184.215.14", "2606:4700:4700::1111", "2a00:1450:4001:81d::200e"]:
        assert is_public_address(ipaddress.ip_address(text))
    fetcher = HttpFetcher(allowed_networks=["127.0.0.1/32", "10.9.0.0/16"])
    assert fetcher.allows_address(ipaddress.ip_address("127.0.0.1"))
    assert fetcher.allows_address(ipaddress.ip_address("10.9.8.7"))
    assert not fetcher.allows_address(ipaddress.ip_address("127.0.0.2"))
    assert not fetcher.allows_address(ipaddress.ip_address("::ffff:127.0.0.1"))
    assert normalise_host("0x7f.1") == ipaddress.ip_address("127.0.0.1")
    assert normalise_host("Issuer.Example.") == "issuer.example"
    with pytest.raises(ValueError):
        HttpFetcher(allowed_networks=["not a cidr"])


def test_name_resolving_to_allowed_network_connects_to_vetted_ip(
    server: str, connects: list[tuple[str, int]]
) -> None:
    """The socket goes to the vetted IP; Host carries the original name (no second lookup)."""
    port = urlsplit(server).port
    fetcher = HttpFetcher(
        allowed_networks=LOOPBACK,
        resolver=_fake_resolver({"issuer.example": ["127.0.0.1"]}),
    )
    response = fetcher.fetch(f"http://issuer.example:{port}/ok")
    assert response.status == 200
    assert connects == [("127.0.0.1", port)]
    assert _Handler.seen[-1]["host"] == f"issuer.example:{port}"


def test_slow_resolver_is_cut_at_deadline() -> None:
    """A DNS lookup that hangs counts against the total deadline."""
    release = threading.Event()

    def slow(host: str, port: int) -> list[str]:
        release.wait(5)
        return ["8.8.8.8"]

    fetcher = HttpFetcher(timeout=0.3, resolver=slow)
    started = time.monotonic()
    try:
        error = _refused(fetcher, "https://slow.example/")
    finally:
        release.set()
    assert error.code == "fetch.timeout"
    assert time.monotonic() - started < 1.0


# --- deadline and size cap ------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/drip", "/drip-headers"])
def test_slow_drip_cut_at_total_deadline(server: str, path: str) -> None:
    """A server sending a byte every 50 ms is cut at the 0.5 s total deadline."""
    fetcher = HttpFetcher(allowed_networks=LOOPBACK, timeout=0.5)
    started = time.monotonic()
    error = _refused(fetcher, server + path)
    elapsed = time.monotonic() - started
    assert error.code == "fetch.timeout"
    assert 0.45 <= elapsed < 1.2


def test_endless_body_cut_at_cap(server: str) -> None:
    """An endless chunked body stops at the size cap."""
    fetcher = HttpFetcher(allowed_networks=LOOPBACK, timeout=3.0, max_bytes=200_000)
    started = time.monotonic()
    error = _refused(fetcher, f"{server}/endless")
    assert error.code == "fetch.too_large"
    assert time.monotonic() - started < 2.0


def test_huge_content_length_refused(server: str) -> None:
    """A declared 2 GiB body is refused without reading it."""
    fetcher = HttpFetcher(allowed_networks=LOOPBACK, max_bytes=1_000_000)
    error = _refused(fetcher, f"{server}/huge-length")
    assert error.code == "fetch.too_large"


# --- happy path -----------------------------------------------------------------------------


def test_happy_path(server: str) -> None:
    """A plain GET returns status, type and body, sending identity encoding and no cookies."""
    fetcher = HttpFetcher(allowed_networks=LOOPBACK, timeout=2.0)
    response = fetcher.fetch(f"{server}/ok", accept="application/json")
    assert response == Response(
        url=f"{server}/ok", status=200, content_type="application/ld+json", body=b'{"ok": true}'
    )
    headers = _Handler.seen[-1]
    assert headers["accept"] == "application/json"
    assert headers["accept-encoding"] == "identity"
    assert "cookie" not in headers and "authorization" not in headers
    assert headers["user-agent"].startswith("badge-wallet")


def test_redirect_followed_and_final_url(server: str) -> None:
    """Up to three redirects are followed; the response names the final URL."""
    fetcher = HttpFetcher(allowed_networks=LOOPBACK, timeout=2.0)
    response = fetcher.fetch(f"{server}/redirect?to=/ok")
    assert response.status == 200
    assert response.url == f"{server}/ok"


def test_non_200_is_returned(server: str) -> None:
    """A 410 comes back as a response (callers read it as revoked)."""
    fetcher = HttpFetcher(allowed_networks=LOOPBACK)
    response = fetcher.fetch(f"{server}/gone")
    assert (response.status, response.body) == (410, b"gone")


def test_ignores_proxy_environment(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Proxy variables are not honoured: the request goes straight to the vetted address."""
    monkeypatch.setenv("HTTP_PROXY", "http://10.0.0.1:3128")
    monkeypatch.setenv("http_proxy", "http://10.0.0.1:3128")
    assert HttpFetcher(allowed_networks=LOOPBACK).fetch(f"{server}/ok").status == 200


# --- https: certificate verified against the original name, socket pinned to the IP ---------


def _self_signed(tmp_path: Path, name: str) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path = tmp_path / "cert.pem"
    key_path = tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_https_verifies_certificate_for_original_name(tmp_path: Path) -> None:
    """TLS uses SNI/verification for the URL's name while connecting to the pinned IP."""
    cert_path, key_path = _self_signed(tmp_path, "issuer.example")
    httpd = _Server(("127.0.0.1", 0), _Handler)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert_path, key_path)
    httpd.socket = server_context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    port = httpd.server_address[1]
    try:
        resolver = _fake_resolver({"issuer.example": ["127.0.0.1"], "other.example": ["127.0.0.1"]})
        trusting = ssl.create_default_context(cafile=str(cert_path))
        fetcher = HttpFetcher(
            allowed_networks=LOOPBACK, timeout=2.0, resolver=resolver, ssl_context=trusting
        )
        assert fetcher.fetch(f"https://issuer.example:{port}/ok").status == 200
        # Same server, but the name does not match the certificate.
        assert _refused(fetcher, f"https://other.example:{port}/ok").code == "fetch.failed"
        # Default trust store: the self-signed certificate is rejected.
        default = HttpFetcher(allowed_networks=LOOPBACK, timeout=2.0, resolver=resolver)
        assert _refused(default, f"https://issuer.example:{port}/ok").code == "fetch.failed"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


# --- url map, chain, offline, cache ---------------------------------------------------------


def test_url_map_answers_from_directory(tmp_path: Path) -> None:
    """Mapped URLs read DIR + rest of path; missing files are 404; others raise."""
    (tmp_path / "badges").mkdir()
    (tmp_path / "badges" / "a.json").write_text('{"a": 1}')
    fetcher = UrlMapFetcher({"https://issuer.example/": tmp_path})
    response = fetcher.fetch("https://issuer.example/badges/a.json?x=1#frag")
    assert (response.status, response.content_type, response.body) == (
        200,
        "application/json",
        b'{"a": 1}',
    )
    assert response.url == "https://issuer.example/badges/a.json?x=1#frag"
    assert fetcher.fetch("https://issuer.example/badges/missing.json").status == 404
    with pytest.raises(FetchError):
        fetcher.fetch("https://other.example/badges/a.json")


def test_url_map_longest_prefix_wins(tmp_path: Path) -> None:
    """A more specific prefix takes precedence over a shorter one."""
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    (tmp_path / "one" / "k.json").write_text("1")
    (tmp_path / "two" / "k.json").write_text("2")
    fetcher = UrlMapFetcher(
        {"https://i.example/": tmp_path / "one", "https://i.example/keys/": tmp_path / "two"}
    )
    assert fetcher.fetch("https://i.example/keys/k.json").body == b"2"
    assert fetcher.fetch("https://i.example/k.json").body == b"1"


@pytest.mark.parametrize(
    "rest",
    ["../secret.txt", "a/../../secret.txt", "%2e%2e/secret.txt", "..%2fsecret.txt", "", "link/x"],
)
def test_url_map_refuses_escapes(tmp_path: Path, rest: str) -> None:
    """Path traversal (plain, encoded, via symlink) out of the mapped directory is refused."""
    root = tmp_path / "root"
    (root / "a").mkdir(parents=True)
    (tmp_path / "secret.txt").write_text("secret")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "x").write_text("secret")
    (root / "link").symlink_to(tmp_path / "outside")
    fetcher = UrlMapFetcher({"https://i.example/": root})
    with pytest.raises(FetchError):
        fetcher.fetch("https://i.example/" + rest)


def test_url_map_size_cap(tmp_path: Path) -> None:
    """Mapped files obey the size cap too."""
    (tmp_path / "big.json").write_bytes(b"x" * 100)
    with pytest.raises(FetchError) as info:
        UrlMapFetcher({"https://i.example/": tmp_path}, max_bytes=10).fetch(
            "https://i.example/big.json"
        )
    assert info.value.code == "fetch.too_large"


def test_chain_and_offline(tmp_path: Path) -> None:
    """The chain asks the fallback only when the primary raises; offline always raises."""
    (tmp_path / "a.json").write_text("{}")
    offline = OfflineFetcher()
    with pytest.raises(FetchError):
        offline.fetch("https://i.example/a.json")
    chain = ChainFetcher(UrlMapFetcher({"https://i.example/": tmp_path}), offline)
    assert chain.fetch("https://i.example/a.json").status == 200
    assert chain.fetch("https://i.example/b.json").status == 404
    with pytest.raises(FetchError):
        chain.fetch("https://elsewhere.example/a.json")


class _Counting:
    def __init__(self) -> None:
        self.calls = 0
        self.fail = False

    def fetch(self, url: str, *, accept: str = "") -> Response:
        self.calls += 1
        if self.fail:
            raise FetchError("x")
        return Response(url=url, status=200, content_type="text/plain", body=url.encode())


def test_caching_fetcher_ttl_bound_and_errors() -> None:
    """Responses are reused within the TTL, evicted by age or count; errors are not cached."""
    now = [0.0]
    inner = _Counting()
    cache = CachingFetcher(inner, ttl=10, max_entries=2, clock=lambda: now[0])
    assert cache.fetch("https://a/").body == b"https://a/"
    cache.fetch("https://a/")
    assert inner.calls == 1
    now[0] = 11
    cache.fetch("https://a/")
    assert inner.calls == 2
    cache.fetch("https://b/")
    cache.fetch("https://c/")
    assert inner.calls == 4
    cache.fetch("https://a/")  # evicted as least recently used
    assert inner.calls == 5
    inner.fail = True
    for _ in range(2):
        with pytest.raises(FetchError):
            cache.fetch("https://d/")
    assert inner.calls == 7


def test_budget_shares_one_deadline_and_caps_requests(server: str) -> None:
    """A budgeted view cuts a slow fetch at the shared deadline and caps the request count."""
    fetcher = HttpFetcher(allowed_networks=LOOPBACK, timeout=5.0)
    budget = fetcher.budgeted(seconds=0.5, max_requests=10)
    started = time.monotonic()
    assert _refused(budget, f"{server}/drip").code == "fetch.timeout"
    assert _refused(budget, f"{server}/ok").code == "fetch.timeout"
    assert time.monotonic() - started < 1.2
    capped = fetcher.budgeted(seconds=5.0, max_requests=2)
    assert capped.fetch(f"{server}/ok").status == 200
    assert capped.fetch(f"{server}/ok").status == 200
    assert _refused(capped, f"{server}/ok").code == "fetch.refused"


def test_unexpected_errors_become_fetch_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever goes wrong inside, callers only ever see FetchError."""
    fetcher = HttpFetcher(resolver=_fake_resolver({"issuer.example": ["93.184.215.14"]}))

    def broken(*args: Any, **kwargs: Any) -> socket.socket:
        raise RuntimeError("internal detail 10.0.0.1")

    monkeypatch.setattr(socket, "create_connection", broken)
    error = _refused(fetcher, "https://issuer.example/")
    assert error.code == "fetch.failed"


def test_url_map_maps_a_whole_url_to_one_file(tmp_path):
    from wallet.openbadges.fetch import UrlMapFetcher

    target = tmp_path / "basic-assertion.json"
    target.write_bytes(b'{"id": "x"}')
    fetcher = UrlMapFetcher({"https://example.org/beths-robotics-badge.json": target})
    response = fetcher.fetch("https://example.org/beths-robotics-badge.json")
    assert (response.status, response.body) == (200, b'{"id": "x"}')
    with pytest.raises(FetchError):
        fetcher.fetch("https://example.org/other.json")
