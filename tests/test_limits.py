"""Limits that protect without locking out: sign-in, current-password checks, re-verification,
CPU-heavy actions. A stranger's failures never lock the holder's own browser out.

ASVS 4.0 2.2.1 (at most 100 failures an hour per account, no lockout a stranger can use);
5.0 15.2.2 (resource-demanding features). Limits are counted in Flask-Limiter's memory store.
"""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

import pytest
from sqlalchemy import update

from tests import badge_factory as bf
from tests.conftest import PASSWORD
from tests.conftest import make_user
from wallet.extensions import db
from wallet.models import Badge

WRONG = "Wrong+pass1"


@pytest.fixture
def app_config(app_config: dict[str, object]) -> dict[str, object]:
    """Rate limits on, with the shipped sign-in limits unless a test says otherwise."""
    app_config.update(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URL="memory://")
    return app_config


def login(client, email: str, password: str, ip: str):
    return client.post(
        "/auth/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": ip},
    )


def test_ten_strangers_do_not_lock_the_holder_out(app, user):
    """The finding: 10 wrong passwords from 10 addresses used to 429 the holder's own sign-in."""
    holder = app.test_client()
    strangers = app.test_client()
    for index in range(10):
        assert login(strangers, "taro@example.com", WRONG, f"203.0.113.{index}").status_code == 422
    assert login(holder, "taro@example.com", PASSWORD, "198.51.100.1").status_code == 303


@pytest.fixture
def small_account_limit(app_config):
    app_config["RATELIMIT_LOGIN_ACCOUNT"] = "4 per hour"
    return app_config


def test_a_known_browser_signs_in_after_the_account_wide_limit(small_account_limit, app, user):
    holder = app.test_client()
    assert login(holder, "taro@example.com", PASSWORD, "198.51.100.1").status_code == 303
    holder.post("/auth/logout")
    strangers = app.test_client()
    for index in range(4):
        assert login(strangers, "taro@example.com", WRONG, f"203.0.113.{index}").status_code == 422
    # An unknown browser is refused for this account now, whatever its address...
    assert login(app.test_client(), "taro@example.com", PASSWORD, "192.0.2.9").status_code == 429
    # ...but the holder's own browser (it signed in here before) is not.
    assert login(holder, "taro@example.com", PASSWORD, "198.51.100.1").status_code == 303


def test_a_forged_device_cookie_does_not_lift_the_account_limit(small_account_limit, app, user):
    strangers = app.test_client()
    strangers.set_cookie("wallet_device", "forged.value")
    for index in range(4):
        login(strangers, "taro@example.com", WRONG, f"203.0.113.{index}")
    assert login(strangers, "taro@example.com", PASSWORD, "203.0.113.99").status_code == 429


def test_failures_from_one_address_wait_longer_and_longer(app_config, app, user):
    """Shipped: 5 a minute, 10 in 15 minutes, 20 an hour from one address to one account."""
    client = app.test_client()
    statuses = [
        login(client, "taro@example.com", WRONG, "198.51.100.7").status_code for _ in range(6)
    ]
    assert statuses == [422] * 5 + [429]
    first_wait = int(
        login(client, "taro@example.com", PASSWORD, "198.51.100.7").headers["Retry-After"]
    )
    assert 0 < first_wait <= 60
    # Another address is not slowed down by these failures.
    assert login(app.test_client(), "taro@example.com", PASSWORD, "198.51.100.8").status_code == 303


def test_successful_sign_ins_are_not_counted(app, user):
    client = app.test_client()
    for _ in range(8):
        assert login(client, "taro@example.com", PASSWORD, "198.51.100.7").status_code == 303
        client.post("/auth/logout")


def _change(client, current: str):
    return client.post(
        "/account/password",
        data={
            "current_password": current,
            "password": "Velvet#cactus42",
            "password_confirm": "Velvet#cactus42",
        },
    )


