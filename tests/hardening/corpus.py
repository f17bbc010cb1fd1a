"""A seeded hostile corpus (notes/security.md §4): PNG, SVG, JSON, JWS/JWT, URLs and form values.

Everything is generated here from fixed seeds; nothing is downloaded. Each item has a case id.
"""

from __future__ import annotations

import base64
import functools
import json
import random
import struct
import zlib
from dataclasses import dataclass

from tests import badge_factory as bf

SEED = 20260601
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Item:
    """One hostile input: a case id and the bytes an uploader would send."""

    case: str
    data: bytes


def chunk(ctype: bytes, body: bytes, *, crc: int | None = None, length: int | None = None) -> bytes:
    """Return one PNG chunk (a wrong crc or length when asked)."""
    good = zlib.crc32(ctype + body) & 0xFFFFFFFF
    return (
        struct.pack(">I", len(body) if length is None else length)
        + ctype
        + body
        + struct.pack(">I", good if crc is None else crc)
    )


def ihdr(width: int, height: int) -> bytes:
    """Return an IHDR chunk for an 8-bit RGB image."""
    return chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))


def tiny_idat() -> bytes:
    """Return an IDAT of one black 1x1 RGB row."""
    return chunk(b"IDAT", zlib.compress(b"\x00\x00\x00\x00"))


def png(*chunks: bytes, width: int = 1, height: int = 1) -> bytes:
    """Return a PNG with these chunks between IHDR and IDAT/IEND."""
    return (
        PNG_SIGNATURE + ihdr(width, height) + b"".join(chunks) + tiny_idat() + chunk(b"IEND", b"")
    )


def itxt(keyword: bytes, text: bytes, *, compressed: bool = False, method: int = 0) -> bytes:
    """Return an iTXt chunk."""
    body = zlib.compress(text, 9) if compressed else text
    return chunk(b"iTXt", keyword + b"\0" + bytes([int(compressed), method]) + b"\0\0" + body)


@functools.cache
def valid_json() -> bytes:
    """A signed OB 3.0 credential for the default recipient."""
    return bf.ob3_json(name="Corpus baseline")


@functools.cache
def valid_png() -> bytes:
    """A PNG with the signed credential baked in."""
    from wallet.openbadges.baking import bake_png

    return bake_png(bf.plain_png(size=8), "openbadgecredential", valid_json().decode())


@functools.cache
def valid_svg() -> bytes:
    """An SVG with the signed credential baked in."""
    from wallet.openbadges.baking import bake_svg

    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect/></svg>'
    return bake_svg(svg, valid_json().decode(), "3.0")


@functools.cache
def valid_jwt() -> str:
    """A signed VC-JWT."""
    return bf.vc_jwt(name="Corpus JWT")


def b64u(data: bytes | str) -> str:
    """Return unpadded base64url."""
    raw = data.encode() if isinstance(data, str) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


# --- PNG ------------------------------------------------------------------------------------


