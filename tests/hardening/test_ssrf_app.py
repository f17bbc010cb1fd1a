"""SSRF at app level: the wallet's URL import refuses every forbidden address before connecting.

The fetcher's own matrix is in tests/openbadges/test_fetch.py; this suite drives the web import
(``POST /badges/import`` with a URL) as a holder would, with every socket connect and name lookup
of the test process recorded (tests/hardening/helpers.NetGuard), and a fake resolver mapping
DNS names to forbidden addresses. ASVS 4.0 5.2.6, 12.6.1, 13.1.1; 5.0 1.3.6, 15.3.2, 15.2.2.
"""

from __future__ import annotations

import re
import time

import pytest

from tests.hardening import corpus
from tests.hardening.helpers import db_state
from tests.hardening.helpers import write_figures

# The holder's language is Japanese (tests.conftest.make_user); English for English holders.
# Refused, unresolvable and unreachable addresses share one message (no internal mapping).
REFUSED_TEXTS = (
    "このアドレスからバッジを取得できませんでした",
    "The badge could not be fetched from that address",
)


def _is_refusal(text: str) -> bool:
    return any(marker in text for marker in REFUSED_TEXTS)


def _error_text(response) -> str:
    html = response.get_data(as_text=True)
    # The refusal sits at the control that was used (or above the forms when none was).
    match = re.search(r'class="[^"]*\bimport-error"[^>]*role="alert"[^>]*>(.*?)</div>', html, re.S)
    assert match, html[:2000]
    return re.sub(r"\s+", " ", match.group(1)).strip()


def _page_without_token(response) -> str:
    """Return the page with the per-session CSRF token and the typed URL taken out."""
    html = response.get_data(as_text=True)
    html = re.sub(r'name="csrf_token"[^>]*value="[^"]*"', "", html)
    html = re.sub(r'"X-CSRFToken": "[^"]*"', "", html)
    return re.sub(r'(<input[^>]*name="url"[^>]*value=")[^"]*"', r"\1", html)


def _direct_urls() -> list[str]:
    urls = []
    for host in corpus.ADDRESSES:
        urls.append(f"http://{host}/assertion.json")
        urls.append(f"https://{host}:443/")
        urls.append(f"http://{host}:8080/")
    for name in corpus.DNS_NAMES:
        urls.append(f"http://{name}/assertion.json")
        urls.append(f"https://{name}/")
    return urls


def test_forbidden_addresses_and_names_are_refused_before_any_connection(
    app, signed_in, guard
) -> None:
    """Loopback in every spelling, private, link-local, metadata, names resolving to them."""
    guard.dns.update(corpus.DNS_NAMES)
    before = db_state(app)
    urls = _direct_urls()
    texts: dict[str, list[str]] = {}
    pages: set[str] = set()
    for url in urls:
        response = signed_in.post("/badges/import", data={"url": url})
        assert response.status_code == 422, url
        texts.setdefault(_error_text(response), []).append(url)
        pages.add(_page_without_token(response))
    assert guard.connects == [], guard.connects[:10]
    assert db_state(app) == before
    # One message for every refusal (no oracle telling addresses apart), one identical page.
    assert len(texts) == 1, {text: found[:5] for text, found in texts.items()}
    assert _is_refusal(next(iter(texts)))
    assert len(pages) == 1
    # Names were only ever answered by the fake resolver: nothing reached real DNS.
    assert set(guard.lookups) <= {n.lower() for n in corpus.DNS_NAMES}
    write_figures(
        "ssrf_direct",
        {"urls": len(urls), "connections": len(guard.connects), "distinct_messages": len(texts)},
    )


NON_HTTP = [*corpus.NON_HTTP, "//127.0.0.1/"]


def test_non_http_schemes_are_refused(app, signed_in, guard) -> None:
    before = db_state(app)
    for url in NON_HTTP:
        response = signed_in.post("/badges/import", data={"url": url})
        assert response.status_code == 422, url
        assert "https://" in _error_text(response), _error_text(response)
    assert guard.connects == [] and guard.lookups == []
    assert db_state(app) == before


def _redirect_targets(port: int) -> list[str]:
    return [
        f"http://127.0.0.2:{port}/",
        f"http://0x7f000002:{port}/",
        f"http://2130706434:{port}/",
        f"http://[::1]:{port}/",
        f"http://[::ffff:127.0.0.1]:{port}/",
        f"http://[::ffff:7f00:1]:{port}/",
        f"http://[::127.0.0.1]:{port}/",
        f"http://[64:ff9b::7f00:1]:{port}/",
        f"http://[2002:7f00:1::1]:{port}/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:169.254.169.254]/",
        "http://[fd00:ec2::254]/",
        "http://10.0.0.1/",
        "http://192.168.1.1/",
        "http://100.100.100.200/",
        "http://192.0.0.192/",
        "http://metadata.evil.test/",
        "http://private.evil.test/",
        "http://metadata.google.internal/",
        "http://localhost/",
        f"http://localhost:{port}/",
        "file:///etc/passwd",
        "gopher://127.0.0.1:6379/_INFO",
        "ftp://127.0.0.1/",
    ]


@pytest.mark.loopback_allowed
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirects_from_the_test_host_to_forbidden_targets(
    app, signed_in, guard, hostile_server, status
) -> None:
    """The allowed 127.0.0.1 test server redirects to a forbidden target: not followed."""
    guard.dns.update(corpus.DNS_NAMES)
    before = db_state(app)
    targets = _redirect_targets(hostile_server.port)
    texts = set()
    for target in targets:
        url = hostile_server.url(f"/redirect?status={status}&to={target}")
        response = signed_in.post("/badges/import", data={"url": url})
        assert response.status_code == 422, target
        texts.add(_error_text(response))
    # Exactly one connection per import: the first hop to the test server; no target reached.
    assert guard.outside == []
    assert guard.connects == [("127.0.0.1", hostile_server.port)] * len(targets)
    assert len(texts) == 1 and _is_refusal(texts.pop())
    assert db_state(app) == before


@pytest.mark.loopback_allowed
def test_redirect_loop_stops_after_three_hops(app, signed_in, guard, hostile_server) -> None:
    response = signed_in.post("/badges/import", data={"url": hostile_server.url("/loop")})
    assert response.status_code == 422
    assert len(hostile_server.hits) == 4  # the request and three redirects, then refused
    assert guard.outside == []


@pytest.mark.loopback_allowed
@pytest.mark.parametrize(
    "path, budget",
    [
        ("/drip", 1.5),  # 1 byte every 0.1 s: cut at the import deadline (1.5 s here)
        ("/hang", 1.5),  # headers, then nothing
        ("/huge-length", 0.5),  # Content-Length: 2 GiB: refused on the header
        ("/endless", 1.5),  # chunked without end: cut at the 1 MiB cap
        ("/gzip", 0.5),  # a gzip bomb: encoded bodies are refused
        ("/many-headers", 1.5),
        ("/html", 0.5),
        ("/status?code=500", 0.5),
        ("/status?code=429", 0.5),
    ],
)
def test_misbehaving_servers_are_cut(app, signed_in, guard, hostile_server, path, budget) -> None:
    """Slow, endless, huge and wrong answers: a 422 within the deadline, nothing stored."""
    before = db_state(app)
    started = time.monotonic()
    response = signed_in.post("/badges/import", data={"url": hostile_server.url(path)})
    spent = time.monotonic() - started
    assert response.status_code == 422
    assert spent < budget + 1.0, spent
    assert guard.outside == []
    assert db_state(app) == before
