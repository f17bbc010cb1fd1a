"""The OB 3.0 API resources: read with paging, upsert through the import gate, the profile."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests import badge_factory as bf
from tests.api import helpers as h
from tests.conftest import make_user

API = "/ims/ob/v3p0"
JSON = {"Content-Type": "application/json"}


def _badges(app) -> list:
    from wallet.extensions import db
    from wallet.models import Badge

    with app.app_context():
        return list(db.session.scalars(db.select(Badge).order_by(Badge.id)))


def _post(client, token: str, body: bytes | str, content_type: str = "application/json"):
    headers = {**h.bearer(token), "Content-Type": content_type}
    return client.post(API + "/credentials", data=body, headers=headers)


def _import(app, holder: str = "taro@example.com", **kwargs):
    from wallet.services import badge_import
    from wallet.services.accounts import find_by_email

    with app.app_context():
        return badge_import.import_badge(find_by_email(holder), bf.ob3_json(**kwargs)).badge.id


# --- upsert --------------------------------------------------------------------------------


def test_upsert_creates_echoes_and_tells_the_holder(app, client, auth, user, outbox) -> None:
    token = h.connect(client, auth)["access_token"]
    body = bf.ob3_json(name="Bridge inspection")
    response = _post(client, token, body)
    assert response.status_code == 201
    assert response.data == body and response.mimetype == "application/json"
    [badge] = _badges(app)
    assert badge.name == "Bridge inspection" and badge.result == "valid"
    mail = outbox.to("taro@example.com")[-1]
    assert "Example Issuer" in mail["Subject"]


def test_upsert_of_the_same_credential_answers_200_and_keeps_one(app, client, auth, user) -> None:
    token = h.connect(client, auth)["access_token"]
    body = bf.ob3_json(credential_id="urn:uuid:2f7b1a52-0000-4000-8000-000000000001")
    assert _post(client, token, body).status_code == 201
    again = _post(client, token, body, "application/vc+ld+json")
    assert again.status_code == 200 and again.mimetype == "application/vc+ld+json"
    assert len(_badges(app)) == 1


def test_a_newer_credential_with_the_same_id_and_issuer_replaces_the_stored_one(
    app, client, auth, user
) -> None:
    token = h.connect(client, auth)["access_token"]
    same = "urn:uuid:2f7b1a52-0000-4000-8000-000000000002"
    assert _post(client, token, bf.ob3_json(credential_id=same, name="Old")).status_code == 201
    [before] = _badges(app)
    newer = bf.ob3_json(credential_id=f" {same} ", name="New", valid_from=bf.days(-1))
    assert _post(client, token, newer).status_code == 200
    [after] = _badges(app)
    assert after.id == before.id and after.public_id == before.public_id
    assert after.name == "New"
    older = bf.ob3_json(credential_id=same, name="Older", valid_from=bf.days(-400))
    assert _post(client, token, older).status_code == 200
    assert _badges(app)[0].name == "New"


def test_the_same_id_from_another_issuer_is_a_conflict(app, client, auth, user) -> None:
    token = h.connect(client, auth)["access_token"]
    same = "urn:uuid:2f7b1a52-0000-4000-8000-000000000003"
    assert _post(client, token, bf.ob3_json(credential_id=same)).status_code == 201
    document = bf.ob3_credential(credential_id=same, key_name="another-issuer", name="Other")
    other = json.dumps(bf.sign(document, "another-issuer"))
    response = _post(client, token, other)
    assert response.status_code == 409 and response.get_json()["imsx_codeMajor"] == "failure"
    assert [b.name for b in _badges(app)] == ["コンクリート診断士"]


def test_upsert_takes_a_compact_jws_as_text_plain(app, client, auth, user) -> None:
    token = h.connect(client, auth)["access_token"]
    jwt = bf.vc_jwt(name="JWT badge")
    response = _post(client, token, jwt, "text/plain")
    assert response.status_code == 201 and response.get_data(as_text=True) == jwt
    assert response.mimetype == "text/plain"
    assert _badges(app)[0].format == "jwt"


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (bf.ob3_json(email="someone.else@example.com"), "application/json", 400),
        (bf.tampered_json(), "application/json", 400),
        (bf.ob3_json(valid_until=bf.days(-1)), "application/json", 400),
        (json.dumps({"@context": [], "type": ["VerifiableCredential"]}), "application/json", 400),
        (b"{not json", "application/json", 400),
        (b"[1, 2]", "application/json", 400),
        (b"\xff\xfe", "application/json", 400),
        (b"", "application/json", 400),
        ("https://issuer.example/badge.json", "text/plain", 400),  # never fetched
        ("not.a.jws!", "text/plain", 400),
        (bf.ob3_json(), "application/xml", 415),
        (bf.ob3_json(), "multipart/form-data", 415),
        (bf.ob3_png(), "image/png", 415),
    ],
)
def test_bad_upserts_are_refused_with_status_info_and_store_nothing(
    app, client, auth, user, outbox, body, content_type, status
) -> None:
    token = h.connect(client, auth)["access_token"]
    mails = len(outbox.messages())
    response = _post(client, token, body, content_type)
    assert response.status_code == status
    info = response.get_json()
    assert info["imsx_codeMajor"] == "failure" and info["imsx_severity"] == "error"
    assert info["imsx_description"]
    assert _badges(app) == [] and len(outbox.messages()) == mails


def test_an_ob2_assertion_is_refused_before_anything_is_fetched(app, client, auth, user) -> None:
    token = h.connect(client, auth)["access_token"]
    assertion = {
        "@context": bf.OB2_CONTEXT,
        "type": "Assertion",
        "id": "http://127.0.0.1:9/assertion.json",
        "recipient": {"type": "email", "hashed": False, "identity": "taro@example.com"},
        "badge": "http://127.0.0.1:9/badge.json",
        "verification": {"type": "hosted"},
        "issuedOn": "2026-01-01T00:00:00Z",
    }
    response = _post(client, token, json.dumps(assertion))
    assert response.status_code == 400
    assert "3.0" in response.get_json()["imsx_description"]
    assert _badges(app) == []


def test_an_oversized_body_is_refused(app, client, auth, user) -> None:
    app.config["API_MAX_BODY_BYTES"] = 1000
    token = h.connect(client, auth)["access_token"]
    response = _post(client, token, bf.ob3_json())
    assert response.status_code == 413 and response.get_json()["imsx_codeMajor"] == "failure"
    assert _badges(app) == []


def test_upsert_needs_the_upsert_scope(app, client, auth, user) -> None:
    token = h.connect(client, auth, scope=f"{h.READ} {h.PROFILE_READ}")["access_token"]
    response = _post(client, token, bf.ob3_json())
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]
    assert _badges(app) == []


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer " + "x" * 5000},
    ],
)
def test_every_resource_refuses_missing_or_bad_tokens(app, client, user, headers) -> None:
    for method, path in (
        ("GET", "/credentials"),
        ("POST", "/credentials"),
        ("GET", "/profile"),
        ("PUT", "/profile"),
    ):
        response = client.open(
            API + path, method=method, data=bf.cached_ob3_json(), headers={**headers, **JSON}
        )
        assert response.status_code == 401, (method, path)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.get_json()["imsx_codeMinor"]["imsx_codeMinorField"]
    assert _badges(app) == []


# --- reading -------------------------------------------------------------------------------


def test_get_pages_with_total_and_links(app, client, auth, user) -> None:
    for n in range(5):
        _import(app, name=f"Badge {n}")
    token = h.connect(client, auth)["access_token"]
    response = client.get(API + "/credentials?limit=2&offset=2", headers=h.bearer(token))
    assert response.status_code == 200
    assert response.headers["X-Total-Count"] == "5"
    links = response.headers["Link"]
    base = "https://wallet.example.test/ims/ob/v3p0/credentials"
    assert f'<{base}?limit=2&offset=0>; rel="first"' in links
    assert f'<{base}?limit=2&offset=4>; rel="last"' in links
    assert f'<{base}?limit=2&offset=4>; rel="next"' in links
    assert f'<{base}?limit=2&offset=0>; rel="prev"' in links
    body = response.get_json()
    assert len(body["credential"]) == 2 and body["compactJwsString"] == []
    names = [c["credentialSubject"]["achievement"]["name"] for c in body["credential"]]
    assert names == ["Badge 2", "Badge 1"]


def test_get_returns_exactly_the_stored_credential(app, client, auth, user) -> None:
    token = h.connect(client, auth)["access_token"]
    body = bf.ob3_json(name="Round trip")
    _post(client, token, body)
    jwt = bf.vc_jwt(name="JWT round trip")
    _post(client, token, jwt, "text/plain")
    got = client.get(API + "/credentials", headers=h.bearer(token)).get_json()
    assert got["credential"] == [json.loads(body)]
    assert got["compactJwsString"] == [jwt]


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=-1", "limit=x", "offset=-1", "offset=1.5", "since=yesterday"]
)
def test_bad_paging_parameters_are_refused(client, auth, user, query) -> None:
    token = h.connect(client, auth)["access_token"]
    response = client.get(f"{API}/credentials?{query}", headers=h.bearer(token))
    assert response.status_code == 400 and response.get_json()["imsx_codeMajor"] == "failure"


def test_since_keeps_badges_issued_after_it(app, client, auth, user) -> None:
    _import(app, name="Old", valid_from=bf.days(-30))
    _import(app, name="New", valid_from=bf.days(-1))
    token = h.connect(client, auth)["access_token"]
    since = bf.iso(bf.days(-7))
    response = client.get(f"{API}/credentials?since={since}", headers=h.bearer(token))
    names = [
        c["credentialSubject"]["achievement"]["name"] for c in response.get_json()["credential"]
    ]
    assert names == ["New"] and response.headers["X-Total-Count"] == "1"


def test_public_mode_reads_public_badges_and_what_the_client_delivered(
    app, client, auth, user
) -> None:
    from wallet.extensions import db
    from wallet.models import Badge

    public = _import(app, name="Public")
    private = _import(app, name="Private")
    with app.app_context():
        db.session.get(Badge, private).visibility = "private"
        db.session.commit()
    make_other(app)
    _import(app, "hanako@example.com", email="hanako@example.com", name="Hanako's")
    token = h.connect(client, auth)["access_token"]
    _post(client, token, bf.ob3_json(name="Delivered"))
    with app.app_context():
        delivered = db.session.scalar(db.select(Badge).where(Badge.name == "Delivered"))
        delivered.visibility = "private"
        db.session.commit()
    names = _read_names(client, token)
    assert names == {"Public", "Delivered"}
    assert public


def test_selected_mode_reads_only_the_picked_badges(app, client, auth, user) -> None:
    first = _import(app, name="First")
    _import(app, name="Second")
    make_other(app)
    foreign = _import(app, "hanako@example.com", email="hanako@example.com", name="Hanako's")
    token = h.connect(client, auth, badges="selected", badge=[str(first), str(foreign)])
    assert _read_names(client, token["access_token"]) == {"First"}


def test_reading_needs_the_read_scope(client, auth, user) -> None:
    token = h.connect(client, auth, scope=h.UPSERT)["access_token"]
    assert client.get(API + "/credentials", headers=h.bearer(token)).status_code == 403


def make_other(app) -> None:
    with app.app_context():
        make_user("hanako@example.com", given_name="花子")


def _read_names(client, token: str) -> set[str]:
    body = client.get(API + "/credentials", headers=h.bearer(token)).get_json()
    return {c["credentialSubject"]["achievement"]["name"] for c in body["credential"]}


# --- profile -------------------------------------------------------------------------------


def test_profile_reads_and_updates_names_only(app, client, auth, user) -> None:
    token = h.connect(client, auth)["access_token"]
    profile = client.get(API + "/profile", headers=h.bearer(token)).get_json()
    assert profile["type"] == ["Profile"] and profile["email"] == "taro@example.com"
    assert profile["familyName"] == "コンクリート" and profile["givenName"] == "太郎"
    changed = {**profile, "givenName": "次郎"}
    response = client.put(API + "/profile", json=changed, headers=h.bearer(token))
    assert response.status_code == 200 and response.get_json()["name"] == "コンクリート 次郎"


@pytest.mark.parametrize(
    "change",
    [
        {"email": "other@example.com"},
        {"givenName": ""},
        {"givenName": 7},
        {"familyName": "x" * 101},
        {"familyName": "A\u202eB"},
        {"id": "https://elsewhere.example/u/1"},
        {"id": None},
        {"type": ["Achievement"]},
        {"type": []},
    ],
)
def test_profile_updates_that_cannot_apply_are_refused(app, client, auth, user, change) -> None:
    from wallet.extensions import db
    from wallet.models import User

    token = h.connect(client, auth)["access_token"]
    profile = client.get(API + "/profile", headers=h.bearer(token)).get_json()
    response = client.put(API + "/profile", json={**profile, **change}, headers=h.bearer(token))
    assert response.status_code == 400 and response.get_json()["imsx_codeMajor"] == "failure"
    with app.app_context():
        stored = db.session.get(User, user["id"])
        assert (stored.family_name, stored.given_name, stored.email) == (
            "コンクリート",
            "太郎",
            "taro@example.com",
        )


def test_profile_update_needs_its_scope_and_json(client, auth, user) -> None:
    token = h.connect(client, auth, scope=f"{h.PROFILE_READ} {h.READ}")["access_token"]
    assert client.put(API + "/profile", json={}, headers=h.bearer(token)).status_code == 403
    token = h.connect(client, auth)["access_token"]
    response = client.put(
        API + "/profile", data="x", headers={**h.bearer(token), "Content-Type": "text/plain"}
    )
    assert response.status_code == 415


# --- the API's own 404 and 405 -------------------------------------------------------------


def test_unknown_paths_and_methods_answer_in_the_api_format(client) -> None:
    missing = client.get(API + "/nothing")
    assert missing.status_code == 404 and missing.get_json()["imsx_codeMajor"] == "failure"
    for method, path in (("DELETE", "/credentials"), ("POST", "/profile"), ("POST", "/discovery")):
        response = client.open(API + path, method=method)
        assert response.status_code == 405 and response.get_json()["imsx_severity"] == "error"
        assert response.headers["Allow"]


def test_expired_badges_are_still_read_back(app, client, auth, user) -> None:
    from wallet.extensions import db
    from wallet.models import Badge
    from wallet.models import utcnow

    badge_id = _import(app, name="Will expire")
    with app.app_context():
        db.session.get(Badge, badge_id).expires = utcnow() - timedelta(days=1)
        db.session.commit()
    token = h.connect(client, auth)["access_token"]
    assert _read_names(client, token) == {"Will expire"}


def test_a_baked_vc_jwt_is_read_back_as_a_compact_jws(app, client, auth, user) -> None:
    from wallet.openbadges.baking import bake_png
    from wallet.services import badge_import
    from wallet.services.accounts import find_by_email

    jwt = bf.vc_jwt(name="Baked JWT")
    with app.app_context():
        png = bake_png(bf.plain_png(), "openbadgecredential", jwt)
        badge_import.import_badge(find_by_email("taro@example.com"), png)
    token = h.connect(client, auth)["access_token"]
    body = client.get(API + "/credentials", headers=h.bearer(token)).get_json()
    assert body == {"credential": [], "compactJwsString": [jwt]}