def png_items(rng: random.Random) -> list[Item]:
    """P1–P6: baselines, pixel floods, text bombs, structure abuse, type confusion, mutations."""
    ob = b"openbadgecredential"
    payload = valid_json()
    items = [
        Item("P1-ob3-json", valid_png()),
        Item("P1-ob2-url", png(itxt(b"openbadges", b"https://issuer.example/assertions/1.json"))),
        Item("P1-ob3-jwt", png(itxt(ob, valid_jwt().encode()))),
        Item(
            "P2-30000x30000", PNG_SIGNATURE + ihdr(30000, 30000) + tiny_idat() + chunk(b"IEND", b"")
        ),
        Item("P2-5000x5000", png(itxt(ob, payload), width=5000, height=5000)),
        Item("P2-1x2147483647", png(itxt(ob, payload), width=1, height=2147483647)),
        Item("P2-0x0", png(itxt(ob, payload), width=0, height=0)),
        Item("P3-itxt-bomb", png(itxt(ob, b"\0" * 50_000_000, compressed=True))),
        Item("P3-itxt-bomb-json", png(itxt(ob, b"[" * 3_000_000, compressed=True))),
        Item(
            "P3-ztxt-bomb", png(chunk(b"zTXt", ob + b"\0\0" + zlib.compress(b" " * 20_000_000, 9)))
        ),
        Item("P3-method-7", png(itxt(ob, payload, compressed=True, method=7))),
        Item("P3-flag-1-raw", png(chunk(b"iTXt", ob + b"\0\1\0\0\0" + payload))),
        Item("P3-uncompressed-3mb", png(itxt(ob, b"x" * 3_000_000))),
        Item("P3-100k-text-chunks", png(*[chunk(b"tEXt", b"k\0v")] * 100_000)),
        Item("P3-iccp-bomb", png(chunk(b"iCCP", b"p\0\0" + zlib.compress(b"\0" * 30_000_000, 9)))),
        Item(
            "P4-length-7fffffff",
            PNG_SIGNATURE + ihdr(1, 1) + struct.pack(">I", 0x7FFFFFFF) + b"iTXt" + b"x" * 64,
        ),
        Item(
            "P4-length-ffffffff",
            PNG_SIGNATURE + ihdr(1, 1) + struct.pack(">I", 0xFFFFFFFF) + b"iTXt",
        ),
        Item("P4-bad-crc", png(chunk(b"iTXt", ob + b"\0\0\0\0\0" + payload, crc=1))),
        Item("P4-truncated-after-ihdr", PNG_SIGNATURE + ihdr(1, 1)),
        Item("P4-no-iend", PNG_SIGNATURE + ihdr(1, 1) + itxt(ob, payload) + tiny_idat()),
        Item("P4-html-after-iend", valid_png() + b"<html><script>alert(1)</script></html>"),
        Item("P4-zip-after-iend", valid_png() + b"PK\x03\x04" + b"\0" * 100),
        Item(
            "P4-duplicate-chunks",
            png(itxt(ob, payload), itxt(ob, bf.ob3_json(name="Other", email="x@example.com"))),
        ),
        Item("P4-keyword-case", png(itxt(b"OpenBadges", payload))),
        Item("P4-invalid-utf8", png(itxt(ob, b'{"a": "\xff\xfe\xc0\xaf"}'))),
        Item("P4-nul-in-text", png(itxt(ob, payload[:50] + b"\0" + payload[50:]))),
        Item(
            "P4-apng-1e6-frames",
            png(chunk(b"acTL", struct.pack(">II", 1_000_000, 0)), itxt(ob, payload)),
        ),
        Item("P4-itxt-no-separators", png(chunk(b"iTXt", ob))),
        Item("P4-itxt-empty", png(chunk(b"iTXt", b""))),
        Item(
            "P4-5000-chunks", png(*[chunk(b"tEXt", b"k\0" + bytes([i % 256])) for i in range(5000)])
        ),
        Item("P5-jpeg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\0" * 64),
        Item("P5-gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"),
        Item(
            "P5-svg-as-png",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        ),
        Item("P5-html", b"<!doctype html><script>alert(1)</script>"),
        Item("P5-elf", b"\x7fELF\x02\x01\x01" + b"\0" * 57),
        Item("P5-zip", b"PK\x03\x04" + b"\0" * 26),
        Item("P5-pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"),
        Item("P5-empty", b""),
        Item("P5-one-byte", b"\x89"),
        Item("P5-signature-only", PNG_SIGNATURE),
        Item("P5-utf16-bom", b"\xff\xfe{\x00}\x00"),
        Item("P5-null-bytes", b"\0" * 1024),
        Item("P5-random-4k", rng.randbytes(4096)),
    ]
    base = valid_png()
    chunks = _split_chunks(base)
    for index in range(200):
        kind = index % 4
        if kind == 0:
            data = bytearray(base)
            for _ in range(rng.randint(1, 8)):
                position = rng.randrange(len(data))
                data[position] ^= 1 << rng.randrange(8)
            items.append(Item(f"P6-bitflip-{index}", bytes(data)))
        elif kind == 1:
            kept = [c for i, c in enumerate(chunks) if i == 0 or rng.random() > 0.3]
            items.append(Item(f"P6-drop-{index}", PNG_SIGNATURE + b"".join(kept)))
        elif kind == 2:
            doubled = list(chunks)
            pick = rng.randrange(len(doubled))
            doubled.insert(pick, doubled[pick])
            items.append(Item(f"P6-dup-{index}", PNG_SIGNATURE + b"".join(doubled)))
        else:
            cut = rng.randrange(8, len(base))
            items.append(Item(f"P6-truncate-{index}", base[:cut]))
    return items


def _split_chunks(data: bytes) -> list[bytes]:
    """Return the raw chunks of a PNG (without its signature)."""
    out = []
    pos = 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        out.append(data[pos : pos + 12 + length])
        pos += 12 + length
    return out


# --- SVG ------------------------------------------------------------------------------------

SVG_OPEN = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
OB3_NS = "https://purl.imsglobal.org/ob/v3p0"
OB2_NS = "http://openbadges.org"


