"""What operator commands share: a one-line failure (never a traceback) and a request context."""

from __future__ import annotations

import sys
from typing import Any
from typing import NoReturn

import click
from flask import current_app


def fail(message: str, code: int = 1) -> NoReturn:
    """Print `Error: message` to stderr and exit with code."""
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


def request_context() -> Any:
    """A request context for the mail templates and url_for (mails are composed as on the web)."""
    return current_app.test_request_context("/")
