"""A holder hears of every change to how their account is signed into (OWASP ASVS 2.2.3):
a password changed or reset, a passkey added or removed, an address confirmed."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD
from tests.conftest import STRONG_PASSWORD
from tests.conftest import make_user
from tests.soft_authenticator import SoftAuthenticator
from tests.test_account import change
from tests.test_addresses import WORK
from tests.test_addresses import _confirmed_work_address
from tests.test_auth import local
from tests.test_auth import mailed_link
from tests.test_passkeys import ORIGIN
from tests.test_passkeys import add_passkey
from tests.test_passkeys import stored

KEN = "ken@example.com"


@pytest.fixture
def ken(app):
    """An English-speaking holder who reads dates in Paris time."""
    from wallet.services import accounts

    with app.app_context():
        made = make_user(
            KEN, family_name="Smith", given_name="Ken", name_order="given-first", language="en"
        )
        accounts.set_timezone(made, "Europe/Paris")
    return KEN


def _notices(outbox, address: str, subject: str) -> list:
    """Return the mails to address with this subject."""
    return [m for m in outbox.to(address) if m["Subject"] == subject]


def _only_notice(outbox, address: str, subject: str) -> str:
    """Return the plain text of the one mail to address with this subject."""
    mails = _notices(outbox, address, subject)
    assert len(mails) == 1, [m["Subject"] for m in outbox.to(address)]
    return outbox.text(mails[0])


def test_changing_the_password_is_told_with_a_way_back(app, client, auth, ken, outbox):
    auth.login(KEN)
    assert change(client, PASSWORD, STRONG_PASSWORD).status_code == 303
    text = _only_notice(outbox, KEN, "Your password was changed")
    assert "Hello Ken Smith," in text
    assert "The password of your badge wallet was changed" in text
    assert "(Central European Time)" in text or "(Central European Summer Time)" in text
    assert app.config["BASE_URL"] + "/auth/forgot" in text  # the way back if it was not them
    assert STRONG_PASSWORD not in text and PASSWORD not in text


def test_a_wrong_current_password_changes_nothing_and_tells_nothing(client, auth, ken, outbox):
    auth.login(KEN)
    assert change(client, "not-" + PASSWORD, STRONG_PASSWORD).status_code == 422
    assert _notices(outbox, KEN, "Your password was changed") == []


def test_a_reset_is_told_too(client, ken, outbox):
    client.post("/auth/forgot", data={"email": KEN})
    link = local(mailed_link(outbox, KEN, "/auth/reset/"))
    response = client.post(
        link, data={"password": STRONG_PASSWORD, "password_confirm": STRONG_PASSWORD}
    )
    assert response.status_code == 303
    text = _only_notice(outbox, KEN, "Your password was changed")
    assert "/auth/reset/" not in text  # a notice carries no working token


def test_adding_and_removing_a_passkey_are_told_by_name(app, client, auth, ken, outbox):
    auth.login(KEN)
    assert add_passkey(client, SoftAuthenticator(ORIGIN), name="Work laptop").status_code == 200
    added = _only_notice(outbox, KEN, "A passkey was added to your account")
    assert "A passkey named “Work laptop” was added to your badge wallet" in added
    (passkey,) = stored(app)
    assert client.post(f"/account/passkeys/{passkey.public_id}/delete").status_code == 303
    removed = _only_notice(outbox, KEN, "A passkey was removed from your account")
    assert "A passkey named “Work laptop” was removed from your badge wallet" in removed


def test_removing_someone_elses_passkey_tells_nobody(app, client, auth, ken, outbox):
    from wallet.services import passkeys

    auth.login(KEN)
    add_passkey(client, SoftAuthenticator(ORIGIN))
    (passkey,) = stored(app)
    with app.app_context():
        other = make_user("eve@example.com", language="en")
        assert passkeys.remove(other, passkey.public_id) is False
    assert outbox.to("eve@example.com") == []
    assert _notices(outbox, KEN, "A passkey was removed from your account") == []


def test_a_confirmed_address_is_told_to_the_sign_in_address(app, client, auth, user, outbox):
    from flask_babel import force_locale
    from flask_babel import gettext

    _confirmed_work_address(app, client, auth, outbox)
    with app.test_request_context("/"), force_locale("ja"):
        subject = gettext("An address was added to your account")
    (notice,) = _notices(outbox, "taro@example.com", subject)  # taro reads Japanese
    assert notice["Content-Language"] == "ja"
    assert WORK in outbox.text(notice)
    assert all(m["Subject"] != subject for m in outbox.to(WORK))  # not to the new address
