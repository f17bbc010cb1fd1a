"""Issuer Markdown to safe HTML: a tiny renderer over escaped text, then an nh3 allow-list."""

from __future__ import annotations

import html
import re

import nh3
from markupsafe import Markup

ALLOWED_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "a", "code", "blockquote"}
ALLOWED_ATTRIBUTES = {"a": {"href"}}
URL_SCHEMES = {"http", "https"}
LINK_REL = "nofollow noopener"
MAX_CHARS = 10_000

# Bidirectional overrides and zero-width characters can disguise text (security.md §1.6).
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_LINK = re.compile(r"\[([^\]\n]{1,300})\]\((https?://[^\s)]{1,2000})\)")
_AUTOLINK = re.compile(r"(?<![\"=>/])\b(https?://[^\s<]{1,2000}[^\s<.,;:!?)])")
_CODE = re.compile(r"`([^`\n]{1,500})`")
_STRONG = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*|__(?=\S)(.+?)(?<=\S)__")
_EM = re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?!\w)|(?<![\w_])_(?=\S)(.+?)(?<=\S)_(?![\w_])")
_BULLET = re.compile(r"^\s{0,3}[-*+]\s+(.*)$")
_NUMBER = re.compile(r"^\s{0,3}\d{1,9}[.)]\s+(.*)$")
_QUOTE = re.compile(r"^\s{0,3}&gt;\s?(.*)$")


def clean_text(text: str) -> str:
    """Return text without bidi controls and zero-width characters, capped in length."""
    return _INVISIBLE.sub("", text)[:MAX_CHARS]


def _inline(escaped: str) -> str:
    """Apply inline Markdown (code, links, strong, em) to already escaped text."""
    codes: list[str] = []

    def keep_code(match: re.Match[str]) -> str:
        codes.append(f"<code>{match.group(1)}</code>")
        return f"\x00{len(codes) - 1}\x00"

    text = _CODE.sub(keep_code, escaped)
    links: list[str] = []

    def keep_link(match: re.Match[str]) -> str:
        links.append(f'<a href="{match.group(2)}">{match.group(1)}</a>')
        return f"\x01{len(links) - 1}\x01"

    text = _LINK.sub(keep_link, text)
    text = _AUTOLINK.sub(lambda m: keep_link_url(m.group(1), links), text)
    text = _STRONG.sub(lambda m: f"<strong>{m.group(1) or m.group(2)}</strong>", text)
    text = _EM.sub(lambda m: f"<em>{m.group(1) or m.group(2)}</em>", text)
    text = re.sub("\x01(\\d+)\x01", lambda m: links[int(m.group(1))], text)
    return re.sub("\x00(\\d+)\x00", lambda m: codes[int(m.group(1))], text)


def keep_link_url(url: str, links: list[str]) -> str:
    """Store an autolinked URL and return its placeholder."""
    links.append(f'<a href="{url}">{url}</a>')
    return f"\x01{len(links) - 1}\x01"


def _block(lines: list[str]) -> str:
    """Render one block (lines without blank lines) as a list, quote or paragraph."""
    if all(_BULLET.match(line) for line in lines):
        items = "".join(f"<li>{_inline(_BULLET.match(line).group(1))}</li>" for line in lines)  # type: ignore[union-attr]
        return f"<ul>{items}</ul>"
    if all(_NUMBER.match(line) for line in lines):
        items = "".join(f"<li>{_inline(_NUMBER.match(line).group(1))}</li>" for line in lines)  # type: ignore[union-attr]
        return f"<ol>{items}</ol>"
    if all(_QUOTE.match(line) for line in lines):
        inner = [_QUOTE.match(line).group(1) for line in lines]  # type: ignore[union-attr]
        return f"<blockquote><p>{'<br>'.join(_inline(x) for x in inner)}</p></blockquote>"
    return "<p>" + "<br>".join(_inline(line.strip()) for line in lines) + "</p>"


def render(text: str | None) -> Markup:
    """Return issuer Markdown as sanitized HTML (allow-listed tags, http/https links only)."""
    if not text:
        return Markup("")
    normalised = clean_text(str(text)).replace("\r\n", "\n").replace("\r", "\n")
    escaped = html.escape(normalised, quote=True)
    blocks: list[str] = []
    current: list[str] = []
    for line in escaped.split("\n"):
        if line.strip():
            current.append(line)
        elif current:
            blocks.append(_block(current))
            current = []
    if current:
        blocks.append(_block(current))
    cleaned = nh3.clean(
        "".join(blocks),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
        strip_comments=True,
    )
    return Markup(cleaned)  # noqa: S704 (nh3 output: the only markup we trust)


def safe_url(url: str | None) -> str | None:
    """Return url when it is an http(s) URL we may link to, else None (shown as plain text)."""
    if not url or not isinstance(url, str):
        return None
    url = url.strip()
    if len(url) > 2000 or not re.match(r"^https?://[^\s/]", url, re.IGNORECASE):
        return None
    if any(ord(c) < 0x21 for c in url):
        return None
    return url
