"""Two instances of this app exchange badges both ways over real HTTP on loopback.

Each instance is the other's OB 3.0 API host: the holder asks wallet A to bring badges from
wallet B; A discovers B, registers, sends the holder through B's consent page, reads the
credentials and imports each through its own verification and gate. Then the other way round.
"""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
import requests

from tests import badge_factory as bf
from tests.api.live import csrf_token
from tests.api.live import live_app
from tests.api.live import sign_in
from tests.conftest import PASSWORD
from tests.conftest import make_user

EMAIL = "taro@example.com"


def _import(live, *names: str) -> None:
    from wallet.services import badge_import
    from wallet.services.accounts import find_by_email

    with live.context():
        user = find_by_email(EMAIL)
        for name in names:
            badge_import.import_badge(user, bf.ob3_json(name=name))


def _store_invalid(live, name: str) -> None:
    """Keep a tampered credential as if it had been stored (the other wallet must refuse it)."""
    from wallet.extensions import db
    from wallet.models import BadgeContent
    from wallet.services.accounts import find_by_email

    with live.context():
        user = find_by_email(EMAIL)
        badge = bf.add_badge(user.id, name=name, issuer_name="Forger")
        content = db.session.get(BadgeContent, badge.id)
        content.payload = bf.tampered_json(name=name).decode()
        db.session.commit()


def _names(live) -> set[str]:
    from wallet.extensions import db
    from wallet.models import Badge

    with live.context():
        return set(db.session.scalars(db.select(Badge.name)).all())


def _bring(into, source, s_into: requests.Session, s_source: requests.Session) -> str:
    """Walk the holder through 'bring badges' from source into into; return the report page."""
    page = s_into.get(into.url + "/account/bring")
    response = s_into.post(
        into.url + "/account/bring",
        data={"address": source.url, "csrf_token": csrf_token(page.text)},
        allow_redirects=False,
    )
    assert response.status_code == 303, response.text[:800]
    go = s_into.get(into.url + response.headers["Location"])
    assert go.status_code == 200
    link = unescape(re.search(r'class="button primary" href="([^"]+)"', go.text).group(1))
    assert link.startswith(source.url + "/oauth/authorize?")
    consent = s_source.get(link)
    assert consent.status_code == 200, consent.text[:800]
    assert "Badge Wallet" in consent.text
    action = unescape(
        re.search(r'<form id="consent-form" method="post" action="([^"]+)"', consent.text).group(1)
    )
    decided = s_source.post(
        source.url + action,
        data={"decision": "approve", "badges": "public", "csrf_token": csrf_token(consent.text)},
        allow_redirects=False,
    )
    assert decided.status_code == 302, decided.text[:800]
    back = decided.headers["Location"]
    assert back.startswith(into.url + "/account/bring/callback?")
    landed = s_into.get(back, allow_redirects=False)
    assert landed.status_code == 303
    report = s_into.get(into.url + landed.headers["Location"])
    assert report.status_code == 200
    return report.text


@pytest.mark.slow
def test_two_wallets_exchange_badges_both_ways(tmp_path: Path) -> None:
    with live_app(tmp_path, "a") as a, live_app(tmp_path, "b") as b:
        for live in (a, b):
            with live.context():
                make_user(EMAIL, language="en")
        _import(b, "Bridge inspection", "Concrete testing")
        _store_invalid(b, "Forged diploma")
        _import(a, "Welding")
        s_a, s_b = requests.Session(), requests.Session()
        sign_in(s_a, a.url, EMAIL, PASSWORD)
        sign_in(s_b, b.url, EMAIL, PASSWORD)

        report = _bring(a, b, s_a, s_b)
        assert "Added: 2" in report and "Not added: 1" in report, report
        assert "Forged diploma" in report and "not valid" in report
        assert _names(a) == {"Welding", "Bridge inspection", "Concrete testing"}

        report = _bring(b, a, s_b, s_a)
        assert "Added: 1" in report and "Already in your wallet: 2" in report, report
        assert _names(b) == {"Welding", "Bridge inspection", "Concrete testing", "Forged diploma"}
