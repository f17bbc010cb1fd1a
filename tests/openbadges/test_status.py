"""Credential status: bitstring lists (W3C and 2021), 1EdTech revocation lists, failures."""

from __future__ import annotations

import base64
import gzip
import json

import pytest

from tests.openbadges import v3_fixtures as fx
from tests.openbadges.fakes import FakeFetcher
from wallet.openbadges import status
from wallet.openbadges.keys import did_key_for


def _entry(index: int, **extra: object) -> dict[str, object]:
    entry: dict[str, object] = {
        "id": f"{fx.STATUS_URL}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": str(index),
        "statusListCredential": fx.STATUS_URL,
    }
    entry.update(extra)
    return entry


ISSUER = status.Signer(fx.HTTPS_ISSUER, (fx.ISSUER_KEY.public_key(),))


def _check(entry: object, fake: FakeFetcher, signer: status.Signer = ISSUER) -> status.Check:
    checks = status.status_checks(
        {"id": "urn:uuid:c", "credentialStatus": entry}, fetcher=fake, now=fx.NOW, signer=signer
    )
    assert len(checks) == 1
    return checks[0]


def test_bitstring_round_trip_and_bit_order() -> None:
    bits = bytes([0b1000_0001, 0, 0b0100_0000])
    decoded = status.decode_bitstring(status.encode_bitstring(bits))
    assert decoded == bits
    assert [status.status_value(bits, i) for i in (0, 1, 7, 17)] == [1, 0, 1, 1]
    assert status.status_value(bits, 0, 2) == 0b10
    with pytest.raises(status.StatusProblem):
        status.status_value(bits, 24)


def test_revoked_index() -> None:
    check = _check(_entry(fx.REVOKED_INDEX), fx.fetcher())
    assert (check.status, check.message_id, check.outcome) == (
        "failed",
        "ob3.status.revoked",
        "revoked",
    )


def test_not_revoked_index() -> None:
    check = _check(_entry(3), fx.fetcher())
    assert (check.status, check.message_id) == ("passed", "ob3.status.not_revoked")


def test_list_unreachable_is_unverifiable() -> None:
    check = _check(_entry(3), fx.fetcher(with_status=False))
    assert (check.status, check.message_id, check.outcome) == (
        "unsupported",
        "ob3.status.unreachable",
        "unverifiable",
    )
    fake = fx.fetcher(with_status=False)
    fake.add(fx.STATUS_URL, b"gone", status=404)
    assert _check(_entry(3), fake).outcome == "unverifiable"


def test_list_with_bad_signature_is_not_trusted() -> None:
    fake = fx.fetcher(with_status=False)
    forged = fx.status_list(revoked=())
    forged["credentialSubject"]["encodedList"] = fx.status_list()["credentialSubject"][
        "encodedList"
    ]
    # Signed by another key under the issuer's name: a valid signature, not the issuer's list.
    fake.add(fx.STATUS_URL, fx.dumps(fx.status_list(revoked=(), key=fx.OTHER_KEY)))
    assert _check(_entry(3), fake).message_id == "ob3.status.list_foreign"
    fake.add(fx.STATUS_URL, fx.dumps(forged))
    assert _check(_entry(3), fake).message_id == "ob3.status.list_unverified"


def test_purpose_mismatch_and_suspension() -> None:
    fake = fx.fetcher(with_status=False)
    fake.add(fx.STATUS_URL, fx.dumps(fx.status_list(purpose="suspension")))
    assert _check(_entry(3), fake).message_id == "ob3.status.list_unverified"
    suspended = _check(_entry(fx.REVOKED_INDEX, statusPurpose="suspension"), fake)
    assert (suspended.message_id, suspended.outcome) == ("ob3.status.suspended", "revoked")


def test_short_list_warns_when_not_set() -> None:
    fake = fx.fetcher(with_status=False)
    fake.add(fx.STATUS_URL, fx.dumps(fx.status_list(entries=100_000)))
    assert _check(_entry(3), fake).status == "warning"
    assert _check(_entry(fx.REVOKED_INDEX), fake).outcome == "revoked"


def test_gzip_bomb_is_bounded() -> None:
    bomb = gzip.compress(bytes(64 * 1024 * 1024))
    encoded = "u" + base64.urlsafe_b64encode(bomb).decode().rstrip("=")
    with pytest.raises(status.StatusProblem):
        status.decode_bitstring(encoded)


def test_status_list_2021_legacy_encoding() -> None:
    bits = bytes([0b0010_0000]) + bytes(16383)
    legacy = base64.urlsafe_b64encode(gzip.compress(bits)).decode().rstrip("=")
    assert status.decode_bitstring(legacy, legacy=True) == bits
    with pytest.raises(status.StatusProblem):
        status.decode_bitstring(legacy)


