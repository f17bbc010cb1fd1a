"""The hostile corpus (notes/security.md §4, R1) through every entry point, with figures.

Entry points: web upload, web paste, web URL import, registration and account forms,
`wallet badges import` (file and URL) and `wallet verify` (file and URL). Figures: 500s,
tracebacks (CLI output and ERROR log records carrying an exception), database changes after
rejected inputs (row counts + checksum of every table), connections outside the test's servers.
ASVS 4.0 5.1.3, 5.2.6, 5.5.2, 12.1.1, 12.1.2, 12.6.1; 5.0 1.5.1, 5.2.1–5.2.3, 5.2.6, 16.5.3.
"""

from __future__ import annotations

import io
import time
from collections import Counter
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.conftest import PASSWORD
from tests.conftest import make_user
from tests.hardening import corpus
from tests.hardening.helpers import db_state
from tests.hardening.helpers import error_log
from tests.hardening.helpers import net_guard
from tests.hardening.helpers import write_counter
from tests.hardening.helpers import write_figures

# The signed-in client's own session notes when it was last used (once a minute at most): that
# is bookkeeping of the request, not something a rejected input changed.
IGNORED = {"user_sessions": {"last_seen_at"}}
EXTENSIONS = {"P": "png", "S": "svg", "J": "json", "W": "jwt"}
REFUSED = {400, 413, 422}


class Tally:
    """Per entry point: inputs tried, accepted, 500s, tracebacks, rejected inputs that wrote."""

    def __init__(self) -> None:
        self.tried: Counter[str] = Counter()
        self.accepted: Counter[str] = Counter()
        self.errors_500: dict[str, list[str]] = defaultdict(list)
        self.tracebacks: dict[str, list[str]] = defaultdict(list)
        self.leaks: dict[str, list[str]] = defaultdict(list)
        self.unexpected: dict[str, list[str]] = defaultdict(list)
        self.slowest: tuple[float, str] = (0.0, "")
        self.seconds: Counter[str] = Counter()


def _figures(tally: Tally, guard: Any, log: Any, seconds: float) -> dict[str, Any]:
    return {
        "inputs_by_entry_point": dict(tally.tried),
        "inputs_total": sum(tally.tried.values()),
        "accepted_by_entry_point": dict(tally.accepted),
        "http_500": sum(len(v) for v in tally.errors_500.values()),
        "tracebacks": sum(len(v) for v in tally.tracebacks.values()) + len(log.tracebacks),
        "db_changes_after_rejection": sum(len(v) for v in tally.leaks.values()),
        "unexpected_status": sum(len(v) for v in tally.unexpected.values()),
        "outside_connections": len(guard.outside),
        "connections_total": len(guard.connects),
        "error_log_records": len(log.records),
        "slowest_item": {"seconds": round(tally.slowest[0], 2), "case": tally.slowest[1]},
        "seconds": round(seconds, 1),
        "seconds_by_entry_point": {k: round(v, 1) for k, v in tally.seconds.items()},
    }


