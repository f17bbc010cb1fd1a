"""Receiving by OpenID4VCI from an issuer we did not write: @openid4vc/openid4vci on npm.

tests/interop/oid4vci/issuer.mjs serves OpenID4VCI 1.0 (/v1) and draft 13 (/draft13) with
@openid4vc/openid4vci 0.4.6 and @openid4vc/oauth2 (pinned by sha512 in its package-lock.json,
installed by scripts/fetch_npm_interop.py), signing ldp_vc with the Digital Credentials
Consortium's eddsa-rdfc-2022 and jwt_vc_json with EdDSA, both by a did:key issuer.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func
from sqlalchemy import select

from tests.conftest import make_config
from tests.conftest import make_user
from tests.oid4vci_issuer import npm_issuer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def issuer():
    with npm_issuer() as running:
        yield running


@pytest.fixture
def app_config(tmp_path):
    return make_config(tmp_path, FETCH_ALLOWED_NETWORKS="127.0.0.0/8")


def badge_count() -> int:
    from wallet.extensions import db
    from wallet.models import Badge

    return int(db.session.scalar(select(func.count(Badge.id))) or 0)


def take(user, offer: str, pin: str = ""):
    from wallet.services import receiving

    prepared = receiving.prepare(offer)
    return prepared, receiving.receive(user, prepared.offer, pin)


def test_a_v1_offer_with_a_pin_brings_both_formats_bound_to_the_holders_key(app, issuer) -> None:
    from wallet.services import holder_keys

    made = issuer.offer(
        issuer="v1", configurations=["OpenBadge_ldp", "OpenBadge_jwt"], tx_code="4821"
    )
    with app.app_context():
        holder = make_user()
        prepared, outcomes = take(holder, made["offer"], "4821")
        assert prepared.offer.tx_code is not None and prepared.offer.tx_code.length == 4
        assert prepared.metadata.names == {"en": "Test Institute", "ja": "テスト研修所"}
        assert [c.format for c in prepared.configurations] == ["ldp_vc", "jwt_vc_json"]
        assert [o.created for o in outcomes] == [True, True]
        assert {o.badge.result for o in outcomes} == {"valid"}
        assert {o.badge.format for o in outcomes} == {"json", "jwt"}
        assert outcomes[0].badge.issuer_id == issuer.did
        did = holder_keys.key_row(holder).did_key
    issued = [e for e in issuer.events() if e["event"] == "credential"][-2:]
    assert [e["format"] for e in issued] == ["ldp_vc", "jwt_vc_json"]
    assert {e["subject"] for e in issued} == {did}
    assert {e["request"] for e in issued} == {"proofs"}


def test_a_draft_13_offer_by_reference_with_the_nonce_of_the_token_answer(app, issuer) -> None:
    made = issuer.offer(issuer="draft13", configurations=["OpenBadge_jwt"], by_reference=True)
    assert "credential_offer_uri" in made["offer"]
    with app.app_context():
        holder = make_user()
        prepared, outcomes = take(holder, made["offer"])
        assert prepared.metadata.shape == "draft13"
        assert [o.badge.result for o in outcomes] == ["valid"]
    assert issuer.events()[-1]["request"] == "proof"


def test_the_offer_json_and_an_https_link_carrying_it_are_read_too(app, issuer) -> None:
    made = issuer.offer(issuer="v1")
    with app.app_context():
        holder = make_user()
        prepared, outcomes = take(holder, json.dumps(made["object"]))
        assert len(outcomes) == 1


def test_a_wrong_pin_is_refused_and_nothing_is_stored_then_the_right_one_works(app, issuer) -> None:
    from wallet.services import receiving

    made = issuer.offer(issuer="v1", tx_code="1234")
    with app.app_context():
        holder = make_user()
        prepared = receiving.prepare(made["offer"])
        with pytest.raises(receiving.ReceiveFailed) as refused:
            receiving.receive(holder, prepared.offer, "9999")
        assert refused.value.code == "pin"
        assert badge_count() == 0
        with pytest.raises(receiving.ReceiveFailed) as missing:
            receiving.receive(holder, prepared.offer, "")
        assert missing.value.code == "pin_required"
        assert len(receiving.receive(holder, prepared.offer, "1234")) == 1
    assert any("tx_code" in e.get("reason", "") for e in issuer.events())


def test_a_replayed_pre_authorized_code_is_refused(app, issuer) -> None:
    from wallet.services import receiving

    made = issuer.offer(issuer="v1")
    with app.app_context():
        holder = make_user()
        prepared, _ = take(holder, made["offer"])
        other = make_user("hanako@example.com", given_name="花子")
        with pytest.raises(receiving.ReceiveFailed) as replayed:
            receiving.receive(other, prepared.offer, "")
        assert replayed.value.code == "pin"
        assert badge_count() == 1
    assert {"event": "token refused", "reason": "replayed"} in issuer.events()[-2:]


def test_a_nonce_the_issuer_does_not_accept_ends_after_one_retry_with_nothing_stored(
    app, issuer
) -> None:
    from wallet.services import receiving

    for flavour in ("v1", "draft13"):
        made = issuer.offer(issuer=flavour, stale_nonce=True)
        with app.app_context():
            holder = make_user(f"{flavour}@example.com")
            with pytest.raises(receiving.ReceiveFailed) as refused:
                take(holder, made["offer"])
            assert refused.value.code == "nonce"
            assert badge_count() == 0
        refusals = [e for e in issuer.events() if e["event"] == "proof refused"]
        assert len(refusals) >= 2


def test_a_credential_bound_to_another_holder_is_refused(app, issuer) -> None:
    from wallet.services import badge_import

    other = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
    made = issuer.offer(issuer="v1", configurations=["OpenBadge_ldp"], bind_to=other)
    with app.app_context():
        holder = make_user()
        with pytest.raises(badge_import.ImportFailed) as refused:
            take(holder, made["offer"])
        assert refused.value.code in ("other_holder", "other_identity")
        assert badge_count() == 0


def test_an_offer_of_formats_this_wallet_does_not_take_is_refused(app, issuer) -> None:
    from wallet.services import receiving

    made = issuer.offer(issuer="v1", configurations=["Identity_sdjwt"])
    with app.app_context():
        with pytest.raises(receiving.ReceiveFailed) as refused:
            receiving.prepare(made["offer"])
        assert refused.value.code == "unsupported"
