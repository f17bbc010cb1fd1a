"""OAuth and API steps for OB 2.1 tests, through the real endpoints with the Flask test client."""

from __future__ import annotations

import json
from typing import Any

from tests.api import helpers as h

API = "/ims/ob/v2p1"
V2P1 = "https://purl.imsglobal.org/spec/ob/v2p1/scope/"
READ = V2P1 + "assertion.readonly"
CREATE = V2P1 + "assertion.create"
PROFILE = V2P1 + "profile.readonly"
ALL = f"{PROFILE} {READ} {CREATE}"
MOODLE_SCOPE = f"{READ} {CREATE}"  # what Moodle asks for from the three offered


def register(client: Any, scope: str = ALL, **overrides: Any) -> h.Registered:
    """Register a relying party for the 2.1 scopes (Moodle's metadata shape)."""
    return h.register(client, scope=scope, software_id="moodle", **overrides)


def connect(
    client: Any, auth: Any, *, scope: str = MOODLE_SCOPE, registered: str = ALL, **form: Any
) -> dict[str, Any]:
    """Register, sign in as the holder, consent and exchange: return the token response."""
    reg = register(client, scope=registered)
    auth.login()
    verifier, challenge = h.pkce()
    code = h.approve(client, h.authorize_url(reg, scope=scope, challenge=challenge), **form)
    response = h.exchange(client, reg, code, verifier)
    assert response.status_code == 200, response.get_data(as_text=True)
    return {**response.get_json(), "reg": reg}


def push(client: Any, token: str, payload: Any, content_type: str = "application/json") -> Any:
    """POST an Assertion Payload (a dict is JSON-encoded; bytes and str go as they are)."""
    body = payload if isinstance(payload, (bytes, str)) else json.dumps(payload)
    headers = {**h.bearer(token), "Content-Type": content_type, "Accept": "application/json"}
    return client.post(API + "/assertions", data=body, headers=headers)


def status_of(response: Any) -> tuple[int, str, int]:
    """Return (HTTP status, statusText, statusCode) of an enveloped answer."""
    status = response.get_json()["status"]
    return response.status_code, status["statusText"], status["statusCode"]


def badge_count(app: Any) -> int:
    """Return how many badges the wallet holds."""
    from wallet.extensions import db
    from wallet.models import Badge

    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(Badge))
