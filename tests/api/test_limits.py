"""Rate limits of the API host: registration and token per address, API calls per token."""

from __future__ import annotations

import pytest

from tests.api import helpers as h


@pytest.fixture
def app_config(app_config):
    """Limits on, low enough to reach in a test."""
    return {
        **app_config,
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_API_REGISTER": "2 per hour",
        "RATELIMIT_API_TOKEN": "3 per minute",
        "RATELIMIT_API": "3 per minute",
        "RATELIMIT_API_UPSERT": "1 per hour",
    }


def test_registration_is_limited_per_address(client) -> None:
    for _ in range(2):
        assert client.post("/oauth/register", json=h.metadata()).status_code == 201
    refused = client.post("/oauth/register", json=h.metadata())
    assert refused.status_code == 429 and refused.get_json()["error"] == "invalid_request"
    assert int(refused.headers["Retry-After"]) > 0


def test_token_requests_are_limited_per_address(client, auth, user) -> None:
    tokens = h.connect(client, auth)  # one token request
    reg = tokens["reg"]
    data = {"grant_type": "refresh_token", "refresh_token": "wrong"}
    statuses = [
        client.post(
            "/oauth/token", data=data, headers=h.basic(reg.client_id, reg.secret)
        ).status_code
        for _ in range(3)
    ]
    assert statuses == [400, 400, 429]


def test_api_calls_are_limited_per_token(client, auth, user) -> None:
    token = h.connect(client, auth)["access_token"]
    statuses = [
        client.get("/ims/ob/v3p0/profile", headers=h.bearer(token)).status_code for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    refused = client.get("/ims/ob/v3p0/profile", headers=h.bearer(token))
    assert (
        refused.get_json()["imsx_codeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"]
        == "server_busy"
    )
    assert refused.headers["Retry-After"]
