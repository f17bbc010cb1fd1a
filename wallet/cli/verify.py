"""`wallet verify`: verify one badge from a file, stdin or URL without loading the web app.

Exit status: 0 when the result is ``valid``, 1 for any other result, 2 when SOURCE (or an
option) cannot be read or parsed, or on any unexpected error.  With ``--json`` stdout carries
exactly one JSON object: the report, or on exit 2 ``{"result": null, "error": {"code",
"message"}}``; human messages always go to stderr.  ``WALLET_DEBUG=1`` re-raises unexpected
errors instead of hiding them behind the one-line message.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import IO
from typing import Any

import click

from wallet.openbadges.errors import BadgeError
from wallet.openbadges.fetch import CachingFetcher
from wallet.openbadges.fetch import ChainFetcher
from wallet.openbadges.fetch import Fetcher
from wallet.openbadges.fetch import OfflineFetcher
from wallet.openbadges.fetch import UrlMapFetcher
from wallet.openbadges.messages import message
from wallet.openbadges.model import Check
from wallet.openbadges.model import VerificationReport

# The library refuses bigger inputs anyway; reading one byte more lets it say "too large".
MAX_SOURCE_BYTES = 16 * 1024 * 1024

# Per request, and for all requests of one run together.
FETCH_TIMEOUT = 5.0
FETCH_BUDGET_SECONDS = 20.0
FETCH_BUDGET_REQUESTS = 16

STATUS_MARKS = {
    "passed": "✓",
    "failed": "✗",
    "warning": "!",
    "skipped": "–",
    "unsupported": "?",
}

# Messages that belong to this command only (the library's ids live in openbadges.messages).
_CLI_MESSAGES: dict[str, dict[str, str]] = {
    "cli.source_unreadable": {
        "en": "The file could not be read: {source}",
        "ja": "ファイルを読み取れませんでした: {source}",
    },
    "cli.bad_now": {
        "en": "--now must be an ISO 8601 date or date-time, e.g. 2030-01-01T00:00:00Z.",
        "ja": "--now には ISO 8601 の日時を指定してください（例: 2030-01-01T00:00:00Z）。",
    },
    "cli.bad_url_map": {
        "en": "--url-map must be PREFIX=DIR with an existing directory (or URL=FILE): {value}",
        "ja": (
            "--url-map は PREFIX=DIR（または URL=FILE）の形で、"
            "存在するディレクトリかファイルを指定してください: {value}"
        ),
    },
    "cli.bad_allowed_networks": {
        "en": "WALLET_FETCH_ALLOWED_NETWORKS must be comma-separated CIDRs.",
        "ja": "WALLET_FETCH_ALLOWED_NETWORKS にはカンマ区切りの CIDR を指定してください。",
    },
    "cli.internal": {
        "en": "Verification stopped because of an internal error (set WALLET_DEBUG=1 for details).",
        "ja": "内部エラーのため検証を中止しました（詳細は WALLET_DEBUG=1 で確認できます）。",
    },
    "cli.interrupted": {"en": "Interrupted.", "ja": "中断しました。"},
}

_RESULT_LABELS: dict[str, dict[str, str]] = {
    "valid": {"en": "valid", "ja": "有効"},
    "invalid": {"en": "invalid", "ja": "無効"},
    "revoked": {"en": "revoked", "ja": "失効済み"},
    "expired": {"en": "expired", "ja": "有効期限切れ"},
    "not_yet_valid": {"en": "not yet valid", "ja": "有効期間前"},
    "unverifiable": {"en": "unverifiable", "ja": "検証できません"},
}

_LABELS: dict[str, dict[str, str]] = {
    "result": {"en": "Result", "ja": "結果"},
    "badge": {"en": "Badge", "ja": "バッジ"},
    "issuer": {"en": "Issuer", "ja": "発行者"},
    "issued_on": {"en": "Issued", "ja": "発行日"},
    "expires": {"en": "Expires", "ja": "有効期限"},
    "spec": {"en": "Open Badges", "ja": "オープンバッジ"},
    "checks": {"en": "Checks", "ja": "検証項目"},
}


class CommandError(Exception):
    """SOURCE or an option cannot be used; the command exits 2 with this code and message."""

    def __init__(self, code: str, params: Mapping[str, str] | None = None) -> None:
        """Remember the message id and its parameters."""
        super().__init__(code)
        self.code = code
        self.params = dict(params or {})


def cli_message(code: str, lang: str, params: Mapping[str, str] | None = None) -> str:
    """Return the human message for a command or library code, in ``lang``."""
    if code.startswith("fetch."):
        # Refused, timed out or too large all read the same to the user (security.md S13).
        code = "fetch.failed"
    texts = _CLI_MESSAGES.get(code)
    if texts is not None:
        text = texts.get(lang) or texts["en"]
        try:
            return text.format(**(params or {}))
        except (KeyError, IndexError, ValueError):
            return text
    text = message(code, lang, params)
    if text == code:
        # An id nobody translated yet: say the input was unreadable, never print a bare id.
        return message("input.unreadable", lang, params)
    return text


def choose_language(option: str | None, environ: Mapping[str, str]) -> str:
    """Pick ja or en: --lang, then WALLET_LANG, then the POSIX locale variables."""
    if option:
        return option
    wallet_lang = environ.get("WALLET_LANG", "").strip().lower()
    if wallet_lang:
        return "ja" if wallet_lang.startswith("ja") else "en"
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "").strip().lower()
        if value:
            return "ja" if value.startswith("ja") else "en"
    return "en"


def parse_now(text: str | None) -> datetime:
    """Return --now as an aware datetime (naive values are UTC), or the current time."""
    if text is None:
        return datetime.now(UTC)
    value = text.strip()
    if value.endswith(("z", "Z")):
        value = value[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError("cli.bad_now") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_url_maps(values: tuple[str, ...]) -> dict[str, Path]:
    """Parse PREFIX=DIR options; the split is at the first "=" followed by a real directory."""
    mapping: dict[str, Path] = {}
    for value in values:
        chosen: tuple[str, Path] | None = None
        start = 0
        while (index := value.find("=", start)) != -1:
            prefix, directory = value[:index], Path(value[index + 1 :]).expanduser()
            if prefix and (directory.is_dir() or directory.is_file()):
                chosen = (prefix, directory)
                break
            start = index + 1
        if chosen is None:
            raise CommandError("cli.bad_url_map", {"value": value})
        mapping[chosen[0]] = chosen[1]
    return mapping


def build_fetcher(
    offline: bool, url_maps: Mapping[str, Path], environ: Mapping[str, str]
) -> Fetcher:
    """Build the fetcher: url-map answers first, then the network unless offline."""
    network: Fetcher
    if offline:
        network = OfflineFetcher()
    else:
        # The HTTP client (sockets, TLS) is loaded only when the network may be used.
        from wallet.openbadges.fetch_http import HttpFetcher

        try:
            http = HttpFetcher(
                allowed_networks=environ.get("WALLET_FETCH_ALLOWED_NETWORKS", "").split(","),
                timeout=FETCH_TIMEOUT,
            )
        except ValueError:
            raise CommandError("cli.bad_allowed_networks") from None
        # One deadline and request cap for the whole run (notes/security.md S11, S14).
        network = http.budgeted(FETCH_BUDGET_SECONDS, FETCH_BUDGET_REQUESTS)
    fetcher = ChainFetcher(UrlMapFetcher(url_maps), network) if url_maps else network
    # One run may ask for the same issuer or key document more than once.
    return CachingFetcher(fetcher, ttl=600, max_entries=64)


def read_source(source: str, stdin: IO[bytes]) -> bytes | str:
    """Return SOURCE as bytes (file, ``-`` for stdin) or as the URL string to fetch."""
    if source.lower().startswith(("http://", "https://")):
        return source
    try:
        if source == "-":
            data = stdin.read(MAX_SOURCE_BYTES + 1)
        else:
            with open(source, "rb") as handle:
                data = handle.read(MAX_SOURCE_BYTES + 1)
    except OSError:
        raise CommandError("cli.source_unreadable", {"source": source}) from None
    if len(data) > MAX_SOURCE_BYTES:
        raise CommandError("input.too_large")
    return data


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def check_detail(check: Check, lang: str) -> str:
    """Return the translated message of a check, followed by its technical detail if any."""
    text = message(check.message_id, lang, check.params)
    if text == check.message_id:
        # Not translated (yet): the technical note is more use than a bare message id.
        return check.detail or text
    if check.detail and check.detail != text:
        return f"{text} ({check.detail})"
    return text


def report_document(report: VerificationReport, lang: str) -> dict[str, Any]:
    """Return the --json document for ``report`` (the public contract in DESIGN.md)."""
    credential = report.credential
    badge: dict[str, Any] = {
        "name": None,
        "issuer": {"id": None, "name": None},
        "issued_on": None,
        "expires": None,
    }
    if credential is not None:
        badge = {
            "name": credential.achievement.name or None,
            "issuer": {"id": credential.issuer.id, "name": credential.issuer.name},
            "issued_on": _iso(credential.issued_on or credential.valid_from),
            "expires": _iso(credential.expires),
        }
    return {
        "result": report.result,
        "spec": report.spec,
        "format": report.format,
        "checks": [
            {"id": check.id, "status": check.status, "detail": check_detail(check, lang)}
            for check in report.checks
        ],
        "badge": badge,
    }


def human_report(document: Mapping[str, Any], lang: str) -> str:
    """Return the report as lines for a person: summary, badge, one marked line per check."""

    def label(key: str) -> str:
        return _LABELS[key].get(lang) or _LABELS[key]["en"]

    result = str(document["result"])
    result_text = _RESULT_LABELS.get(result, {}).get(lang, result)
    mark = "✓" if result == "valid" else "✗"
    lines = [f"{mark} {label('result')}: {result_text}"]
    if document.get("spec") or document.get("format"):
        lines.append(f"  {label('spec')} {document.get('spec') or '?'} ({document.get('format')})")
    badge = document["badge"]
    if badge["name"]:
        lines.append(f"  {label('badge')}: {badge['name']}")
    issuer = badge["issuer"]
    if issuer["name"] or issuer["id"]:
        names = [part for part in (issuer["name"], issuer["id"] and f"<{issuer['id']}>") if part]
        lines.append(f"  {label('issuer')}: {' '.join(names)}")
    for key in ("issued_on", "expires"):
        if badge[key]:
            lines.append(f"  {label(key)}: {badge[key]}")
    lines.append(f"{label('checks')}:")
    for check in document["checks"]:
        symbol = STATUS_MARKS.get(check["status"], "?")
        lines.append(f"  {symbol} {check['id']}: {check['detail']}")
    return "\n".join(lines)


def _safe_text(text: str) -> str:
    # Issuer-controlled strings must not drive the terminal (escape sequences, bidi tricks).
    return "".join(ch if ch.isprintable() or ch in "\n" else "\ufffd" for ch in text)


def _emit_json(document: Mapping[str, Any]) -> None:
    encoding = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "")
    text = json.dumps(document, ensure_ascii=not encoding.startswith("utf"), indent=2)
    click.echo(text)


def run(
    source: str,
    *,
    as_json: bool,
    offline: bool,
    url_map: tuple[str, ...],
    now_text: str | None,
    lang: str,
    environ: Mapping[str, str],
    stdin: IO[bytes],
) -> int:
    """Verify SOURCE and print the report; return the exit status (errors propagate)."""
    now = parse_now(now_text)
    fetcher = build_fetcher(offline, parse_url_maps(url_map), environ)
    data = read_source(source, stdin)
    # Imported late so option and file errors are reported without loading the verifier.
    from wallet.openbadges import verify as verify_badge

    report = verify_badge(data, fetcher=fetcher, now=now)
    document = report_document(report, lang)
    if as_json:
        _emit_json(document)
    else:
        click.echo(_safe_text(human_report(document, lang)))
    return 0 if document["result"] == "valid" else 1


def _fail(code: str, params: Mapping[str, str] | None, lang: str, as_json: bool) -> int:
    text = cli_message(code, lang, params)
    click.echo(_safe_text(f"wallet verify: {text}"), err=True)
    if as_json:
        _emit_json({"result": None, "error": {"code": code, "message": text}})
    return 2


@click.command(name="verify")
@click.argument("source")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
@click.option("--offline", is_flag=True, help="No network: remote documents only from --url-map.")
@click.option(
    "--url-map",
    "url_map",
    multiple=True,
    metavar="PREFIX=DIR",
    help="Answer URLs starting with PREFIX from DIR + the rest of the path (repeatable).",
)
@click.option("--now", "now_text", metavar="ISO8601", help="Verify as of this time.")
@click.option(
    "--lang",
    type=click.Choice(["ja", "en"]),
    default=None,
    help="Message language (default: WALLET_LANG, then LANG/LC_ALL).",
)
def verify(
    source: str,
    as_json: bool,
    offline: bool,
    url_map: tuple[str, ...],
    now_text: str | None,
    lang: str | None,
) -> None:
    """Verify an Open Badge: SOURCE is a file (PNG/SVG/JSON/JWS/JWT), - for stdin, or a URL.

    Exit 0 when valid, 1 for any other result, 2 when SOURCE cannot be read or parsed
    (with --json, stdout then holds {"result": null, "error": {"code", "message"}}).
    """
    language = choose_language(lang, os.environ)
    debug = os.environ.get("WALLET_DEBUG", "") == "1"
    try:
        status = run(
            source,
            as_json=as_json,
            offline=offline,
            url_map=url_map,
            now_text=now_text,
            lang=language,
            environ=os.environ,
            stdin=sys.stdin.buffer,
        )
    except CommandError as exc:
        status = _fail(exc.code, exc.params, language, as_json)
    except BadgeError as exc:
        status = _fail(exc.code, None, language, as_json)
    except KeyboardInterrupt:
        click.echo(cli_message("cli.interrupted", language), err=True)
        status = 130
    except Exception:
        if debug:
            raise
        status = _fail("cli.internal", None, language, as_json)
    click.get_current_context().exit(status)


if __name__ == "__main__":
    from wallet.cli.lean import keep_lean

    keep_lean()
    verify.main(prog_name="wallet verify")
