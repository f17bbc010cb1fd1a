"""The bytes of one outgoing HTTP/1.1 request: a GET for documents, or a call with a body."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field

from wallet.openbadges.fetch_base import refused

# RFC 9110 token characters for header names; values may not break the header block.
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}")
_BAD_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_RESERVED = {"host", "user-agent", "accept", "accept-encoding", "connection", "content-length"}


@dataclass(frozen=True)
class Outgoing:
    """A request other than a plain GET: its method, extra headers and body."""

    method: str = "GET"
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""


def request_bytes(
    host: str, request_target: str, *, accept: str, user_agent: str, outgoing: Outgoing | None
) -> bytes:
    """Return the request line, headers and body; raise FetchError for unsendable values."""
    outgoing = outgoing or Outgoing()
    if outgoing.method not in ("GET", "POST", "PUT"):
        raise refused()
    lines = [
        f"{outgoing.method} {request_target} HTTP/1.1",
        f"Host: {host}",
        f"User-Agent: {user_agent}",
        f"Accept: {accept}",
        "Accept-Encoding: identity",
        "Connection: close",
    ]
    for name, value in outgoing.headers.items():
        if not _HEADER_NAME.fullmatch(name) or name.lower() in _RESERVED:
            raise refused()
        if _BAD_VALUE.search(value) or len(value) > 8192:
            raise refused()
        lines.append(f"{name}: {value}")
    if outgoing.method != "GET":
        lines.append(f"Content-Length: {len(outgoing.body)}")
    if re.search(r"[\x00-\x1f\x7f\\]", accept.replace(" ", "")) or "\n" in user_agent:
        raise refused()
    text = "\r\n".join(lines) + "\r\n\r\n"
    return text.encode("latin-1", "strict") + outgoing.body
