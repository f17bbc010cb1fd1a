"""Account hardening not covered by tests/test_auth.py: spoofed X-Forwarded-For (with and without
one trusted proxy), address variants against the per-account limit, the limit never locking out
other accounts or addresses, and sign-in with a stale pre-login session cookie.

ASVS 4.0 2.2.1, 3.2.1, 14.5.4; 5.0 4.1.3, 6.3.1, 15.3.4.
"""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD


@pytest.fixture
def app_config(app_config: dict[str, object], request: pytest.FixtureRequest):
    """Rate limits on, small; PROXY_FIX from the test's parameter (0 when none)."""
    app_config.update(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URL="memory://",
        RATELIMIT_LOGIN_IP="3 per minute",
        RATELIMIT_LOGIN_ACCOUNT="4 per minute",
        PROXY_FIX=getattr(request, "param", 0),
    )
    return app_config


def _login(client, email: str, password: str, ip: str, **headers: str):
    return client.post(
        "/auth/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": ip},
        headers=headers,
    )


def test_spoofed_forwarded_for_does_not_reset_the_ip_limit(app, holder) -> None:
    """Without a trusted proxy, X-Forwarded-For is the client's own words: ignored."""
    client = app.test_client()
    for index in range(3):
        response = _login(
            client,
            f"u{index}@example.com",
            "Wrong+pass1",
            "198.51.100.7",
            **{"X-Forwarded-For": f"203.0.113.{index}"},
        )
        assert response.status_code == 422
    response = _login(
        client, "taro@example.com", PASSWORD, "198.51.100.7", **{"X-Forwarded-For": "192.0.2.99"}
    )
    assert response.status_code == 429


@pytest.mark.parametrize("app_config", [1], indirect=True)
def test_behind_one_proxy_only_the_last_hop_counts(app, holder) -> None:
    """With PROXY_FIX=1 the proxy's appended address is the key; client-made entries are not."""
    client = app.test_client()
    for index in range(3):
        forwarded = f"10.{index}.0.1, 198.51.100.7"  # spoofed first entry, real client last
        response = _login(
            client,
            f"u{index}@example.com",
            "Wrong+pass1",
            "10.0.0.2",
            **{"X-Forwarded-For": forwarded},
        )
        assert response.status_code == 422
    blocked = _login(
        client,
        "taro@example.com",
        PASSWORD,
        "10.0.0.2",
        **{"X-Forwarded-For": "1.2.3.4, 198.51.100.7"},
    )
    assert blocked.status_code == 429
    other = _login(
        client, "taro@example.com", PASSWORD, "10.0.0.2", **{"X-Forwarded-For": "198.51.100.8"}
    )
    assert other.status_code in (302, 303)


def test_address_variants_share_the_account_limit(app, holder) -> None:
    client = app.test_client()
    variants = ["taro@example.com", "TARO@EXAMPLE.COM", " Taro@Example.com ", "taro@example.COM"]
    for index, email in enumerate(variants):
        response = _login(client, email, "Wrong+pass1", f"203.0.113.{index + 1}")
        assert response.status_code == 422
    response = _login(client, "taro@example.com", PASSWORD, "203.0.113.60")
    assert response.status_code == 429
    # The limit is on that account only: another holder signs in from anywhere.
    other = _login(client, "jiro@example.com", PASSWORD, "203.0.113.61")
    assert other.status_code in (302, 303)


def test_a_planted_session_does_not_survive_sign_in(app, holder) -> None:
    """Fixation: values set in the session before sign-in are gone after it."""
    client = app.test_client()
    with client.session_transaction() as session:
        session["planted"] = "attacker"
        session["_user_id"] = f"{holder['other_id']}:stale-token"
    assert client.get("/account").status_code in (302, 303)  # the stale id is not accepted
    response = _login(client, "taro@example.com", PASSWORD, "192.0.2.10")
    assert response.status_code in (302, 303)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"].startswith(f"{holder['id']}:")
