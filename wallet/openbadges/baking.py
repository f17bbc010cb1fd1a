"""Bake and unbake Open Badges in PNG (iTXt/zTXt/tEXt chunks) and SVG (namespaced element)."""

from __future__ import annotations

import io
import re
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from wallet.openbadges.errors import ParseError
from wallet.openbadges.errors import TooLarge
from wallet.openbadges.errors import UnsupportedFormat
from wallet.openbadges.limits import DEFAULT_LIMITS
from wallet.openbadges.limits import Limits

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
KEYWORD_OB2 = "openbadges"
KEYWORD_OB3 = "openbadgecredential"
# Preferred first: an OB 3.0 credential wins over an OB 1.x/2.0 assertion in the same image.
KEYWORDS = (KEYWORD_OB3, KEYWORD_OB2)

SVG_NS = "http://www.w3.org/2000/svg"
NS_OB2 = "http://openbadges.org"
NS_OB3 = "https://purl.imsglobal.org/ob/v3p0"
SVG_ELEMENTS = {f"{{{NS_OB3}}}credential": KEYWORD_OB3, f"{{{NS_OB2}}}assertion": KEYWORD_OB2}

_TEXT_CHUNKS = (b"iTXt", b"zTXt", b"tEXt")
_JWS = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class Unbaked:
    """The text found in a baked image, and how it was stored (for warnings)."""

    text: str
    container: Literal["png", "svg"]
    keyword: str
    chunk: str = ""
    compressed: bool = False
    duplicate: bool = False


def iter_png_chunks(data: bytes, limits: Limits = DEFAULT_LIMITS) -> Iterator[tuple[bytes, bytes]]:
    """Yield ``(type, body)`` for each CRC-checked chunk up to and including IEND."""
    if not data.startswith(PNG_SIGNATURE):
        raise ParseError("not a PNG file")
    pos = len(PNG_SIGNATURE)
    count = 0
    while True:
        if pos + 8 > len(data):
            raise ParseError("PNG truncated (no IEND chunk)")
        length, ctype = struct.unpack(">I4s", data[pos : pos + 8])
        if length > 0x7FFFFFFF:
            raise ParseError("PNG chunk length out of range")
        end = pos + 12 + length
        if end > len(data):
            raise ParseError("PNG chunk runs past the end of the file")
        count += 1
        if count > limits.max_png_chunks:
            raise TooLarge("PNG has too many chunks")
        if count == 1 and ctype != b"IHDR":
            raise ParseError("PNG does not start with IHDR")
        if ctype in _TEXT_CHUNKS and length > limits.max_text_chunk_bytes:
            raise TooLarge("PNG text chunk too large")
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[end - 4 : end])
        if zlib.crc32(ctype + body) & 0xFFFFFFFF != crc:
            raise ParseError(f"PNG chunk {ctype!r} has a bad CRC")
        yield ctype, body
        if ctype == b"IEND":
            return
        pos = end


def _inflate(data: bytes, limits: Limits) -> bytes:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, limits.max_inflated_bytes)
    except zlib.error as exc:
        raise ParseError("corrupt compressed PNG text") from exc
    if inflater.unconsumed_tail:
        raise TooLarge("compressed PNG text inflates beyond the limit")
    if not inflater.eof:
        raise ParseError("truncated compressed PNG text")
    return out


def _text_chunk(ctype: bytes, body: bytes, limits: Limits) -> tuple[str, str, bool] | None:
    """Return ``(keyword, text, compressed)`` for a badge text chunk, else None."""
    keyword_raw, sep, rest = body.partition(b"\0")
    if not sep:
        raise ParseError("PNG text chunk without keyword separator")
    keyword = keyword_raw.decode("latin-1")
    if keyword not in KEYWORDS:
        return None
    try:
        if ctype == b"tEXt":
            return keyword, rest.decode("latin-1"), False
        if ctype == b"zTXt":
            if len(rest) < 1 or rest[0] != 0:
                raise ParseError("unknown zTXt compression method")
            return keyword, _inflate(rest[1:], limits).decode("latin-1"), True
        if len(rest) < 2:
            raise ParseError("truncated iTXt chunk")
        flag, method = rest[0], rest[1]
        _language, sep1, rest = rest[2:].partition(b"\0")
        _translated, sep2, text = rest.partition(b"\0")
        if not (sep1 and sep2):
            raise ParseError("malformed iTXt chunk")
        if flag == 1:
            if method != 0:
                raise ParseError("unknown iTXt compression method")
            text = _inflate(text, limits)
        elif flag != 0:
            raise ParseError("bad iTXt compression flag")
        return keyword, text.decode("utf-8"), flag == 1
    except UnicodeDecodeError as exc:
        raise ParseError("badge text in PNG is not valid UTF-8") from exc


def unbake_png(data: bytes, limits: Limits = DEFAULT_LIMITS) -> Unbaked:
    """Extract the badge text from a PNG without decoding any pixels."""
    if len(data) > limits.max_input_bytes:
        raise TooLarge("PNG file too large")
    try:
        return _unbake_png(data, limits)
    except TooLarge:
        raise
    except ParseError as exc:
        exc.reason = exc.reason or "input.png_damaged"
        raise


