"""Work that runs after the response is sent: the answer's timing must not depend on it.

Registration and password-reset requests answer the same page in the same time whether or not
the address has an account (no enumeration by the clock): the view only queues the work, and
the worker does it once the response has gone out (WSGI close), with its own app context.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask import current_app
from flask import g
from flask.wrappers import Response

log = logging.getLogger(__name__)
QUEUE = "wallet_after_response"


def defer(task: Callable[..., Any], *args: Any) -> None:
    """Run task(*args) after this request's response has been sent."""
    g.setdefault(QUEUE, []).append((task, args))


def install(app: Flask) -> None:
    """Hand queued work to the response, to run when the server closes it."""
    app.after_request(_attach)


def _attach(response: Response) -> Response:
    tasks = g.pop(QUEUE, None)
    if tasks:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        response.call_on_close(lambda: _run(app, tasks))
    return response


def _run(app: Flask, tasks: list[tuple[Callable[..., Any], tuple[Any, ...]]]) -> None:
    """Run the tasks in a fresh context on WALLET_BASE_URL (for the links in mails)."""
    from wallet.extensions import db

    with app.test_request_context("/", base_url=app.config["BASE_URL"]):
        for task, args in tasks:
            try:
                task(*args)
            except Exception:  # the answer has gone: log, never lose the other tasks
                db.session.rollback()
                name = getattr(getattr(task, "func", task), "__qualname__", repr(task))
                log.exception("work after the response failed: %s", name)
        db.session.remove()
