"""Tests for `wallet verify`: exit codes, JSON contract, languages, fetcher wiring, no Flask."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import wallet.openbadges as openbadges
from wallet.cli.verify import choose_language
from wallet.cli.verify import verify
from wallet.openbadges.errors import ParseError
from wallet.openbadges.fetch import Fetcher
from wallet.openbadges.messages import message
from wallet.openbadges.model import Achievement
from wallet.openbadges.model import Check
from wallet.openbadges.model import Credential
from wallet.openbadges.model import Profile
from wallet.openbadges.model import VerificationReport

ROOT = Path(__file__).resolve().parents[1]
PYTHON = ROOT / ".venv" / "bin" / "python"
CLEAN_ENV = {
    key: value
    for key, value in os.environ.items()
    if not key.startswith(("WALLET_", "LC_", "LANG"))
}


def _invoke(args: list[str], env: dict[str, str] | None = None, stdin: bytes | None = None) -> Any:
    runner = CliRunner()
    environment = {"WALLET_LANG": "en", "WALLET_DEBUG": "", "WALLET_FETCH_ALLOWED_NETWORKS": ""}
    environment.update(env or {})
    return runner.invoke(verify, args, env=environment, input=stdin, catch_exceptions=True)


# --- a fake library verify: the command's own behaviour, independent of the verifier ---------


class _FakeVerify:
    """Stands in for wallet.openbadges.verify and remembers how it was called."""

    def __init__(self, report: VerificationReport | None = None, error: Exception | None = None):
        self.report = report
        self.error = error
        self.calls: list[dict[str, Any]] = []

    def __call__(self, source: bytes | str, *, fetcher: Fetcher, now: datetime) -> Any:
        self.calls.append({"source": source, "fetcher": fetcher, "now": now})
        if self.error is not None:
            raise self.error
        return self.report


def _report(*checks: Check) -> VerificationReport:
    credential = Credential(
        spec="2.0",
        format="json",
        achievement=Achievement(name="コンクリート技士"),
        issuer=Profile(id="https://issuer.example/i.json", name="Concrete Institute"),
        issued_on=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        expires=None,
    )
    return VerificationReport(checks=checks, credential=credential, spec="2.0", format="json")


@pytest.fixture()
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[_FakeVerify]:
    """Replace the library verify with a fake returning a valid report."""
    stub = _FakeVerify(_report(Check("proof", "passed", "input.unreadable", detail="tech note")))
    monkeypatch.setattr(openbadges, "verify", stub, raising=False)
    yield stub


def test_json_document_shape(fake: _FakeVerify, tmp_path: Path) -> None:
    """--json prints exactly the contract's keys; dates ISO 8601; detail = message + detail."""
    source = tmp_path / "a.json"
    source.write_bytes(b"{}")
    result = _invoke([str(source), "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document == {
        "result": "valid",
        "spec": "2.0",
        "format": "json",
        "checks": [
            {
                "id": "proof",
                "status": "passed",
                "detail": "The file or text could not be read. (tech note)",
            }
        ],
        "badge": {
            "name": "コンクリート技士",
            "issuer": {"id": "https://issuer.example/i.json", "name": "Concrete Institute"},
            "issued_on": "2024-01-02T03:04:05Z",
            "expires": None,
        },
    }
    assert fake.calls[0]["source"] == b"{}"
    assert result.stderr == ""


def test_exit_one_for_any_other_result(fake: _FakeVerify, tmp_path: Path) -> None:
    """Every non-valid result exits 1, and the human report marks each check."""
    fake.report = _report(
        Check("proof", "passed", "x"),
        Check("expiry", "failed", "x", outcome="expired"),
        Check("recipient", "warning", "x"),
        Check("revocation", "skipped", "x"),
        Check("status", "unsupported", "x"),
    )
    source = tmp_path / "a.json"
    source.write_bytes(b"{}")
    result = _invoke([str(source)])
    assert result.exit_code == 1
    assert "Result: unverifiable" in result.stdout
    for mark, check in [("✓", "proof"), ("✗", "expiry"), ("!", "recipient"), ("–", "revocation")]:
        assert f"  {mark} {check}: x" in result.stdout
    assert "  ? status: x" in result.stdout
    for outcome in ("expired", "revoked", "not_yet_valid", "invalid"):
        fake.report = _report(Check("c", "failed", "x", outcome=outcome))  # type: ignore[arg-type]
        again = _invoke([str(source), "--json"])
        assert (again.exit_code, json.loads(again.stdout)["result"]) == (1, outcome)


def test_now_is_passed_to_the_verifier(fake: _FakeVerify, tmp_path: Path) -> None:
    """--now accepts ISO 8601 with Z, offsets, naive (UTC) and plain dates."""
    source = tmp_path / "a.json"
    source.write_bytes(b"{}")
    expectations = {
        "2031-05-06T07:08:09Z": datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC),
        "2031-05-06T16:08:09+09:00": datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC),
        "2031-05-06T07:08:09": datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC),
        "2031-05-06": datetime(2031, 5, 6, tzinfo=UTC),
    }
    for text, expected in expectations.items():
        assert _invoke([str(source), "--now", text]).exit_code == 0
        assert fake.calls[-1]["now"] == expected
    before = datetime.now(UTC)
    _invoke([str(source)])
    assert before <= fake.calls[-1]["now"] <= datetime.now(UTC)


