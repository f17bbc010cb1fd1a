"""Absolute links for mails and documents, on WALLET_BASE_URL (never the request's Host)."""

from __future__ import annotations

from flask import current_app
from flask import has_request_context
from flask import url_for


def external_url(endpoint: str, **values: object) -> str:
    """Return the absolute URL of endpoint, in a request or not (the CLI, cron, the worker)."""
    base = current_app.config["BASE_URL"]
    if has_request_context():
        return base + url_for(endpoint, **values)
    with current_app.test_request_context("/"):
        return base + url_for(endpoint, **values)
