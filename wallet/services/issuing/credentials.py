"""The issuer documents verifiers read: profiles with keys, achievements, signed status lists."""

# Where the keys are published, and why an HTTPS profile rather than ``did:web``:
# the issuer id is ``{BASE_URL}/issuers/<slug>``, a Profile (JSON-LD) served at that URL, and each
# credential names the verification method ``{issuer id}#z6Mk…`` (an Ed25519 Multikey).
#
# - Our verifier (``openbadges.keys``) resolves it offline from the fragment and then proves the
#   key belongs to the issuer by reading the profile, which lists the same method under
#   ``verificationMethod`` / ``assertionMethod`` with ``controller`` = the issuer id.
# - The 1EdTech validator uses exactly this ``controller#multikey`` convention and checks
#   controller == issuer.id (notes/openbadges.md §4.3); verifiers that dereference the method get
#   a controller document with a ``Multikey`` (the W3C Controlled Identifiers shape).
# - ``did:web`` would only work on an HTTPS host on port 443: in development
#   (``http://127.0.0.1:5000``) the DID would point at an HTTPS URL that does not exist, and
#   ``wallet verify --url-map BASE_URL/=DIR`` could not answer it.
#
# Published documents (URL paths below, relative to BASE_URL; a plain directory holding them
# mirrors the URLs, so no path is both a document and a folder):
# ``/issuers/<slug>`` profile, ``/issuers/<slug>.png`` its image, ``/status/<slug>/<n>`` the
# signed BitstringStatusListCredential, ``/achievements/<id>`` and ``/achievements/<id>.png``.

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from collections.abc import Mapping
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519
from flask import current_app
from sqlalchemy import select

from wallet.extensions import db
from wallet.models import Achievement
from wallet.models import Issuer
from wallet.models import RetiredIssuerKey
from wallet.models import StatusList
from wallet.models import utcnow
from wallet.openbadges.errors import FetchError
from wallet.openbadges.fetch import ACCEPT_BADGE
from wallet.openbadges.fetch import Fetcher
from wallet.openbadges.fetch import Response
from wallet.openbadges.keys import ed25519_multikey
from wallet.openbadges.signing import sign_eddsa_rdfc_2022
from wallet.openbadges.status import encode_bitstring
from wallet.services import images
from wallet.services.issuing.issuers import achievement_by_public_id
from wallet.services.issuing.issuers import achievements_of
from wallet.services.issuing.issuers import get_issuer
from wallet.services.issuing.issuers import list_issuers
from wallet.services.issuing.keys import private_key_of

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB3_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
DID_V1 = "https://www.w3.org/ns/did/v1"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"

JSON_LD = "application/ld+json"
VC_LD = "application/vc+ld+json"


# --- URLs -------------------------------------------------------------------------------------


def _base() -> str:
    return str(current_app.config["BASE_URL"]).rstrip("/")


def issuer_url(issuer: Issuer) -> str:
    """Return the issuer id: the URL of its published profile."""
    return f"{_base()}/issuers/{issuer.slug}"


def verification_method(issuer: Issuer, multikey: str | None = None) -> str:
    """Return the verification method id ``{issuer id}#{multikey}`` (the current key's)."""
    return f"{issuer_url(issuer)}#{multikey or issuer.public_key_multibase}"


def status_list_url(issuer: Issuer, number: int) -> str:
    """Return the URL of one of the issuer's status list credentials."""
    return f"{_base()}/status/{issuer.slug}/{number}"


def achievement_url(achievement: Achievement) -> str:
    """Return the id (and URL) of an achievement."""
    return f"{_base()}/achievements/{achievement.public_id}"


# --- documents --------------------------------------------------------------------------------


def utc_timestamp(moment: datetime) -> str:
    """Return a moment as the documents write it: UTC, whole seconds, ``Z``."""
    if moment.tzinfo is None:  # SQLite hands back UTC moments without their zone
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _image_ref(url: str, caption: str | None = None) -> dict[str, Any]:
    image: dict[str, Any] = {"id": url, "type": "Image"}
    if caption:
        image["caption"] = caption
    return image


def issuer_fields(issuer: Issuer) -> dict[str, Any]:
    """Return the issuer as a Profile (the body of its document, and a credential's issuer)."""
    profile: dict[str, Any] = {
        "id": issuer_url(issuer),
        "type": ["Profile"],
        "name": issuer.name,
        "url": issuer.url,
        "email": issuer.email,
    }
    if issuer.description:
        profile["description"] = issuer.description
    profile["image"] = _image_ref(issuer_url(issuer) + ".png", issuer.name)
    return profile


def retired_keys(issuer: Issuer) -> list[RetiredIssuerKey]:
    """Return the keys the issuer rotated out, oldest first."""
    return list(
        db.session.scalars(
            select(RetiredIssuerKey)
            .where(RetiredIssuerKey.issuer_id == issuer.id)
            .order_by(RetiredIssuerKey.retired_at, RetiredIssuerKey.id)
        )
    )


def _method(issuer: Issuer, multikey: str) -> dict[str, Any]:
    return {
        "id": verification_method(issuer, multikey),
        "type": "Multikey",
        "controller": issuer_url(issuer),
        "publicKeyMultibase": multikey,
    }


