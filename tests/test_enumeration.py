"""Registration and reset answer alike whether or not the address has an account.

The timing itself is a benchmark figure (scripts/bench_enumeration.py), never a test assertion;
these tests show why it holds: both kinds of address do the same work in the request (a hash
for registration; a signed token and one composed mail for reset) and delivery goes through the
job queue, after the answer (services/jobs; tests/test_jobs.py shows it never holds a response).
ASVS 4.0 2.1, 5.0 6.3.8.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import STRONG_PASSWORD
from tests.conftest import registration_form


def _answer(response) -> str:
    """Return the page without what differs per request (the address)."""
    return re.sub(r"[\w.]+@example\.com", "ADDRESS", response.get_data(as_text=True))


def test_both_registration_answers_are_the_same(app, client, user):
    known = client.post("/auth/register", data=registration_form(email=user["email"]))
    new = client.post("/auth/register", data=registration_form(email="fresh@example.com"))
    assert known.status_code == new.status_code == 303
    assert known.headers["Location"] == new.headers["Location"]
    page_known = client.get(known.headers["Location"])
    page_new = client.get(new.headers["Location"])
    assert _answer(page_known) == _answer(page_new)


@pytest.fixture
def spied(monkeypatch):
    """Record password hashes, composed mails and queued jobs."""
    from wallet.services import jobs
    from wallet.services import mail
    from wallet.services import security

    seen: dict[str, list[str]] = {"hash": [], "compose": [], "enqueue": []}
    hash_password, compose, enqueue = security.hash_password, mail.compose, jobs.enqueue

    def spy_hash(password):
        seen["hash"].append(password)
        return hash_password(password)

    def spy_compose(to, template, lang, **context):
        seen["compose"].append(template)
        return compose(to, template, lang, **context)

    def spy_enqueue(name, **kwargs):
        seen["enqueue"].append(name)
        return enqueue(name, **kwargs)

    monkeypatch.setattr(security, "hash_password", spy_hash)
    monkeypatch.setattr(mail, "compose", spy_compose)
    monkeypatch.setattr(jobs, "enqueue", spy_enqueue)
    return seen


@pytest.mark.parametrize("known", [True, False])
def test_registration_hashes_and_queues_one_mail_either_way(app, client, user, spied, known):
    email = user["email"] if known else "fresh@example.com"
    form = registration_form(
        email=email, password=STRONG_PASSWORD, password_confirm=STRONG_PASSWORD
    )
    assert client.post("/auth/register", data=form).status_code == 303
    assert spied["hash"] == [STRONG_PASSWORD]
    assert spied["compose"] == ["already_registered" if known else "verify_email"]
    assert spied["enqueue"] == ["mail.deliver"]


@pytest.mark.parametrize("known", [True, False])
def test_reset_composes_one_mail_either_way_and_queues_only_the_real_one(
    app, client, outbox, user, spied, known
):
    email = user["email"] if known else "nobody@example.com"
    response = client.post("/auth/forgot", data={"email": email})
    assert response.status_code == 303
    assert spied["compose"] == ["reset_password"]
    assert spied["enqueue"] == (["mail.deliver"] if known else [])
    assert len(outbox.to(email)) == (1 if known else 0)
    assert "ADDRESS" in _answer(client.get(response.headers["Location"]))