def _baked_svg(inner: str, *, payload: str | None = None) -> bytes:
    """Return an SVG with hostile inner markup and (by default) the valid credential."""
    body = valid_json().decode() if payload is None else payload
    return (
        f'{SVG_OPEN} xmlns:openbadges="{OB3_NS}" width="8" height="8">'
        f"<openbadges:credential><![CDATA[{body}]]></openbadges:credential>{inner}</svg>"
    ).encode()


def svg_items(rng: random.Random) -> list[Item]:
    """S1–S5 and mutations of a valid baked SVG."""
    scripts = {
        "script": "<script>alert(1)</script>",
        "onload": '<g onload="alert(1)"/>',
        "image-onerror": '<image href="x" onerror="alert(1)"/>',
        "set": '<set attributeName="onmouseover" to="alert(1)"/>',
        "animate-href": (
            '<a><animate attributeName="href" to="javascript:alert(1)"/><text>x</text></a>'
        ),
        "a-xlink": '<a xlink:href="javascript:alert(1)"><text>x</text></a>',
        "foreign-iframe": (
            '<foreignObject><iframe xmlns="http://www.w3.org/1999/xhtml" '
            'src="javascript:alert(1)"/></foreignObject>'
        ),
        "handler": (
            '<handler xmlns:ev="http://www.w3.org/2001/xml-events" ev:event="load">'
            "alert(1)</handler>"
        ),
        "svg-script": '<svg:script xmlns:svg="http://www.w3.org/2000/svg">alert(1)</svg:script>',
        "cdata-split": "<scr<![CDATA[]]>ipt>alert(1)</script>",
        "entity-js": '<a href="&#106;avascript:alert(1)"><text>x</text></a>',
        "image-metadata": '<image href="http://169.254.169.254/latest/meta-data/"/>',
        "use-loopback": '<use href="http://127.0.0.1:9/x#a"/>',
        "css-import": "<style>@import url(http://127.0.0.1:9/x.css);</style>",
        "style-url": '<rect style="background:url(http://10.0.0.1/)"/>',
        "feimage": '<filter><feImage href="http://127.0.0.1:9/"/></filter>',
    }
    items = [Item(f"S1-{name}", _baked_svg(markup)) for name, markup in scripts.items()]
    items += [
        Item(f"S1-unbaked-{name}", f"{SVG_OPEN}>{m}</svg>".encode()) for name, m in scripts.items()
    ]
    laughs = "".join(
        f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' if i else '<!ENTITY l0 "lol">'
        for i in range(10)
    )
    xml_attacks = {
        "billion-laughs": (
            f"<?xml version='1.0'?><!DOCTYPE svg [{laughs}]>{SVG_OPEN}><text>&l9;</text></svg>"
        ),
        "quadratic": (
            f"<?xml version='1.0'?><!DOCTYPE svg [<!ENTITY a \"{'A' * 100_000}\">]>"
            f"{SVG_OPEN}><text>{'&a;' * 1000}</text></svg>"
        ),
        "xxe-file": f'<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>{SVG_OPEN}><text>&x;</text></svg>',
        "xxe-http": f'<!DOCTYPE svg [<!ENTITY x SYSTEM "http://127.0.0.1:9/x">]>{SVG_OPEN}><text>&x;</text></svg>',
        "param-entity": (
            f'<!DOCTYPE svg [<!ENTITY % p SYSTEM "http://169.254.169.254/x.dtd"> %p;]>{SVG_OPEN}/>'
        ),
        "external-dtd": f'<!DOCTYPE svg SYSTEM "http://127.0.0.1:9/x.dtd">{SVG_OPEN}/>',
        "utf7": f'<?xml version="1.0" encoding="UTF-7"?>{SVG_OPEN}>+ADw-script+AD4-</svg>',
        "iso2022": f'<?xml version="1.0" encoding="ISO-2022-JP"?>{SVG_OPEN}/>',
        "unknown-encoding": f'<?xml version="1.0" encoding="x-klingon"?>{SVG_OPEN}/>',
    }
    items += [Item(f"S3-{name}", text.encode()) for name, text in xml_attacks.items()]
    items += [
        Item("S3-bom-utf8", b"\xef\xbb\xbf" + valid_svg()),
        Item(
            "S3-bom-utf16", "\ufeff".encode("utf-16-le") + valid_svg().decode().encode("utf-16-le")
        ),
        Item("S3-bom-mismatch", b"\xff\xfe" + valid_svg()),
        Item("S3-invalid-utf8", valid_svg().replace(b"<rect/>", b"<text>\xff\xfe\xc0</text>")),
        Item("S4-4mb-file", _baked_svg("<g/>" * 1_200_000)),
        Item("S4-100k-elements", _baked_svg("<g/>" * 100_000)),
        Item("S4-100k-deep", _baked_svg("<g>" * 100_000 + "</g>" * 100_000)),
        Item("S4-300-deep", _baked_svg("<g>" * 300 + "</g>" * 300)),
        Item("S4-10k-digits", _baked_svg(f'<path d="M{"9" * 10_000} 0"/>')),
        Item(
            "S5-verify-loopback",
            f'{SVG_OPEN} xmlns:openbadges="{OB2_NS}"><openbadges:assertion verify="http://127.0.0.1/"/></svg>'.encode(),
        ),
        Item(
            "S5-verify-metadata",
            f'{SVG_OPEN} xmlns:openbadges="{OB2_NS}"><openbadges:assertion '
            f'verify="http://169.254.169.254/latest/"/></svg>'.encode(),
        ),
        Item(
            "S5-two-credentials",
            _baked_svg(
                f"<openbadges:credential><![CDATA[{bf.ob3_json(name='Second').decode()}]]></openbadges:credential>"
            ),
        ),
        Item(
            "S5-cdata-end-in-payload",
            _baked_svg("", payload='{"name": "]]><script>alert(1)</script>"}'),
        ),
        Item("S5-5mb-json", _baked_svg("", payload=json.dumps({"x": "y" * 5_300_000}))),
        Item("S5-empty-credential", _baked_svg("", payload="")),
        Item("S5-not-svg-root", b'<html xmlns="http://www.w3.org/1999/xhtml"><svg/></html>'),
        Item("S5-empty-svg", b"<svg/>"),
    ]
    base = valid_svg()
    for index in range(100):
        data = bytearray(base)
        kind = index % 3
        if kind == 0:
            cut = rng.randrange(1, len(data))
            items.append(Item(f"S6-truncate-{index}", bytes(data[:cut])))
        elif kind == 1:
            position = rng.randrange(len(data))
            junk = rng.choice([b"<", b">", b"&", b"]]>", b"\0", b"\xff", b'"', b"<!--"])
            items.append(
                Item(f"S6-insert-{index}", bytes(data[:position] + junk + data[position:]))
            )
        else:
            for _ in range(rng.randint(1, 6)):
                position = rng.randrange(len(data))
                data[position] = rng.randrange(256)
            items.append(Item(f"S6-bytes-{index}", bytes(data)))
    return items


