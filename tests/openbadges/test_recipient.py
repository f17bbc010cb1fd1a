"""Recipient identity hashing and matching."""

from __future__ import annotations

import hashlib

import pytest

from wallet.openbadges.model import Recipient
from wallet.openbadges.recipient import identity_hash
from wallet.openbadges.recipient import identity_object_matches
from wallet.openbadges.recipient import is_valid_hash
from wallet.openbadges.recipient import recipient_from_identity_object
from wallet.openbadges.recipient import recipient_matches

VECTOR = "sha256$ecf5409f3f4b91ab60cc5ef4c02aef7032354375e70cf4d8e43f6a1d29891942"


def test_known_answers() -> None:
    assert identity_hash("nobody@example.org", "deadsea") == VECTOR
    assert identity_hash("mayze").startswith("sha256$7a1a1b3f")
    assert identity_hash("a@example.com", "Kosher").endswith("ef399")
    assert identity_hash("x", None, "md5") == "md5$" + hashlib.md5(b"x").hexdigest()


def test_salted_sha256_matches_vector() -> None:
    recipient = Recipient(VECTOR, "email", True, "deadsea")
    assert recipient_matches(recipient, ["other@example.org", "nobody@example.org"]) is True
    assert recipient_matches(recipient, ["other@example.org"]) is False
    assert recipient_matches(recipient, []) is False


def test_upper_case_hex_and_upper_case_email() -> None:
    recipient = Recipient(VECTOR.upper().replace("SHA256", "sha256"), "email", True, "deadsea")
    assert recipient_matches(recipient, ["NoBody@Example.ORG"]) is True


def test_wrong_salt_does_not_match() -> None:
    assert (
        recipient_matches(Recipient(VECTOR, "email", True, "other"), ["nobody@example.org"])
        is False
    )


def test_md5_unsalted() -> None:
    recipient = Recipient(identity_hash("me@example.org", None, "md5"), "email", True)
    assert recipient_matches(recipient, ["me@example.org"]) is True


def test_plain_email_is_case_insensitive() -> None:
    recipient = Recipient("Me@Example.org", "email", False)
    assert recipient_matches(recipient, [" me@example.ORG "]) is True
    assert recipient_matches(recipient, ["you@example.org"]) is False


def test_non_email_identity_gives_none() -> None:
    assert recipient_matches(Recipient("https://me.example", "url"), ["me@example.org"]) is None


def test_malformed_hash_never_matches() -> None:
    assert recipient_matches(Recipient("sha256$zz", "email", True), ["zz"]) is False
    assert recipient_matches(Recipient("sha1$abcd", "email", True), ["x"]) is False


@pytest.mark.parametrize(
    ("value", "ok"),
    [(VECTOR, True), ("md5$" + "0" * 32, True), ("sha256$abc", False), ("plain@x.org", False)],
)
def test_is_valid_hash(value: str, ok: bool) -> None:
    assert is_valid_hash(value) is ok


def test_ob3_identity_object() -> None:
    obj = {
        "type": "IdentityObject",
        "identityType": "emailAddress",
        "hashed": True,
        "identityHash": identity_hash("a@example.com", "Kosher"),
        "salt": "Kosher",
    }
    assert identity_object_matches(obj, ["A@example.com"]) is True
    assert identity_object_matches(obj, ["b@example.com"]) is False
    other = {**obj, "identityType": "studentId", "hashed": False, "identityHash": "123"}
    assert identity_object_matches(other, ["a@example.com"]) is None
    assert identity_object_matches({"identityType": "emailAddress"}, ["a@b.c"]) is None
    recipient = recipient_from_identity_object(obj)
    assert recipient is not None and recipient.type == "email" and recipient.salt == "Kosher"
