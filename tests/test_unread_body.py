"""The middleware that drains unread request bodies stops at the declared length."""

from __future__ import annotations

import io
from typing import Any

from wallet.web.unread_body import DrainUnreadBody

BODY = b"csrf_token=stale&bio=hello"
NEXT_REQUEST = b"GET /next HTTP/1.1\r\n"  # what a keep-alive client sends after the body


def _refusing_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """Answer without reading the body, as a refused CSRF token does."""
    start_response("400 Bad Request", [("Content-Type", "text/plain")])
    return [b"refused"]


def _reading_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """Read the whole body the way werkzeug does and echo it."""
    data = environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [data]


def _serve(app: Any, socket: io.BytesIO, length: str, limit: int = 1024) -> bytes:
    """Run one request through the middleware and close its answer as a server does."""
    environ = {"REQUEST_METHOD": "POST", "CONTENT_LENGTH": length, "wsgi.input": socket}
    answer = DrainUnreadBody(app, limit)(environ, lambda status, headers: None)
    try:
        return b"".join(answer)
    finally:
        answer.close()


def test_an_unread_body_is_drained_up_to_its_length_and_no_further() -> None:
    socket = io.BytesIO(BODY + NEXT_REQUEST)
    assert _serve(_refusing_app, socket, str(len(BODY))) == b"refused"
    assert socket.tell() == len(BODY)


def test_a_body_the_app_reads_is_whole_and_the_next_request_untouched() -> None:
    socket = io.BytesIO(BODY + NEXT_REQUEST)
    assert _serve(_reading_app, socket, str(len(BODY))) == BODY
    assert socket.tell() == len(BODY)


def test_a_body_over_the_limit_is_left_for_the_server_to_close() -> None:
    socket = io.BytesIO(BODY + NEXT_REQUEST)
    _serve(_refusing_app, socket, str(len(BODY)), limit=len(BODY) - 1)
    assert socket.tell() == 0


def test_a_client_that_sends_less_than_it_declared_is_let_go() -> None:
    socket = io.BytesIO(BODY[:5])
    assert _serve(_refusing_app, socket, str(len(BODY))) == b"refused"
    assert socket.tell() == 5


def test_a_length_that_is_not_a_number_drains_nothing() -> None:
    socket = io.BytesIO(BODY)
    assert _serve(_refusing_app, socket, "many") == b"refused"
    assert socket.tell() == 0
