"""A Moodle-shaped client against the OB 2.1 host, over real HTTP on loopback.

The client (tests/api/moodle.py) sends what Moodle's core_badges backpack classes send; the
badges come from a Moodle-shaped site (tests/api/moodle_site.py) the wallet fetches from.
"""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
import requests

from tests.api import moodle_site
from tests.api.live import LiveApp
from tests.api.live import csrf_token
from tests.api.live import live_app
from tests.api.live import sign_in
from tests.api.moodle import MoodleClient
from tests.api.moodle import MoodleError
from tests.api.moodle import moodle_scopes
from tests.conftest import PASSWORD
from tests.conftest import Outbox
from tests.conftest import make_user

EMAIL = "taro@example.com"
SYNC = {"QUEUE_AFTER_RESPONSE": False}  # a request's mails are written when it returns
V2P1 = "https://purl.imsglobal.org/spec/ob/v2p1/scope/"


def _approve(holder: requests.Session, base: str, url: str, decision: str = "approve") -> str:
    """Answer the consent page as the signed-in holder; return where the browser is sent."""
    page = holder.get(url)
    assert page.status_code == 200, page.text[:500]
    action = re.search(r'<form id="consent-form" method="post" action="([^"]+)"', page.text)
    assert action is not None
    response = holder.post(
        base + unescape(action.group(1)),
        data={"decision": decision, "badges": "public", "csrf_token": csrf_token(page.text)},
        allow_redirects=False,
    )
    assert response.status_code == 302, response.text[:500]
    return response.headers["Location"]


def _connect(host: LiveApp, site: moodle_site.MoodleSite) -> tuple[MoodleClient, requests.Session]:
    """Discover, register and be authorized as Moodle; return the client and the holder."""
    holder = requests.Session()
    sign_in(holder, host.url, EMAIL, PASSWORD)
    moodle = MoodleClient(wwwroot=site.wwwroot, backpack_url=host.url)
    moodle.discover()
    moodle.callback(_approve(holder, host.url, moodle.login_url()))
    return moodle, holder


def _badges(host: LiveApp) -> list[tuple[str, str, str, str]]:
    from wallet.extensions import db
    from wallet.models import Badge

    with host.context():
        rows = db.session.scalars(db.select(Badge).order_by(Badge.id)).all()
        return [(b.name, b.issuer_name, b.spec, b.format) for b in rows]


def _disconnect(holder: requests.Session, base: str) -> None:
    page = holder.get(base + "/account")
    action = re.search(r'action="(/account/connections/[a-z0-9]+/disconnect)"', page.text)
    assert action is not None, "no connection listed"
    response = holder.post(
        base + action.group(1),
        data={"csrf_token": csrf_token(page.text)},
        allow_redirects=False,
    )
    assert response.status_code in (302, 303)


def test_moodle_asks_for_reading_and_adding_from_what_the_wallet_offers() -> None:
    offered = f"{V2P1}profile.readonly {V2P1}assertion.readonly {V2P1}assertion.create"
    assert moodle_scopes(offered) == f"{V2P1}assertion.readonly {V2P1}assertion.create"
    assert moodle_scopes("a profile b openid") == "a b"


