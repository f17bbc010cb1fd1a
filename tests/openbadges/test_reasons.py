"""Unreadable input says what was wrong: each BadgeError carries a reason with its message."""

from __future__ import annotations

import struct

import pytest

from tests.openbadges.fakes import FakeFetcher
from tests.openbadges.fakes import png_chunk
from wallet.openbadges import read
from wallet.openbadges.errors import BadgeError
from wallet.openbadges.errors import FetchError
from wallet.openbadges.errors import TooLarge
from wallet.openbadges.messages import MESSAGES
from wallet.openbadges.messages import message

PNG = b"\x89PNG\r\n\x1a\n"
IHDR = png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0))
PLAIN_PNG = PNG + IHDR + png_chunk(b"IDAT", b"x") + png_chunk(b"IEND", b"")
SVG_NS = 'xmlns="http://www.w3.org/2000/svg"'


def _reason(source: bytes | str, fetcher: FakeFetcher | None = None) -> BadgeError:
    with pytest.raises(BadgeError) as caught:
        read(source, fetcher=fetcher)
    return caught.value


@pytest.mark.parametrize(
    ("source", "code", "reason", "params"),
    [
        ('{"a": 1,', "input.malformed", "input.json_syntax_at", {"line": "1", "column": "9"}),
        ('{\n  "a": 1\n  "b": 2\n}', "input.malformed", "input.json_syntax_at", {"line": "3"}),
        ('{"a": 1, "a": 2}', "input.malformed", "input.json_duplicate_key", {}),
        ('{"name": "a list of things"}', "input.not_a_badge", "input.json_not_badge", {}),
        (b"{\xff\xfe}", "input.malformed", "input.not_utf8", {}),
        ("hello, this is a note", "input.not_a_badge", "input.unknown_format", {}),
        ("eyJhbGciOiJFZERTQSJ9.!!!.x", "input.not_a_badge", "input.unknown_format", {}),
        ("eyJhbGciOiJFZERTQSJ9.bm90IGpzb24.c2ln", "input.malformed", "input.jws_damaged", {}),
        (PLAIN_PNG, "input.not_a_badge", "input.png_no_badge", {}),
        (PNG + IHDR[:-1] + b"\0" + png_chunk(b"IEND", b""), "input.malformed",
         "input.png_damaged", {}),
        (PNG + IHDR, "input.malformed", "input.png_damaged", {}),
        (f"<svg {SVG_NS}><circle r='3'/></svg>", "input.not_a_badge", "input.svg_no_badge", {}),
        (f"<svg {SVG_NS}><g>", "input.malformed", "input.svg_damaged", {}),
        ("<?xml version='1.0'?><note>hi</note>", "input.not_a_badge", "input.not_svg", {}),
        ("<!DOCTYPE html><html><body>My badge</body></html>", "input.not_a_badge",
         "input.web_page", {}),
        ("<!-- saved --><html lang='ja'><p>x</p></html>", "input.not_a_badge",
         "input.web_page", {}),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "input.not_a_badge", "input.other_image",
         {"kind": "JPEG"}),
        (b"GIF89a\x01\x00\x01\x00", "input.not_a_badge", "input.other_image", {"kind": "GIF"}),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "input.not_a_badge", "input.other_image",
         {"kind": "WebP"}),
        (b"\x00\x00\x00\x18ftypheic\x00\x00", "input.not_a_badge", "input.other_image",
         {"kind": "HEIC"}),
        (b"%PDF-1.7\n%\xe2\xe3", "input.not_a_badge", "input.other_file", {"kind": "PDF"}),
    ],
    ids=[
        "json-syntax",
        "json-syntax-line-3",
        "json-duplicate-key",
        "json-not-badge",
        "not-utf8",
        "plain-text",
        "jws-like-garbage",
        "jws-damaged",
        "png-no-badge",
        "png-bad-crc",
        "png-truncated",
        "svg-no-badge",
        "svg-damaged",
        "xml-not-svg",
        "html-page",
        "html-after-comment",
        "jpeg",
        "gif",
        "webp",
        "heic",
        "pdf",
    ],
)  # fmt: skip
def test_unreadable_input_says_what_was_wrong(source, code, reason, params) -> None:
    """The stable code stays; the reason and its values name the problem."""
    error = _reason(source)
    assert (error.code, error.reason) == (code, reason), str(error)
    assert params.items() <= error.params.items()
    for lang in ("en", "ja"):
        text = message(reason, lang, error.params)
        assert text != reason and "{" not in text, text


def test_a_json_list_is_not_an_object() -> None:
    """A pasted JSON array is valid JSON but no badge: said so."""
    error = _reason('[{"@context": "x"}]')
    # "[" is neither JSON object nor anything else the sniffer knows.
    assert error.reason == "input.unknown_format"
    from wallet.openbadges.jsonutil import loads_object

    with pytest.raises(BadgeError) as caught:
        loads_object("[1, 2]")
    assert caught.value.reason == "input.json_not_object"


def test_an_address_answering_a_status_says_which() -> None:
    """404, 410 (for a 3.0 badge) and 500 are named; the body is never shown."""
    fetcher = FakeFetcher()
    fetcher.add("https://issuer.example/missing.json", "secret body", status=404)
    fetcher.add("https://issuer.example/broken.json", "stack trace here", status=500)
    for path, status in (("missing.json", "404"), ("broken.json", "500")):
        error = _reason(f"https://issuer.example/{path}", fetcher)
        assert isinstance(error, FetchError) and error.code == "fetch.failed"
        assert (error.reason, error.params) == ("fetch.status", {"status": status})
        assert "secret" not in message(error.reason, "en", error.params)
        assert f"HTTP status {status}" in message(error.reason, "en", error.params)


def test_refused_and_unreachable_addresses_carry_no_reason() -> None:
    """The fetcher's own refusals keep one face: no reason that could tell them apart."""
    error = _reason("https://unknown.example/a.json", FakeFetcher())
    assert isinstance(error, FetchError) and error.reason is None and error.params == {}


def test_limits_keep_their_own_code_without_a_reason() -> None:
    """Too large stays too large (its own message), even inside a PNG or a JWS."""
    big = '{"x": "' + "y" * (3 * 1024 * 1024) + '"}'
    error = _reason(big)
    assert isinstance(error, TooLarge) and error.reason is None


def test_every_reason_has_both_languages() -> None:
    """Each reason id the library raises is in the message table in English and Japanese."""
    reasons = [key for key in MESSAGES if key.startswith(("input.", "fetch."))]
    assert "fetch.status" in reasons and "input.png_no_badge" in reasons
    for key in reasons:
        assert set(MESSAGES[key]) >= {"en", "ja"}, key
