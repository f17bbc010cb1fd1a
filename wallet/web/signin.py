"""Signing in and out on this device, and the "confirm it's you" gate for sensitive actions."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from typing import TypeVar

from flask import jsonify
from flask import request
from flask import session
from flask import url_for
from flask_login import current_user
from flask_login import login_user
from flask_login import logout_user

from wallet.services import sessions
from wallet.web.rendering import redirect_to
from wallet.web.rendering import safe_next_url
from wallet.web.visitors import signed_in_user

View = TypeVar("View", bound=Callable[..., Any])


def sign_in(user: Any, *, method: str, remember: bool = False) -> None:
    """Start a new server-side session for user on this device and sign in with it."""
    session.clear()  # a new session on sign-in: nothing set before survives (fixation)
    agent = request.headers.get("User-Agent", "")
    sessions.start(user, remember=remember, method=method, user_agent=agent)
    login_user(user, remember=remember)


def sign_out() -> None:
    """End this device's session on the server, then forget it in the browser."""
    if current_user.is_authenticated:
        sessions.end(signed_in_user())
    logout_user()
    session.clear()


def reauth_url(next_url: str) -> str:
    """Return the "confirm it's you" page that comes back to next_url."""
    return url_for("auth.reauth", next=safe_next_url(next_url) or url_for("account.settings"))


def fresh_required(back_to: str | None = None) -> Callable[[View], View]:
    """Refuse a sensitive action unless the holder proved who they are here just now.

    back_to names the page to return to after confirming (default: this URL when it is a GET).
    JSON callers (passkey ceremonies) get 401 with the confirmation URL to open.
    """

    def decorate(view: View) -> View:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if current_user.is_authenticated and not sessions.is_fresh(signed_in_user()):
                if back_to:
                    target = url_for(back_to)
                elif request.method == "GET":
                    target = request.full_path.rstrip("?")
                else:
                    target = url_for("account.settings")
                url = reauth_url(target)
                if request.is_json:
                    return jsonify({"error": "reauth", "url": url}), 401
                return redirect_to(url)
            return view(*args, **kwargs)

        return guarded  # type: ignore[return-value]

    return decorate
