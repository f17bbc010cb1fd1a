"""PNG and SVG baking/unbaking, including hostile images."""

from __future__ import annotations

import json
import struct
import time
import zlib

import pytest

from tests.openbadges.fakes import SVG
from tests.openbadges.fakes import VECTORS
from tests.openbadges.fakes import png_chunk
from tests.openbadges.fakes import tiny_png
from wallet.openbadges.baking import bake_png
from wallet.openbadges.baking import bake_svg
from wallet.openbadges.baking import iter_png_chunks
from wallet.openbadges.baking import unbake_png
from wallet.openbadges.baking import unbake_svg
from wallet.openbadges.errors import ParseError
from wallet.openbadges.errors import TooLarge
from wallet.openbadges.errors import UnsupportedFormat
from wallet.openbadges.limits import Limits
from wallet.openbadges.verify import unbake

ASSERTION = json.dumps({"id": "https://issuer.example/a/1", "name": "日本語 ]]> <x>"})
JWS = "eyJhbGciOiJSUzI1NiJ9.eyJhIjoxfQ.c2ln"


def _itxt(keyword: bytes, text: bytes, *, compressed: bool = False) -> bytes:
    body = zlib.compress(text) if compressed else text
    flag = b"\x01\x00" if compressed else b"\x00\x00"
    return png_chunk(b"iTXt", keyword + b"\x00" + flag + b"\x00\x00" + body)


# --------------------------------------------------------------------------- PNG


def test_bake_then_unbake_png_round_trip() -> None:
    baked = bake_png(tiny_png(), "openbadges", ASSERTION)
    found = unbake_png(baked)
    assert (found.text, found.keyword, found.chunk, found.compressed) == (
        ASSERTION,
        "openbadges",
        "iTXt",
        False,
    )
    assert unbake(baked) == ASSERTION


def test_bake_inserts_uncompressed_itxt_right_after_ihdr() -> None:
    baked = bake_png(tiny_png(), "openbadgecredential", JWS)
    types = [t for t, _ in iter_png_chunks(baked)]
    assert types[:2] == [b"IHDR", b"iTXt"]
    body = dict(iter_png_chunks(baked))[b"iTXt"]
    assert body.startswith(b"openbadgecredential\x00\x00\x00\x00\x00")


def test_bake_replaces_existing_chunk_with_same_keyword() -> None:
    once = bake_png(tiny_png(), "openbadges", "first")
    twice = bake_png(once, "openbadges", "second")
    chunks = [b for t, b in iter_png_chunks(twice) if t == b"iTXt"]
    assert len(chunks) == 1
    assert unbake_png(twice).text == "second"


def test_bake_refuses_unknown_keyword() -> None:
    with pytest.raises(ValueError):
        bake_png(tiny_png(), "comment", "x")


def test_chunk_after_idat_is_found_and_ob3_is_preferred() -> None:
    png = tiny_png(extra=(_itxt(b"openbadges", b"old"), _itxt(b"openbadgecredential", b"new")))
    assert unbake_png(png).text == "new"


def test_compressed_itxt_and_ztxt_are_accepted_and_flagged() -> None:
    found = unbake_png(tiny_png(extra=(_itxt(b"openbadges", b"{}", compressed=True),)))
    assert found.text == "{}" and found.compressed
    ztxt = png_chunk(b"zTXt", b"openbadges\x00\x00" + zlib.compress(b"https://x.example/a"))
    found = unbake_png(tiny_png(extra=(ztxt,)))
    assert found.text == "https://x.example/a" and found.chunk == "zTXt" and found.compressed


def test_legacy_text_chunk_with_url() -> None:
    text = png_chunk(b"tEXt", b"openbadges\x00https://issuer.example/a.json")
    found = unbake_png(tiny_png(extra=(text,)))
    assert (found.text, found.chunk) == ("https://issuer.example/a.json", "tEXt")


def test_duplicate_chunks_take_first_and_flag() -> None:
    png = tiny_png(extra=(_itxt(b"openbadges", b"one"), _itxt(b"openbadges", b"two")))
    found = unbake_png(png)
    assert found.text == "one" and found.duplicate