# --- JSON -----------------------------------------------------------------------------------

XSS_STRINGS = [
    "<img src=x onerror=alert(1)>",
    "'\"><svg onload=alert(1)>",
    "{{7*7}}",
    '<div hx-get="/account/delete" hx-trigger="load">x</div>',
    "[x](javascript:alert(1))",
    "<script>alert(1)</script>",
    "\u202eevil\u202c",
    "a\u200d\u200bb",
    "Нarvard",
    "x" * 100_000,
]
HOSTILE_URL_VALUES = [
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "data:image/svg+xml;base64," + base64.b64encode(b"<svg onload=alert(1)>").decode(),
    "file:///etc/passwd",
    "http://169.254.169.254/latest/meta-data/",
    "http://127.0.0.1:6379/",
    "http://[::1]/",
]


def _unsigned() -> dict:
    return bf.ob3_credential(name="Corpus unsigned")


def json_items(rng: random.Random) -> list[Item]:
    """J1–J5 and mutations of the valid credential."""
    signed = json.loads(valid_json())
    items = [
        Item("J1-deep-array", b"[" * 100_000 + b"]" * 100_000),
        Item("J1-deep-object", b'{"a":' * 50_000 + b"1" + b"}" * 50_000),
        Item("J1-deep-70", json.dumps(_nest(70)).encode()),
        Item("J1-5000-digits", b'{"@context": 1' + b"1" * 5000 + b"}"),
        Item("J1-inf", b'{"validFrom": 1e999999}'),
        Item("J1-nan", b'{"a": NaN, "b": Infinity, "c": -Infinity}'),
        Item("J1-duplicate-keys", b'{"type": "Assertion", "type": ["VerifiableCredential"]}'),
        Item("J1-trailing-garbage", valid_json() + b"}}}garbage"),
        Item("J1-utf16", valid_json().decode().encode("utf-16")),
        Item("J1-utf32", valid_json().decode().encode("utf-32")),
        Item("J1-bom", b"\xef\xbb\xbf" + valid_json()),
        Item("J1-3mb-string", json.dumps({"name": "x" * 3_000_000}).encode()),
        Item("J1-1m-array", b"[" + b"0," * 999_999 + b"0]"),
        Item("J1-empty-object", b"{}"),
        Item("J1-empty-array", b"[]"),
        Item("J1-null", b"null"),
        Item("J1-string", b'"https://127.0.0.1/"'),
        Item("J1-number", b"1" * 10_000),
        Item("J1-lone-surrogate", b'{"name": "\\ud800"}'),
        Item("J1-bad-utf8", b'{"name": "\xc3\x28\xa0\xa1"}'),
        Item("J1-control-chars", b'{"name": "a\x00b\x1bc"}'),
    ]
    contexts = [
        "http://127.0.0.1:8080/x",
        "file:///etc/passwd",
        "http://169.254.169.254/ctx",
        {"@import": "http://127.0.0.1/ctx"},
        [f"https://ctx{i}.example/{i}" for i in range(50)],
        "https://unknown.example/context.json",
    ]
    for index, context in enumerate(contexts):
        doc = dict(signed)
        extra = context if isinstance(context, list) else [context]
        doc["@context"] = [*signed["@context"], *extra]
        items.append(Item(f"J2-context-{index}", json.dumps(doc).encode()))
    fields = ["name", "description", "criteria", "issuer-name"]
    for index, text in enumerate(XSS_STRINGS):
        for field_name in fields:
            doc = _unsigned()
            _set_field(doc, field_name, text)
            items.append(Item(f"J3-unsigned-{field_name}-{index}", json.dumps(doc).encode()))
    for index, text in enumerate(XSS_STRINGS[:6]):
        kwargs = {"name": f"J3 {text}"[:300], "description": text, "criteria": text}
        items.append(Item(f"J3-signed-{index}", bf.ob3_json(**kwargs)))
    for index, url in enumerate(HOSTILE_URL_VALUES):
        for where in ("image", "criteria-id", "issuer-url", "evidence-id", "issuer-image"):
            doc = _unsigned()
            _set_url(doc, where, url)
            items.append(Item(f"J4-{where}-{index}", json.dumps(doc).encode()))
            if where in ("image", "issuer-url"):
                items.append(Item(f"J4-signed-{where}-{index}", json.dumps(bf.sign(doc)).encode()))
    items += [
        Item("J5-expired", bf.ob3_json(valid_until=bf.days(-1), name="J5 expired")),
        Item("J5-not-yet-valid", bf.ob3_json(valid_from=bf.days(30), name="J5 future")),
        Item("J5-recipient-mismatch", bf.ob3_json(email="someone@else.example", name="J5 other")),
        Item("J5-tampered", bf.tampered_json(name="J5 tampered")),
        Item("J5-did-web-loopback", _did_web_doc("did:web:127.0.0.1%3A9")),
        Item("J5-did-web-metadata", _did_web_doc("did:web:169.254.169.254")),
        Item("J5-status-loopback", _with_status("http://127.0.0.1:9/status/1")),
        Item("J5-status-metadata", _with_status("http://169.254.169.254/status")),
        Item(
            "J5-ob2-hosted-off-origin",
            _ob2_assertion("http://127.0.0.1:9/a.json", "https://issuer.example/b.json"),
        ),
        Item(
            "J5-ob2-badge-metadata",
            _ob2_assertion("https://issuer.example/a.json", "http://169.254.169.254/b"),
        ),
        Item(
            "J5-ob2-signed-jwks-internal",
            _ob2_assertion(
                "https://issuer.example/a.json",
                "https://issuer.example/b.json",
                signed="http://10.0.0.1/key",
            ),
        ),
        Item("J5-proof-loop", _proof_bomb(signed)),
    ]
    for index in range(150):
        doc = json.loads(valid_json())
        _mutate(doc, rng)
        items.append(
            Item(f"J6-mutate-{index}", json.dumps(doc, ensure_ascii=rng.random() < 0.5).encode())
        )
    return items


