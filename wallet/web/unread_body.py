"""Read what a request body still holds before its connection closes.

An answer given without reading the body (a refused CSRF token, a redirect to sign in) leaves
bytes unread; gunicorn then closes the socket with data pending, the kernel resets the
connection, and nginx, still sending that body, answers 502 instead of the app's 4xx.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Iterator
from typing import Any

from werkzeug.exceptions import ClientDisconnected
from werkzeug.wsgi import LimitedStream

CHUNK = 64 * 1024


class DrainUnreadBody:
    """WSGI middleware: once the answer is written, read and drop the rest of a declared body."""

    def __init__(self, wsgi_app: Any, limit: int) -> None:
        self.next = wsgi_app
        self.limit = limit  # larger bodies are refused, not read: closing is cheaper then

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        length = _declared_length(environ)
        stream = environ.get("wsgi.input")
        if stream is not None and 0 < length <= self.limit:
            # Some servers (werkzeug's) hand over the raw socket: draining must stop at the
            # declared length, not wait for an end of stream a keep-alive client never sends.
            environ["wsgi.input"] = LimitedStream(stream, length)
        return _ThenDrain(self.next(environ, start_response), environ, self.limit)


class _ThenDrain:
    """A response body that drains the request's input when the server closes it."""

    def __init__(self, body: Iterable[bytes], environ: dict[str, Any], limit: int) -> None:
        self.body = body
        self.environ = environ
        self.limit = limit

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.body)

    def close(self) -> None:
        """Close the wrapped body, then read what is left of the request body."""
        try:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()
        finally:
            drain(self.environ, self.limit)


def _declared_length(environ: dict[str, Any]) -> int:
    """The request's Content-Length, 0 when absent or not a number."""
    try:
        return int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def drain(environ: dict[str, Any], limit: int) -> None:
    """Read and drop what is left of a declared body of at most limit bytes."""
    length = _declared_length(environ)
    stream = environ.get("wsgi.input")
    if stream is None or length <= 0 or length > limit:
        return
    try:
        while stream.read(CHUNK):
            pass
    except (OSError, ValueError, ClientDisconnected):  # the client went away, or the stream closed
        return