def test_other_keywords_are_ignored() -> None:
    png = tiny_png(extra=(_itxt(b"OpenBadges", b"x"), _itxt(b"Comment", b"y")))
    with pytest.raises(UnsupportedFormat):
        unbake_png(png)


def test_pixel_flood_header_is_not_a_problem() -> None:
    png = bake_png(tiny_png(30000, 30000), "openbadges", ASSERTION)
    start = time.perf_counter()
    assert unbake_png(png).text == ASSERTION
    assert time.perf_counter() - start < 0.5


def test_itxt_inflating_to_50_mb_is_too_large() -> None:
    bomb = _itxt(b"openbadges", b"\x00" * (50 * 1024 * 1024), compressed=True)
    png = tiny_png(extra=(bomb,))
    assert len(png) < 100_000
    start = time.perf_counter()
    with pytest.raises(TooLarge):
        unbake_png(png)
    assert time.perf_counter() - start < 1.0


def test_ztxt_bomb_is_too_large() -> None:
    bomb = png_chunk(b"zTXt", b"openbadges\x00\x00" + zlib.compress(b"a" * (20 * 1024 * 1024)))
    with pytest.raises(TooLarge):
        unbake_png(tiny_png(extra=(bomb,)))


def test_huge_uncompressed_text_chunk_is_too_large() -> None:
    big = _itxt(b"openbadges", b"x" * 3 * 1024 * 1024)
    with pytest.raises(TooLarge):
        unbake_png(tiny_png(extra=(big,)))


def test_input_over_the_cap_is_too_large() -> None:
    data = tiny_png() + b"\x00" * (20 * 1024 * 1024)
    with pytest.raises(TooLarge):
        unbake_png(data)


def test_too_many_chunks() -> None:
    extra = tuple(png_chunk(b"tEXt", b"k\x00v") for _ in range(50))
    with pytest.raises(TooLarge):
        unbake_png(tiny_png(extra=extra), Limits(max_png_chunks=20))


@pytest.mark.parametrize(
    "mutate",
    [
        lambda png: png[:-5],  # truncated inside IEND
        lambda png: png[:40],  # truncated after IHDR
        lambda png: png[:16] + b"\xff" + png[17:],  # IHDR field changed: bad CRC
        lambda png: png[:8] + struct.pack(">I", 0x7FFFFFF0) + png[12:],  # huge length
        lambda png: png[:8] + struct.pack(">I", 0xFFFFFFFF) + png[12:],  # out of range
        lambda png: png[:8],  # signature only
        lambda png: png.replace(b"IHDR", b"IHDX"),  # no IHDR first
    ],
)
def test_corrupted_pngs_raise_parse_error(mutate: object) -> None:
    png = bake_png(tiny_png(), "openbadges", ASSERTION)
    with pytest.raises(ParseError):
        unbake_png(mutate(png))  # type: ignore[operator]


@pytest.mark.parametrize("data", [b"", b"\x89PNG", b"GIF89a....", b"<svg/>"])
def test_not_png(data: bytes) -> None:
    with pytest.raises(ParseError):
        unbake_png(data)


def test_invalid_utf8_in_itxt() -> None:
    with pytest.raises(ParseError):
        unbake_png(tiny_png(extra=(_itxt(b"openbadges", b"\xff\xfe"),)))


def test_bad_compression_method() -> None:
    chunk = png_chunk(b"iTXt", b"openbadges\x00\x01\x07\x00\x00" + zlib.compress(b"x"))
    with pytest.raises(ParseError):
        unbake_png(tiny_png(extra=(chunk,)))


def test_data_after_iend_is_ignored() -> None:
    png = bake_png(tiny_png(), "openbadges", "x") + b"<html>ignored</html>"
    assert unbake_png(png).text == "x"


# --------------------------------------------------------------------------- SVG