def _nest(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


def _set_field(doc: dict, name: str, text: str) -> None:
    achievement = doc["credentialSubject"]["achievement"]
    if name == "name":
        achievement["name"] = text
        doc["name"] = text
    elif name == "description":
        achievement["description"] = text
    elif name == "criteria":
        achievement["criteria"] = {"narrative": text}
    else:
        doc["issuer"]["name"] = text


def _set_url(doc: dict, where: str, url: str) -> None:
    achievement = doc["credentialSubject"]["achievement"]
    if where == "image":
        achievement["image"] = {"id": url, "type": "Image"}
    elif where == "criteria-id":
        achievement["criteria"] = {"id": url, "narrative": "x"}
    elif where == "issuer-url":
        doc["issuer"]["url"] = url
    elif where == "evidence-id":
        doc["evidence"] = [{"id": url, "type": ["Evidence"], "name": "e"}]
    else:
        doc["issuer"]["image"] = {"id": url, "type": "Image"}


def _did_web_doc(did: str) -> bytes:
    doc = _unsigned()
    doc["issuer"]["id"] = did
    doc["proof"] = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "verificationMethod": f"{did}#key-1",
        "proofPurpose": "assertionMethod",
        "created": "2026-01-01T00:00:00Z",
        "proofValue": "z" + "1" * 86,
    }
    return json.dumps(doc).encode()