def test_stdin_and_url_sources(fake: _FakeVerify) -> None:
    """`-` reads stdin bytes; an http(s) SOURCE is handed over as the URL string."""
    assert _invoke(["-"], stdin=b'{"from": "stdin"}').exit_code == 0
    assert fake.calls[-1]["source"] == b'{"from": "stdin"}'
    assert _invoke(["https://issuer.example/a.json", "--offline"]).exit_code == 0
    assert fake.calls[-1]["source"] == "https://issuer.example/a.json"


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["{missing}"], "cli.source_unreadable"),
        (["{dir}"], "cli.source_unreadable"),
        (["{file}", "--now", "next tuesday"], "cli.bad_now"),
        (["{file}", "--url-map", "https://i.example/"], "cli.bad_url_map"),
        (["{file}", "--url-map", "https://i.example/={missing}"], "cli.bad_url_map"),
    ],
)
def test_unusable_source_or_option_exits_two(
    fake: _FakeVerify, tmp_path: Path, args: list[str], code: str
) -> None:
    """Unreadable SOURCE or bad options: exit 2, one line on stderr, JSON error on stdout."""
    (tmp_path / "f.json").write_bytes(b"{}")
    values = {"missing": str(tmp_path / "nope.png"), "dir": str(tmp_path), "file": str(tmp_path)}
    values["file"] = str(tmp_path / "f.json")
    filled = [arg.format(**values) for arg in args]
    result = _invoke([*filled, "--json"])
    assert result.exit_code == 2
    document = json.loads(result.stdout)
    assert document["result"] is None
    assert document["error"]["code"] == code
    assert result.stderr.startswith("wallet verify: ")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.output
    assert fake.calls == []


def test_library_badge_error_exits_two(fake: _FakeVerify, tmp_path: Path) -> None:
    """A BadgeError from the library is an unreadable input: exit 2 with its translated code."""
    fake.error = ParseError("broken PNG")
    source = tmp_path / "a.png"
    source.write_bytes(b"\x89PNG broken")
    result = _invoke([str(source), "--json", "--lang", "ja"])
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"] == {
        "code": "input.malformed",
        "message": "バッジのファイルとして正しい形式ではありません。",
    }
    assert "バッジのファイル" in result.stderr


