"""Test doubles for the library: an in-memory fetcher that never touches the network."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from wallet.openbadges.errors import FetchError
from wallet.openbadges.fetch import ACCEPT_BADGE
from wallet.openbadges.fetch import Response

VECTORS = (Path(__file__).parents[2] / ".." / "shared" / "vectors").resolve()
OB20 = VECTORS / "1EdTech-digital-credentials-public-validator/inspector-vc/src/test/resources/ob20"


def _content_type(url: str, body: bytes) -> str:
    if body.startswith(b"\x89PNG"):
        return "image/png"
    if url.endswith(".svg"):
        return "image/svg+xml"
    if url.endswith(".pem"):
        return "application/x-pem-file"
    return "application/ld+json"


class FakeFetcher:
    """Answers from a dict ``url -> Response | bytes``; unknown URLs raise FetchError."""

    def __init__(self, routes: Mapping[str, Response | bytes] | None = None) -> None:
        self.routes: dict[str, Response | bytes] = dict(routes or {})
        self.requests: list[str] = []

    def add(self, url: str, body: bytes | str, *, status: int = 200) -> None:
        """Serve ``body`` at ``url`` with ``status``."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[url] = Response(url, status, _content_type(url, data), data)

    def fetch(self, url: str, *, accept: str = ACCEPT_BADGE) -> Response:
        """Return the stored response for ``url`` or raise FetchError."""
        self.requests.append(url)
        found = self.routes.get(url)
        if found is None:
            raise FetchError("not found in fake fetcher")
        if isinstance(found, bytes):
            return Response(url, 200, _content_type(url, found), found)
        return found


class DirFetcher(FakeFetcher):
    """Also answers ``http(s)://<host>/<name>`` from files in a directory (the vectors mapping)."""

    def __init__(
        self,
        prefixes: Mapping[str, Path],
        routes: Mapping[str, Response | bytes] | None = None,
    ) -> None:
        super().__init__(routes)
        self.prefixes = dict(prefixes)

    def fetch(self, url: str, *, accept: str = ACCEPT_BADGE) -> Response:
        """Serve explicit routes first, then files under a mapped prefix."""
        if url in self.routes:
            return super().fetch(url, accept=accept)
        self.requests.append(url)
        for prefix, directory in self.prefixes.items():
            if url.startswith(prefix):
                path = (directory / url[len(prefix) :]).resolve()
                if path.is_file() and directory.resolve() in path.parents:
                    body = path.read_bytes()
                    return Response(url, 200, _content_type(url, body), body)
        raise FetchError("not found in fake fetcher")


def png_chunk(ctype: bytes, body: bytes) -> bytes:
    """Return one PNG chunk with a correct CRC."""
    import struct
    import zlib

    crc = zlib.crc32(ctype + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", crc)


def tiny_png(width: int = 1, height: int = 1, extra: tuple[bytes, ...] = ()) -> bytes:
    """Return a PNG whose IHDR claims ``width`` x ``height``, with ``extra`` chunks before IEND."""
    import struct
    import zlib

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", idat)
        + b"".join(extra)
        + png_chunk(b"IEND", b"")
    )


SVG = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" viewBox="0 0 10 10">'
    b'<circle cx="5" cy="5" r="4" fill="#c00"/></svg>\n'
)