def _with_status(url: str) -> bytes:
    doc = _unsigned()
    doc["credentialStatus"] = {
        "id": url + "#1",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "1",
        "statusListCredential": url,
    }
    return json.dumps(bf.sign(doc)).encode()


def _ob2_assertion(assertion_id: str, badge: str, signed: str | None = None) -> bytes:
    doc = {
        "@context": bf.OB2_CONTEXT,
        "type": "Assertion",
        "id": assertion_id,
        "recipient": {"type": "email", "hashed": False, "identity": bf.EMAIL},
        "badge": badge,
        "verification": {"type": "signed", "creator": signed} if signed else {"type": "hosted"},
        "issuedOn": "2026-01-01T00:00:00Z",
    }
    return json.dumps(doc).encode()


def _proof_bomb(signed: dict) -> bytes:
    doc = dict(signed)
    doc["proof"] = [signed["proof"]] * 500
    return json.dumps(doc).encode()


def _mutate(doc: dict, rng: random.Random) -> None:
    """Delete, retype or blow up a few random nodes of a credential."""
    for _ in range(rng.randint(1, 3)):
        node = doc
        path = []
        while isinstance(node, dict) and node and rng.random() < 0.7:
            key = rng.choice(list(node))
            path.append(key)
            if not isinstance(node[key], dict):
                break
            node = node[key]
        if not isinstance(node, dict) or not node:
            continue
        key = rng.choice(list(node))
        choice = rng.randrange(7)
        if choice == 0:
            del node[key]
        elif choice == 1:
            node[key] = None
        elif choice == 2:
            node[key] = rng.choice([0, -1, 2**70, 1.5e308, True, "", [], {}])
        elif choice == 3:
            node[key] = [node[key]] * rng.randint(2, 50)
        elif choice == 4:
            node[key] = rng.choice(XSS_STRINGS[:6] + HOSTILE_URL_VALUES)
        elif choice == 5:
            node[key] = {"id": rng.choice(HOSTILE_URL_VALUES), "type": "Image"}
        else:
            node[key + "\u0000"] = node.pop(key)


# --- JWS / JWT ------------------------------------------------------------------------------