def test_unexpected_error_is_one_line_unless_debug(fake: _FakeVerify, tmp_path: Path) -> None:
    """An unexpected exception never prints a traceback; WALLET_DEBUG=1 re-raises it."""
    fake.error = RuntimeError("boom at 0xdeadbeef")
    source = tmp_path / "a.json"
    source.write_bytes(b"{}")
    result = _invoke([str(source)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output and "boom" not in result.output
    assert "internal error" in result.stderr
    debug = _invoke([str(source)], env={"WALLET_DEBUG": "1"})
    assert isinstance(debug.exception, RuntimeError)


def test_bad_allowed_networks_env(fake: _FakeVerify, tmp_path: Path) -> None:
    """A broken WALLET_FETCH_ALLOWED_NETWORKS is reported, not a crash."""
    source = tmp_path / "a.json"
    source.write_bytes(b"{}")
    result = _invoke([str(source)], env={"WALLET_FETCH_ALLOWED_NETWORKS": "127.0.0.1/99"})
    assert result.exit_code == 2
    assert "WALLET_FETCH_ALLOWED_NETWORKS" in result.stderr


def test_language_choice() -> None:
    """--lang, then WALLET_LANG, then LC_ALL / LC_MESSAGES / LANG; default English."""
    assert choose_language("en", {"WALLET_LANG": "ja"}) == "en"
    assert choose_language(None, {"WALLET_LANG": "ja_JP", "LANG": "en_US.UTF-8"}) == "ja"
    assert choose_language(None, {"WALLET_LANG": "en", "LANG": "ja_JP.UTF-8"}) == "en"
    assert choose_language(None, {"LANG": "ja_JP.UTF-8"}) == "ja"
    assert choose_language(None, {"LC_ALL": "C", "LANG": "ja_JP.UTF-8"}) == "en"
    assert choose_language(None, {"LC_ALL": "ja_JP.eucJP"}) == "ja"
    assert choose_language(None, {}) == "en"


def test_human_report_in_japanese_from_lang(fake: _FakeVerify, tmp_path: Path) -> None:
    """LANG=ja_JP gives the Japanese report."""
    source = tmp_path / "a.json"
    source.write_bytes(b"{}")
    result = _invoke([str(source)], env={"WALLET_LANG": "", "LANG": "ja_JP.UTF-8"})
    assert result.exit_code == 0
    assert "結果: 有効" in result.stdout
    assert "ファイルまたはテキストを読み取れませんでした。" in result.stdout


def test_issuer_text_cannot_drive_the_terminal(fake: _FakeVerify, tmp_path: Path) -> None:
    """Escape sequences in issuer data are neutralised in the human report."""
    fake.report = VerificationReport(
        checks=(Check("proof", "passed", "x"),),
        credential=Credential(
            spec="2.0",
            format="json",
            achievement=Achievement(name="\x1b[2J\x1b]0;pwned\x07Badge\u202e"),
            issuer=Profile(name="I"),
        ),
        spec="2.0",
        format="json",
    )
    source = tmp_path / "a.json"
    source.write_bytes(b"{}")
    result = _invoke([str(source)])
    assert "\x1b" not in result.stdout and "\u202e" not in result.stdout
    assert "Badge" in result.stdout


# --- fetcher wiring: --offline, --url-map precedence ----------------------------------------


class _FetchingVerify(_FakeVerify):
    """A fake verify that fetches its URL source with the fetcher it was given."""

    def __call__(self, source: bytes | str, *, fetcher: Fetcher, now: datetime) -> Any:
        super().__call__(source, fetcher=fetcher, now=now)
        assert isinstance(source, str)
        response = fetcher.fetch(source)
        self.calls[-1]["response"] = response
        return _report(Check("fetched", "passed", "x", detail=str(response.status)))


@pytest.fixture()
def listener() -> Iterator[socket.socket]:
    """A loopback socket that must receive no connection."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.setblocking(False)
    yield sock
    sock.close()


def test_offline_never_touches_the_network(
    monkeypatch: pytest.MonkeyPatch, listener: socket.socket, tmp_path: Path
) -> None:
    """--offline refuses even an allow-listed loopback URL; url-map answers still work."""
    stub = _FetchingVerify()
    monkeypatch.setattr(openbadges, "verify", stub, raising=False)
    port = listener.getsockname()[1]
    url = f"http://127.0.0.1:{port}/a.json"
    env = {"WALLET_FETCH_ALLOWED_NETWORKS": "127.0.0.1/32"}
    result = _invoke([url, "--offline", "--json"], env=env)
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["code"].startswith("fetch.")
    time.sleep(0.02)
    with pytest.raises(BlockingIOError):
        listener.accept()[0].close()
    (tmp_path / "a.json").write_text("{}")
    mapped = _invoke(
        [url, "--offline", "--url-map", f"http://127.0.0.1:{port}/={tmp_path}"], env=env
    )
    assert mapped.exit_code == 0, mapped.output
    assert stub.calls[-1]["response"].body == b"{}"


def test_url_map_takes_precedence_online(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Without --offline, mapped prefixes are answered locally; others go to the HttpFetcher."""
    stub = _FetchingVerify()
    monkeypatch.setattr(openbadges, "verify", stub, raising=False)
    (tmp_path / "k.json").write_text('{"k": 1}')
    result = _invoke(
        [
            "https://issuer.example/keys/k.json",
            "--url-map",
            f"https://issuer.example/keys/={tmp_path}",
        ]
    )
    assert result.exit_code == 0, result.output
    assert stub.calls[-1]["response"].body == b'{"k": 1}'
    # Not mapped, and loopback without an allow-list: the real fetcher refuses it.
    refused = _invoke(["http://127.0.0.1:9/x.json", "--json"])
    assert refused.exit_code == 2
    error = json.loads(refused.stdout)["error"]
    assert error["code"] == "fetch.refused"
    # Refused, timed out, too large: one message for all, naming no address (security.md S13).
    assert error["message"] == message("fetch.failed", "en")
    assert "127.0.0.1" not in refused.stderr


# --- a real process: the console path must not load Flask ------------------------------------


def _imported_modules(stderr: str) -> set[str]:
    names = set()
    for line in stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip())
    return names


@pytest.mark.parametrize(
    "command",
    [
        [str(PYTHON), "-m", "wallet.cli.verify"],
        [
            str(PYTHON),
            "-c",
            "import sys; from wallet.cli.console import main; sys.argv[0] = 'wallet'; "
            "sys.argv.insert(1, 'verify'); main()",
        ],
    ],
    ids=["module", "console"],
)
def test_real_process_without_flask(command: list[str], tmp_path: Path) -> None:
    """A real process verifies garbage: exit 2, one clean line, and Flask is never imported."""
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(b"\x00\x01 not a badge at all \xff")
    env = {**CLEAN_ENV, "PYTHONPROFILEIMPORTTIME": "1", "WALLET_LANG": "en"}
    started = time.monotonic()
    completed = subprocess.run(
        [*command, str(garbage), "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )
    elapsed = time.monotonic() - started
    modules = _imported_modules(completed.stderr)
    assert "wallet.cli.verify" in modules or "click" in modules
    assert not {name for name in modules if name == "flask" or name.startswith("flask.")}
    assert not {name for name in modules if name.startswith(("sqlalchemy", "werkzeug", "jinja2"))}
    assert completed.returncode == 2, completed.stderr[-2000:]
    document = json.loads(completed.stdout)
    assert document["result"] is None and document["error"]["code"].startswith("input.")
    messages = [line for line in completed.stderr.splitlines() if not line.startswith("import")]
    assert len(messages) == 1 and messages[0].startswith("wallet verify: ")
    assert "Traceback" not in completed.stderr
    assert elapsed < 10  # generous: CI machines vary; the bench script measures the real figure
    assert sys.executable  # the test process itself may have Flask; only the child matters


# --- with the real library: an OB 2.0 hosted assertion served through --url-map -------------

ISSUER = "https://issuer.example"


def _hosted_badge(root: Path, base: str = ISSUER, **assertion_extra: Any) -> Path:
    """Write an OB 2.0 hosted assertion, its BadgeClass and Issuer under ``root``."""
    context = "https://w3id.org/openbadges/v2"
    assertion = {
        "@context": context,
        "type": "Assertion",
        "id": f"{base}/assertions/1.json",
        "recipient": {"type": "email", "hashed": False, "identity": "holder@example.org"},
        "badge": f"{base}/badges/b.json",
        "verification": {"type": "hosted"},
        "issuedOn": "2024-01-01T00:00:00Z",
        "expires": "2030-01-01T00:00:00Z",
        **assertion_extra,
    }
    badge_class = {
        "@context": context,
        "type": "BadgeClass",
        "id": f"{base}/badges/b.json",
        "name": "Concrete Technician",
        "description": "Passed the concrete technician examination.",
        "image": f"{base}/badges/b.png",
        "criteria": {"narrative": "Pass the exam."},
        "issuer": f"{base}/issuer.json",
    }
    issuer = {
        "@context": context,
        "type": "Issuer",
        "id": f"{base}/issuer.json",
        "name": "Concrete Institute",
        "url": base,
        "email": "badges@issuer.example",
    }
    (root / "assertions").mkdir(parents=True, exist_ok=True)
    (root / "badges").mkdir(exist_ok=True)
    (root / "assertions" / "1.json").write_text(json.dumps(assertion))
    (root / "badges" / "b.json").write_text(json.dumps(badge_class))
    (root / "issuer.json").write_text(json.dumps(issuer))
    return root / "assertions" / "1.json"


def test_real_valid_hosted_badge_offline(tmp_path: Path) -> None:
    """A hosted OB 2.0 assertion verifies offline through --url-map: exit 0, full JSON."""
    source = _hosted_badge(tmp_path)
    mapping = f"{ISSUER}/={tmp_path}"
    result = _invoke(
        [str(source), "--json", "--offline", "--url-map", mapping, "--now", "2025-06-01T00:00:00Z"]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert set(document) == {"result", "spec", "format", "checks", "badge"}
    assert (document["result"], document["spec"], document["format"]) == ("valid", "2.0", "json")
    assert document["badge"] == {
        "name": "Concrete Technician",
        "issuer": {"id": f"{ISSUER}/issuer.json", "name": "Concrete Institute"},
        "issued_on": "2024-01-01T00:00:00Z",
        "expires": "2030-01-01T00:00:00Z",
    }
    assert document["checks"]
    for check in document["checks"]:
        assert set(check) == {"id", "status", "detail"}
        assert check["status"] in {"passed", "failed", "warning", "skipped", "unsupported"}
        assert isinstance(check["detail"], str) and check["detail"]
    by_url = _invoke([f"{ISSUER}/assertions/1.json", "--json", "--offline", "--url-map", mapping])
    assert by_url.exit_code == 0, by_url.output
    assert json.loads(by_url.stdout)["format"] == "url"


def test_real_now_makes_it_expired(tmp_path: Path) -> None:
    """--now after the expiry date gives "expired" and exit 1."""
    source = _hosted_badge(tmp_path)
    args = [str(source), "--offline", "--url-map", f"{ISSUER}/={tmp_path}"]
    result = _invoke([*args, "--json", "--now", "2031-01-01T00:00:00Z"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["result"] == "expired"
    human = _invoke([*args, "--now", "2031-01-01", "--lang", "ja"])
    assert human.exit_code == 1
    assert "結果: 有効期限切れ" in human.stdout


def test_real_revoked_hosted_copy(tmp_path: Path) -> None:
    """The hosted copy saying revoked: true makes the result "revoked" (exit 1)."""
    source = _hosted_badge(tmp_path)
    _hosted_badge(tmp_path / "hosted", revoked=True)
    (tmp_path / "hosted" / "badges").mkdir(exist_ok=True)
    result = _invoke(
        [str(source), "--json", "--offline", "--url-map", f"{ISSUER}/={tmp_path / 'hosted'}"]
    )
    assert result.exit_code == 1
    assert json.loads(result.stdout)["result"] == "revoked"


def test_real_offline_without_map_is_unverifiable(tmp_path: Path) -> None:
    """Offline with no map: the hosted copy cannot be had, so "unverifiable", exit 1."""
    source = _hosted_badge(tmp_path)
    result = _invoke([str(source), "--json", "--offline"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["result"] == "unverifiable"


def test_real_url_source_offline_is_unreadable() -> None:
    """A URL SOURCE with --offline and no map cannot be read: exit 2."""
    result = _invoke([f"{ISSUER}/assertions/1.json", "--offline", "--json"])
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["code"].startswith("fetch.")


@pytest.mark.parametrize(
    "payload",
    [b"", b"{", b"not a badge", b'{"hello": "world"}', b"\x89PNG\r\n\x1a\n\x00\x00", b"<svg"],
)
def test_real_garbage_exits_two(payload: bytes, tmp_path: Path) -> None:
    """Garbage input: exit 2, one clear line on stderr, a JSON error, never a traceback."""
    source = tmp_path / "input.bin"
    source.write_bytes(payload)
    result = _invoke([str(source), "--json"])
    assert result.exit_code == 2, result.output
    error = json.loads(result.stdout)["error"]
    assert error["code"].startswith("input.")
    assert error["message"] and error["message"] != error["code"]
    assert result.stderr == f"wallet verify: {error['message']}\n"
    plain = _invoke([str(source)])
    assert plain.exit_code == 2 and plain.stdout == "" and "Traceback" not in plain.output


def test_real_online_against_local_issuer(tmp_path: Path) -> None:
    """Without --offline the HttpFetcher fetches from an allow-listed loopback issuer."""
    import http.server
    import threading
    from functools import partial

    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        base = f"http://127.0.0.1:{httpd.server_address[1]}"
        source = _hosted_badge(tmp_path, base=base)
        allowed = {"WALLET_FETCH_ALLOWED_NETWORKS": "127.0.0.1/32"}
        result = _invoke([str(source), "--json"], env=allowed)
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["badge"]["issuer"]["name"] == "Concrete Institute"
        # The same issuer without the allow-list is refused (loopback): not verifiable.
        refused = _invoke([str(source), "--json"])
        assert refused.exit_code == 1
        assert json.loads(refused.stdout)["result"] == "unverifiable"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def test_real_process_valid_badge(tmp_path: Path) -> None:
    """The console script in a real process verifies a valid badge: exit 0, no Flask loaded."""
    source = _hosted_badge(tmp_path)
    script = ROOT / ".venv" / "bin" / "wallet"
    command = [str(script)] if script.exists() else [str(PYTHON), "-m", "wallet.cli.console"]
    completed = subprocess.run(
        [
            *command,
            "verify",
            str(source),
            "--json",
            "--offline",
            "--url-map",
            f"{ISSUER}/={tmp_path}",
        ],
        capture_output=True,
        text=True,
        env={**CLEAN_ENV, "PYTHONPROFILEIMPORTTIME": "1"},
        cwd=ROOT,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert json.loads(completed.stdout)["result"] == "valid"
    modules = _imported_modules(completed.stderr)
    assert "wallet.openbadges.verify" in modules
    assert not {name for name in modules if name == "flask" or name.startswith("flask.")}


def test_real_broken_ob1_assertion_is_invalid_not_unreadable(tmp_path: Path) -> None:
    """Recognisably an OB 1.0 assertion, with errors: result invalid (exit 1), not exit 2."""
    source = tmp_path / "ob1.json"
    source.write_text(
        json.dumps(
            {
                "uid": "abc123",
                "recipient": "sha256$" + "0" * 64,
                "badge": f"{ISSUER}/badge.json",
                "verify": {"type": "hosted", "url": f"{ISSUER}/a.json"},
                "issuedOn": "2014-01-01",
            }
        ),
        encoding="utf-8",
    )
    result = _invoke([str(source), "--json", "--offline"])
    assert result.exit_code == 1, result.output
    document = json.loads(result.stdout)
    assert (document["result"], document["spec"]) == ("invalid", "1.0")
    assert any(c["status"] == "failed" for c in document["checks"])


# --- a real process loads only what it uses (start-up is most of its cost) -----------------

# Never needed to verify an OB 3.0 JSON badge offline: PyLD's network, file and HTML helpers
# (wallet/cli/lean.py), the web framework, and what the library imports only for other inputs.
NOT_LOADED = (
    "requests",
    "urllib3",
    "aiohttp",
    "asyncio",
    "urllib.request",
    "lxml.etree",
    "flask",
    "babel",
    "logging",
    "socket",
    "wallet.openbadges.fetch_http",
    "wallet.openbadges.legacy",
)


def _wallet_command() -> list[str]:
    script = ROOT / ".venv" / "bin" / "wallet"
    return [str(script)] if script.exists() else [str(PYTHON), "-m", "wallet.cli.console"]


def test_real_process_loads_only_what_one_ob3_badge_needs(tmp_path: Path) -> None:
    """`wallet verify --offline` on our own did:key badge: valid, and nothing else is loaded."""
    from tests.badge_factory import ob3_json

    source = tmp_path / "badge.json"
    source.write_bytes(ob3_json())
    completed = subprocess.run(
        [*_wallet_command(), "verify", str(source), "--json", "--offline"],
        capture_output=True,
        text=True,
        env={**CLEAN_ENV, "PYTHONPROFILEIMPORTTIME": "1"},
        cwd=ROOT,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert json.loads(completed.stdout)["result"] == "valid"
    modules = _imported_modules(completed.stderr)
    assert "pyld.jsonld" in modules
    loaded = sorted(
        name for name in modules for gone in NOT_LOADED if (name + ".").startswith(gone + ".")
    )
    # A hidden module is looked up once and refused: it shows as a zero-cost line.
    assert [name for name in loaded if name not in ("requests", "aiohttp")] == []


def _sources(tmp_path: Path) -> list[tuple[str, Path, list[str]]]:
    """Badges of every kind the lean process must treat exactly as the library does."""
    from tests.badge_factory import ob3_json
    from tests.badge_factory import ob3_png
    from tests.badge_factory import ob3_svg
    from tests.badge_factory import tampered_json
    from tests.badge_factory import vc_jwt

    files = {
        "ob3.json": ob3_json(),
        "ob3.png": ob3_png(),
        "ob3.svg": ob3_svg(),
        "tampered.json": tampered_json(),
        "ob3.jwt": vc_jwt().encode(),
    }
    sources = []
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        sources.append((name, tmp_path / name, []))
    hosted = _hosted_badge(tmp_path / "hosted")
    sources.append(("ob2 hosted", hosted, ["--url-map", f"{ISSUER}/={tmp_path / 'hosted'}"]))
    vector = (
        ROOT.parent
        / "shared/vectors/1EdTech-digital-credentials-public-validator/inspector-vc/src/test"
        / "resources/ob30/simple.json"
    )
    if vector.is_file():
        sources.append(("1EdTech simple.json", vector, []))
    return sources


def test_real_process_reports_what_the_library_reports(tmp_path: Path) -> None:
    """The console process (with PyLD's unused parts kept out) gives the in-process report."""
    results = set()
    for name, source, extra in _sources(tmp_path):
        args = [str(source), "--json", "--offline", *extra]
        completed = subprocess.run(
            [*_wallet_command(), "verify", *args],
            capture_output=True,
            text=True,
            env={**CLEAN_ENV, "WALLET_LANG": "en"},
            cwd=ROOT,
            timeout=60,
        )
        in_process = _invoke(args)
        assert completed.returncode == in_process.exit_code, (name, completed.stderr[-2000:])
        assert json.loads(completed.stdout) == json.loads(in_process.stdout), name
        assert "Traceback" not in completed.stderr
        results.add(json.loads(completed.stdout)["result"])
    assert {"valid", "invalid"} <= results


def test_kept_out_modules_refuse_to_work() -> None:
    """In a fresh interpreter: hidden modules cannot be imported, stand-ins refuse every use."""
    code = (
        "import sys\n"
        "from wallet.cli.lean import StandIn, keep_lean\n"
        "keep_lean()\n"
        "try:\n"
        "    import requests\n"
        "except ImportError:\n"
        "    pass\n"
        "else:\n"
        "    raise SystemExit('requests was imported')\n"
        "import lxml.html\n"
        "assert isinstance(lxml.html, StandIn), lxml.html\n"
        "try:\n"
        "    lxml.html.fromstring('<p>x</p>')\n"
        "except ImportError:\n"
        "    pass\n"
        "else:\n"
        "    raise SystemExit('a stand-in worked')\n"
        "import pyld\n"
        "assert isinstance(sys.modules['pyld.documentloader.aiohttp'], StandIn)\n"
        "assert 'asyncio' not in sys.modules\n"
    )
    subprocess.run([str(PYTHON), "-c", code], check=True, cwd=ROOT, env=CLEAN_ENV, timeout=60)


def test_modules_already_loaded_are_left_alone() -> None:
    code = (
        "import lxml.html, requests\n"
        "from wallet.cli.lean import StandIn, keep_lean\n"
        "keep_lean()\n"
        "import lxml.html as again, requests as same\n"
        "assert not isinstance(again, StandIn) and again.fromstring('<p>x</p>') is not None\n"
        "assert same is requests\n"
    )
    subprocess.run([str(PYTHON), "-c", code], check=True, cwd=ROOT, env=CLEAN_ENV, timeout=60)
