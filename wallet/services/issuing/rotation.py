"""Key rotation: an owner gives an issuer a new Ed25519 key; the old one stays published, retired.

Every badge signed with the old key still verifies: the issuer profile keeps listing it under
``assertionMethod``, marked with the moment it retired (credentials.profile_document). Its
private half is dropped: a retired key never signs again, and what it would sign after its
retirement is not the issuer's (openbadges/binding.py). The status lists are re-signed with
the new key at once, so nothing the issuer publishes from now on depends on a retired key.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import ed25519
from sqlalchemy import select

from wallet.extensions import db
from wallet.models import Issuer
from wallet.models import RetiredIssuerKey
from wallet.models import StatusList
from wallet.models import utcnow
from wallet.openbadges.keys import ed25519_multikey
from wallet.services.issuing import audit
from wallet.services.issuing.credentials import sign_status_list
from wallet.services.issuing.keys import seal_private_key


def rotate(issuer: Issuer, actor: audit.Actor) -> RetiredIssuerKey:
    """Give the issuer a new signing key, retire the old one, re-sign its status lists.

    The old private key is not needed, so this also recovers an issuer whose key can no longer
    be unsealed. The issuer row is locked: two rotations at once retire one key each.
    """
    locked = db.session.scalar(
        select(Issuer).where(Issuer.id == issuer.id).with_for_update(of=Issuer)
    )
    assert locked is not None
    old = locked.public_key_multibase
    retired = RetiredIssuerKey(issuer_id=locked.id, public_key_multibase=old, retired_at=utcnow())
    db.session.add(retired)
    key = ed25519.Ed25519PrivateKey.generate()
    locked.public_key_multibase = ed25519_multikey(key.public_key())
    locked.private_key_sealed = seal_private_key(key, locked.slug)
    for status_list in db.session.scalars(
        select(StatusList).where(StatusList.issuer_id == locked.id).with_for_update(of=StatusList)
    ):
        sign_status_list(status_list, key)
    audit.record(
        locked,
        actor,
        "key_rotated",
        subject=locked.public_key_multibase[:254],
        detail=f"retired {old}",
    )
    db.session.commit()
    return retired
