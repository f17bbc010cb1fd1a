"""nginx (Debian's) in front of gunicorn, configured by deploy/nginx-wallet.conf as shipped: TLS
and the HTTP redirect, HSTS, X-Forwarded-* with WALLET_PROXY_FIX=1 (rate limits and /metrics
key on the real client), request ids end to end, the 12 MB body cap, /static/ served by
nginx, health checks, metrics added up over two workers, no secrets in nginx's access log.

Clients connect from different loopback addresses (127.0.0.2, 127.0.0.3): every packet stays
on this machine.
"""

from __future__ import annotations

import datetime
import http.client
import ipaddress
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests import suite_logs
from tests.servers import free_port
from tests.servers import redis_server
from tests.servers import wait_for_port

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SITE = ROOT / "deploy" / "nginx-wallet.conf"
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
HOST = "wallet.test"
ALLOWED, OTHER = "127.0.0.2", "127.0.0.3"  # two clients; /metrics is open to the first only

pytestmark = pytest.mark.skipif(
    not os.path.exists(NGINX), reason="nginx is not installed (scripts/system_deps.sh, as root)"
)


@dataclass
class Stack:
    """nginx on two ports in front of gunicorn, with their logs."""

    http_port: int
    https_port: int
    ca_file: Path
    app_log: Path
    access_log: Path
    metrics_dir: Path


def _certificates(folder: Path) -> tuple[Path, Path, Path]:
    """Write a CA and a server certificate for wallet.test and 127.0.0.1; return the paths."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "wallet test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.DNSName(HOST), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


def site_config(**values: str) -> str:
    """Return deploy/nginx-wallet.conf with this machine's ports and paths (each one used)."""
    text = SITE.read_text(encoding="utf-8")
    for old, new in values.items():
        assert old in text, f"{SITE.name} no longer has {old!r}: update this test with it"
        text = text.replace(old, new)
    return text


