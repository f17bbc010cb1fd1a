"""A test-only ecdsa-sd-2023 issuer and holder: base signatures and derived proofs from our keys.

It follows vc-di-ecdsa's base proof steps (HMAC blank node labels, mandatory statements hashed,
one proof-scoped signature per other statement) but picks mandatory statements by a predicate on
the N-Quad (``mandatory_statements``) instead of JSON pointers, and derives for a revealed
document made by hand (``reveal``): the label map is found by trying which assignment of the
signed HMAC labels makes every revealed statement one of the signed ones. Good enough for small
test credentials, never for production.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import itertools
import re
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from tests.openbadges.v3_fixtures import p256_key
from wallet.openbadges import jsonld
from wallet.openbadges.ecdsa import sign_p1363
from wallet.openbadges.ecdsa.sd import DerivedProof
from wallet.openbadges.ecdsa.sd import serialize_derived_proof_value
from wallet.openbadges.ecdsa.sd import sign_data
from wallet.openbadges.keys import ec_multikey_bytes

PROOF_KEY = p256_key("ecdsa-sd proof-scoped key")
HMAC_KEY = hashlib.sha256(b"ecdsa-sd hmac key").digest()
_LABEL = re.compile(r"_:(u[A-Za-z0-9_-]{43})")
_SUBJECT_AND_PROPERTY = re.compile(r"(\S+) <([^>]*)> ")


class HmacLabels(Mapping[str, str]):
    """Canonical label -> ``u`` + base64url(HMAC-SHA-256(label)), remembering what was asked."""

    def __init__(self, key: bytes) -> None:
        self._key = key
        self.used: dict[str, str] = {}

    def __getitem__(self, label: str) -> str:
        digest = hmac.new(self._key, label.encode(), hashlib.sha256).digest()
        value = "u" + base64.urlsafe_b64encode(digest).decode().rstrip("=")
        self.used[label] = value
        return value

    def __contains__(self, label: object) -> bool:
        return isinstance(label, str) and label.startswith("c14n")

    def __iter__(self) -> Iterator[str]:
        return iter(self.used)

    def __len__(self) -> int:
        return len(self.used)


@dataclass
class Base:
    """What the issuer's base proof fixes: the statements, which are mandatory, signatures."""

    document: dict[str, Any]
    proof: dict[str, Any]
    statements: list[str]
    mandatory: set[int]
    base_signature: bytes
    public_key: bytes
    signatures: dict[int, bytes]


def mandatory_statements(*properties: str, subjects: tuple[str, ...] = ()) -> Callable[[str], bool]:
    """A ``mandatory`` choice for ``issue``: statements by property name or by subject IRI.

    A property matches by its last ``#`` or ``/`` segment (``"issuer"``, ``"name"``); every
    statement about one of ``subjects`` (absolute IRIs) is mandatory too.
    """
    endings = tuple(f"{sep}{name}" for name in properties for sep in "#/")
    about = {f"<{iri}>" for iri in subjects}

    def chosen(statement: str) -> bool:
        match = _SUBJECT_AND_PROPERTY.match(statement)
        if match is None:
            return False
        return match.group(1) in about or match.group(2).endswith(endings)

    return chosen


def _proof_options(document: Mapping[str, Any], method: str, created: str) -> dict[str, Any]:
    return {
        "type": "DataIntegrityProof",
        "cryptosuite": "ecdsa-sd-2023",
        "created": created,
        "verificationMethod": method,
        "proofPurpose": "assertionMethod",
    }


def issue(
    document: Mapping[str, Any],
    issuer_key: ec.EllipticCurvePrivateKey,
    method: str,
    *,
    created: str = "2026-04-01T09:00:00Z",
    mandatory: Callable[[str], bool] = lambda statement: False,
) -> Base:
    """Sign ``document`` as an ecdsa-sd-2023 issuer would (the base proof, kept unserialised)."""
    unsigned = copy.deepcopy(dict(document))
    proof = _proof_options(unsigned, method, created)
    config = {**proof, "@context": unsigned["@context"]}
    proof_hash = hashlib.sha256(jsonld.canonize(config).encode()).digest()
    labels = HmacLabels(HMAC_KEY)
    statements = jsonld.canonize_relabelled(jsonld.analyse(unsigned).dataset, labels)
    chosen = {i for i, statement in enumerate(statements) if mandatory(statement)}
    public_key = ec_multikey_bytes(PROOF_KEY.public_key())
    mandatory_hash = hashlib.sha256(
        "".join(statements[i] for i in sorted(chosen)).encode()
    ).digest()
    base_signature = sign_p1363(issuer_key, sign_data(proof_hash, public_key, mandatory_hash))
    signatures = {
        i: sign_p1363(PROOF_KEY, statement.encode())
        for i, statement in enumerate(statements)
        if i not in chosen
    }
    return Base(unsigned, proof, statements, chosen, base_signature, public_key, signatures)


def _label_map(base: Base, revealed: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
    """Find the verifier label map for ``revealed`` and the statements it then yields."""
    probe = HmacLabels(b"probe")
    canonical_form = jsonld.canonize_relabelled(jsonld.analyse(revealed).dataset, probe)
    names = {label: value for label, value in probe.used.items()}
    canonical = sorted(names)
    signed_labels = sorted({m for s in base.statements for m in _LABEL.findall(s)})
    signed = set(base.statements)
    for choice in itertools.permutations(signed_labels, len(canonical)):
        labels = dict(zip(canonical, choice, strict=True))
        by_probe = {names[label]: labels[label] for label in canonical}
        statements = sorted(
            _LABEL.sub(lambda m, new=by_probe: "_:" + new[m.group(1)], s) for s in canonical_form
        )
        if set(statements) <= signed:
            return labels, statements
    raise ValueError("the revealed document is not a selection of the signed one")


def reveal(base: Base, *withheld: str) -> dict[str, Any]:
    """Return a copy of the signed document without the ``withheld`` dotted paths.

    A path names object keys and list positions: ``"validUntil"``,
    ``"credentialSubject.identifier.1"``. Paths are removed in the order given.
    """
    document = copy.deepcopy(base.document)
    for path in withheld:
        *parents, last = path.split(".")
        node: Any = document
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            del node[int(last)]
        else:
            del node[last]
    return document


def derive(
    base: Base, revealed: dict[str, Any] | None = None, *, drop_mandatory: bool = False
) -> dict[str, Any]:
    """Return ``revealed`` (default: everything) with a derived proof, as a holder would.

    ``drop_mandatory`` lets a dishonest holder leave mandatory statements out (a real holder
    cannot: the base signature covers them).
    """
    document = copy.deepcopy(revealed if revealed is not None else base.document)
    labels, statements = _label_map(base, document)
    position = {statement: i for i, statement in enumerate(base.statements)}
    absolute = [position[statement] for statement in statements]
    missing = base.mandatory - set(absolute)
    if missing and not drop_mandatory:
        raise ValueError(f"mandatory statements not revealed: {sorted(missing)}")
    derived = DerivedProof(
        base_signature=base.base_signature,
        public_key=base.public_key,
        signatures=tuple(base.signatures[i] for i in absolute if i not in base.mandatory),
        label_map=labels,
        mandatory_indexes=frozenset(
            relative for relative, i in enumerate(absolute) if i in base.mandatory
        ),
    )
    document["proof"] = {**base.proof, "proofValue": serialize_derived_proof_value(derived)}
    return document
