"""Registration and reset answer alike, and before any mail is sent.

The timing itself is a benchmark figure (scripts/bench_enumeration.py), never a test assertion;
these tests show why it holds: both kinds of address do the same work in the request (a hash
for registration, a signed token for reset) and the mail (an SMTP exchange) leaves after the
answer (ASVS 4.0 2.1, 5.0 6.3.8).
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import STRONG_PASSWORD
from tests.conftest import registration_form
from wallet.extensions import db
from wallet.models import User


def _answer(response) -> str:
    """Return the answer without what differs per request (the CSRF token, the address)."""
    return re.sub(r"[\w.]+@example\.com", "ADDRESS", response.get_data(as_text=True))


def _count(app) -> int:
    with app.app_context():
        return db.session.query(User).count()


@pytest.mark.parametrize("known", [True, False])
def test_registration_answers_before_the_mail(app, client, outbox, user, known):
    email = user["email"] if known else "fresh@example.com"
    form = registration_form(email=email)
    response = client.post("/auth/register", data=form, buffered=False)
    assert response.status_code == 303
    assert _count(app) == (1 if known else 2)
    # Sent, not yet closed by the server: no mail has gone out yet.
    assert outbox.to(email) == []
    response.close()
    (mail,) = outbox.to(email)
    # The owner of a known address hears that someone tried; a new one gets the link.
    assert ("/auth/verify/" in outbox.text(mail)) is not known


def test_both_registration_answers_are_the_same(app, client, user):
    known = client.post("/auth/register", data=registration_form(email=user["email"]))
    new = client.post("/auth/register", data=registration_form(email="fresh@example.com"))
    assert known.status_code == new.status_code == 303
    assert known.headers["Location"] == new.headers["Location"]
    page_known = client.get(known.headers["Location"])
    page_new = client.get(new.headers["Location"])
    assert _answer(page_known) == _answer(page_new)


def test_the_known_address_pays_for_a_hash_too(app, user, monkeypatch):
    from wallet.services import accounts
    from wallet.services import security

    hashed = []
    original = security.hash_password
    monkeypatch.setattr(security, "hash_password", lambda p: hashed.append(p) or original(p))
    with app.test_request_context():
        mailing = accounts.register(
            accounts.Registration(
                email=user["email"], family_name="A", given_name="B", password=STRONG_PASSWORD
            )
        )
        assert callable(mailing)  # the mail to the owner, for after the answer
    assert hashed == [STRONG_PASSWORD]


@pytest.mark.parametrize("known", [True, False])
def test_reset_answers_before_the_mail(app, client, outbox, user, known):
    email = user["email"] if known else "nobody@example.com"
    response = client.post("/auth/forgot", data={"email": email}, buffered=False)
    assert response.status_code == 303
    assert outbox.messages() == []
    response.close()
    assert len(outbox.to(email)) == (1 if known else 0)
    page = client.get(response.headers["Location"])
    assert "ADDRESS" in _answer(page)


def test_a_failing_task_after_the_answer_is_logged_not_raised(
    app, client, caplog, monkeypatch, user
):
    from wallet.services import accounts

    def broken(user_id: int, url: str) -> None:
        raise RuntimeError("mail system on fire")

    monkeypatch.setattr(accounts, "_mail_reset", broken)
    response = client.post("/auth/forgot", data={"email": "taro@example.com"})
    assert response.status_code == 303
    assert "work after the response failed" in caplog.text