def _stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    process.send_signal(sig)
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    base = tmp_path_factory.mktemp("nginx")
    ca_file, cert_file, key_file = _certificates(base)
    app_port, http_port, https_port = free_port(), free_port(), free_port()
    metrics_dir = base / "metrics"
    with redis_server() as redis_url:
        env = {k: v for k, v in os.environ.items() if not k.startswith("WALLET_")}
        env.update(
            WALLET_ENV="production",
            WALLET_SECRET_KEY="a-test-secret-that-is-long-enough-for-production",
            WALLET_DATABASE_URL=f"sqlite:///{base / 'wallet.db'}",
            WALLET_BASE_URL=f"https://{HOST}",
            WALLET_PROXY_FIX="1",
            WALLET_RATELIMIT_STORAGE_URL=redis_url,
            WALLET_RATELIMIT_LOGIN_IP="3 per minute",
            WALLET_METRICS_ALLOWED_NETWORKS=f"{ALLOWED}/32",
            WALLET_MAIL_OUTBOX_DIR=str(base / "outbox"),
            WALLET_LOG_LEVEL="INFO",
            GUNICORN_BIND=f"127.0.0.1:{app_port}",
            GUNICORN_WORKERS="2",
            PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
            PYTHONDONTWRITEBYTECODE="1",
        )
        upgrade = subprocess.run(
            [str(BIN / "wallet"), "db", "upgrade"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert upgrade.returncode == 0, upgrade.stderr[-2000:]
        app_log = suite_logs.process_log("gunicorn")
        access_log = suite_logs.process_log("nginx-access")
        site = site_config(
            **{
                "listen 80;": f"listen 127.0.0.1:{http_port};",
                "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
                "server_name wallet.example.org;": f"server_name {HOST};",
                "server 127.0.0.1:8000;": f"server 127.0.0.1:{app_port};",
                "/etc/ssl/wallet/fullchain.pem": str(cert_file),
                "/etc/ssl/wallet/privkey.pem": str(key_file),
                "/var/log/nginx/wallet.access.log": str(access_log),
                "/srv/wallet/app/wallet/static/": str(ROOT / "wallet" / "static") + "/",
            }
        )
        (base / "wallet.conf").write_text(site, encoding="utf-8")
        temp = {name: base / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
        (base / "nginx.conf").write_text(
            ("user root root;\n" if os.geteuid() == 0 else "")
            + f"daemon off;\nworker_processes 1;\npid {base / 'nginx.pid'};\n"
            + f"error_log {base / 'error.log'} warn;\n"
            + "events { worker_connections 128; }\n"
            + "http {\n  include /etc/nginx/mime.types;\n  default_type application/octet-stream;\n"
            + "".join(
                f"  {name}_temp_path {path};\n"
                for name, path in (
                    ("client_body", temp["body"]),
                    ("proxy", temp["proxy"]),
                    ("fastcgi", temp["fastcgi"]),
                    ("uwsgi", temp["uwsgi"]),
                    ("scgi", temp["scgi"]),
                )
            )
            + f"  include {base / 'wallet.conf'};\n}}\n",
            encoding="utf-8",
        )
        check = subprocess.run(
            [
                NGINX,
                "-t",
                "-p",
                str(base),
                "-c",
                str(base / "nginx.conf"),
                "-e",
                str(base / "error.log"),
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert check.returncode == 0, check.stderr
        with app_log.open("w") as err:
            gunicorn = subprocess.Popen(
                [str(BIN / "gunicorn"), "-c", str(GUNICORN_CONF), "wsgi:app"],
                cwd=ROOT,
                env=env,
                stdout=err,
                stderr=err,
            )
        nginx = subprocess.Popen(
            [NGINX, "-p", str(base), "-c", str(base / "nginx.conf"), "-e", str(base / "error.log")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            for port in (app_port, http_port, https_port):
                wait_for_port(port, 60)
            stack = Stack(http_port, https_port, ca_file, app_log, access_log, metrics_dir)
            deadline = time.monotonic() + 60
            while fetch(stack, "GET", "/healthz")[0] != 200:  # both workers booted
                assert time.monotonic() < deadline, app_log.read_text()[-3000:]
                time.sleep(0.2)
            yield stack
        finally:
            _stop(nginx, signal.SIGQUIT)
            _stop(gunicorn)


def fetch(
    stack: Stack,
    method: str,
    path: str,
    *,
    source: str = OTHER,
    tls: bool = True,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> tuple[int, http.client.HTTPMessage, bytes]:
    """Send one request to nginx from the loopback address `source`."""
    if tls:
        context = ssl.create_default_context(cafile=str(stack.ca_file))
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            "127.0.0.1", stack.https_port, context=context, source_address=(source, 0), timeout=60
        )
    else:
        connection = http.client.HTTPConnection(
            "127.0.0.1", stack.http_port, source_address=(source, 0), timeout=60
        )
    try:
        connection.request(method, path, body=body, headers={"Host": HOST, **(headers or {})})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def app_lines(stack: Stack) -> list[dict]:
    """Return the app's JSON log lines so far (gunicorn's own lines are not JSON)."""
    found = []
    for line in stack.app_log.read_text(encoding="utf-8").splitlines():
        if line.startswith("{"):
            found.append(json.loads(line))
    return found


def eventually(check, what: str, seconds: float = 10.0):
    """Return check()'s first truthy value (log files are written a moment after the answer)."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def test_plain_http_is_redirected_to_https(stack):
    status, headers, _ = fetch(stack, "GET", "/auth/login?next=/x", tls=False)
    assert status == 301
    assert headers["Location"] == f"https://{HOST}/auth/login?next=/x"


def test_https_pages_say_hsts_and_set_secure_cookies(stack):
    status, headers, body = fetch(stack, "GET", "/auth/login")
    assert status == 200 and b'name="password"' in body
    # The app knows the request came over TLS only from X-Forwarded-Proto (ProxyFix).
    assert headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "Secure" in headers["Set-Cookie"] and "HttpOnly" in headers["Set-Cookie"]


def test_one_request_id_from_nginx_to_the_app_and_back(stack):
    status, headers, _ = fetch(stack, "GET", "/auth/login")
    request_id = headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)  # nginx's $request_id
    line = eventually(
        lambda: [e for e in app_lines(stack) if e.get("request_id") == request_id],
        "the app's line for the request",
    )[0]
    assert line["route"] == "/auth/login" and line["status"] == 200
    assert eventually(lambda: request_id in stack.access_log.read_text(), "nginx's line")


def _login_attempt(stack: Stack, source: str, extra: dict[str, str] | None = None) -> int:
    """Post a wrong password through the real form (CSRF token and cookie) from source."""
    _, headers, page = fetch(stack, "GET", "/auth/login", source=source)
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page)
    if token is None:
        token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token is not None
    cookie = headers["Set-Cookie"].split(";", 1)[0]
    form = urllib.parse.urlencode(
        {
            "csrf_token": token.group(1).decode(),
            "email": "nobody@example.com",
            "password": "not-the-password",
            "next": "",
        }
    ).encode()
    status, _, _ = fetch(
        stack,
        "POST",
        "/auth/login",
        source=source,
        body=form,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": cookie,
            # The CSRF check wants a same-origin Referer: the origin the app rebuilds from
            # X-Forwarded-Host and -Port (443 in production, a free port here).
            "Referer": f"https://{HOST}:{stack.https_port}/auth/login",
            **(extra or {}),
        },
    )
    return status


def test_rate_limits_key_on_the_real_client_not_on_the_proxy_or_a_header(stack):
    first = "127.0.0.4"
    statuses = [_login_attempt(stack, first) for _ in range(4)]
    assert statuses == [422, 422, 422, 429]  # a wrong password is 422; then the limit
    # Another client behind the same proxy is not limited...
    assert _login_attempt(stack, "127.0.0.5") == 422
    # ...and the limited one cannot escape by claiming to be someone else.
    spoofed = {"X-Forwarded-For": "198.51.100.23"}
    assert _login_attempt(stack, first, spoofed) == 429


def test_nginx_refuses_bodies_over_12_mb_before_the_app_sees_them(stack):
    status, headers, _ = fetch(
        stack,
        "POST",
        "/badges/import",
        body=b"x" * (13 * 1024 * 1024),
        headers={"Content-Type": "application/octet-stream"},
    )
    assert status == 413
    assert "X-Request-ID" not in headers  # the app answers every request it sees with one
    status, headers, _ = fetch(
        stack,
        "POST",
        "/badges/import",
        body=b"x" * (11 * 1024 * 1024),
        headers={"Content-Type": "application/octet-stream"},
    )
    assert status != 413 and "X-Request-ID" in headers  # passed on to the app


def test_static_files_come_from_nginx(stack):
    status, headers, body = fetch(stack, "GET", "/static/css/app.css")
    assert status == 200
    assert body == (ROOT / "wallet" / "static" / "css" / "app.css").read_bytes()
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "X-Request-ID" not in headers  # never reached gunicorn
    assert not [e for e in app_lines(stack) if e.get("route", "").startswith("/static")]


def test_health_checks_through_the_proxy(stack):
    status, headers, body = fetch(stack, "GET", "/healthz")
    assert status == 200 and json.loads(body) == {"status": "ok"}
    assert headers["Cache-Control"] == "no-store"
    status, _, body = fetch(stack, "GET", "/readyz")
    report = json.loads(body)
    assert status == 200, report
    assert set(report["checks"]) == {"database", "redis_ratelimit"}


def test_metrics_add_up_both_workers_and_answer_the_allowed_client_only(stack):
    assert fetch(stack, "GET", "/metrics", source=OTHER)[0] == 404
    spoofed = {"X-Forwarded-For": ALLOWED}
    assert fetch(stack, "GET", "/metrics", source=OTHER, headers=spoofed)[0] == 404

    def count(text: str) -> float:
        pattern = r'wallet_http_requests_total\{endpoint="main.index",method="GET",status="200"\}'
        match = re.search(pattern + r" ([0-9.e+]+)", text)
        return float(match.group(1)) if match else 0.0

    status, _, before = fetch(stack, "GET", "/metrics", source=ALLOWED)
    assert status == 200
    for _ in range(20):
        assert fetch(stack, "GET", "/")[0] == 200
    _, _, after = fetch(stack, "GET", "/metrics", source=ALLOWED)
    assert count(after.decode()) - count(before.decode()) == 20
    # Every worker wrote its own counts; /metrics added them up (multiprocess mode).
    writers = {p.name.rsplit("_", 1)[1] for p in stack.metrics_dir.glob("counter_*.db")}
    assert len(writers) >= 2


def test_mailed_secrets_stay_out_of_nginxs_access_log(stack):
    fetch(stack, "GET", "/auth/reset/secret-reset-token-123")
    fetch(stack, "GET", "/claim/secret-claim-token-456")
    text = eventually(
        lambda: (t := stack.access_log.read_text()) and "/claim/-" in t and t, "the log lines"
    )
    assert "/auth/reset/-" in text
    assert "secret-reset-token-123" not in text and "secret-claim-token-456" not in text