def test_current_password_checks_are_limited(app, user):
    client = app.test_client()
    assert login(client, "taro@example.com", PASSWORD, "198.51.100.7").status_code == 303
    statuses = [_change(client, WRONG).status_code for _ in range(6)]
    assert statuses == [422] * 5 + [429]
    # The same budget covers "confirm it's you" and account deletion.
    assert client.post("/auth/reauth", data={"password": PASSWORD}).status_code == 429
    assert client.post("/account/delete", data={"password": PASSWORD}).status_code == 429
    assert _change(client, PASSWORD).status_code == 429


def _badge(app, client) -> int:
    """Import a badge through the page; date its last verification back to 2020."""
    response = client.post("/badges/import", data={"text": bf.ob3_json()})
    assert response.status_code == 303
    badge_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        db.session.execute(
            update(Badge)
            .where(Badge.id == badge_id)
            .values(verified_at=datetime(2020, 1, 1, tzinfo=UTC))
        )
        db.session.commit()
    return badge_id


def test_reverification_has_a_minimum_interval(app, user):
    client = app.test_client()
    login(client, "taro@example.com", PASSWORD, "198.51.100.7")
    badge_id = _badge(app, client)
    assert client.post(f"/badges/{badge_id}/verify").status_code == 303
    with app.app_context():
        first = db.session.get(Badge, badge_id).verified_at
    assert client.post(f"/badges/{badge_id}/verify").status_code == 303
    with app.app_context():
        assert db.session.get(Badge, badge_id).verified_at == first  # nothing checked again


def test_reverification_is_limited_per_badge(app, user):
    app.config["REVERIFY_MIN_SECONDS"] = 0
    client = app.test_client()
    login(client, "taro@example.com", PASSWORD, "198.51.100.7")
    first, second = _badge(app, client), _badge(app, client)
    statuses = [client.post(f"/badges/{first}/verify").status_code for _ in range(7)]
    assert statuses == [303] * 6 + [429]  # RATELIMIT_REVERIFY_BADGE: 6 per hour
    assert client.post(f"/badges/{second}/verify").status_code == 303


@pytest.fixture
def small_holder_limit(app_config):
    app_config.update(RATELIMIT_REVERIFY_HOLDER="4 per hour", REVERIFY_MIN_SECONDS=0)
    return app_config


def test_reverification_is_limited_per_holder(small_holder_limit, app, user):
    client = app.test_client()
    login(client, "taro@example.com", PASSWORD, "198.51.100.7")
    first, second = _badge(app, client), _badge(app, client)
    statuses = [client.post(f"/badges/{b}/verify").status_code for b in (first, first, second)]
    assert statuses == [303, 303, 303]
    assert client.post(f"/badges/{second}/verify").status_code == 303
    assert client.post(f"/badges/{second}/verify").status_code == 429
    assert client.post(f"/badges/{first}/verify").status_code == 429


def test_pdf_documents_are_limited_per_holder(app, user):
    app.config["RATELIMIT_HEAVY"] = "2 per hour"
    client = app.test_client()
    login(client, "taro@example.com", PASSWORD, "198.51.100.7")
    with app.app_context():
        badge_id = bf.add_badge(user["id"]).id
    statuses = [
        client.get(f"/badges/{badge_id}/documents/nosuchkind.pdf").status_code for _ in range(3)
    ]
    assert statuses == [404, 404, 429]


def test_limits_of_one_holder_do_not_touch_another(app, user):
    with app.app_context():
        make_user("jiro@example.com", given_name="次郎")
    taro, jiro = app.test_client(), app.test_client()
    login(taro, "taro@example.com", PASSWORD, "198.51.100.7")
    login(jiro, "jiro@example.com", PASSWORD, "198.51.100.7")
    for _ in range(5):
        _change(taro, WRONG)
    assert _change(taro, WRONG).status_code == 429
    assert _change(jiro, WRONG).status_code == 422
