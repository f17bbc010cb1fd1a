"""Input sniffing and Open Badges version classification."""

from __future__ import annotations

import pytest

from wallet.openbadges.baking import PNG_SIGNATURE
from wallet.openbadges.detect import classify
from wallet.openbadges.detect import sniff
from wallet.openbadges.errors import UnsupportedFormat


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (PNG_SIGNATURE + b"rest", "png"),
        (b"<?xml version='1.0'?><svg/>", "svg"),
        ("  <svg xmlns='http://www.w3.org/2000/svg'/>", "svg"),
        ('{"a": 1}', "json"),
        (b'\xef\xbb\xbf{"a": 1}', "json"),
        ("https://example.org/assertion.json", "url"),
        (" HTTP://EXAMPLE.ORG/a \n", "url"),
        ("eyJhbGciOiJSUzI1NiJ9.eyJhIjoxfQ.c2ln", "jws"),
        ("eyJhbGciOiJub25lIn0.eyJhIjoxfQ.", "jws"),
    ],
)
def test_sniff(data: bytes | str, kind: str) -> None:
    assert sniff(data) == kind


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"GIF89a",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "hello world",
        "a.b",
        b"\xff\xd8",
    ],
)
def test_sniff_refuses_other_input(data: bytes | str) -> None:
    with pytest.raises(UnsupportedFormat):
        sniff(data)


VC = {
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ],
    "type": ["VerifiableCredential", "OpenBadgeCredential"],
}


@pytest.mark.parametrize(
    ("obj", "jws", "spec"),
    [
        (VC, False, "3.0"),
        ({**VC, "@context": ["https://www.w3.org/2018/credentials/v1"]}, False, "3.0"),
        ({"vc": VC, "iss": "x"}, True, "3.0"),
        ({"@context": "https://w3id.org/openbadges/v2", "type": "Assertion"}, False, "2.0"),
        ({"@context": ["https://w3id.org/openbadges/v2", "https://x/ext.json"]}, True, "2.0"),
        ({"@context": "https://w3id.org/openbadges/v1", "type": "Assertion"}, False, "1.1"),
        ({"@context": "https://w3id.org/openbadges/invalid", "type": "Assertion"}, False, "2.0"),
        ({"@context": {"obi": "https://w3id.org/openbadges#"}, "type": "BadgeClass"}, False, "2.0"),
        ({"recipient": {"identity": "a@b.c"}, "verify": {"type": "hosted"}}, False, "1.0"),
        ({"recipient": {"identity": "a@b.c"}, "badge": "https://x/b.json"}, False, "1.0"),
        ({"recipient": "a@b.c", "badge": {"version": "0.5.0"}}, False, "0.5"),
        ({"type": "BadgeClass", "name": "x"}, False, "2.0"),
    ],
)
def test_classify(obj: dict[str, object], jws: bool, spec: str) -> None:
    assert classify(obj, jws=jws) == spec


@pytest.mark.parametrize(
    "obj",
    [
        {},
        {"name": "x"},
        {"@context": "https://schema.org/", "type": "Person"},
        {"type": "NotABadge"},
        {"recipient": "a@b.c", "badge": "https://x"},
    ],
)
def test_classify_refuses_non_badges(obj: dict[str, object]) -> None:
    with pytest.raises(UnsupportedFormat):
        classify(obj)
