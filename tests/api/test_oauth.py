"""OAuth 2.0 of the API hosts: registration, consent, codes, PKCE, tokens, refresh, revocation."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import pytest

from tests.api import helpers as h
from tests.conftest import make_user

API = "/ims/ob/v3p0"


def _count(model) -> int:
    from wallet.extensions import db

    return db.session.scalar(db.select(db.func.count()).select_from(model))


# --- discovery ---------------------------------------------------------------------------


def test_discovery_needs_no_token_and_names_every_oauth_url(client) -> None:
    response = client.get(API + "/discovery")
    assert response.status_code == 200
    document = response.get_json()
    scheme = document["components"]["securitySchemes"]["OAuth2ACG"]
    base = "https://wallet.example.test"
    assert scheme["type"] == "oauth2"
    assert scheme["x-imssf-registrationUrl"] == base + "/oauth/register"
    flow = scheme["flows"]["authorizationCode"]
    assert flow["authorizationUrl"] == base + "/oauth/authorize"
    assert flow["tokenUrl"] == flow["refreshUrl"] == base + "/oauth/token"
    assert set(flow["scopes"]) == {h.READ, h.UPSERT, h.PROFILE_READ, h.PROFILE_UPDATE}
    assert document["servers"][0]["url"] == base + API
    assert document["info"]["termsOfService"] and document["info"]["x-imssf-privacyPolicyUrl"]


# --- registration ------------------------------------------------------------------------


def test_open_registration_answers_201_and_keeps_only_the_secret_hash(app, client) -> None:
    from wallet.models import OAuthClient

    response = client.post("/oauth/register", json=h.metadata())
    assert response.status_code == 201
    body = response.get_json()
    assert body["client_secret_expires_at"] == 0
    assert body["token_endpoint_auth_method"] == "client_secret_basic"
    assert body["redirect_uris"] == [h.REDIRECT]
    assert body["client_name"] == "Example Issuer"
    with app.app_context():
        from wallet.extensions import db

        stored = db.session.scalar(db.select(OAuthClient))
        assert stored.client_id == body["client_id"]
        assert body["client_secret"] not in (stored.secret_hash, stored.metadata_json)


@pytest.mark.parametrize(
    "change",
    [
        {"redirect_uris": None},
        {"redirect_uris": []},
        {"redirect_uris": ["http://issuer.example/callback"]},  # http off loopback
        {"redirect_uris": ["https://issuer.example/cb#frag"]},
        {"redirect_uris": ["https://user@issuer.example/cb"]},
        {"redirect_uris": ["javascript:alert(1)"]},
        {"redirect_uris": "https://issuer.example/cb"},  # not an array
        {"client_name": None},
        {"client_name": "Example\u202eIssuer"},
        {"client_name": "x" * 201},
        {"client_uri": "ftp://issuer.example/"},
        {"scope": "https://purl.imsglobal.org/spec/ob/v3p0/scope/everything"},
        {"scope": None},
        {"token_endpoint_auth_method": "client_secret_post"},
        {"token_endpoint_auth_method": "none"},
        {"grant_types": ["client_credentials"]},
        {"grant_types": ["implicit"]},
        {"response_types": ["token"]},
        {"software_statement": "eyJhbGciOiJub25lIn0.e30."},
    ],
)
def test_registration_refuses_bad_metadata_and_stores_nothing(app, client, change) -> None:
    from wallet.models import OAuthClient

    response = client.post("/oauth/register", json=h.metadata(**change))
    assert response.status_code == 400
    assert response.get_json()["error"].startswith("invalid_")
    with app.app_context():
        assert _count(OAuthClient) == 0


def test_registration_refuses_non_json_and_oversized_bodies(app, client) -> None:
    from wallet.models import OAuthClient

    assert client.post("/oauth/register", data="client_name=x").status_code == 400
    assert (
        client.post("/oauth/register", data="[]", content_type="application/json").status_code
        == 400
    )
    assert (
        client.post("/oauth/register", data="{", content_type="application/json").status_code == 400
    )
    huge = h.metadata(client_name="x", contacts=["a" * 200] * 100)
    assert client.post("/oauth/register", json=huge).status_code == 413
    with app.app_context():
        assert _count(OAuthClient) == 0


# --- authorization and consent -------------------------------------------------------------


def test_consent_page_shows_who_asks_and_what_for(client, auth, user) -> None:
    reg = h.register(client, client_name="<b>Evil</b> Issuer")
    auth.login()
    _verifier, challenge = h.pkce()
    page = client.get(h.authorize_url(reg, challenge=challenge))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "&lt;b&gt;Evil&lt;/b&gt; Issuer" in html and "<b>Evil</b>" not in html
    assert "issuer.example" in html
    assert 'name="decision" value="approve"' in html and 'value="deny"' in html
    assert page.headers["Cache-Control"] == "no-store"
    # the approval's redirect to the client is allowed by the page's own CSP, nothing else is
    assert "form-action 'self' https://issuer.example;" in page.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]


def test_authorization_asks_the_holder_to_sign_in_first(client, user) -> None:
    reg = h.register(client)
    _verifier, challenge = h.pkce()
    response = client.get(h.authorize_url(reg, challenge=challenge))
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/auth/login"


@pytest.mark.parametrize(
    "change",
    [
        {"redirect_uri": "https://evil.example/callback"},
        {"redirect_uri": h.REDIRECT + "/"},  # not character for character
        {"redirect_uri": h.REDIRECT + "?x=1"},
        {"redirect_uri": None},
        {"client_id": "unknown-client"},
        {"client_id": None},
    ],
)
def test_unknown_client_or_redirect_uri_never_redirects(client, auth, user, change) -> None:
    reg = h.register(client)
    auth.login()
    _verifier, challenge = h.pkce()
    url = h.authorize_url(reg, challenge=challenge, **change)
    for response in (client.get(url), client.post(url, data={"decision": "approve"})):
        assert response.status_code == 400
        assert "Location" not in response.headers
        assert 'href="https://evil.example' not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"code_challenge": None, "code_challenge_method": None}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),
        ({"code_challenge": "short"}, "invalid_request"),
        ({"scope": "https://purl.imsglobal.org/spec/ob/v3p0/scope/unknown"}, "invalid_scope"),
        ({"response_type": "token"}, "unsupported_response_type"),
    ],
)
def test_bad_authorization_requests_go_back_to_the_client_with_an_error(
    app, client, auth, user, change, error
) -> None:
    from wallet.models import AuthorizationCode

    reg = h.register(client)
    auth.login()
    _verifier, challenge = h.pkce()
    response = client.get(h.authorize_url(reg, challenge=challenge, **change))
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(h.REDIRECT + "?")
    query = parse_qs(urlsplit(location).query)
    assert query["error"] == [error] and query["state"] == ["xyz"]
    with app.app_context():
        assert _count(AuthorizationCode) == 0


def test_a_scope_the_client_did_not_register_is_refused(client, auth, user) -> None:
    reg = h.register(client, scope=h.READ)
    auth.login()
    _verifier, challenge = h.pkce()
    response = client.get(h.authorize_url(reg, challenge=challenge, scope=h.UPSERT))
    assert parse_qs(urlsplit(response.headers["Location"]).query)["error"] == ["invalid_scope"]


def test_deny_sends_access_denied_and_stores_no_code(app, client, auth, user) -> None:
    from wallet.models import AuthorizationCode
    from wallet.models import Connection

    reg = h.register(client)
    auth.login()
    _verifier, challenge = h.pkce()
    response = client.post(h.authorize_url(reg, challenge=challenge), data={"decision": "deny"})
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query["error"] == ["access_denied"] and query["state"] == ["xyz"]
    with app.app_context():
        assert _count(AuthorizationCode) == 0 and _count(Connection) == 0


def test_consent_needs_the_csrf_token(app, app_config, client, user) -> None:
    from wallet.models import AuthorizationCode

    app.config["WTF_CSRF_ENABLED"] = True
    reg = h.register(client)
    client.post("/auth/login", data={"email": user["email"], "password": user["password"]})
    _verifier, challenge = h.pkce()
    response = client.post(h.authorize_url(reg, challenge=challenge), data={"decision": "approve"})
    assert response.status_code == 400
    assert "Location" not in response.headers
    with app.app_context():
        assert _count(AuthorizationCode) == 0


# --- token endpoint ------------------------------------------------------------------------


def _code(client, auth, **register) -> tuple[h.Registered, str, str]:
    reg = h.register(client, **register)
    auth.login()
    verifier, challenge = h.pkce()
    return reg, h.approve(client, h.authorize_url(reg, challenge=challenge)), verifier


def test_token_response_is_a_bearer_token_not_cached(client, auth, user) -> None:
    reg, code, verifier = _code(client, auth)
    response = h.exchange(client, reg, code, verifier)
    assert response.status_code == 200
    body = response.get_json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["refresh_token"] and body["scope"] == h.ALL_SCOPES
    assert response.headers["Cache-Control"] == "no-store"


def test_tokens_and_codes_are_stored_hashed(app, client, auth, user) -> None:
    from wallet.extensions import db

    reg, code, verifier = _code(client, auth)
    body = h.exchange(client, reg, code, verifier).get_json()
    with app.app_context():
        dump = "\n".join(
            str(row)
            for table in ("oauth_tokens", "oauth_codes", "oauth_clients")
            for row in db.session.execute(db.text(f"SELECT * FROM {table}")).all()
        )
    for secret in (body["access_token"], body["refresh_token"], code, reg.secret):
        assert secret not in dump


def test_pkce_mismatch_is_refused_and_burns_the_code(client, auth, user) -> None:
    reg, code, verifier = _code(client, auth)
    other, _challenge = h.pkce()
    response = h.exchange(client, reg, code, other)
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_grant"
    assert h.exchange(client, reg, code, verifier).status_code == 400


def test_missing_verifier_is_refused(client, auth, user) -> None:
    reg, code, _verifier = _code(client, auth)
    response = client.post(
        "/oauth/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": h.REDIRECT},
        headers=h.basic(reg.client_id, reg.secret),
    )
    assert response.status_code == 400


def test_a_replayed_code_is_refused_and_revokes_what_it_gave(client, auth, user) -> None:
    reg, code, verifier = _code(client, auth)
    first = h.exchange(client, reg, code, verifier).get_json()
    assert client.get(API + "/profile", headers=h.bearer(first["access_token"])).status_code == 200
    again = h.exchange(client, reg, code, verifier)
    assert again.status_code == 400 and again.get_json()["error"] == "invalid_grant"
    assert client.get(API + "/profile", headers=h.bearer(first["access_token"])).status_code == 401
    refresh = client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        headers=h.basic(reg.client_id, reg.secret),
    )
    assert refresh.status_code == 400


def test_an_expired_code_is_refused(app, client, auth, user) -> None:
    from wallet.extensions import db
    from wallet.models import AuthorizationCode
    from wallet.models import utcnow

    reg, code, verifier = _code(client, auth)
    with app.app_context():
        record = db.session.scalar(db.select(AuthorizationCode))
        record.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert h.exchange(client, reg, code, verifier).status_code == 400


def test_the_code_is_bound_to_its_client_redirect_uri_and_secret(client, auth, user) -> None:
    reg, code, verifier = _code(client, auth)
    other = h.register(client)
    assert h.exchange(client, other, code, verifier).status_code == 400
    wrong_secret = h.Registered(reg.client_id, "not-the-secret", {})
    assert h.exchange(client, wrong_secret, code, verifier).status_code == 401
    moved = client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": "https://issuer.example/elsewhere",
            "code_verifier": verifier,
        },
        headers=h.basic(reg.client_id, reg.secret),
    )
    assert moved.status_code == 400


def test_client_secret_post_is_not_accepted(client, auth, user) -> None:
    reg, code, verifier = _code(client, auth)
    response = client.post(
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
    assert response.status_code == 401


# --- refresh and revocation ----------------------------------------------------------------


def _refresh(client, reg, token: str, scope: str | None = None):
    data = {"grant_type": "refresh_token", "refresh_token": token}
    if scope:
        data["scope"] = scope
    return client.post("/oauth/token", data=data, headers=h.basic(reg.client_id, reg.secret))


def test_refresh_rotates_both_tokens(client, auth, user) -> None:
    first = h.connect(client, auth)
    reg = first["reg"]
    response = _refresh(client, reg, first["refresh_token"], scope=h.PROFILE_READ)
    assert response.status_code == 200
    second = response.get_json()
    assert second["scope"] == h.PROFILE_READ and second["refresh_token"] != first["refresh_token"]
    assert client.get(API + "/profile", headers=h.bearer(second["access_token"])).status_code == 200
    assert client.get(API + "/profile", headers=h.bearer(first["access_token"])).status_code == 401
    assert _refresh(client, reg, first["refresh_token"]).status_code == 400


def test_refresh_cannot_widen_the_scope(client, auth, user) -> None:
    first = h.connect(client, auth, scope=h.PROFILE_READ)
    response = _refresh(client, first["reg"], first["refresh_token"], scope=h.ALL_SCOPES)
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_scope"


def test_refresh_needs_the_same_client(client, auth, user) -> None:
    first = h.connect(client, auth)
    other = h.register(client)
    assert _refresh(client, other, first["refresh_token"]).status_code == 400


@pytest.mark.parametrize("hint", [None, "access_token", "refresh_token"])
def test_revocation_kills_the_pair(client, auth, user, hint) -> None:
    tokens = h.connect(client, auth)
    reg = tokens["reg"]
    data = {"token": tokens["access_token"]}
    if hint:
        data["token_type_hint"] = hint
    response = client.post("/oauth/revoke", data=data, headers=h.basic(reg.client_id, reg.secret))
    assert response.status_code == 200
    assert client.get(API + "/profile", headers=h.bearer(tokens["access_token"])).status_code == 401
    assert _refresh(client, reg, tokens["refresh_token"]).status_code == 400


def test_revocation_by_another_client_is_refused(client, auth, user) -> None:
    tokens = h.connect(client, auth)
    other = h.register(client)
    response = client.post(
        "/oauth/revoke",
        data={"token": tokens["access_token"]},
        headers=h.basic(other.client_id, other.secret),
    )
    assert response.status_code == 400
    assert client.get(API + "/profile", headers=h.bearer(tokens["access_token"])).status_code == 200


def test_an_expired_access_token_is_refused(app, client, auth, user) -> None:
    from wallet.extensions import db
    from wallet.models import Token
    from wallet.models import utcnow

    tokens = h.connect(client, auth)
    with app.app_context():
        for record in db.session.scalars(db.select(Token)):
            record.access_expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    response = client.get(API + "/profile", headers=h.bearer(tokens["access_token"]))
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert response.get_json()["imsx_codeMajor"] == "failure"


# --- connected applications ----------------------------------------------------------------


def test_account_page_lists_the_connection_and_disconnect_kills_its_tokens(
    app, client, auth, user
) -> None:
    from wallet.extensions import db
    from wallet.models import Connection
    from wallet.models import Token

    tokens = h.connect(client, auth)
    page = client.get("/account").get_data(as_text=True)
    assert "Example Issuer" in page and "/disconnect" in page
    with app.app_context():
        public_id = db.session.scalar(db.select(Connection.public_id))
    response = client.post(f"/account/connections/{public_id}/disconnect")
    assert response.status_code == 303
    assert client.get(API + "/profile", headers=h.bearer(tokens["access_token"])).status_code == 401
    with app.app_context():
        assert _count(Token) == 0 and _count(Connection) == 0
    assert "Example Issuer" not in client.get("/account").get_data(as_text=True)


def test_another_holders_connection_cannot_be_disconnected(app, client, auth, user) -> None:
    from wallet.extensions import db
    from wallet.models import Connection

    tokens = h.connect(client, auth)
    with app.app_context():
        make_user("hanako@example.com")
        public_id = db.session.scalar(db.select(Connection.public_id))
    auth.logout()
    auth.login("hanako@example.com")
    assert client.post(f"/account/connections/{public_id}/disconnect").status_code == 404
    assert client.get(API + "/profile", headers=h.bearer(tokens["access_token"])).status_code == 200