@pytest.mark.parametrize("payload", [ASSERTION, JWS, "https://issuer.example/a/1"])
def test_bake_then_unbake_svg_ob2(payload: str) -> None:
    baked = bake_svg(SVG, payload, "2.0")
    found = unbake_svg(baked)
    assert (found.text, found.keyword) == (payload, "openbadges")
    assert baked.index(b"<openbadges:assertion") < baked.index(b"<circle")


def test_bake_svg_ob3() -> None:
    baked = bake_svg(SVG, JWS, "3.0")
    assert b'xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"' in baked
    assert unbake_svg(baked).keyword == "openbadgecredential"


def test_bake_svg_refuses_already_baked() -> None:
    with pytest.raises(ParseError):
        bake_svg(bake_svg(SVG, JWS, "2.0"), JWS, "2.0")


def test_namespace_not_prefix_decides() -> None:
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://openbadges.org">'
        b'<x:assertion verify="https://a.example/1"/></svg>'
    )
    assert unbake_svg(svg).text == "https://a.example/1"
    wrong = (
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://example.org/x">'
        b'<openbadges:assertion verify="https://a.example/1"/></svg>'
    )
    with pytest.raises(UnsupportedFormat):
        unbake_svg(wrong)


def test_body_wins_over_verify_attribute() -> None:
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:o="http://openbadges.org">'
        b'<o:assertion verify="https://a.example/1"><![CDATA[{"a": 1}]]></o:assertion></svg>'
    )
    assert unbake_svg(svg).text == '{"a": 1}'


def test_public_dtd_declaration_is_allowed() -> None:
    svg = (
        b'<?xml version="1.0"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
        b'"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n'
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:o="https://purl.imsglobal.org/ob/v3p0">'
        b'<o:credential verify="a.b.c"/></svg>'
    )
    assert unbake_svg(svg).text == "a.b.c"


XXE = (
    b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:o="http://openbadges.org">'
    b"<o:assertion><![CDATA[&x;]]>&x;</o:assertion></svg>"
)
LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE svg ['
    + b'<!ENTITY l0 "ha">'
    + b"".join(
        b'<!ENTITY l%d "&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;">'
        % ((i,) + (i - 1,) * 10)
        for i in range(1, 10)
    )
    + b']><svg xmlns="http://www.w3.org/2000/svg">&l9;</svg>'
)
EXTERNAL_DTD = (
    b'<?xml version="1.0"?><!DOCTYPE svg SYSTEM "http://127.0.0.1:9/x.dtd">'
    b'<svg xmlns="http://www.w3.org/2000/svg">&ent;</svg>'
)
PARAMETER_ENTITY = (
    b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p"> %p;]>'
    b'<svg xmlns="http://www.w3.org/2000/svg"/>'
)


@pytest.mark.parametrize("svg", [XXE, LAUGHS, EXTERNAL_DTD, PARAMETER_ENTITY])
def test_hostile_xml_raises_parse_error_fast(svg: bytes) -> None:
    start = time.perf_counter()
    with pytest.raises(ParseError):
        unbake_svg(svg)
    assert time.perf_counter() - start < 0.5


def test_deep_nesting_is_too_large() -> None:
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg">'
        + b"<g>" * 100_000
        + b"</g>" * 100_000
        + b"</svg>"
    )
    with pytest.raises(TooLarge):
        unbake_svg(svg)


def test_too_many_elements() -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg">' + b"<g/>" * 200 + b"</svg>"
    with pytest.raises(TooLarge):
        unbake_svg(svg, Limits(max_svg_elements=100))


def test_oversized_svg() -> None:
    with pytest.raises(TooLarge):
        unbake_svg(SVG + b" " * 200, Limits(max_svg_bytes=100))


@pytest.mark.parametrize(
    "data",
    [b"<html><body/></html>", b'<svg xmlns="http://www.w3.org/2000/svg">', b"<svg", b"<<<"],
)
def test_non_svg_or_broken_xml(data: bytes) -> None:
    with pytest.raises((ParseError, UnsupportedFormat)):
        unbake_svg(data)


def test_empty_badge_element() -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:o="http://openbadges.org"><o:assertion/></svg>'
    with pytest.raises(ParseError):
        unbake_svg(svg)


