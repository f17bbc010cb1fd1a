"""CSRF sweep over the URL map: every state-changing rule refuses a request without a valid token
(400, nothing written), and no GET rule writes anything, for visitors, holders and operators.

ASVS 4.0 4.2.2, 13.2.3; 5.0 3.5.1, 3.5.3.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest

from tests import badge_factory as bf
from tests.conftest import PASSWORD
from tests.conftest import make_user
from tests.hardening.helpers import db_state
from tests.hardening.helpers import write_figures

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# Machine endpoints (wallet/api) take bearer tokens or client credentials, never the session
# cookie, so CSRF does not apply to them: sent a cookie and no credentials, they refuse.
MACHINE = ("oauth.register", "oauth.token", "oauth.revoke", "ob3.", "ob21.", "oid4vci.")
MACHINE_REFUSALS = {400, 401, 404, 405, 415}
# OpenID4VCI's nonce endpoint answers anyone (1.0 §7) and writes nothing: the nonce is signed.
MACHINE_OPEN = ("oid4vci.nonce",)


@pytest.fixture
def app_config(app_config: dict[str, object]) -> dict[str, object]:
    """CSRF protection on, as in production."""
    app_config["WTF_CSRF_ENABLED"] = True
    return app_config


def _token(client, path: str = "/auth/login") -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


def _signed_in(app, email: str):
    client = app.test_client()
    data = {"email": email, "password": PASSWORD, "csrf_token": _token(client)}
    response = client.post("/auth/login", data=data)
    assert response.status_code in (302, 303), response.status_code
    return client


def _samples(app) -> dict[str, Any]:
    """Create one of everything a route may take an id of; return sample URL values."""
    from wallet.services import issuing
    from wallet.services.issuing import batches as award_batches
    from wallet.services.issuing import claims
    from wallet.services.issuing import issuers

    with app.app_context():
        taro = make_user()
        boss = make_user("boss@example.com", role="operator")
        badge = bf.add_badge(taro.id, name="Swept")
        issuer = issuers.create_issuer("jci", "JCI", "https://jci.example/", "b@x.org", owner=boss)
        achievement = issuers.create_achievement(issuer, "gishi", "技士", "説明", "基準")
        award = issuing.award(
            achievement, issuing.AwardRow("hanako@example.com", "山田", "花子", date(2026, 4, 1))
        ).award
        csv = "email,family_name,given_name\njiro@example.com,山田,次郎\n"
        batch, _ = award_batches.start(achievement, csv.encode())
        return {
            "batch_id": batch.public_id,
            "badge_id": badge.id,
            "public_id": badge.public_id,
            "profile_id": taro.profile_id,
            "award_id": award.id,
            "user_id": boss.id,
            "token": claims.make_token(award),
            "slug": "jci",
            "number": 1,
            "kind": "certificate",
            "achievement_public_id": achievement.public_id,
        }


def _url(rule, samples: dict[str, Any]) -> str:
    values = {}
    for name in rule.arguments:
        if name == "public_id" and rule.rule.startswith(("/issuing/", "/achievements/")):
            values[name] = samples["achievement_public_id"]
        else:
            values[name] = samples.get(name, "x")
    return rule.build(values, append_unknown=False)[1]


FORM = {
    "visibility": "private",
    "email": "taro@example.com",
    "password": PASSWORD,
    "current_password": PASSWORD,
    "password_confirm": "Newpassw0rd",
    "family_name": "X",
    "given_name": "Y",
    "name_order": "family-first",
    "language": "en",
    "lang": "en",
    "default_visibility": "private",
    "url": "https://issuer.example/a.json",
    "text": "{}",
    "name": "N",
}


def test_every_unsafe_route_refuses_a_missing_or_wrong_token(app) -> None:
    samples = _samples(app)
    clients = {
        "visitor": app.test_client(),
        "holder": _signed_in(app, "taro@example.com"),
        "operator": _signed_in(app, "boss@example.com"),
    }
    # A genuine token of another session (the attacker's own, from their visit).
    foreign = _token(app.test_client())
    before = db_state(app)
    tried = 0
    for rule in app.url_map.iter_rules():
        methods = rule.methods & UNSAFE
        if not methods:
            continue
        url = _url(rule, samples)
        if rule.endpoint.startswith(MACHINE):
            for client in clients.values():
                for method in sorted(methods):
                    response = client.open(url, method=method, data=FORM)
                    tried += 1
                    if rule.endpoint not in MACHINE_OPEN:
                        assert response.status_code in MACHINE_REFUSALS, (method, url)
                    assert db_state(app) == before, (method, url)
            continue
        for who, client in clients.items():
            for method in sorted(methods):
                for token in (None, "forged-token", foreign):
                    data = dict(FORM) if token is None else {**FORM, "csrf_token": token}
                    response = client.open(url, method=method, data=data)
                    tried += 1
                    status = response.status_code
                    # A visitor on a sign-in page may be sent to sign in first: never served.
                    assert status == 400 or (who == "visitor" and status in (302, 303, 401)), (
                        who,
                        method,
                        url,
                        token,
                        status,
                    )
                    assert db_state(app) == before, (who, method, url)
                headers = {"X-CSRFToken": "forged", "HX-Request": "true"}
                response = client.open(url, method=method, data=FORM, headers=headers)
                assert response.status_code in (400, 200, 204) and db_state(app) == before
                if response.status_code != 400:
                    assert who == "visitor" and "HX-Redirect" in response.headers
    write_figures("csrf_sweep", {"unsafe_requests": tried, "accepted": 0, "state_changes": 0})


def test_no_get_route_changes_state(app) -> None:
    samples = _samples(app)
    clients = {
        "visitor": app.test_client(),
        "holder": _signed_in(app, "taro@example.com"),
        "operator": _signed_in(app, "boss@example.com"),
    }
    before = db_state(app)
    asked = 0
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        url = _url(rule, samples)
        if rule.endpoint == "auth.verify_email":
            # The mailed confirmation link is the one GET that acts (the token is its proof);
            # a made-up token must change nothing.
            url = rule.build({"token": "made-up"}, append_unknown=False)[1]
        for client in clients.values():
            for headers in ({}, {"HX-Request": "true"}):
                response = client.get(url + "?visibility=private&confirm=1", headers=headers)
                asked += 1
                assert response.status_code < 500, url
                assert db_state(app) == before, url
    write_figures("get_sweep", {"get_requests": asked, "state_changes": 0})