def jws_items(rng: random.Random) -> list[Item]:
    """Compact JWS/JWT vectors: alg none, algorithm confusion, hostile key references, junk."""
    credential = bf.ob3_credential(name="JWT corpus")
    did, vm = bf.did_of()
    payload = {**credential, "iss": did, "jti": credential["id"], "nbf": 1_700_000_000}
    body = b64u(json.dumps(payload))
    headers = {
        "alg-none": {"alg": "none", "typ": "vc+jwt"},
        "alg-None": {"alg": "None"},
        "alg-empty": {"alg": ""},
        "alg-null": {"alg": None},
        "hs256-pub": {"alg": "HS256", "kid": vm},
        "kid-metadata": {"alg": "EdDSA", "kid": "http://169.254.169.254/key"},
        "kid-loopback": {"alg": "EdDSA", "kid": "http://127.0.0.1:9/key#1"},
        "jku-internal": {"alg": "RS256", "jku": "http://10.0.0.1/jwks.json"},
        "x5u-internal": {"alg": "RS256", "x5u": "http://127.0.0.1:9/cert.pem"},
        "jwk-embedded": {
            "alg": "EdDSA",
            "jwk": {"kty": "OKP", "crv": "Ed25519", "x": b64u(b"\0" * 32)},
        },
        "crit": {"alg": "EdDSA", "crit": ["exp"], "kid": vm},
        "b64-false": {"alg": "EdDSA", "b64": False, "crit": ["b64"], "kid": vm},
        "kid-huge": {"alg": "EdDSA", "kid": "k" * 100_000},
        "kid-did-web": {"alg": "EdDSA", "kid": "did:web:127.0.0.1%3A9#key"},
        "unknown-alg": {"alg": "XX512"},
        "zip-deflate": {"alg": "EdDSA", "zip": "DEF", "kid": vm},
    }
    items = []
    for name, header in headers.items():
        head = b64u(json.dumps(header))
        for suffix, signature in (("empty", ""), ("junk", b64u(rng.randbytes(64)))):
            items.append(Item(f"W1-{name}-{suffix}", f"{head}.{body}.{signature}".encode()))
    token = valid_jwt()
    head, middle, signature = token.split(".")
    items += [
        Item("W2-valid", token.encode()),
        Item("W2-two-parts", f"{head}.{middle}".encode()),
        Item("W2-four-parts", f"{token}.{signature}".encode()),
        Item("W2-bad-base64", f"{head}.!!!.{signature}".encode()),
        Item("W2-padding", f"{head}==.{middle}.{signature}".encode()),
        Item("W2-header-not-json", f"{b64u('not json')}.{middle}.{signature}".encode()),
        Item("W2-header-array", f"{b64u('[1,2]')}.{middle}.{signature}".encode()),
        Item("W2-payload-not-json", f"{head}.{b64u('<script>')}.{signature}".encode()),
        Item("W2-payload-deep", f"{head}.{b64u('[' * 10000 + ']' * 10000)}.{signature}".encode()),
        Item("W2-payload-huge", f"{head}.{b64u('x' * 3_000_000)}.{signature}".encode()),
        Item("W2-dots", b"..."),
        Item("W2-whitespace", f"  {token}\n\n".encode()),
        Item("W2-crlf-inside", f"{head}.\r\n{middle}.{signature}".encode()),
        Item("W2-swapped-signature", f"{head}.{middle}.{b64u(rng.randbytes(64))}".encode()),
        Item("W2-payload-array", f"{head}.{b64u('[]')}.{signature}".encode()),
        Item(
            "W2-exp-huge",
            f"{head}.{b64u(json.dumps({**payload, 'exp': 10**30}))}.{signature}".encode(),
        ),
        Item(
            "W2-nbf-nan",
            f"{head}.{b64u(json.dumps({**payload, 'nbf': 'NaN'}))}.{signature}".encode(),
        ),
    ]
    for index in range(60):
        data = bytearray(token.encode())
        for _ in range(rng.randint(1, 4)):
            position = rng.randrange(len(data))
            data[position] = ord(rng.choice("ABCxyz019-_.=+/ \n"))
        items.append(Item(f"W3-mutate-{index}", bytes(data)))
    return items


def byte_corpus() -> list[Item]:
    """Return every byte input (PNG, SVG, JSON, JWS/JWT), in a fixed order."""
    rng = random.Random(SEED)
    return png_items(rng) + svg_items(rng) + json_items(rng) + jws_items(rng)


# --- URLs -----------------------------------------------------------------------------------

# U1: loopback in every spelling, private ranges, link-local and metadata addresses.
ADDRESSES = [
    "127.0.0.1",
    "127.1",
    "127.0.1",
    "0",
    "0.0.0.0",
    "2130706433",
    "0x7f000001",
    "017700000001",
    "0177.0.0.1",
    "0x7f.1",
    "0x7f.0.0.1",
    "127.000.000.001",
    "127.0.0.1.",
    "localhost",
    "localhost.",
    "LOCALHOST",
    "sub.localhost",
    "[::1]",
    "[::]",
    "[0:0:0:0:0:0:0:1]",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "[::127.0.0.1]",
    "[64:ff9b::7f00:1]",
    "[2002:7f00:1::1]",
    "169.254.169.254",
    "2852039166",
    "0xa9fea9fe",
    "[::ffff:169.254.169.254]",
    "[64:ff9b::a9fe:a9fe]",
    "[64:ff9b:1::a9fe:a9fe]",
    "[2002:a9fe:a9fe::1]",
    "[2001:0:4136:e378:8000:63bf:3fff:fdd2]",
    "100.100.100.200",
    "192.0.0.192",
    "[fd00:ec2::254]",
    "10.0.0.1",
    "10.255.255.255",
    "172.16.0.1",
    "172.31.255.254",
    "192.168.1.1",
    "100.64.0.1",
    "198.18.0.1",
    "224.0.0.1",
    "255.255.255.255",
    "240.0.0.1",
    "[fe80::1]",
    "[fc00::1]",
    "[ff02::1]",
    "[fe80::1%25eth0]",
    "ⓛⓞⓒⓐⓛⓗⓞⓢⓣ",
    "127。0。0。1",
    "１２７．０．０．１",
    "metadata.google.internal",
    "metadata",
    "instance-data",
]
# Names a fake resolver maps to forbidden addresses (DNS rebinding included).
DNS_NAMES = {
    "loopback.evil.test": ["127.0.0.1"],
    "private.evil.test": ["10.0.0.7"],
    "metadata.evil.test": ["169.254.169.254"],
    "v6loop.evil.test": ["::1"],
    "mapped.evil.test": ["::ffff:127.0.0.1"],
    "nat64.evil.test": ["64:ff9b::a9fe:a9fe"],
    "sixtofour.evil.test": ["2002:a9fe:a9fe::1"],
    "mixed.evil.test": ["93.184.215.14", "127.0.0.1"],
    "cgnat.evil.test": ["100.100.100.200"],
    "oracle.evil.test": ["192.0.0.192"],
    "ula.evil.test": ["fd00:ec2::254"],
    "zero.evil.test": ["0.0.0.0"],
    "metadata.google.internal": ["169.254.169.254"],
    # Short names a cloud's search domain answers.
    "metadata": ["169.254.169.254"],
    "instance-data": ["169.254.169.254"],
}