def profile_document(issuer: Issuer) -> dict[str, Any]:
    """Return the published issuer Profile, listing its keys as Multikeys it controls.

    The current key comes first; each rotated-out key stays listed under ``assertionMethod``
    (what it signed before its rotation still verifies) and carries ``retiredAt``, the moment
    it stopped signing: a proof it made later is not the issuer's (openbadges/binding.py). Not
    ``revoked`` or ``expires``: verifiers read those as "reject every proof by this key", which
    would turn every badge issued before the rotation invalid.
    """
    methods = [_method(issuer, issuer.public_key_multibase)]
    for retired in reversed(retired_keys(issuer)):
        entry = _method(issuer, retired.public_key_multibase)
        entry["retiredAt"] = utc_timestamp(retired.retired_at)
        methods.append(entry)
    document: dict[str, Any] = {"@context": [VC_V2, OB3_CONTEXT, DID_V1, MULTIKEY_V1]}
    document.update(issuer_fields(issuer))
    document["verificationMethod"] = methods
    document["assertionMethod"] = [method["id"] for method in methods]
    return document


def achievement_fields(achievement: Achievement) -> dict[str, Any]:
    """Return the Achievement (the body of its document, and a credential's achievement)."""
    return {
        "id": achievement_url(achievement),
        "type": ["Achievement"],
        "name": achievement.name,
        "description": achievement.description,
        "criteria": {"narrative": achievement.criteria},
        "image": _image_ref(achievement_url(achievement) + ".png", achievement.name),
    }


def achievement_document(achievement: Achievement) -> dict[str, Any]:
    """Return the published Achievement (badge class) document."""
    return {"@context": [VC_V2, OB3_CONTEXT], **achievement_fields(achievement)}


def sign_document(
    document: Mapping[str, Any], issuer: Issuer, key: ed25519.Ed25519PrivateKey
) -> dict[str, Any]:
    """Return the document with the issuer's DataIntegrityProof (eddsa-rdfc-2022) added.

    The method names the key that signs (not the issuer's current one, which a rotation may
    have changed meanwhile).
    """
    method = verification_method(issuer, ed25519_multikey(key.public_key()))
    return sign_eddsa_rdfc_2022(document, key, method, utcnow())


def to_json(document: Mapping[str, Any]) -> str:
    """Return the compact JSON text in which documents and credentials are stored and served."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def sign_status_list(status_list: StatusList, key: ed25519.Ed25519PrivateKey | None = None) -> None:
    """Re-sign the status list credential from its current bits (``key``: the issuer's)."""
    issuer = status_list.issuer
    url = status_list_url(issuer, status_list.number)
    document = {
        "@context": [VC_V2],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_url(issuer),
        "validFrom": utc_timestamp(utcnow()),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": status_list.purpose,
            "encodedList": encode_bitstring(status_list.bitstring),
        },
    }
    status_list.credential_json = to_json(
        sign_document(document, issuer, key or private_key_of(issuer))
    )
    status_list.updated_at = utcnow()


# --- published documents and the in-process fetcher -------------------------------------------


def status_list_by_number(issuer: Issuer, number: int) -> StatusList | None:
    """Return one of the issuer's status lists."""
    return db.session.scalar(
        select(StatusList).where(StatusList.issuer_id == issuer.id, StatusList.number == number)
    )


def document_at(path: str) -> tuple[str, bytes] | None:
    """Return (content type, body) of the published document at a BASE_URL path, or None."""
    match = re.fullmatch(r"/issuers/([a-z0-9-]{1,64})(\.png)?", path)
    if match:
        issuer = get_issuer(match[1])
        if issuer is None:
            return None
        if match[2]:
            return "image/png", issuer.image_png or images.placeholder(issuer.name)
        return JSON_LD, to_json(profile_document(issuer)).encode("utf-8")
    match = re.fullmatch(r"/status/([a-z0-9-]{1,64})/([1-9][0-9]{0,8})", path)
    if match:
        issuer = get_issuer(match[1])
        status_list = status_list_by_number(issuer, int(match[2])) if issuer else None
        if status_list is None:
            return None
        return VC_LD, status_list.credential_json.encode("utf-8")
    match = re.fullmatch(r"/achievements/([a-z0-9]{1,32})(\.png)?", path)
    if match:
        achievement = achievement_by_public_id(match[1])
        if achievement is None:
            return None
        if match[2]:
            return "image/png", achievement.image_png
        return JSON_LD, to_json(achievement_document(achievement)).encode("utf-8")
    return None


class PortalFetcher:
    """Answers the portal's own BASE_URL documents from the database, others via ``fallback``.

    The portal verifying the badges it issued (at claim time) runs the same verification
    engine, but needs no network round trip to itself.
    """

    def __init__(self, fallback: Fetcher | None = None) -> None:
        """Bind to the current app's BASE_URL."""
        self.base = _base()
        self.fallback = fallback

    def fetch(self, url: str, *, accept: str = ACCEPT_BADGE) -> Response:
        """Return the document for ``url`` (404 for an unknown portal path)."""
        if url.startswith(self.base + "/"):
            path = url[len(self.base) :].split("#", 1)[0].split("?", 1)[0]
            found = document_at(path)
            if found is None:
                return Response(url=url, status=404, content_type="text/plain", body=b"")
            return Response(url=url, status=200, content_type=found[0], body=found[1])
        if self.fallback is None:
            raise FetchError("not a document of this portal")
        return self.fallback.fetch(url, accept=accept)


def published_paths() -> Iterator[str]:
    """Yield the BASE_URL paths of every published JSON document."""
    for issuer in list_issuers():
        yield f"/issuers/{issuer.slug}"
        for status_list in db.session.scalars(
            select(StatusList).where(StatusList.issuer_id == issuer.id)
        ):
            yield f"/status/{issuer.slug}/{status_list.number}"
        for achievement in achievements_of(issuer):
            yield f"/achievements/{achievement.public_id}"


def publish_documents(directory: Path) -> list[Path]:
    """Write every published document under ``directory``, mirroring the URL paths."""
    written: list[Path] = []
    for path in published_paths():
        found = document_at(path)
        if found is None:
            continue
        target = directory.joinpath(*path.strip("/").split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(found[1])
        written.append(target)
    return written