def test_1edtech_revocation_list() -> None:
    url = "https://issuer.example/revocations"
    fake = FakeFetcher()
    entry = {"id": url, "type": "1EdTechRevocationList"}
    fake.add(url, json.dumps({"revokedCredential": [{"id": "urn:uuid:c", "revoked": True}]}))
    assert _check(entry, fake).outcome == "revoked"
    fake.add(url, json.dumps({"revokedCredential": [{"id": "urn:uuid:other"}]}))
    assert _check(entry, fake).status == "passed"
    fake.add(url, json.dumps({"revokedCredentials": ["urn:uuid:c"]}))
    assert _check(entry, fake).outcome == "revoked"
    assert _check(entry, FakeFetcher()).outcome == "unverifiable"


def test_no_status_and_unknown_type() -> None:
    checks = status.status_checks({"id": "x"}, fetcher=FakeFetcher(), now=fx.NOW, signer=ISSUER)
    assert [(c.status, c.message_id) for c in checks] == [("skipped", "ob3.status.none")]
    check = _check({"id": "https://x.example", "type": "SomethingElse"}, FakeFetcher())
    assert check.status == "unsupported"


def test_malformed_index_fails() -> None:
    check = _check(_entry(3, statusListIndex="seven"), fx.fetcher())
    assert (check.status, check.message_id) == ("failed", "ob3.status.malformed")


def test_status_list_as_vc_jwt() -> None:
    listed = fx.status_list(issuer_id=fx.DID_KEY)
    del listed["proof"]
    did_key_issuer = status.Signer(fx.DID_KEY, (fx.ISSUER_KEY.public_key(),))
    fake = FakeFetcher()
    fake.add(fx.STATUS_URL, fx.jwt(listed))
    assert _check(_entry(fx.REVOKED_INDEX), fake, did_key_issuer).outcome == "revoked"
    assert _check(_entry(3), fake, did_key_issuer).status == "passed"
    forged = FakeFetcher()
    forged.add(fx.STATUS_URL, fx.jwt(listed, key=fx.OTHER_KEY))
    assert _check(_entry(3), forged, did_key_issuer).message_id == "ob3.status.list_unverified"


def test_list_of_another_issuer_is_not_the_issuers_word() -> None:
    # A list issued (and properly signed) by someone else: its "revoked" bit says nothing.
    attacker = did_key_for(fx.OTHER_KEY.public_key())
    foreign = fx.status_list(issuer_id=attacker, key=fx.OTHER_KEY)
    fake = fx.fetcher(with_status=False)
    fake.add(fx.STATUS_URL, fx.dumps(foreign))
    check = _check(_entry(fx.REVOKED_INDEX), fake)
    assert (check.status, check.message_id, check.outcome) == (
        "unsupported",
        "ob3.status.list_foreign",
        "unverifiable",
    )


def test_list_signed_by_the_badges_own_key_counts_without_the_profile() -> None:
    # Offline nothing confirms the key, but the list and the badge were signed by one key:
    # whoever issued the badge revoked it.
    offline = FakeFetcher()
    offline.add(fx.STATUS_URL, fx.dumps(fx.status_list()))
    assert _check(_entry(fx.REVOKED_INDEX), offline).outcome == "revoked"
    # The badge signed by another key: the list's key must then be proven, and is not.
    other = status.Signer(fx.HTTPS_ISSUER, (fx.OTHER_KEY.public_key(),))
    check = _check(_entry(fx.REVOKED_INDEX), offline, other)
    assert (check.message_id, check.outcome) == ("ob3.status.list_foreign", "unverifiable")
    # ... and proven it is once the issuer's profile lists the list's key.
    assert _check(_entry(fx.REVOKED_INDEX), fx.fetcher(), other).outcome == "revoked"


def test_revocation_list_must_be_on_the_issuers_origin() -> None:
    url = "https://lists.example/revocations"
    fake = FakeFetcher()
    fake.add(url, json.dumps({"revokedCredential": [{"id": "urn:uuid:c", "revoked": True}]}))
    check = _check({"id": url, "type": "1EdTechRevocationList"}, fake)
    assert (check.message_id, check.outcome) == ("ob3.status.list_foreign", "unverifiable")
    assert fake.requests == []  # not even asked
    # A did:web issuer publishes from its host.
    own = "https://issuer.example/revocations"
    fake.add(own, json.dumps({"revokedCredential": ["urn:uuid:c"]}))
    did_web = status.Signer(fx.DID_WEB, ())
    assert _check({"id": own, "type": "1EdTechRevocationList"}, fake, did_web).outcome == "revoked"
    # An issuer id that is not a web address has no origin to publish from.
    nowhere = status.Signer("urn:uuid:1", ())
    assert _check({"id": own, "type": "1EdTechRevocationList"}, fake, nowhere).outcome == (
        "unverifiable"
    )
