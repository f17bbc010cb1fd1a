"""Signed-in responses are never stored (ASVS 4.0 8.2.1; 5.0 14.3.2); public pages keep theirs."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD
from tests.conftest import make_user


@pytest.fixture
def operator_client(app):
    """A client signed in as an operator (the issuing portal shows recipients' names)."""
    with app.app_context():
        make_user("ops@example.com", role="operator")
    client = app.test_client()
    response = client.post("/auth/login", data={"email": "ops@example.com", "password": PASSWORD})
    assert response.status_code == 303
    return client


@pytest.mark.parametrize(
    "path", ["/", "/account", "/account/password", "/badges/import", "/issuing/", "/account/export"]
)
def test_signed_in_pages_are_no_store(operator_client, path):
    response = operator_client.get(path)
    assert response.status_code == 200, path
    assert response.headers["Cache-Control"] == "no-store"


def test_the_sign_in_redirect_is_no_store(app, user):
    response = app.test_client().post(
        "/auth/login", data={"email": user["email"], "password": PASSWORD}
    )
    assert response.status_code == 303
    assert response.headers["Cache-Control"] == "no-store"


def test_signed_out_pages_and_static_files_keep_their_caching(app, client, operator_client):
    assert "no-store" not in client.get("/auth/login").headers.get("Cache-Control", "")
    with operator_client.get("/static/css/app.css") as static:
        assert static.status_code == 200
        assert "no-store" not in static.headers.get("Cache-Control", "")


def test_public_verification_pages_keep_no_cache_when_signed_in(operator_client):
    response = operator_client.get("/b/nosuchbadge000000000")
    assert response.status_code == 404
    assert response.headers["Cache-Control"] == "no-cache"