# Werkzeug leaves the spooled part of a truncated multipart body for the garbage collector.
@pytest.mark.filterwarnings(
    "ignore:Exception ignored in.*SpooledTemporaryFile:pytest.PytestUnraisableExceptionWarning"
)
def test_hostile_corpus_through_every_entry_point(app, tmp_path: Path, monkeypatch) -> None:
    items = corpus.byte_corpus()
    urls = corpus.hostile_urls()
    with app.app_context():
        make_user()
        make_user("other@example.com", verified=True)
    client = app.test_client()
    response = client.post("/auth/login", data={"email": "taro@example.com", "password": PASSWORD})
    assert response.status_code in (302, 303)
    cli = app.test_cli_runner()
    from wallet.cli.verify import verify

    verify_runner = CliRunner()
    tally = Tally()
    started = time.monotonic()
    state = db_state(app, IGNORED)

    clock = [time.monotonic()]
    written = [write_counter(app)]

    def settle(entry: str, case: str, status: int | None, accepted: bool, output: str = "") -> None:
        nonlocal state
        now = time.monotonic()
        tally.seconds[entry] += now - clock[0]
        tally.tried[entry] += 1
        if status is not None and status >= 500:
            tally.errors_500[entry].append(f"{case}: {status}")
        if "Traceback (most recent call last)" in output:
            tally.tracebacks[entry].append(case)
        counter = write_counter(app)
        if counter is not None and counter == written[0]:
            after = state
        else:
            after = db_state(app, IGNORED)
        written[0] = counter
        if accepted:
            tally.accepted[entry] += 1
        elif after != state:
            changed = sorted(t for t in after if after[t] != state.get(t))
            tally.leaks[entry].append(f"{case}: {changed}")
        state = after
        clock[0] = time.monotonic()

    def timed(case: str, started_at: float) -> None:
        spent = time.monotonic() - started_at
        if spent > tally.slowest[0]:
            tally.slowest = (spent, case)

    with error_log() as log, net_guard(monkeypatch) as guard:
        guard.dns.update(corpus.DNS_NAMES)
        files_dir = tmp_path / "corpus"
        files_dir.mkdir()
        for item in items:
            extension = EXTENSIONS[item.case[0]]
            # web upload
            t0 = time.monotonic()
            response = client.post(
                "/badges/import", **multipart(file=(item.data, f"{item.case}.{extension}"))
            )
            accepted = response.status_code in (302, 303)
            if not accepted and response.status_code not in REFUSED:
                tally.unexpected["web-upload"].append(f"{item.case}: {response.status_code}")
            settle("web-upload", item.case, response.status_code, accepted, response.get_data(True))
            timed(item.case, t0)
            # web paste: the bytes as text, as a browser would send a pasted document
            text = item.data.decode("utf-8", "replace")
            if item.case[0] != "P" and text.strip():
                response = client.post("/badges/import", **multipart(text=text))
                accepted = response.status_code in (302, 303)
                if not accepted and response.status_code not in REFUSED:
                    tally.unexpected["web-paste"].append(f"{item.case}: {response.status_code}")
                settle(
                    "web-paste", item.case, response.status_code, accepted, response.get_data(True)
                )
            # CLI: wallet badges import and wallet verify
            path = files_dir / f"{item.case}.{extension}"
            path.write_bytes(item.data)
            result = cli.invoke(args=["badges", "import", "taro@example.com", str(path), "--json"])
            _cli_tally(tally, "cli-import", item.case, result)
            settle("cli-import", item.case, None, result.exit_code == 0, result.output)
            result = verify_runner.invoke(verify, [str(path), "--offline", "--json"])
            _cli_tally(tally, "cli-verify", item.case, result, ok_codes=(0, 1, 2))
            settle("cli-verify", item.case, None, False, result.output)
            path.unlink()

        for case, url in urls:
            t0 = time.monotonic()
            response = client.post("/badges/import", data={"url": url})
            if response.status_code not in REFUSED:
                tally.unexpected["web-url"].append(f"{case}: {response.status_code}")
            settle("web-url", case, response.status_code, False, response.get_data(True))
            timed(case, t0)
            result = cli.invoke(args=["badges", "import", "taro@example.com", url])
            _cli_tally(tally, "cli-import-url", case, result, ok_codes=(1,))
            settle("cli-import-url", case, None, False, result.output)
            result = verify_runner.invoke(verify, [url, "--json"])
            _cli_tally(tally, "cli-verify-url", case, result, ok_codes=(1, 2))
            settle("cli-verify-url", case, None, False, result.output)

        _oversized_bodies(client, tally, settle)
        _forms(app, client, tally, settle)

    figures = _figures(tally, guard, log, time.monotonic() - started)
    write_figures("corpus", figures)
    assert figures["inputs_total"] >= 1000
    assert len(items) + len(urls) >= 1000
    assert not tally.errors_500, dict(tally.errors_500)
    assert not tally.tracebacks, dict(tally.tracebacks)
    assert not log.tracebacks, log.describe()
    assert not tally.leaks, dict(tally.leaks)
    assert not tally.unexpected, dict(tally.unexpected)
    assert guard.outside == [], guard.outside[:20]
    assert guard.connects == [], "no input may make the wallet connect anywhere"
    # Every valid baseline went in once; the hostile bulk did not.
    assert tally.accepted["web-upload"] < len(items) // 4


def multipart(**fields: Any) -> dict[str, Any]:
    """Return post() arguments with a pre-encoded multipart body (no temporary files)."""
    values = {
        name: FileStorage(io.BytesIO(value[0]), filename=value[1], name=name)
        if isinstance(value, tuple)
        else value
        for name, value in fields.items()
    }
    boundary, body = encode_multipart(values)
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


def _cli_tally(tally: Tally, entry: str, case: str, result: Any, ok_codes=(0, 1)) -> None:
    """Count a CLI run: an exception other than SystemExit is a traceback."""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        tally.tracebacks[entry].append(f"{case}: {result.exception!r}")
    elif result.exit_code not in ok_codes:
        tally.unexpected[entry].append(f"{case}: exit {result.exit_code}")


