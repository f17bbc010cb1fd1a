"""The front page: the wallet for a signed-in holder, a welcome for visitors."""

from __future__ import annotations

from flask import Blueprint
from flask_login import current_user

from wallet.web.rendering import render_page
from wallet.web.views import wallet

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    """Show the holder's wallet, or the welcome page."""
    if current_user.is_authenticated:
        return wallet.home()
    return render_page("main/welcome.html")
