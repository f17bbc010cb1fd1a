"""The OB 2.1 host: manifest, assertions (pushed through the import gate, paged), profile."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import pytest

from tests import badge_factory as bf
from tests.api import helpers as h
from tests.api import moodle_site
from tests.api import ob21_steps as s
from tests.conftest import make_user

EMAIL = "taro@example.com"


@pytest.fixture
def app_config(app_config):
    """The wallet may fetch from the Moodle-shaped site on loopback."""
    return {**app_config, "FETCH_ALLOWED_NETWORKS": ["127.0.0.1/32"]}


@pytest.fixture
def site() -> Iterator[moodle_site.MoodleSite]:
    with moodle_site.moodle_site() as served:
        yield served


# --- manifest and description -------------------------------------------------------------


def test_manifest_is_public_at_the_well_known_path_and_names_every_url(client) -> None:
    response = client.get("/.well-known/badgeconnect.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "max-age" in response.headers["Cache-Control"]
    document = response.get_json()
    base = "https://wallet.example.test"
    assert document["id"] == base + "/.well-known/badgeconnect.json"
    [api] = document["badgeConnectAPI"]
    assert api["apiBase"] == base + s.API
    assert api["registrationUrl"] == base + "/oauth/register"
    assert api["authorizationUrl"] == base + "/oauth/authorize"
    assert api["tokenUrl"] == base + "/oauth/token"
    assert api["tokenRevocationUrl"] == base + "/oauth/revoke"
    assert api["scopesOffered"] == [s.PROFILE, s.READ, s.CREATE]
    assert api["version"] == "v2p1" and api["name"]
    assert api["termsOfServiceUrl"].startswith(base) and api["privacyPolicyUrl"].startswith(base)


def test_the_openapi_description_lists_the_operations(client) -> None:
    document = client.get(s.API + "/discovery").get_json()
    assert document["servers"][0]["url"] == "https://wallet.example.test" + s.API
    assert set(document["paths"]) == {"/assertions", "/profile", "/discovery"}
    flow = document["components"]["securitySchemes"]["OAuth2ACG"]["flows"]["authorizationCode"]
    assert set(flow["scopes"]) == {s.PROFILE, s.READ, s.CREATE}


@pytest.mark.parametrize(
    ("method", "path", "status", "allow"),
    [
        ("put", "/assertions", 405, "GET, POST"),
        ("delete", "/profile", 405, "GET"),
        ("post", "/profile", 405, "GET"),
        ("post", "/nothing-here", 404, None),
        ("get", "/nothing-here", 404, None),
    ],
)
def test_other_methods_and_paths_answer_in_the_envelope(client, method, path, status, allow):
    response = getattr(client, method)(s.API + path)
    assert response.status_code == status
    assert response.get_json()["status"]["statusCode"] == status
    assert response.headers.get("Allow") == allow


# --- pushing assertions --------------------------------------------------------------------


def test_a_hosted_assertion_is_fetched_from_the_issuer_verified_and_stored(
    app, client, auth, user, outbox, site
) -> None:
    token = s.connect(client, auth)["access_token"]
    posted = site.award_hosted("h1", 1, EMAIL, "Course Badge")
    # What the client posts is not trusted: only the id leads to the issuer's copy.
    tampered = {**posted, "badge": {**posted["badge"], "name": "Forged Name"}}
    response = s.push(client, token, {"assertion": tampered})
    assert s.status_of(response) == (200, "OK", 200)
    assert response.get_json() == {"status": {"error": None, "statusCode": 200, "statusText": "OK"}}
    [badge] = _badges(app)
    assert (badge.name, badge.issuer_name, badge.result) == (
        "Course Badge",
        moodle_site.ISSUER_NAME,
        "valid",
    )
    assert badge.format == "url" and badge.source_url == posted["id"]
    from wallet.extensions import db
    from wallet.models import BadgeContent

    with app.app_context():
        assert "Forged Name" not in db.session.get(BadgeContent, badge.id).payload
    assert "Example Issuer" in outbox.to(EMAIL)[-1]["Subject"]


def test_a_signed_assertion_wins_over_an_unsigned_one_in_the_same_payload(
    app, client, auth, user, site
) -> None:
    token = s.connect(client, auth)["access_token"]
    jws = site.award_signed(2, EMAIL, "Signed Badge")
    unrelated = {"id": "https://elsewhere.example/never-fetched"}
    response = s.push(client, token, {"assertion": unrelated, "signedAssertion": jws})
    assert s.status_of(response) == (200, "OK", 200)
    assert [b.format for b in _badges(app)] == ["jws"]


@pytest.mark.parametrize(
    ("payload", "content_type"),
    [
        (b"not json", "application/json"),
        (b"\xff\xfe", "application/json"),
        ("[]", "application/json"),
        ({}, "application/json"),
        ({"assertion": None}, "application/json"),
        ({"assertion": "https://moodle.example/badges/assertion.php?b=1"}, "application/json"),
        ({"assertion": {"type": "Assertion"}}, "application/json"),
        (
            {"assertion": {"id": "urn:uuid:5b1d3f3e-57c8-4a4b-9e1e-000000000001"}},
            "application/json",
        ),
        ({"assertion": {"id": "ftp://moodle.example/a"}}, "application/json"),
        ({"assertion": {"id": "https://moodle.example/a b"}}, "application/json"),
        (
            {"assertion": {"id": "https://m.example/a", "verification": {"type": "SignedBadge"}}},
            "application/json",
        ),
        ({"signedAssertion": 42}, "application/json"),
        ({"signedAssertion": "not a jws"}, "application/json"),
        ({"assertion": {"id": "https://m.example/a"}, "extra": 1}, "application/json"),
    ],
)
def test_malformed_payloads_are_refused_as_validation_errors_with_nothing_stored(
    app, client, auth, user, payload, content_type
) -> None:
    token = s.connect(client, auth)["access_token"]
    response = s.push(client, token, payload, content_type)
    assert s.status_of(response) == (400, "REQUEST_VALIDATION_ERROR", 400)
    assert response.get_json()["status"]["error"]
    assert s.badge_count(app) == 0


def test_an_open_badges_3_credential_is_refused_here(app, client, auth, user) -> None:
    token = s.connect(client, auth)["access_token"]
    response = s.push(client, token, {"signedAssertion": bf.vc_jwt(email=EMAIL)})
    assert s.status_of(response) == (400, "REQUEST_VALIDATION_ERROR", 400)
    assert "2.0" in response.get_json()["status"]["error"]
    assert s.badge_count(app) == 0


@pytest.mark.parametrize(
    ("content_type", "body", "status"),
    [
        ("text/plain", "{}", 415),
        ("application/x-www-form-urlencoded", "assertion=1", 415),
        ("application/json", "", 400),
    ],
)
def test_other_media_and_empty_bodies_are_refused(
    app, client, auth, user, content_type, body, status
) -> None:
    token = s.connect(client, auth)["access_token"]
    response = s.push(client, token, body, content_type)
    assert response.status_code == status and response.get_json()["status"]["error"]
    assert s.badge_count(app) == 0


def test_a_body_over_the_cap_is_refused_unread(app, client, auth, user) -> None:
    app.config["API_MAX_BODY_BYTES"] = 1000
    token = s.connect(client, auth)["access_token"]
    big = {"assertion": {"id": "https://m.example/a", "pad": "x" * 2000}}
    assert s.push(client, token, big).status_code == 413
    assert s.badge_count(app) == 0


def test_a_badge_for_another_address_is_a_recipient_mismatch(app, client, auth, user, site):
    token = s.connect(client, auth)["access_token"]
    other = site.award_hosted("o1", 3, "hanako@example.com", "Not Yours")
    response = s.push(client, token, {"assertion": other})
    assert s.status_of(response) == (400, "RECIPIENT_PROFILE_MISMATCH", 400)
    assert s.badge_count(app) == 0


def test_a_holder_with_an_unconfirmed_address_gets_nothing_pushed(app, client, auth, site):
    with app.app_context():
        make_user(EMAIL, verified=False)
    token = s.connect(client, auth)["access_token"]
    response = s.push(client, token, {"assertion": site.award_hosted("u1", 4, EMAIL, "Early")})
    assert s.status_of(response) == (400, "RECIPIENT_PROFILE_MISMATCH", 400)
    assert s.badge_count(app) == 0


def test_a_forged_signature_and_a_revoked_badge_are_invalid_badges(
    app, client, auth, user, site
) -> None:
    token = s.connect(client, auth)["access_token"]
    head, payload, signature = site.award_signed(5, EMAIL, "Signed").split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["badge"] = site.url("badges/badge_json.php?id=99")
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    response = s.push(client, token, {"signedAssertion": f"{head}.{forged}.{signature}"})
    assert s.status_of(response) == (400, "INVALID_BADGE", 400)
    revoked = site.award_hosted("r1", 6, EMAIL, "Revoked")
    site.revoke(revoked, "r1")
    response = s.push(client, token, {"assertion": revoked})
    assert s.status_of(response) == (400, "INVALID_BADGE", 400)
    assert "revoked" in response.get_json()["status"]["error"]
    assert s.badge_count(app) == 0


def test_an_issuer_that_cannot_be_reached_is_an_invalid_badge(app, client, auth, user, site):
    token = s.connect(client, auth)["access_token"]
    posted = site.assertion("gone", 7, EMAIL, "Never Published")
    response = s.push(client, token, {"assertion": posted})
    assert s.status_of(response) == (400, "INVALID_BADGE", 400)
    assert s.badge_count(app) == 0


# --- reading -------------------------------------------------------------------------------


def _badges(app) -> list:
    from wallet.extensions import db
    from wallet.models import Badge

    with app.app_context():
        return list(db.session.scalars(db.select(Badge).order_by(Badge.id)))


def _add(app, count: int, **fields) -> list[int]:
    from wallet.extensions import db
    from wallet.models import BadgeContent

    with app.app_context():
        ids = [bf.add_badge(1, spec="2.0", name=f"B{n}", **fields).id for n in range(count)]
        for n, badge_id in enumerate(ids):
            content = db.session.get(BadgeContent, badge_id)
            content.payload = json.dumps({"id": f"https://m.example/{n}", "n": n})
        db.session.commit()
        return ids


def test_reading_pages_with_total_and_links(app, client, auth, user) -> None:
    _add(app, 5)
    token = s.connect(client, auth)["access_token"]
    response = client.get(s.API + "/assertions?limit=2&offset=2", headers=h.bearer(token))
    assert s.status_of(response) == (200, "OK", 200)
    assert response.headers["X-Total-Count"] == "5"
    assert [a["n"] for a in response.get_json()["assertions"]] == [2, 1]
    assert response.get_json()["signedAssertions"] == []
    links = response.headers["Link"]
    base = "https://wallet.example.test" + s.API + "/assertions"
    for rel, offset in (("first", 0), ("last", 4), ("next", 4), ("prev", 0)):
        assert f'<{base}?limit=2&offset={offset}>; rel="{rel}"' in links
    last = client.get(s.API + "/assertions?limit=2&offset=4", headers=h.bearer(token))
    assert 'rel="next"' not in last.headers["Link"]


@pytest.mark.parametrize("query", ["limit=0", "limit=x", "offset=-1", "since=yesterday"])
def test_bad_paging_parameters_are_validation_errors(client, auth, user, query) -> None:
    token = s.connect(client, auth)["access_token"]
    response = client.get(f"{s.API}/assertions?{query}", headers=h.bearer(token))
    assert s.status_of(response) == (400, "REQUEST_VALIDATION_ERROR", 400)


def test_reading_shows_only_open_badges_2_that_the_holder_lets_it_read(app, client, auth, user):
    _add(app, 1, visibility="public")
    _add(app, 1, visibility="private")
    with app.app_context():
        bf.add_badge(1, spec="3.0", name="OB3")
        other = make_user("hanako@example.com")
        bf.add_badge(other.id, spec="2.0", name="Hanako's")
    token = s.connect(client, auth)["access_token"]
    response = client.get(s.API + "/assertions", headers=h.bearer(token))
    assert response.headers["X-Total-Count"] == "1"


def test_since_keeps_what_entered_the_wallet_later(app, client, auth, user) -> None:
    _add(app, 2)
    token = s.connect(client, auth)["access_token"]
    past = client.get(s.API + "/assertions?since=2000-01-01T00:00:00Z", headers=h.bearer(token))
    future = client.get(s.API + "/assertions?since=2999-01-01T00:00:00Z", headers=h.bearer(token))
    assert past.headers["X-Total-Count"] == "2" and future.headers["X-Total-Count"] == "0"


def test_profile_is_an_open_badges_2_profile(client, auth, user) -> None:
    token = s.connect(client, auth, scope=s.ALL)["access_token"]
    response = client.get(s.API + "/profile", headers=h.bearer(token))
    assert s.status_of(response) == (200, "OK", 200)
    profile = response.get_json()["profile"]
    assert profile["type"] == "Profile" and profile["email"] == EMAIL
    assert profile["@context"] == "https://w3id.org/openbadges/v2"
    assert profile["id"].startswith("https://wallet.example.test/u/")


def test_the_issuers_revocation_reason_is_passed_on_as_plain_text(app, client, auth, user, site):
    token = s.connect(client, auth)["access_token"]
    posted = site.award_hosted("x1", 12, EMAIL, "Revoked With Reason")
    reason = "Awarded in error <script>alert(1)</script>\u202e"
    gone = {"@context": moodle_site.OB2, "type": "Assertion", "id": posted["id"], "revoked": True}
    site._publish(posted["id"], {**gone, "revocationReason": reason}, 410)
    error = s.push(client, token, {"assertion": posted}).get_json()["status"]["error"]
    expected = "Reason given: Awarded in error scriptalert(1)/script"
    assert error == "The issuer has revoked this badge. " + expected
    assert s.badge_count(app) == 0