def _oversized_bodies(client: Any, tally: Tally, settle: Any) -> None:
    """Bodies over the caps: 13 MB upload, 11 MB file, 3 MB paste, 1,001 parts, 10 MB form."""
    cases = {
        "H-13mb-upload": multipart(file=(b"\x89PNG" + b"\0" * 13_000_000, "big.png")),
        "H-11mb-file": multipart(file=(b"\x89PNG" + b"\0" * 11_000_000, "big.png")),
        "H-3mb-paste": multipart(text="{" + " " * 3_000_000 + "}"),
        "H-1001-parts": multipart(**{f"f{i}": "x" for i in range(1001)}),
        "H-10mb-form": multipart(text="x" * 10_000_000),
        "H-10mb-urlencoded": dict(
            data=b"text=" + b"x" * 10_000_000, content_type="application/x-www-form-urlencoded"
        ),
        "H-2001-char-url": dict(data={"url": "https://issuer.example/" + "a" * 2001}),
        "H-wrong-content-type": dict(
            data=b'{"url": "http://127.0.0.1/"}', content_type="application/json"
        ),
        "H-bad-multipart": dict(
            data=b"--x\r\nContent-Disposition: form-data; name=file; filename=a.png\r\n\r\n\x89PNG",
            content_type="multipart/form-data; boundary=x",
        ),
        "H-crlf-filename": multipart(file=(corpus.valid_png(), "a\r\nSet-Cookie: x=1.png")),
        "H-traversal-filename": multipart(file=(b"x", "../../etc/passwd")),
    }
    for case, kwargs in cases.items():
        response = client.post("/badges/import", **kwargs)
        accepted = response.status_code in (302, 303)
        if not accepted and response.status_code not in REFUSED:
            tally.unexpected["web-http"].append(f"{case}: {response.status_code}")
        settle("web-http", case, response.status_code, accepted, response.get_data(True))


def _forms(app: Any, client: Any, tally: Tally, settle: Any) -> None:
    """Registration, sign-in, reset and account forms with hostile values in every field."""
    visitor = app.test_client()
    base = {
        "email": "new@example.com",
        "family_name": "山田",
        "given_name": "花子",
        "family_name_kana": "",
        "given_name_kana": "",
        "romanized_name": "",
        "name_order": "family-first",
        "language": "ja",
        "password": "Lantern+orbit7",
        "password_confirm": "Lantern+orbit7",
    }
    counter = 0
    for field in base:
        values = corpus.FORM_VALUES + (corpus.EMAILS if field == "email" else [])
        values += corpus.PASSWORDS if field.startswith("password") else []
        for value in values:
            counter += 1
            data = dict(base, email=f"reg{counter}@example.com")
            data[field] = value
            response = visitor.post("/auth/register", data=data)
            _form_result(tally, settle, "form-register", f"{field}={value[:20]!r}", response)
    for value in corpus.FORM_VALUES + corpus.EMAILS:
        for data in (
            {"email": value, "password": "x"},
            {"email": "taro@example.com", "password": value},
        ):
            response = visitor.post("/auth/login", data=data)
            _form_result(tally, settle, "form-login", repr(data)[:60], response, ok=(200,))
        response = visitor.post("/auth/forgot", data={"email": value})
        _form_result(tally, settle, "form-forgot", repr(value)[:40], response)
        response = visitor.post(
            "/auth/reset/" + "x" * 10, data={"password": value, "password_confirm": value}
        )
        _form_result(tally, settle, "form-reset", repr(value)[:40], response)
        response = visitor.post("/language", data={"lang": value, "next": value})
        _form_result(tally, settle, "form-language", repr(value)[:40], response)
    settings = {
        "family_name": "コンクリート",
        "given_name": "太郎",
        "name_order": "family-first",
        "language": "ja",
        "default_visibility": "public",
    }
    for field in [
        *settings,
        "family_name_kana",
        "romanized_name",
        "profile_public",
        "email",
        "role",
    ]:
        for value in corpus.FORM_VALUES:
            data = dict(settings)
            data[field] = value
            response = client.post("/account", data=data)
            _form_result(tally, settle, "form-settings", f"{field}={value[:20]!r}", response)
    for value in corpus.FORM_VALUES + corpus.PASSWORDS:
        data = {"current_password": value, "password": value, "password_confirm": value}
        response = client.post("/account/password", data=data)
        _form_result(tally, settle, "form-password", repr(value)[:40], response)
    for value in corpus.FORM_VALUES:
        for path in (f"/?q={value[:3000]}", f"/?status={value[:200]}&page={value[:50]}"):
            response = client.get(path)
            _form_result(tally, settle, "query-string", repr(value)[:40], response, ok=(200,))


def _form_result(
    tally: Tally, settle: Any, entry: str, case: str, response: Any, ok=(302, 303)
) -> None:
    """Record a form answer: redirects count as accepted, 4xx must not have written."""
    status = response.status_code
    accepted = status in ok and status in (302, 303)
    if status not in ok and status not in (REFUSED | {200, 429}):
        tally.unexpected[entry].append(f"{case}: {status}")
    settle(entry, case, status, accepted, response.get_data(True))
