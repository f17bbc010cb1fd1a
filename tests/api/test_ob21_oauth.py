"""OAuth 2.0 for OB 2.1 relying parties: what is refused, Moodle's refresh, consent, connections."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import pytest

from tests import badge_factory as bf
from tests.api import helpers as h
from tests.api import ob21_steps as s

OB3_READ = "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.readonly"
ASSERTION = {"assertion": {"id": "https://moodle.example/badges/assertion.php?b=1"}}


def _get(client, token: str, path: str = "/assertions"):
    return client.get(s.API + path, headers=h.bearer(token))


# --- tokens and scopes ---------------------------------------------------------------------


@pytest.mark.parametrize("header", [None, "Bearer nonsense", "Basic dXNlcjpwYXNz", "Bearer "])
def test_requests_without_a_valid_token_are_unauthenticated(client, header) -> None:
    headers = {"Authorization": header} if header else {}
    for response in (
        client.get(s.API + "/assertions", headers=headers),
        client.get(s.API + "/profile", headers=headers),
        client.post(s.API + "/assertions", json=ASSERTION, headers=headers),
    ):
        assert s.status_of(response) == (401, "UNAUTHENTICATED", 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_token_without_the_scope_is_permission_denied(app, client, auth, user) -> None:
    token = s.connect(client, auth, scope=s.PROFILE)["access_token"]
    pushed = s.push(client, token, ASSERTION)
    assert s.status_of(pushed) == (401, "PERMISSION_DENIED", 401)
    assert 'error="insufficient_scope"' in pushed.headers["WWW-Authenticate"]
    assert s.status_of(_get(client, token)) == (401, "PERMISSION_DENIED", 401)
    assert s.badge_count(app) == 0


def test_an_open_badges_3_token_does_not_open_the_2_1_api(client, auth, user) -> None:
    token = h.connect(client, auth, scope=OB3_READ)["access_token"]
    assert s.status_of(_get(client, token)) == (401, "PERMISSION_DENIED", 401)
    assert client.get("/ims/ob/v3p0/credentials", headers=h.bearer(token)).status_code == 200


def test_expired_and_revoked_tokens_are_refused(app, client, auth, user) -> None:
    tokens = s.connect(client, auth)
    reg = tokens["reg"]
    assert _get(client, tokens["access_token"]).status_code == 200
    revoked = client.post(
        "/oauth/revoke",
        data={"token": tokens["access_token"]},
        headers=h.basic(reg.client_id, reg.secret),
    )
    assert revoked.status_code == 200
    assert s.status_of(_get(client, tokens["access_token"])) == (401, "UNAUTHENTICATED", 401)

    fresh = s.connect(client, auth)["access_token"]
    from wallet.extensions import db
    from wallet.models import Token
    from wallet.models import utcnow
    from wallet.services.oauth import digest

    with app.app_context():
        record = db.session.scalar(db.select(Token).where(Token.access_hash == digest(fresh)))
        record.access_expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert s.status_of(_get(client, fresh)) == (401, "UNAUTHENTICATED", 401)


# --- codes, PKCE, redirects ----------------------------------------------------------------


def _code(client, auth, reg, **extra):
    auth.login()
    verifier, challenge = h.pkce()
    url = h.authorize_url(reg, scope=s.MOODLE_SCOPE, challenge=challenge, **extra)
    return h.approve(client, url), verifier


def test_a_replayed_code_is_refused_and_revokes_what_it_got(app, client, auth, user) -> None:
    reg = s.register(client)
    code, verifier = _code(client, auth, reg)
    first = h.exchange(client, reg, code, verifier)
    assert first.status_code == 200
    again = h.exchange(client, reg, code, verifier)
    assert again.status_code == 400 and again.get_json()["error"] == "invalid_grant"
    token = first.get_json()["access_token"]
    assert s.status_of(s.push(client, token, ASSERTION)) == (401, "UNAUTHENTICATED", 401)
    assert s.badge_count(app) == 0


def test_a_wrong_code_verifier_gets_no_token(client, auth, user) -> None:
    reg = s.register(client)
    code, _verifier = _code(client, auth, reg)
    wrong = h.exchange(client, reg, code, h.pkce()[0])
    assert wrong.status_code == 400 and wrong.get_json()["error"] == "invalid_grant"


def test_an_authorization_request_without_pkce_is_sent_back_with_an_error(client, auth, user):
    reg = s.register(client)
    auth.login()
    url = h.authorize_url(reg, scope=s.MOODLE_SCOPE, challenge="x", code_challenge=None)
    response = client.get(url)
    assert response.status_code == 302
    assert parse_qs(urlsplit(response.headers["Location"]).query)["error"] == ["invalid_request"]


def test_an_unregistered_redirect_is_never_followed(client, auth, user) -> None:
    reg = s.register(client)
    auth.login()
    url = h.authorize_url(
        reg,
        scope=s.MOODLE_SCOPE,
        challenge=h.pkce()[1],
        redirect_uri="https://attacker.example/admin/oauth2callback.php",
    )
    for response in (client.get(url), client.post(url, data={"decision": "approve"})):
        assert response.status_code == 400 and "Location" not in response.headers


def test_moodles_registration_is_accepted_as_it_sends_it(client) -> None:
    body = {
        "client_name": "Example University Moodle",
        "client_uri": "https://moodle.example.ac.jp/",
        "logo_uri": "https://moodle.example.ac.jp/pix/f/moodle-256.png",
        "tos_uri": "https://moodle.example.ac.jp/",
        "policy_uri": "https://moodle.example.ac.jp/",
        "software_id": "moodle",
        "software_version": "2024100700.02",
        "redirect_uris": ["https://moodle.example.ac.jp/admin/oauth2callback.php"],
        "token_endpoint_auth_method": "client_secret_basic",
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "scope": s.ALL,
    }
    response = client.post(
        "/oauth/register",
        data=json.dumps(body).replace("/", "\\/"),  # as PHP json_encode writes it
        headers={"Content-type": "application/json", "Accept": "application/json"},
    )
    assert response.status_code == 201
    answer = response.get_json()
    assert answer["client_id"] and answer["client_secret"] and answer["scope"] == s.ALL


# --- Moodle's refresh: the secret in the body ----------------------------------------------


def _refresh_with_secret_in_body(client, reg, refresh_token: str, scope: str):
    return client.post(
        "/oauth/token",
        data={
            "refresh_token": refresh_token,
            "grant_type": "refresh_token",
            "scope": scope,
            "client_id": reg.client_id,
            "client_secret": reg.secret,
        },
    )


def test_a_2_1_client_may_refresh_with_its_secret_in_the_body(client, auth, user) -> None:
    tokens = s.connect(client, auth)
    refreshed = _refresh_with_secret_in_body(
        client, tokens["reg"], tokens["refresh_token"], tokens["scope"]
    )
    assert refreshed.status_code == 200, refreshed.get_data(as_text=True)
    assert _get(client, refreshed.get_json()["access_token"]).status_code == 200
    assert s.status_of(_get(client, tokens["access_token"]))[0] == 401


def test_the_secret_in_the_body_is_refused_for_codes_and_for_3_0_clients(client, auth, user):
    reg = s.register(client)
    code, verifier = _code(client, auth, reg)
    in_body = client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": h.REDIRECT,
            "code_verifier": verifier,
            "client_id": reg.client_id,
            "client_secret": reg.secret,
        },
    )
    assert in_body.status_code in (400, 401) and in_body.get_json()["error"] == "invalid_client"
    ob3 = h.connect(client, auth, scope=OB3_READ)
    refused = _refresh_with_secret_in_body(client, ob3["reg"], ob3["refresh_token"], OB3_READ)
    assert refused.status_code == 401 and refused.get_json()["error"] == "invalid_client"


def test_the_token_answer_carries_the_scope_moodle_reads(client, auth, user) -> None:
    tokens = s.connect(client, auth)
    assert tokens["scope"] == s.MOODLE_SCOPE
    assert tokens["token_type"].lower() == "bearer" and tokens["expires_in"] > 10


# --- consent page and connected sites ------------------------------------------------------


@pytest.fixture
def english(app) -> None:
    """A holder who reads the wallet in English."""
    from tests.conftest import make_user

    with app.app_context():
        make_user("taro@example.com", language="en")


def test_the_consent_page_names_the_site_and_lists_open_badges_2_badges(app, client, auth, english):
    with app.app_context():
        bf.add_badge(1, spec="2.0", name="Moodle course badge")
        bf.add_badge(1, spec="3.0", name="An OB3 credential")
    reg = s.register(client, client_name="Example University Moodle")
    auth.login()
    page = client.get(h.authorize_url(reg, scope=s.MOODLE_SCOPE, challenge=h.pkce()[1]))
    html = page.get_data(as_text=True)
    assert "Example University Moodle" in html and "issuer.example" in html
    assert "Moodle course badge" in html and "An OB3 credential" not in html
    assert "Put badges in your wallet" in html


def test_connected_sites_are_listed_with_what_they_may_do_and_can_be_disconnected(
    app, client, auth, english
) -> None:
    token = s.connect(client, auth)["access_token"]
    h.connect(client, auth, scope=OB3_READ)
    html = client.get("/account").get_data(as_text=True)
    assert html.count('class="connection"') == 2
    assert "Read your public badges." in html and "Put badges in your wallet" in html
    actions = re.findall(r'action="(/account/connections/[a-z0-9]+/disconnect)"', html)
    assert len(actions) == 2
    for action in actions:
        assert client.post(action).status_code in (302, 303)
    assert "No application is connected" in client.get("/account").get_data(as_text=True)
    assert s.status_of(_get(client, token)) == (401, "UNAUTHENTICATED", 401)


# --- limits --------------------------------------------------------------------------------


class TestLimits:
    """Rate limits on, low enough to reach."""

    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "RATELIMIT_ENABLED": True, "RATELIMIT_API": "2 per minute"}

    def test_api_calls_over_the_limit_answer_429_in_the_envelope(self, client, auth, user):
        token = s.connect(client, auth)["access_token"]
        statuses = [_get(client, token).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        refused = _get(client, token)
        assert refused.get_json()["status"]["statusCode"] == 429
        assert refused.headers["Retry-After"]