def _unbake_png(data: bytes, limits: Limits) -> Unbaked:
    """Do unbake_png's work."""
    found: dict[str, Unbaked] = {}
    for ctype, body in iter_png_chunks(data, limits):
        if ctype not in _TEXT_CHUNKS:
            continue
        parsed = _text_chunk(ctype, body, limits)
        if parsed is None:
            continue
        keyword, text, compressed = parsed
        if keyword in found:
            first = found[keyword]
            found[keyword] = Unbaked(
                first.text, "png", keyword, first.chunk, first.compressed, duplicate=True
            )
            continue
        found[keyword] = Unbaked(text, "png", keyword, ctype.decode("ascii"), compressed)
    for keyword in KEYWORDS:
        if keyword in found:
            return found[keyword]
    raise UnsupportedFormat("no badge found in this PNG", reason="input.png_no_badge")


def _chunk(ctype: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(ctype + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", crc)


def bake_png(png_bytes: bytes, keyword: str, text: str) -> bytes:
    """Return the PNG with ``text`` in an uncompressed iTXt chunk right after IHDR.

    Any existing text chunk with the same keyword is replaced.
    """
    if keyword not in KEYWORDS:
        raise ValueError(f"unsupported badge keyword {keyword!r}")
    limits = Limits(max_text_chunk_bytes=max(len(png_bytes), DEFAULT_LIMITS.max_text_chunk_bytes))
    key = keyword.encode("latin-1")
    new = _chunk(b"iTXt", key + b"\0\0\0\0\0" + text.encode("utf-8"))
    out = [PNG_SIGNATURE]
    for ctype, body in iter_png_chunks(png_bytes, limits):
        if ctype in _TEXT_CHUNKS and body.partition(b"\0")[0] == key:
            continue
        out.append(_chunk(ctype, body))
        if ctype == b"IHDR":
            out.append(new)
    return b"".join(out)


def unbake_svg(data: bytes, limits: Limits = DEFAULT_LIMITS) -> Unbaked:
    """Extract the badge from an SVG, matching the element by namespace URI and local name."""
    # The XML parser is loaded only for SVG input: PNG and JSON badges never need it.
    from xml.etree.ElementTree import ParseError as XmlParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import iterparse

    if len(data) > limits.max_svg_bytes:
        raise TooLarge("SVG file too large")
    depth = elements = 0
    root_seen = False
    try:
        events = iterparse(
            io.BytesIO(data),
            events=("start", "end"),
            forbid_dtd=False,
            forbid_entities=True,
            forbid_external=True,
        )
        for event, elem in events:
            if event == "start":
                depth += 1
                elements += 1
                if depth > limits.max_svg_depth or elements > limits.max_svg_elements:
                    raise TooLarge("SVG too deep or too many elements")
                if not root_seen:
                    root_seen = True
                    if elem.tag != f"{{{SVG_NS}}}svg":
                        raise UnsupportedFormat(
                            "XML document is not an SVG image", reason="input.not_svg"
                        )
                continue
            depth -= 1
            keyword = SVG_ELEMENTS.get(elem.tag)
            if keyword is None:
                if depth > 1:
                    elem.clear()
                continue
            body = (elem.text or "").strip()
            verify = (elem.get("verify") or "").strip()
            if body:
                return Unbaked(body, "svg", keyword)
            if verify:
                return Unbaked(verify, "svg", keyword)
            raise ParseError("badge element in SVG is empty", reason="input.svg_damaged")
    except (DefusedXmlException, XmlParseError, LookupError, ValueError) as exc:
        # LookupError: an unknown declared encoding; ValueError: undecodable bytes.
        raise ParseError(
            f"SVG could not be parsed safely: {exc.__class__.__name__}",
            reason="input.svg_damaged",
        ) from exc
    raise UnsupportedFormat("no badge found in this SVG", reason="input.svg_no_badge")


def _root_start_tag_end(text: str) -> int:
    """Return the index just after the root ``<svg ...>`` start tag (quotes respected)."""
    match = re.search(r"<(?:[A-Za-z_][\w.-]*:)?svg[\s>/]", text)
    if match is None:
        raise ParseError("no <svg> start tag")
    quote = ""
    for index in range(match.end() - 1, len(text)):
        char = text[index]
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == ">":
            if text[index - 1] == "/":
                raise ParseError("empty <svg/> element")
            return index + 1
    raise ParseError("unterminated <svg> start tag")


def _xml_attr(value: str) -> str:
    return (
        value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
    )


def bake_svg(svg_bytes: bytes, payload: str, version: Literal["2.0", "3.0"]) -> bytes:
    """Return the SVG with the badge element inserted right after the ``<svg>`` start tag.

    A URL or compact JWS goes in the ``verify`` attribute; JSON goes in a CDATA body.
    """
    try:
        unbake_svg(svg_bytes)
    except UnsupportedFormat as exc:
        if "not an SVG" in str(exc):
            raise
    else:
        raise ParseError("this SVG already contains a badge")
    try:
        text = svg_bytes.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ParseError("only UTF-8 SVG files can be baked") from exc
    if version == "3.0":
        tag, ns = "credential", NS_OB3
    else:
        tag, ns = "assertion", NS_OB2
    stripped = payload.strip()
    attrs = f' xmlns:openbadges="{ns}"'
    if _JWS.match(stripped) or re.match(r"^https?://\S+$", stripped):
        element = f'<openbadges:{tag}{attrs} verify="{_xml_attr(stripped)}"/>'
    else:
        # "]]>" cannot appear inside one CDATA section, so split it across two.
        cdata = stripped.replace("]]>", "]]]]><![CDATA[>")
        element = f"<openbadges:{tag}{attrs}><![CDATA[{cdata}]]></openbadges:{tag}>"
    at = _root_start_tag_end(text)
    return (text[:at] + element + text[at:]).encode("utf-8")