@pytest.mark.slow
def test_moodle_connects_pushes_three_course_badges_reads_them_back_and_is_disconnected(
    tmp_path: Path,
) -> None:
    with moodle_site.moodle_site() as site, live_app(tmp_path, "wallet", **SYNC) as host:
        with host.context():
            make_user(EMAIL, language="en")
        holder = requests.Session()
        sign_in(holder, host.url, EMAIL, PASSWORD)
        moodle = MoodleClient(wwwroot=site.wwwroot, backpack_url=host.url)
        moodle.discover()
        assert moodle.api_base == host.url + "/ims/ob/v2p1"

        # The holder sees Moodle's site named on the consent page, and approves.
        page = holder.get(moodle.login_url())
        assert moodle_site.SITE_NAME in page.text and "127.0.0.1" in page.text
        assert "Put badges in your wallet" in page.text
        moodle.callback(_approve(holder, host.url, moodle.login_url()))
        assert moodle.token is not None and "assertion.create" in moodle.token.scope

        hosted = site.award_hosted("a1b2c3", 7, EMAIL, "Concrete Basics")
        assert moodle.put_assertion(hosted) == (True, "addedtobackpack")
        signed = site.award_signed(8, EMAIL, "Formwork Safety")
        assert moodle.put_signed(signed) == (True, "addedtobackpack")
        refused = site.award_hosted("d4e5f6", 9, EMAIL, "Site Inspection")
        site.revoke(refused, "d4e5f6")
        assert moodle.put_assertion(refused) == (False, "The issuer has revoked this badge.")

        # The two good ones are in the wallet, with their Moodle issuer; nothing of the third.
        assert _badges(host) == [
            ("Concrete Basics", moodle_site.ISSUER_NAME, "2.0", "url"),
            ("Formwork Safety", moodle_site.ISSUER_NAME, "2.0", "jws"),
        ]
        mails = Outbox(host.outbox_dir).to(EMAIL)
        assert len(mails) == 2 and moodle_site.SITE_NAME in Outbox.text(mails[0])

        # The same client reads them back: the issuer's hosted copy and the JWS as sent.
        answer = moodle.get_assertions()
        assert answer["status"] == {"error": None, "statusCode": 200, "statusText": "OK"}
        assert [a["id"] for a in answer["assertions"]] == [hosted["id"]]
        assert answer["signedAssertions"] == [signed]

        # Pushing the same badge again updates it: still two badges, no new mail.
        assert moodle.put_assertion(hosted) == (True, "addedtobackpack")
        assert len(_badges(host)) == 2 and len(Outbox(host.outbox_dir).to(EMAIL)) == 2

        # The holder disconnects the site: its token and its refresh token stop working.
        _disconnect(holder, host.url)
        ok, message = moodle.put_assertion(site.award_hosted("g7h8i9", 10, EMAIL, "Late"))
        assert (ok, message) == (False, "The access token is not valid.")
        assert len(_badges(host)) == 2
        moodle.token.expires = 0  # Moodle refreshes an expired token before its next call
        with pytest.raises(MoodleError, match="oauth2refreshtokenerror 400 .*invalid_grant"):
            moodle.get_assertions()


@pytest.mark.slow
def test_moodle_refreshes_with_its_secret_in_the_body(tmp_path: Path) -> None:
    with moodle_site.moodle_site() as site, live_app(tmp_path, "wallet", **SYNC) as host:
        with host.context():
            make_user(EMAIL, language="en")
        moodle, _holder = _connect(host, site)
        first = moodle.token
        assert first is not None and first.refreshtoken
        moodle.token.expires = 0
        assert moodle.get_assertions()["status"]["statusCode"] == 200
        assert moodle.token.token != first.token
        method, url, headers, body = moodle.requests_sent[-2]
        assert url.endswith("/oauth/token") and "Authorization" not in headers
        assert b"client_secret=" in body and b"grant_type=refresh_token" in body


@pytest.mark.slow
def test_a_holder_who_denies_sends_moodle_back_with_an_error(tmp_path: Path) -> None:
    with moodle_site.moodle_site() as site, live_app(tmp_path, "wallet", **SYNC) as host:
        with host.context():
            make_user(EMAIL, language="en")
        holder = requests.Session()
        sign_in(holder, host.url, EMAIL, PASSWORD)
        moodle = MoodleClient(wwwroot=site.wwwroot, backpack_url=host.url)
        moodle.discover()
        back = _approve(holder, host.url, moodle.login_url(), decision="deny")
        with pytest.raises(MoodleError, match="access_denied|denied"):
            moodle.callback(back)
        assert moodle.token is None


@pytest.mark.slow
def test_a_badge_for_someone_else_is_refused_with_the_recipient_status(tmp_path: Path) -> None:
    with moodle_site.moodle_site() as site, live_app(tmp_path, "wallet", **SYNC) as host:
        with host.context():
            make_user(EMAIL, language="en")
        moodle, _holder = _connect(host, site)
        other = site.award_hosted("z9", 11, "hanako@example.com", "Concrete Basics")
        ok, message = moodle.put_assertion(other)
        assert not ok and "another email address" in message
        sent = moodle.requests_sent[-1]
        assert sent[2]["Content-type"] == "application/json" and b"\\/" in sent[3]
        assert _badges(host) == []