# URLs of other schemes the fetcher must refuse before any connection (test_ssrf_app too).
NON_HTTP = [
    "file:///etc/passwd",
    "gopher://127.0.0.1:6379/_INFO",
    "ftp://127.0.0.1/",
    "dict://127.0.0.1:11211/",
    "ldap://127.0.0.1/",
    "jar:http://127.0.0.1/x.jar!/",
    "data:application/json,{}",
    "javascript:alert(1)",
]


def hostile_urls() -> list[tuple[str, str]]:
    """Return (case id, URL) pairs: addresses × shapes, DNS names, U2 schemes and shapes."""
    urls: list[tuple[str, str]] = []
    for index, host in enumerate(ADDRESSES + list(DNS_NAMES)):
        urls += [
            (f"U1-{index}-bare", f"http://{host}/"),
            (f"U1-{index}-https", f"https://{host}/assertion.json"),
            (f"U1-{index}-port", f"http://{host}:6379/"),
            (f"U1-{index}-path", f"http://{host}/latest/meta-data/iam?x=1"),
        ]
    shapes = [
        *NON_HTTP,
        " http://127.0.0.1/",
        "http:/127.0.0.1/",
        "http:\\\\127.0.0.1\\",
        "//127.0.0.1/",
        "HTTP://127.0.0.1/",
        "hTtPs://169.254.169.254/",
        "http://a@127.0.0.1/",
        "http://127.0.0.1\\@issuer.example/",
        "http://issuer.example#@127.0.0.1/",
        "http://issuer.example%2F@127.0.0.1/",
        "http://user:pass@issuer.example/",
        "http://issuer.example:0/",
        "http://issuer.example:22/",
        "http://issuer.example:25/",
        "http://issuer.example:6379/",
        "http://issuer.example:65536/",
        "http://issuer.example:99999/",
        "http://issuer.example:-1/",
        "http://issuer.example:8o/",
        "http://issuer.example/" + "a" * 4096,
        "http://issuer.example/" + "a" * 100_000,
        "http://issuer.example/\r\nHost: 127.0.0.1",
        "http://issuer.example/%0d%0aX-Injected:%201",
        "http://issuer.example/\x00",
        "http://[::1/",
        "http://[127.0.0.1]/",
        "http://xn--/",
        "http://-evil.example/",
        "http://" + "a" * 300 + ".example/",
        "http://issuer..example/",
        "https://",
        "http://",
        "https:///x",
        "http://%31%32%37.0.0.1/",
        "http://127.0.0.1%00.issuer.example/",
        "http://issuer.example\u3002127.0.0.1/",
        "http://unresolvable.invalid/",
        "https://issuer.example/\u202egnp.json",
    ]
    urls += [(f"U2-{index}", url) for index, url in enumerate(shapes)]
    return urls


# --- forms ----------------------------------------------------------------------------------

FORM_VALUES = [
    "",
    " ",
    "\u3000",
    "a" * 10_000,
    "a" * 1_000_000,
    "<script>alert(1)</script>",
    "'\"><svg onload=alert(1)>",
    "{{7*7}}",
    "${7*7}",
    "a\r\nSet-Cookie: x=1",
    "a\x00b",
    "a\x1b[31mb",
    "\u202eevil",
    "a\u200bb",
    "\ufffd\ufffe",
    "Нarvard",
    "../../etc/passwd",
    "' OR '1'='1",
    "-1",
    "99999999999999999999999999",
    "NaN",
    "𠮷野家",
]
EMAILS = [
    "victim@example.com\r\nBcc: all@example.com",
    "a@b",
    "@example.com",
    "a@" + "b" * 300 + ".com",
    "a b@example.com",
    "<script>@example.com",
    "taro@example.com\x00",
    "TARO@EXAMPLE.COM ",
]
PASSWORDS = ["", "a" * 1000, "Passw0rd!" + "\x00", "Pässw0rd!", "Passw0rd!\r\n", "a" * 21, "短い"]
