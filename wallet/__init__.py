"""The badge wallet: an Open Badges recipient wallet (Flask + htmx)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Create the application; Flask is imported here so `wallet.openbadges` stays Flask-free."""
    from wallet.web.factory import build_app

    return build_app(config)
