"""Entry points: read any input (URL, PNG, SVG, JSON, JWS) and verify it into a report."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from wallet.openbadges.baking import Unbaked
from wallet.openbadges.baking import unbake_png
from wallet.openbadges.baking import unbake_svg
from wallet.openbadges.checks import recipient_check
from wallet.openbadges.detect import classify
from wallet.openbadges.detect import sniff
from wallet.openbadges.errors import FetchError
from wallet.openbadges.errors import ParseError
from wallet.openbadges.errors import TooLarge
from wallet.openbadges.errors import UnsupportedFormat
from wallet.openbadges.fetch import ACCEPT_BADGE
from wallet.openbadges.fetch import Fetcher
from wallet.openbadges.jose import decode_unverified
from wallet.openbadges.jsonutil import loads_object
from wallet.openbadges.jsonutil import to_text
from wallet.openbadges.limits import DEFAULT_LIMITS
from wallet.openbadges.limits import Limits
from wallet.openbadges.model import Check
from wallet.openbadges.model import Credential
from wallet.openbadges.model import Format
from wallet.openbadges.model import Spec
from wallet.openbadges.model import VerificationReport

# OB 0.5-2.0 verification (seven modules) is imported when such a badge comes, and logging only
# on an unexpected error: verifying an OB 3.0 badge in a fresh process loads neither.


@dataclass(frozen=True)
class Loaded:
    """A badge extracted from its container, ready to verify.

    ``payload`` is the JSON object, or the compact JWS/JWT text for signed badges;
    ``original`` the bytes as received (the image for baked badges); ``notes`` are
    container warnings (compressed or duplicate baked chunks); ``gone`` marks a hosted
    assertion URL that answered 410 (revoked; ``notes`` says so, no credential).
    """

    payload: dict[str, Any] | str
    spec: Spec
    format: Format
    original: bytes
    source_url: str | None = None
    notes: tuple[Check, ...] = ()
    gone: bool = False


def _as_bytes(source: bytes | str) -> bytes:
    return source.encode("utf-8") if isinstance(source, str) else source


def _container_notes(unbaked: Unbaked) -> tuple[Check, ...]:
    notes: list[Check] = []
    if unbaked.compressed:
        notes.append(
            Check("baking", "warning", "baking.compressed", f"compressed {unbaked.chunk} chunk")
        )
    if unbaked.duplicate:
        notes.append(
            Check("baking", "warning", "baking.duplicate", f"{unbaked.keyword} appears twice")
        )
    return tuple(notes)


def _from_text(
    text: str,
    *,
    format: Format,
    original: bytes,
    fetcher: Fetcher | None,
    limits: Limits,
    source_url: str | None = None,
    notes: tuple[Check, ...] = (),
    allow_url: bool = True,
) -> Loaded:
    """Classify a JSON, JWS or URL text that came straight in or out of a container."""
    kind = sniff(text)
    if kind == "json":
        obj = loads_object(text, limits=limits)
        return Loaded(obj, classify(obj), format, original, source_url, notes)
    if kind == "jws":
        _header, payload = decode_unverified(text, limits=limits)
        spec = classify(payload, jws=True)
        if format == "json":
            format = "jwt" if spec == "3.0" else "jws"
        return Loaded(text.strip(), spec, format, original, source_url, notes)
    if kind == "url" and allow_url:
        return _from_url(
            text.strip(),
            fetcher=fetcher,
            limits=limits,
            format=format,
            original=original,
            notes=notes,
        )
    raise UnsupportedFormat("no Open Badge in this text")


def _from_url(
    url: str,
    *,
    fetcher: Fetcher | None,
    limits: Limits,
    format: Format,
    original: bytes | None,
    notes: tuple[Check, ...] = (),
) -> Loaded:
    if fetcher is None:
        raise FetchError("this badge is only a URL and no fetcher was given")
    if len(url) > limits.max_url_length:
        raise TooLarge("URL too long")
    response = fetcher.fetch(url, accept=ACCEPT_BADGE)
    if response.status not in (200, 410):
        # The fetcher only ever connects to public (or allow-listed) addresses, so the status
        # says nothing about a network a visitor could not query themselves (security S13).
        raise _status_error(response.status)
    body = response.body
    if len(body) > limits.max_input_bytes:
        raise TooLarge("remote document too large")
    final = response.url or url
    kept = body if original is None else original
    if response.status == 410:
        return _gone(body, final, format, kept, limits)
    kind = sniff(body)
    if kind in ("png", "svg"):
        unbaked = unbake_png(body, limits) if kind == "png" else unbake_svg(body, limits)
        return _from_text(
            unbaked.text,
            format=format,
            original=kept,
            fetcher=fetcher,
            limits=limits,
            source_url=final,
            notes=notes + _container_notes(unbaked),
            allow_url=False,
        )
    return _from_text(
        to_text(body),
        format=format,
        original=kept,
        fetcher=fetcher,
        limits=limits,
        source_url=final,
        notes=notes,
        allow_url=False,
    )


def _status_error(status: int) -> FetchError:
    """Return the error for an address that answered with an HTTP status other than a badge."""
    return FetchError(
        f"HTTP {status}", code="fetch.failed", reason="fetch.status", params={"status": str(status)}
    )


def _gone(body: bytes, url: str, format: Format, original: bytes, limits: Limits) -> Loaded:
    """A hosted OB 1.x/2.0 assertion answering 410 Gone: revoked, whatever the body says."""
    try:
        doc = loads_object(body, limits=limits)
        spec = classify(doc)
    except (ParseError, UnsupportedFormat):
        doc, spec = {}, "2.0"
    if spec == "3.0":
        raise _status_error(410)
    reason = doc.get("revocationReason")
    note = Check(
        "revocation",
        "failed",
        "revocation.revoked_reason" if isinstance(reason, str) and reason else "revocation.revoked",
        f"{url} answered 410 Gone",
        {"reason": reason if isinstance(reason, str) else ""},
        outcome="revoked",
    )
    return Loaded(doc, spec, format, original, url, (note,), gone=True)


def read(
    source: bytes | str, *, fetcher: Fetcher | None = None, limits: Limits = DEFAULT_LIMITS
) -> Loaded:
    """Detect, unbake or fetch ``source`` and return the badge payload it holds.

    Raises ParseError, UnsupportedFormat, TooLarge or FetchError for unreadable input.
    """
    data = _as_bytes(source)
    if len(data) > limits.max_input_bytes:
        raise TooLarge(f"input larger than {limits.max_input_bytes} bytes")
    kind = sniff(data)
    if kind == "png" or kind == "svg":
        unbaked = unbake_png(data, limits) if kind == "png" else unbake_svg(data, limits)
        return _from_text(
            unbaked.text,
            format=kind,
            original=data,
            fetcher=fetcher,
            limits=limits,
            notes=_container_notes(unbaked),
        )
    text = to_text(data)
    if kind == "url":
        return _from_url(text.strip(), fetcher=fetcher, limits=limits, format="url", original=None)
    return _from_text(
        text, format="json", original=data, fetcher=fetcher, limits=limits, allow_url=False
    )


def unbake(data: bytes, *, limits: Limits = DEFAULT_LIMITS) -> str:
    """Return the text (JSON, JWS or URL) baked into a PNG or SVG badge image."""
    kind = sniff(data)
    if kind == "png":
        return unbake_png(data, limits).text
    if kind == "svg":
        return unbake_svg(data, limits).text
    raise UnsupportedFormat("not a PNG or SVG image")


def _verify_v3(
    loaded: Loaded,
    *,
    fetcher: Fetcher,
    now: datetime,
    limits: Limits,
    emails: Iterable[str] | None,
) -> tuple[list[Check], Credential | None]:
    try:
        from wallet.openbadges import v3  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return [
            Check(
                "proof",
                "unsupported",
                "v3.unavailable",
                "Open Badges 3.0 verification is not available",
                outcome="unverifiable",
            )
        ], None
    credential: Credential = v3.parse_v3(
        loaded.payload, format=loaded.format, original=loaded.original
    )
    checks: list[Check] = list(
        v3.verify_v3(loaded.payload, fetcher=fetcher, now=now, limits=limits)
    )
    if any(c.message_id == "ob3.not_a_badge" for c in checks):
        return checks, None
    if emails is not None and not any(c.id == "recipient" for c in checks):
        checks.append(recipient_check(credential.recipient, emails))
    return checks, credential


def verify_loaded(
    loaded: Loaded,
    *,
    fetcher: Fetcher,
    now: datetime,
    limits: Limits = DEFAULT_LIMITS,
    emails: Iterable[str] | None = None,
) -> VerificationReport:
    """Verify an already read badge; an invalid badge is a report, never an exception."""
    checks: list[Check] = list(loaded.notes)
    credential: Credential | None
    if loaded.gone:
        return VerificationReport(tuple(checks), None, loaded.spec, loaded.format)
    try:
        if loaded.spec == "3.0":
            found, credential = _verify_v3(
                loaded, fetcher=fetcher, now=now, limits=limits, emails=emails
            )
        else:
            from wallet.openbadges.legacy import verify_legacy

            found, credential = verify_legacy(
                loaded.payload,
                spec=loaded.spec,
                format=loaded.format,
                fetcher=fetcher,
                now=now,
                limits=limits,
                original=loaded.original,
                source_url=loaded.source_url,
                emails=emails,
            )
    except (ParseError, UnsupportedFormat):
        raise
    except Exception:
        # A bug must not turn a hostile badge into a crash page; the report says
        # "could not verify" and the traceback goes to the log.
        import logging

        logging.getLogger(__name__).exception("verification failed unexpectedly")
        found = [
            Check(
                "internal",
                "unsupported",
                "verify.internal_error",
                "verification stopped on an unexpected error",
                outcome="unverifiable",
            )
        ]
        credential = None
    checks += found
    return VerificationReport(tuple(checks), credential, loaded.spec, loaded.format)


def verify(
    source: bytes | str,
    *,
    fetcher: Fetcher,
    now: datetime,
    limits: Limits = DEFAULT_LIMITS,
    emails: Iterable[str] | None = None,
) -> VerificationReport:
    """Read and verify ``source``; raises BadgeError subclasses only for unreadable input."""
    loaded = read(source, fetcher=fetcher, limits=limits)
    return verify_loaded(loaded, fetcher=fetcher, now=now, limits=limits, emails=emails)
