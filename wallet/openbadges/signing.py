"""Adding Data Integrity proofs (eddsa-rdfc-2022, ecdsa-rdfc-2019): how the portal signs."""

from __future__ import annotations

import copy
from collections.abc import Callable
from collections.abc import Mapping
from datetime import UTC
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import ed25519

from wallet.openbadges import ecdsa
from wallet.openbadges import jsonld
from wallet.openbadges.dataintegrity import DATA_INTEGRITY
from wallet.openbadges.dataintegrity import EDDSA_RDFC_2022
from wallet.openbadges.dataintegrity import hash_data
from wallet.openbadges.dataintegrity import proof_config
from wallet.openbadges.dataintegrity import proofs_of
from wallet.openbadges.keys import b58encode


def _created_text(created: datetime | str) -> str:
    if isinstance(created, str):
        return created
    moment = created if created.tzinfo else created.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sign(
    document: Mapping[str, Any],
    cryptosuite: str,
    verification_method: str,
    created: datetime | str,
    signer: Callable[[str, str], bytes],
    purpose: str = "assertionMethod",
    challenge: str | None = None,
    domain: str | None = None,
) -> dict[str, Any]:
    """Add a DataIntegrityProof; ``signer`` maps (proof options, document) N-Quads to bytes."""
    signed = copy.deepcopy(dict(document))
    existing = proofs_of(signed)
    signed.pop("proof", None)
    context = signed.get("@context")
    proof: dict[str, Any] = {
        "type": DATA_INTEGRITY,
        "cryptosuite": cryptosuite,
        "created": _created_text(created),
        "verificationMethod": verification_method,
        "proofPurpose": purpose,
    }
    if challenge is not None:
        proof["challenge"] = challenge
    if domain is not None:
        proof["domain"] = domain
    budget = jsonld.Budget(seconds=5.0).start()
    analysis = jsonld.analyse(signed, budget)
    config = jsonld.analyse(proof_config(proof, context), budget)
    if not analysis.safe or not config.safe:
        raise ValueError(
            "document uses terms its contexts do not define: "
            + ", ".join(
                analysis.dropped + analysis.relative_types + config.dropped + config.relative_types
            )
        )
    signature = signer(
        jsonld.canonize_dataset(config.dataset, budget),
        jsonld.canonize_dataset(analysis.dataset, budget),
    )
    proof["proofValue"] = "z" + b58encode(signature)
    signed["proof"] = [*existing, proof] if existing else proof
    return signed


def sign_eddsa_rdfc_2022(
    document: Mapping[str, Any],
    private_key: ed25519.Ed25519PrivateKey,
    verification_method: str,
    created: datetime | str,
) -> dict[str, Any]:
    """Return a copy of ``document`` with an added ``eddsa-rdfc-2022`` DataIntegrityProof.

    Refuses (ValueError) a document with terms or types its contexts do not define, because
    other verifiers would reject it or the signature would not cover what is shown.
    """
    return _sign(
        document,
        EDDSA_RDFC_2022,
        verification_method,
        created,
        lambda config, doc: private_key.sign(hash_data(config, doc)),
    )


def sign_presentation(
    presentation: Mapping[str, Any],
    private_key: ed25519.Ed25519PrivateKey,
    verification_method: str,
    created: datetime | str,
    *,
    challenge: str | None = None,
    domain: str | None = None,
) -> dict[str, Any]:
    """Return a presentation signed by its holder: ``eddsa-rdfc-2022``, ``authentication``.

    ``challenge`` and ``domain`` are the verifier's, when it supplied them (they bind the
    proof to one exchange with one verifier); the credentials inside keep their own proofs.
    """
    return _sign(
        presentation,
        EDDSA_RDFC_2022,
        verification_method,
        created,
        lambda config, doc: private_key.sign(hash_data(config, doc)),
        purpose="authentication",
        challenge=challenge,
        domain=domain,
    )


def sign_ecdsa_rdfc_2019(
    document: Mapping[str, Any],
    private_key: ec.EllipticCurvePrivateKey,
    verification_method: str,
    created: datetime | str,
) -> dict[str, Any]:
    """Return a copy of ``document`` with an added ``ecdsa-rdfc-2019`` DataIntegrityProof.

    P-256 keys hash with SHA-256, P-384 keys with SHA-384; signatures are deterministic. The
    same refusal of undefined terms as ``sign_eddsa_rdfc_2022``.
    """
    curve = ecdsa.curve_of(private_key.public_key())
    if curve is None:
        raise ValueError("ecdsa-rdfc-2019 needs a P-256 or P-384 key")
    return _sign(
        document,
        ecdsa.ECDSA_RDFC_2019,
        verification_method,
        created,
        lambda config, doc: ecdsa.sign_p1363(
            private_key, ecdsa.hash_data(config, doc, curve.hash_name)
        ),
    )