# --------------------------------------------------------------------------- shared vectors

VAL = "1EdTech-digital-credentials-public-validator/inspector-vc/src/test/resources"
BAKED = {
    f"{VAL}/ob20/simple-badge.png": "https://example.org/beths-robotics-badge.json",
    "concentricsky-openbadges-bakery/openbadges_bakery/testfiles/baked_heart.png": "http://example.org/badgeinstance1",
    "concentricsky-openbadges-bakery/openbadges_bakery/testfiles/baked_example.svg": "https://example.org/assertion.json",
    "_derived/ob2-json-itxt-compressed.png": "https://example.org/beths-robotics-badge.json",
}
NOT_BAKED = [
    "concentricsky-openbadges-bakery/openbadges_bakery/testfiles/public_domain_heart.png",
    "concentricsky-openbadges-bakery/openbadges_bakery/testfiles/unbaked_example.svg",
    "mozilla-openbadges-bakery/test/unbaked.png",
    "mozilla-openbadges-bakery/test/unbaked.svg",
    f"{VAL}/ob20/assets/beths-robot-badge.png",
    f"{VAL}/ob20/assets/robotics-badge.png",
]
needs_vectors = pytest.mark.skipif(
    not VECTORS.is_dir(), reason="shared vectors not present at ../shared/vectors"
)


@needs_vectors
@pytest.mark.parametrize(("path", "ident"), sorted(BAKED.items()))
def test_vector_baked_json(path: str, ident: str) -> None:
    found = json.loads(unbake((VECTORS / path).read_bytes()))
    assert found.get("id", found.get("verify", {}).get("url")) == ident


@needs_vectors
@pytest.mark.parametrize("path", NOT_BAKED)
def test_vector_not_baked(path: str) -> None:
    with pytest.raises(UnsupportedFormat):
        unbake((VECTORS / path).read_bytes())


@needs_vectors
def test_vector_edge_cases() -> None:
    derived = VECTORS / "_derived"
    assert unbake((derived / "ob1-legacy-text-url.png").read_bytes()).startswith("https://")
    dup = unbake_png((derived / "ob2-duplicate-itxt.png").read_bytes())
    assert dup.duplicate and dup.text.count(".") == 2
    assert unbake_png((derived / "ob2-json-itxt-compressed.png").read_bytes()).compressed
    jws = (VECTORS / VAL / "ob20/simple.jwt").read_text().strip()
    assert unbake((derived / "ob2-signed-jws-itxt.png").read_bytes()) == jws
    assert unbake((derived / "ob2-signed-jws.svg").read_bytes()) == jws
    alt = unbake_svg((derived / "ob3-jwt-alt-prefix.svg").read_bytes())
    assert alt.keyword == "openbadgecredential" and alt.text.count(".") == 2
    mozilla = VECTORS / "mozilla-openbadges-bakery/test"
    assert unbake((mozilla / "no-json.svg").read_bytes()) == "http://example.org"
    assert json.loads(unbake((mozilla / "baked.svg").read_bytes()))["verify"]
    with pytest.raises(json.JSONDecodeError):
        json.loads(unbake((mozilla / "bad-json.svg").read_bytes()))


def test_seeded_mutation_fuzz_only_raises_badge_errors() -> None:
    import random

    from wallet.openbadges.errors import BadgeError

    rng = random.Random(20261121)
    png = bake_png(tiny_png(), "openbadges", ASSERTION)
    svg = bake_svg(SVG, ASSERTION, "2.0")
    for _ in range(300):
        for original in (png, svg):
            data = bytearray(original)
            for _ in range(rng.randint(1, 4)):
                action = rng.random()
                pos = rng.randrange(len(data))
                if action < 0.6:
                    data[pos] = rng.randrange(256)
                elif action < 0.8:
                    del data[pos : pos + rng.randint(1, 16)]
                else:
                    data[pos:pos] = data[pos : pos + rng.randint(1, 16)]
            try:
                unbake(bytes(data))
            except BadgeError:
                pass
