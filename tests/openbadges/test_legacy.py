"""OB 0.5, 1.0, 1.1 and 2.0 verification against our own issuer, keys and vectors."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.openbadges.fakes import SVG
from tests.openbadges.fakes import FakeFetcher
from tests.openbadges.fakes import png_chunk
from tests.openbadges.fakes import tiny_png
from wallet.openbadges import VerificationReport
from wallet.openbadges import bake_png
from wallet.openbadges import bake_svg
from wallet.openbadges import read
from wallet.openbadges import verify
from wallet.openbadges.errors import FetchError
from wallet.openbadges.errors import ParseError
from wallet.openbadges.errors import TooLarge
from wallet.openbadges.errors import UnsupportedFormat
from wallet.openbadges.fetch import Response
from wallet.openbadges.jose import PrivateKey
from wallet.openbadges.jose import b64url_encode
from wallet.openbadges.jose import sign_compact
from wallet.openbadges.legacy_parse import parse_legacy
from wallet.openbadges.recipient import identity_hash

V2 = "https://w3id.org/openbadges/v2"
ORIGIN = "https://issuer.example"
ISSUER = f"{ORIGIN}/issuer.json"
BADGE = f"{ORIGIN}/badges/robotics.json"
ASSERTION_URL = f"{ORIGIN}/assertions/1.json"
KEY_URL = f"{ORIGIN}/keys/1.json"
REVOCATION = f"{ORIGIN}/revocations.json"
HOLDER = "holder@example.jp"
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem_of(key: PrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def issuer_doc(**extra: Any) -> dict[str, Any]:
    return {
        "@context": V2,
        "type": "Issuer",
        "id": ISSUER,
        "name": "Example Institute",
        "url": ORIGIN,
        "email": "badges@issuer.example",
        "publicKey": KEY_URL,
        "revocationList": REVOCATION,
        **extra,
    }


def badge_doc(**extra: Any) -> dict[str, Any]:
    return {
        "@context": V2,
        "type": "BadgeClass",
        "id": BADGE,
        "name": "Robotics Level 1",
        "description": "Built a robot.",
        "image": f"{ORIGIN}/robotics.png",
        "criteria": {"narrative": "Build and program a robot."},
        "issuer": ISSUER,
        "alignment": [{"targetName": "Mechatronics", "targetUrl": f"{ORIGIN}/framework/1"}],
        **extra,
    }


def assertion(signed: bool = False, **extra: Any) -> dict[str, Any]:
    verification = {"type": "SignedBadge", "creator": KEY_URL} if signed else {"type": "hosted"}
    return {
        "@context": V2,
        "type": "Assertion",
        "id": ASSERTION_URL,
        "recipient": {
            "type": "email",
            "hashed": True,
            "salt": "pepper",
            "identity": identity_hash(HOLDER, "pepper"),
        },
        "badge": BADGE,
        "verification": verification,
        "issuedOn": "2026-01-01T00:00:00Z",
        "expires": "2030-01-01T00:00:00+09:00",
        "evidence": [{"id": f"{ORIGIN}/evidence/1", "narrative": "Robot video"}],
        "narrative": "Great work.",
        **extra,
    }


def dumps(doc: Any) -> str:
    return json.dumps(doc, ensure_ascii=False)


@pytest.fixture
def world(rsa_key: rsa.RSAPrivateKey) -> FakeFetcher:
    fetcher = FakeFetcher()
    fetcher.add(ISSUER, dumps(issuer_doc()))
    fetcher.add(BADGE, dumps(badge_doc()))
    fetcher.add(ASSERTION_URL, dumps(assertion()))
    key = {"@context": V2, "type": "CryptographicKey", "id": KEY_URL, "owner": ISSUER}
    fetcher.add(KEY_URL, dumps({**key, "publicKeyPem": pem_of(rsa_key)}))
    fetcher.add(REVOCATION, dumps({"type": "RevocationList", "revokedAssertions": []}))
    return fetcher


def by_id(report: VerificationReport, check_id: str) -> list[str]:
    return [f"{c.status}:{c.message_id}" for c in report.checks if c.id == check_id]


def problems(report: VerificationReport) -> list[str]:
    return [
        f"{c.id}:{c.message_id}" for c in report.checks if c.status in ("failed", "unsupported")
    ]


# --------------------------------------------------------------------------- OB 2.0 hosted


def test_hosted_json_is_valid_and_normalised(world: FakeFetcher) -> None:
    report = verify(dumps(assertion()), fetcher=world, now=NOW, emails=[HOLDER])
    assert report.result == "valid", problems(report)
    assert (report.spec, report.format) == ("2.0", "json")
    cred = report.credential
    assert cred is not None
    assert cred.achievement.name == "Robotics Level 1"
    assert cred.achievement.criteria_narrative == "Build and program a robot."
    assert cred.issuer.name == "Example Institute" and cred.issuer.id == ISSUER
    assert cred.issued_on == datetime(2026, 1, 1, tzinfo=UTC)
    assert cred.expires is not None and cred.expires.utcoffset() is not None
    assert cred.alignments[0].name == "Mechatronics"
    assert cred.evidence[0].narrative == "Robot video"
    assert cred.recipient is not None and cred.recipient.salt == "pepper"
    assert by_id(report, "recipient") == ["passed:recipient.matched"]
    assert by_id(report, "scope") == ["passed:scope.ok"]
    assert ASSERTION_URL in world.requests


def test_hosted_url_input(world: FakeFetcher) -> None:
    report = verify(ASSERTION_URL, fetcher=world, now=NOW)
    assert (report.result, report.format) == ("valid", "url")
    assert report.credential is not None and report.credential.source_url == ASSERTION_URL


def test_recipient_mismatch_is_invalid_and_absent_emails_skip(world: FakeFetcher) -> None:
    report = verify(dumps(assertion()), fetcher=world, now=NOW, emails=["other@example.jp"])
    assert report.result == "invalid"
    assert by_id(report, "recipient") == ["failed:recipient.mismatch"]
    report = verify(dumps(assertion()), fetcher=world, now=NOW)
    assert by_id(report, "recipient") == ["skipped:recipient.not_checked"]


def test_hosted_410_is_revoked(world: FakeFetcher) -> None:
    world.add(ASSERTION_URL, dumps({"id": ASSERTION_URL, "revoked": True}), status=410)
    report = verify(dumps(assertion()), fetcher=world, now=NOW)
    assert report.result == "revoked"


def test_url_input_answering_410_is_revoked(world: FakeFetcher) -> None:
    world.add(ASSERTION_URL, dumps({"id": ASSERTION_URL, "revoked": True}), status=410)
    report = verify(ASSERTION_URL, fetcher=world, now=NOW)
    assert (report.result, report.format, report.credential) == ("revoked", "url", None)
    world.add(ASSERTION_URL, dumps(assertion(revocationReason="Withdrawn")), status=410)
    report = verify(ASSERTION_URL, fetcher=world, now=NOW)
    assert report.result == "revoked"
    assert report.checks[0].params["reason"] == "Withdrawn"


def test_hosted_body_revoked_true_with_reason(world: FakeFetcher) -> None:
    world.add(ASSERTION_URL, dumps(assertion(revoked=True, revocationReason="Cheated")))
    report = verify(dumps(assertion()), fetcher=world, now=NOW)
    assert report.result == "revoked"
    check = next(c for c in report.checks if c.id == "revocation")
    assert check.params["reason"] == "Cheated"


def test_hosted_copy_unavailable_is_unverifiable(world: FakeFetcher) -> None:
    del world.routes[ASSERTION_URL]
    report = verify(dumps(assertion()), fetcher=world, now=NOW)
    assert report.result == "unverifiable"


def test_hosted_404_is_unverifiable(world: FakeFetcher) -> None:
    world.add(ASSERTION_URL, "not here", status=404)
    assert verify(dumps(assertion()), fetcher=world, now=NOW).result == "unverifiable"


def test_only_the_hosted_copy_is_trusted(world: FakeFetcher) -> None:
    world.add(
        ASSERTION_URL,
        dumps(assertion(expires="2020-01-01T00:00:00Z", issuedOn="2019-01-01T00:00:00Z")),
    )
    supplied = assertion(expires="2099-01-01T00:00:00Z")
    report = verify(dumps(supplied), fetcher=world, now=NOW)
    assert report.result == "expired"
    assert "warning:hosted.supplied_differs" in by_id(report, "hosted")


def test_hosted_id_redirect_warns_and_uses_declared_copy(world: FakeFetcher) -> None:
    other = f"{ORIGIN}/assertions/1-new.json"
    world.add(ASSERTION_URL, dumps(assertion(id=other)))
    world.add(other, dumps(assertion(id=other)))
    report = verify(dumps(assertion()), fetcher=world, now=NOW)
    assert report.result == "valid", problems(report)
    assert "warning:hosted.id_redirect" in by_id(report, "hosted")


def test_hosted_id_mismatch_without_declared_copy_is_invalid(world: FakeFetcher) -> None:
    world.add(ASSERTION_URL, dumps(assertion(id=f"{ORIGIN}/nowhere.json")))
    assert verify(dumps(assertion()), fetcher=world, now=NOW).result == "invalid"


def test_assertion_off_issuer_origin_is_invalid(world: FakeFetcher) -> None:
    evil = "https://evil.example/a.json"
    world.add(evil, dumps(assertion(id=evil)))
    report = verify(dumps(assertion(id=evil)), fetcher=world, now=NOW)
    assert report.result == "invalid"
    assert by_id(report, "scope") == ["failed:scope.origin"]


def test_starts_with_policy(world: FakeFetcher) -> None:
    world.add(ISSUER, dumps(issuer_doc(verification={"startsWith": f"{ORIGIN}/assertions/"})))
    assert verify(dumps(assertion()), fetcher=world, now=NOW).result == "valid"
    world.add(ISSUER, dumps(issuer_doc(verification={"startsWith": f"{ORIGIN}/other/"})))
    report = verify(dumps(assertion()), fetcher=world, now=NOW)
    assert by_id(report, "scope") == ["failed:scope.starts_with"]


def test_allowed_origins_policy(world: FakeFetcher) -> None:
    cdn = "https://cdn.example/a/1.json"
    world.add(cdn, dumps(assertion(id=cdn)))
    world.add(ISSUER, dumps(issuer_doc(verification={"allowedOrigins": ["cdn.example"]})))
    assert verify(cdn, fetcher=world, now=NOW).result == "valid"


@pytest.mark.parametrize(
    ("changes", "result", "message"),
    [
        ({"expires": "2026-06-01T00:00:00Z"}, "expired", "dates.expired"),
        ({"issuedOn": "2027-01-01T00:00:00Z"}, "invalid", "dates.issued_in_future"),
        (
            {"issuedOn": "2026-03-01T00:00:00Z", "expires": "2026-02-01T00:00:00Z"},
            "invalid",
            "dates.expires_before_issued",
        ),
        ({"issuedOn": "yesterday"}, "invalid", "v2.date_invalid"),
        ({"image": "data:image/png;base64,iVBORw0KGgo="}, "invalid", "v2.assertion_data_image"),
        ({"type": "OtherAssertion"}, "invalid", "v2.type_unknown"),
        ({"@context": "https://w3id.org/openbadges/v3"}, "invalid", "v2.context_invalid"),
        ({"verification": {"type": "magic"}}, "invalid", "v2.verification_invalid"),
    ],
)
def test_assertion_problems(
    world: FakeFetcher, changes: dict[str, Any], result: str, message: str
) -> None:
    doc = assertion(**changes)
    world.add(ASSERTION_URL, dumps(doc))
    report = verify(dumps(doc), fetcher=world, now=NOW)
    assert report.result == result
    assert message in [c.message_id for c in report.checks if c.status == "failed"]


def test_badge_class_data_image_is_fine(world: FakeFetcher) -> None:
    world.add(BADGE, dumps(badge_doc(image="data:image/png;base64,iVBORw0KGgo=")))
    assert verify(dumps(assertion()), fetcher=world, now=NOW).result == "valid"


def test_missing_issuer_is_unverifiable(world: FakeFetcher) -> None:
    del world.routes[ISSUER]
    assert verify(dumps(assertion()), fetcher=world, now=NOW).result == "unverifiable"


def test_issuer_of_wrong_type_is_invalid(world: FakeFetcher) -> None:
    world.add(ISSUER, dumps(issuer_doc(type="Criteria")))
    assert verify(dumps(assertion()), fetcher=world, now=NOW).result == "invalid"


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.update(recipient=5),
        lambda d: d.update(recipient={"identity": ["x"]}),
        lambda d: d.update(badge=[1, 2]),
        lambda d: d.update(badge={"issuer": 7}),
        lambda d: d.update(verification="hosted"),
        lambda d: d.update(issuedOn={"a": 1}),
        lambda d: d.update(issuedOn=10**30),
        lambda d: d.update(evidence=[None, 3, {"id": 4}]),
        lambda d: d.update(type=[]),
        lambda d: d.update(badge="urn:uuid:1234"),
        lambda d: d.update(id=None),
    ],
)
def test_odd_shapes_give_a_report_not_an_exception(
    world: FakeFetcher, mutate: Callable[[dict[str, Any]], None]
) -> None:
    doc = assertion()
    mutate(doc)
    world.add(ASSERTION_URL, dumps(doc))
    report = verify(dumps(doc), fetcher=world, now=NOW)
    assert report.result != "valid"
    assert not any(c.message_id == "verify.internal_error" for c in report.checks)


def test_standalone_badge_class_is_validated_but_not_a_credential(world: FakeFetcher) -> None:
    report = verify(dumps(badge_doc()), fetcher=world, now=NOW)
    assert report.result == "valid" and report.credential is None
    assert by_id(report, "document")[0] == "warning:document.not_an_assertion"


# --------------------------------------------------------------------------- OB 2.0 signed


def signed_token(key: PrivateKey, alg: str = "RS256", **extra: Any) -> str:
    return sign_compact(assertion(signed=True, **extra), key, alg)


def test_signed_badge_is_valid(world: FakeFetcher, rsa_key: rsa.RSAPrivateKey) -> None:
    report = verify(signed_token(rsa_key), fetcher=world, now=NOW, emails=[HOLDER])
    assert report.result == "valid", problems(report)
    assert report.format == "jws"
    assert by_id(report, "signature") == ["passed:signed.signature_ok"]
    assert by_id(report, "revocation") == ["passed:revocation.not_revoked"]
    assert ASSERTION_URL not in world.requests
    assert report.credential is not None and report.credential.payload.count(".") == 2


@pytest.mark.parametrize(
    ("make", "alg"),
    [
        (lambda: ec.generate_private_key(ec.SECP256R1()), "ES256"),
        (lambda: ec.generate_private_key(ec.SECP384R1()), "ES384"),
        (ed25519.Ed25519PrivateKey.generate, "EdDSA"),
    ],
)
def test_signed_with_other_key_types(
    world: FakeFetcher, make: Callable[[], PrivateKey], alg: str
) -> None:
    key = make()
    world.add(KEY_URL, dumps({"id": KEY_URL, "owner": ISSUER, "publicKeyPem": pem_of(key)}))
    assert verify(signed_token(key, alg), fetcher=world, now=NOW).result == "valid"


def test_signed_tampered_payload_is_invalid(world: FakeFetcher, rsa_key: rsa.RSAPrivateKey) -> None:
    head, _body, sig = signed_token(rsa_key).split(".")
    forged = b64url_encode(dumps(assertion(signed=True, expires="2099-01-01T00:00:00Z")).encode())
    report = verify(f"{head}.{forged}.{sig}", fetcher=world, now=NOW)
    assert report.result == "invalid"
    assert by_id(report, "signature") == ["failed:signed.signature_invalid"]


def test_signed_alg_none_is_invalid(world: FakeFetcher) -> None:
    head = b64url_encode(b'{"alg":"none"}')
    body = b64url_encode(dumps(assertion(signed=True)).encode())
    report = verify(f"{head}.{body}.", fetcher=world, now=NOW)
    assert report.result == "invalid"
    assert by_id(report, "signature") == ["failed:signed.signature_invalid"]


def test_signed_by_another_key_is_invalid(world: FakeFetcher) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert verify(signed_token(other), fetcher=world, now=NOW).result == "invalid"


def test_signed_key_not_listed_by_issuer(world: FakeFetcher, rsa_key: rsa.RSAPrivateKey) -> None:
    world.add(ISSUER, dumps(issuer_doc(publicKey=[f"{ORIGIN}/keys/other.json"])))
    report = verify(signed_token(rsa_key), fetcher=world, now=NOW)
    assert by_id(report, "key") == ["failed:signed.key_not_listed"]


def test_signed_key_owned_by_someone_else(world: FakeFetcher, rsa_key: rsa.RSAPrivateKey) -> None:
    doc = {"id": KEY_URL, "owner": "https://evil.example/issuer", "publicKeyPem": pem_of(rsa_key)}
    world.add(KEY_URL, dumps(doc))
    report = verify(signed_token(rsa_key), fetcher=world, now=NOW)
    assert report.result == "invalid"
    assert by_id(report, "key") == ["failed:signed.key_owner_mismatch"]


def test_signed_revoked_with_reason(world: FakeFetcher, rsa_key: rsa.RSAPrivateKey) -> None:
    entries = ["urn:uuid:other", {"id": ASSERTION_URL, "revocationReason": "Issued in error"}]
    world.add(REVOCATION, dumps({"type": "RevocationList", "revokedAssertions": entries}))
    report = verify(signed_token(rsa_key), fetcher=world, now=NOW)
    assert report.result == "revoked"
    check = next(c for c in report.checks if c.id == "revocation")
    assert (check.message_id, check.params["reason"]) == (
        "revocation.revoked_reason",
        "Issued in error",
    )


def test_signed_revocation_list_unavailable(world: FakeFetcher, rsa_key: rsa.RSAPrivateKey) -> None:
    del world.routes[REVOCATION]
    assert verify(signed_token(rsa_key), fetcher=world, now=NOW).result == "unverifiable"


def test_signed_and_expired_is_expired(world: FakeFetcher, rsa_key: rsa.RSAPrivateKey) -> None:
    token = signed_token(rsa_key, expires="2026-02-01T00:00:00Z")
    assert verify(token, fetcher=world, now=NOW).result == "expired"


def test_signed_json_without_jws_is_unverifiable(world: FakeFetcher) -> None:
    report = verify(dumps(assertion(signed=True)), fetcher=world, now=NOW)
    assert report.result == "unverifiable"


def test_revocation_beats_expiry(world: FakeFetcher, rsa_key: rsa.RSAPrivateKey) -> None:
    world.add(REVOCATION, dumps({"type": "RevocationList", "revokedAssertions": [ASSERTION_URL]}))
    token = signed_token(rsa_key, expires="2026-02-01T00:00:00Z")
    assert verify(token, fetcher=world, now=NOW).result == "revoked"


# --------------------------------------------------------------------------- baked


def test_baked_png_hosted_and_signed(world: FakeFetcher, rsa_key: rsa.RSAPrivateKey) -> None:
    png = bake_png(tiny_png(), "openbadges", dumps(assertion()))
    report = verify(png, fetcher=world, now=NOW)
    assert (report.result, report.format) == ("valid", "png")
    assert report.credential is not None and report.credential.original == png
    signed = bake_png(tiny_png(), "openbadges", signed_token(rsa_key))
    report = verify(signed, fetcher=world, now=NOW)
    assert (report.result, report.format, report.spec) == ("valid", "png", "2.0")


def test_baked_svg_hosted_and_signed(world: FakeFetcher, rsa_key: rsa.RSAPrivateKey) -> None:
    svg = bake_svg(SVG, dumps(assertion()), "2.0")
    assert verify(svg, fetcher=world, now=NOW).result == "valid"
    signed = bake_svg(SVG, signed_token(rsa_key), "2.0")
    report = verify(signed, fetcher=world, now=NOW)
    assert (report.result, report.format) == ("valid", "svg")


def test_baked_url_is_fetched(world: FakeFetcher) -> None:
    text = png_chunk(b"tEXt", b"openbadges\x00" + ASSERTION_URL.encode())
    loaded = read(tiny_png(extra=(text,)), fetcher=world)
    assert (loaded.format, loaded.source_url, loaded.spec) == ("png", ASSERTION_URL, "2.0")
    with pytest.raises(FetchError):
        read(tiny_png(extra=(text,)), fetcher=None)


def test_compressed_baked_chunk_warns(world: FakeFetcher) -> None:
    import zlib

    body = zlib.compress(dumps(assertion()).encode())
    chunk = png_chunk(b"iTXt", b"openbadges\x00\x01\x00\x00\x00" + body)
    report = verify(tiny_png(extra=(chunk,)), fetcher=world, now=NOW)
    assert report.result == "valid"
    assert by_id(report, "baking") == ["warning:baking.compressed"]


def test_tampered_baked_signed_png_is_invalid(
    world: FakeFetcher, rsa_key: rsa.RSAPrivateKey
) -> None:
    head, _body, sig = signed_token(rsa_key).split(".")
    forged = b64url_encode(dumps(assertion(signed=True, narrative="forged")).encode())
    png = bake_png(tiny_png(), "openbadges", f"{head}.{forged}.{sig}")
    assert verify(png, fetcher=world, now=NOW).result == "invalid"


# --------------------------------------------------------------------------- OB 1.0 / 1.1 / 0.5

V1_ASSERTION = f"{ORIGIN}/v1/assertion.json"
V1_BADGE = f"{ORIGIN}/v1/badge.json"
V1_ISSUER = f"{ORIGIN}/v1/issuer.json"
V1_PEM = f"{ORIGIN}/v1/public.pem"
V1_REVOKED = f"{ORIGIN}/v1/revoked.json"


def v1_assertion(signed: bool = False) -> dict[str, Any]:
    return {
        "uid": "abc123",
        "recipient": {
            "type": "email",
            "hashed": True,
            "salt": "s4lt",
            "identity": identity_hash(HOLDER, "s4lt"),
        },
        "badge": V1_BADGE,
        "verify": {"type": "signed", "url": V1_PEM}
        if signed
        else {"type": "hosted", "url": V1_ASSERTION},
        "issuedOn": 1388534400,
        "evidence": f"{ORIGIN}/v1/evidence",
    }


@pytest.fixture
def world_v1(world: FakeFetcher, rsa_key: rsa.RSAPrivateKey) -> FakeFetcher:
    world.add(V1_ASSERTION, dumps(v1_assertion()))
    badge = {
        "name": "Old Badge",
        "description": "From 2014",
        "image": f"{ORIGIN}/v1/badge.png",
        "criteria": f"{ORIGIN}/v1/criteria",
        "issuer": V1_ISSUER,
        "alignment": [{"name": "Skill", "url": f"{ORIGIN}/skill"}],
    }
    world.add(V1_BADGE, dumps(badge))
    issuer = {"name": "Old Issuer", "url": ORIGIN, "revocationList": V1_REVOKED}
    world.add(V1_ISSUER, dumps(issuer))
    world.add(V1_PEM, pem_of(rsa_key))
    world.add(V1_REVOKED, dumps({}))
    return world


def test_ob10_hosted(world_v1: FakeFetcher) -> None:
    report = verify(dumps(v1_assertion()), fetcher=world_v1, now=NOW, emails=[HOLDER])
    assert (report.result, report.spec) == ("valid", "1.0"), problems(report)
    cred = report.credential
    assert cred is not None
    assert cred.achievement.name == "Old Badge" and cred.issuer.name == "Old Issuer"
    assert cred.issued_on == datetime(2014, 1, 1, tzinfo=UTC)
    assert cred.alignments[0].name == "Skill" and cred.id == V1_ASSERTION


def test_ob10_hosted_gone(world_v1: FakeFetcher) -> None:
    world_v1.add(V1_ASSERTION, dumps({"revoked": True}), status=410)
    assert verify(dumps(v1_assertion()), fetcher=world_v1, now=NOW).result == "revoked"


def test_ob10_signed_and_revoked(world_v1: FakeFetcher, rsa_key: rsa.RSAPrivateKey) -> None:
    token = sign_compact(v1_assertion(signed=True), rsa_key, "RS256")
    report = verify(token, fetcher=world_v1, now=NOW)
    assert (report.result, report.spec, report.format) == ("valid", "1.0", "jws"), problems(report)
    world_v1.add(V1_REVOKED, dumps({"abc123": "Duplicate award"}))
    report = verify(token, fetcher=world_v1, now=NOW)
    assert report.result == "revoked"
    assert next(c for c in report.checks if c.id == "revocation").params["reason"] == (
        "Duplicate award"
    )


def test_ob10_signed_key_off_issuer_origin(
    world_v1: FakeFetcher, rsa_key: rsa.RSAPrivateKey
) -> None:
    doc = v1_assertion(signed=True)
    doc["verify"]["url"] = "https://evil.example/public.pem"
    world_v1.add("https://evil.example/public.pem", pem_of(rsa_key))
    report = verify(sign_compact(doc, rsa_key, "RS256"), fetcher=world_v1, now=NOW)
    assert report.result == "invalid"


def test_ob11_hosted(world_v1: FakeFetcher) -> None:
    doc = {
        **v1_assertion(),
        "@context": "https://w3id.org/openbadges/v1",
        "type": "Assertion",
        "id": V1_ASSERTION,
        "issuedOn": "2015-05-01T10:00:00+09:00",
    }
    world_v1.add(V1_ASSERTION, dumps(doc))
    report = verify(dumps(doc), fetcher=world_v1, now=NOW)
    assert (report.result, report.spec) == ("valid", "1.1"), problems(report)


V05_URL = f"{ORIGIN}/05/assertion.json"


def v05(origin: str = ORIGIN) -> dict[str, Any]:
    return {
        "recipient": identity_hash(HOLDER, "salty"),
        "salt": "salty",
        "badge": {
            "version": "0.5.0",
            "name": "Pioneer",
            "image": "/img/pioneer.png",
            "description": "Early adopter",
            "criteria": "/criteria/pioneer",
            "issuer": {"origin": origin, "name": "Old Org", "org": "Dept", "contact": "a@x.org"},
        },
        "issued_on": "2012-05-01",
        "expires": "2030-01-01",
    }


def test_ob05_by_url(world: FakeFetcher) -> None:
    world.add(V05_URL, dumps(v05()))
    report = verify(V05_URL, fetcher=world, now=NOW, emails=[HOLDER])
    assert (report.result, report.spec) == ("valid", "0.5"), problems(report)
    cred = report.credential
    assert cred is not None
    assert cred.achievement.name == "Pioneer" and cred.issuer.name == "Old Org (Dept)"
    assert cred.issued_on == datetime(2012, 5, 1, tzinfo=UTC)


def test_ob05_pasted_is_unverifiable(world: FakeFetcher) -> None:
    assert verify(dumps(v05()), fetcher=world, now=NOW).result == "unverifiable"


def test_ob05_on_foreign_origin_is_invalid(world: FakeFetcher) -> None:
    world.add(V05_URL, dumps(v05(origin="https://other.example")))
    assert verify(V05_URL, fetcher=world, now=NOW).result == "invalid"


def test_parse_legacy_without_network() -> None:
    cred = parse_legacy(assertion(badge=badge_doc()), spec="2.0", format="json")
    assert cred.achievement.name == "Robotics Level 1"
    assert cred.issuer.id == ISSUER and cred.issuer.name is None


# --------------------------------------------------------------------------- read / dispatch


def test_read_limits_and_errors(world: FakeFetcher) -> None:
    with pytest.raises(TooLarge):
        read(b"{" + b" " * (20 * 1024 * 1024) + b"}")
    with pytest.raises(TooLarge):
        verify('{"a":' * 10_000, fetcher=world, now=NOW)
    with pytest.raises(UnsupportedFormat):
        read("hello")
    with pytest.raises(UnsupportedFormat):
        read('{"name": "not a badge"}')
    with pytest.raises(ParseError):
        read('{"recipient": ')
    with pytest.raises(FetchError):
        read(ASSERTION_URL)
    with pytest.raises(FetchError):
        read("https://unknown.example/a.json", fetcher=world)
    world.routes["https://issuer.example/404"] = Response(
        "https://issuer.example/404", 404, "text/html", b""
    )
    with pytest.raises(FetchError):
        read("https://issuer.example/404", fetcher=world)


def test_v3_payload_without_v3_module_is_unverifiable(
    world: FakeFetcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    import wallet.openbadges

    monkeypatch.delattr(wallet.openbadges, "v3", raising=False)
    monkeypatch.setitem(sys.modules, "wallet.openbadges.v3", None)
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
    }
    report = verify(dumps(credential), fetcher=world, now=NOW)
    assert (report.spec, report.result) == ("3.0", "unverifiable")
    assert by_id(report, "proof") == ["unsupported:v3.unavailable"]


def test_fetch_budget_is_enforced(world: FakeFetcher) -> None:
    from wallet.openbadges.limits import Limits

    report = verify(dumps(assertion()), fetcher=world, now=NOW, limits=Limits(max_fetches=2))
    assert report.result == "unverifiable"
    assert len(world.requests) == 2


def test_seeded_shape_fuzz_never_crashes(world: FakeFetcher, rsa_key: rsa.RSAPrivateKey) -> None:
    import random

    from wallet.openbadges.errors import BadgeError

    rng = random.Random(7)
    odd: list[Any] = [
        None,
        0,
        -1,
        1.5,
        True,
        "",
        "x",
        "https://evil.example/",
        "http://[::1",
        "https://x.\u2100ample/",
        [],
        {},
        [None],
        {"id": 3},
    ]
    keys = list(assertion()) + ["uid", "salt", "verify"]
    for round_ in range(150):
        doc = assertion(signed=round_ % 2 == 1)
        for _ in range(rng.randint(1, 3)):
            key = rng.choice(keys)
            if rng.random() < 0.3:
                doc.pop(key, None)
            else:
                doc[key] = rng.choice(odd)
        source = sign_compact(doc, rsa_key, "RS256") if round_ % 2 else dumps(doc)
        world.add(ASSERTION_URL, dumps(doc))
        try:
            report = verify(source, fetcher=world, now=NOW)
        except BadgeError:
            continue
        assert not any(c.message_id == "verify.internal_error" for c in report.checks), doc


_OB1 = {
    "uid": "abc123",
    "recipient": {"type": "email", "hashed": True, "salt": "s", "identity": "sha256$" + "0" * 64},
    "badge": f"{ORIGIN}/badge.json",
    "verify": {"type": "hosted", "url": f"{ORIGIN}/a.json"},
    "issuedOn": "2014-01-01",
}


@pytest.mark.parametrize(
    ("broken", "failing"),
    [
        ({"recipient": "sha256$" + "0" * 64, "salt": "s"}, "v2.recipient_invalid"),
        ({"recipient": ["x"]}, "v2.recipient_invalid"),
        ({"badge": None, "verify": None}, "v2.badge_missing"),
        ({"issuedOn": "yesterday"}, "v2.date_invalid"),
    ],
    ids=["hashed string recipient", "list recipient", "no badge, no verify", "unreadable date"],
)
def test_a_recognisable_ob1_assertion_with_errors_is_invalid_not_unreadable(
    broken: dict[str, Any], failing: str
) -> None:
    doc = {k: v for k, v in {**_OB1, **broken}.items() if v is not None}
    report = verify(dumps(doc), fetcher=FakeFetcher(), now=NOW)
    assert (report.spec, report.result) == ("1.0", "invalid")
    assert failing in {c.message_id for c in report.checks if c.status == "failed"}


def test_json_that_is_not_a_badge_stays_unreadable() -> None:
    with pytest.raises(UnsupportedFormat):
        verify(dumps({"uid": "x", "name": "not a badge"}), fetcher=FakeFetcher(), now=NOW)
