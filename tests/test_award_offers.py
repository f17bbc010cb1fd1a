"""The portal offers its awards by OpenID4VCI: the notice's offer, and the issuer endpoints.

End to end, the app runs on a loopback server (its BASE_URL), so the wallet's receive flow
reaches the portal through the hardened fetcher exactly as it would reach another issuer.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from urllib.parse import unquote

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from sqlalchemy import func
from sqlalchemy import select
from werkzeug.serving import make_server

from tests.conftest import make_config
from tests.conftest import make_user
from tests.servers import free_port
from tests.test_issuing import make_issuer
from tests.test_issuing import row
from wallet.openbadges import holder
from wallet.openbadges.oid4vci import exchange

pytestmark = pytest.mark.slow
GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
OFFER_LINK = re.compile(r"openid-credential-offer://\S+")


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def app_config(tmp_path, port):
    return make_config(
        tmp_path, BASE_URL=f"http://127.0.0.1:{port}", FETCH_ALLOWED_NETWORKS="127.0.0.0/8"
    )


@pytest.fixture
def live(app, port) -> Iterator[str]:
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def notice_offer(app, outbox, email: str = "taro@example.com") -> tuple[int, str]:
    """Award a badge to email, mail its notice; return (award id, the offer link in it)."""
    from wallet.services.issuing import claims

    with app.app_context():
        _issuer, achievement = make_issuer()
        outcome = claims.award_and_notify(achievement, row(email))
        award_id = outcome.award.id
    text = outbox.text(outbox.to(email)[-1])
    found = OFFER_LINK.search(text)
    assert found, text
    return award_id, found.group(0)


def offer_uri(link: str) -> str:
    return unquote(link.split("credential_offer_uri=", 1)[1])


def badge_count(app) -> int:
    from wallet.extensions import db
    from wallet.models import Badge

    with app.app_context():
        return int(db.session.scalar(select(func.count(Badge.id))) or 0)


def test_the_notice_offer_takes_the_badge_into_a_wallet_bound_to_its_key(
    app, client, auth, outbox, live
):
    """Another wallet's holder (another address) takes the award by the offer, without JS."""
    _award_id, link = notice_offer(app, outbox, "jiro@example.org")
    html = outbox.to("jiro@example.org")[-1].get_body(("html",)).get_content()
    qr_url = re.search(r'<img src="([^"]+/qr\.png)"', html).group(1)
    picture = client.get(qr_url.removeprefix(live))
    assert picture.status_code == 200 and picture.data.startswith(b"\x89PNG")
    with app.app_context():
        make_user("hanako@example.com")
    auth.login("hanako@example.com")
    confirm = client.post("/receive", data={"offer": link}, headers={"Accept-Language": "ja"})
    assert confirm.status_code == 200, confirm.text
    assert "日本コンクリート工学会" in confirm.text and 'name="pin"' not in confirm.text
    token = confirm.text.split('name="offer" value="', 1)[1].split('"', 1)[0]
    done = client.post("/receive/accept", data={"offer": token})
    assert done.status_code == 303, done.text
    assert badge_count(app) == 1

    from wallet.extensions import db
    from wallet.models import AwardOffer
    from wallet.models import BadgeContent
    from wallet.models import HolderKey

    with app.app_context():
        stored = json.loads(db.session.scalars(select(BadgeContent.payload)).one())
        did = db.session.scalars(select(HolderKey.did_key)).one()
        assert db.session.scalars(select(AwardOffer.holder_id)).one() == did
    assert stored["credentialSubject"]["id"] == did
    assert stored["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    shown = client.get(done.headers["Location"])
    assert "コンクリート技士" in shown.text

    # The same offer again: its code was used; a clear message, nothing more stored.
    again = client.post("/receive", data={"offer": link})
    assert again.status_code == 422 and badge_count(app) == 1


def proof(key: ed25519.Ed25519PrivateKey, audience: str, nonce: str | None, **extra) -> str:
    kid = holder.did_key_method(key.public_key())
    return exchange.proof_jwt(
        kid=kid, audience=audience, nonce=nonce, sign=key.sign, now=extra.get("now")
    )


def test_the_issuer_endpoints_refuse_replays_bad_nonces_and_foreign_issuers(
    app, client, outbox, port
):
    base = f"http://127.0.0.1:{port}"
    _award_id, link = notice_offer(app, outbox)
    path = offer_uri(link).removeprefix(base)
    offer = client.get(path).get_json()
    issuer = offer["credential_issuer"]
    assert issuer == f"{base}/oid4vci/jci"
    code = offer["grants"][GRANT]["pre-authorized_code"]
    meta = client.get("/.well-known/openid-credential-issuer/oid4vci/jci").get_json()
    assert meta["credential_issuer"] == issuer
    assert "OpenBadgeCredential_ldp_vc" in meta["credential_configurations_supported"]
    server = client.get("/.well-known/oauth-authorization-server/oid4vci/jci").get_json()
    assert server["token_endpoint"] == f"{issuer}/token"

    assert client.post("/oid4vci/jci/token", data={"grant_type": GRANT}).status_code == 400
    wrong = client.post(
        "/oid4vci/jci/token", data={"grant_type": GRANT, "pre-authorized_code": "guess"}
    )
    assert wrong.status_code == 400 and wrong.get_json()["error"] == "invalid_grant"
    answer = client.post(
        "/oid4vci/jci/token", data={"grant_type": GRANT, "pre-authorized_code": code}
    )
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    access = answer.get_json()["access_token"]
    replay = client.post(
        "/oid4vci/jci/token", data={"grant_type": GRANT, "pre-authorized_code": code}
    )
    assert replay.status_code == 400 and replay.get_json()["error"] == "invalid_grant"
    # A used offer is gone: its document is a 404.
    assert client.get(path).status_code == 404

    key = ed25519.Ed25519PrivateKey.generate()
    bearer = {"Authorization": f"Bearer {access}"}

    def ask(jwt: str, **body):
        request = {"credential_configuration_id": "OpenBadgeCredential_ldp_vc"}
        request.update(body)
        request.setdefault("proofs", {"jwt": [jwt]})
        return client.post("/oid4vci/jci/credential", json=request, headers=bearer)

    nonce = client.post("/oid4vci/jci/nonce").get_json()["c_nonce"]
    stale = ask(proof(key, issuer, "not-our-nonce"))
    assert stale.status_code == 400 and stale.get_json()["error"] == "invalid_nonce"
    assert stale.get_json()["c_nonce"]
    elsewhere = ask(proof(key, "https://other.example/oid4vci/x", nonce))
    assert elsewhere.get_json()["error"] == "invalid_proof"
    old = ask(proof(key, issuer, nonce, now=time.time() - 3600))
    assert old.get_json()["error"] == "invalid_proof"
    other = ask(proof(key, issuer, nonce), credential_configuration_id="Something")
    assert other.get_json()["error"] == "unsupported_credential_type"
    assert client.post("/oid4vci/other/credential", json={}, headers=bearer).status_code == 404
    assert client.post("/oid4vci/jci/credential", json={}, headers={}).status_code == 401

    issued = ask(proof(key, issuer, nonce))
    assert issued.status_code == 200, issued.get_json()
    credential = issued.get_json()["credentials"][0]["credential"]
    did = holder.did_key_method(key.public_key()).split("#")[0]
    assert credential["credentialSubject"]["id"] == did
    # The token works once.
    assert ask(proof(key, issuer, nonce)).status_code == 401


def test_a_revoked_award_is_no_longer_offered(app, client, outbox, port):
    from wallet.extensions import db
    from wallet.models import Award
    from wallet.services.issuing import claims

    award_id, link = notice_offer(app, outbox)
    path = offer_uri(link).removeprefix(f"http://127.0.0.1:{port}")
    assert client.get(path).status_code == 200
    with app.app_context():
        claims.revoke(db.session.get(Award, award_id), "mistake")
    assert client.get(path).status_code == 404
    assert client.get(path + "/qr.png").status_code == 404


def test_expired_offers_and_tokens_are_refused(app, client, outbox, port):
    from datetime import timedelta

    from wallet.extensions import db
    from wallet.models import AwardOffer
    from wallet.models import utcnow

    _award_id, link = notice_offer(app, outbox)
    path = offer_uri(link).removeprefix(f"http://127.0.0.1:{port}")
    code = client.get(path).get_json()["grants"][GRANT]["pre-authorized_code"]
    with app.app_context():
        db.session.query(AwardOffer).update({"expires_at": utcnow() - timedelta(seconds=1)})
        db.session.commit()
    assert client.get(path).status_code == 404
    late = client.post(
        "/oid4vci/jci/token", data={"grant_type": GRANT, "pre-authorized_code": code}
    )
    assert late.get_json()["error"] == "invalid_grant"
    with app.app_context():
        db.session.query(AwardOffer).update({"expires_at": utcnow() + timedelta(days=1)})
        db.session.commit()
    access = client.post(
        "/oid4vci/jci/token", data={"grant_type": GRANT, "pre-authorized_code": code}
    ).get_json()["access_token"]
    with app.app_context():
        db.session.query(AwardOffer).update({"token_expires_at": utcnow() - timedelta(seconds=1)})
        db.session.commit()
    key = ed25519.Ed25519PrivateKey.generate()
    nonce = client.post("/oid4vci/jci/nonce").get_json()["c_nonce"]
    stale = client.post(
        "/oid4vci/jci/credential",
        json={
            "credential_configuration_id": "OpenBadgeCredential_ldp_vc",
            "proofs": {"jwt": [proof(key, f"http://127.0.0.1:{port}/oid4vci/jci", nonce)]},
        },
        headers={"Authorization": f"Bearer {access}"},
    )
    assert stale.status_code == 401 and stale.get_json()["error"] == "invalid_token"
