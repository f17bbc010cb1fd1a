"""Receiving by OpenID4VCI (pre-authorized code flow): offer, metadata, token, proof, credential.

Every call goes through the hardened fetcher (GETs follow vetted redirects; POSTs never follow
one, so the code and the token reach only the address the issuer's metadata names). What the
issuer hands over enters the wallet through the same verification and gate as every import,
and only when every credential of the offer passes: nothing is stored otherwise.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from dataclasses import dataclass
from typing import Any

from flask import current_app
from itsdangerous import BadSignature
from itsdangerous import URLSafeTimedSerializer

from wallet.models import User
from wallet.openbadges.errors import FetchError
from wallet.openbadges.fetch import HttpFetcher
from wallet.openbadges.fetch import Response
from wallet.openbadges.fetch_request import Outgoing
from wallet.openbadges.oid4vci import Oid4vciError
from wallet.openbadges.oid4vci import exchange
from wallet.openbadges.oid4vci import metadata as meta
from wallet.openbadges.oid4vci.metadata import Configuration
from wallet.openbadges.oid4vci.metadata import IssuerMetadata
from wallet.openbadges.oid4vci.offer import Offer
from wallet.openbadges.oid4vci.offer import TxCode
from wallet.openbadges.oid4vci.offer import parse_offer
from wallet.openbadges.oid4vci.offer import read_input
from wallet.services import badge_import
from wallet.services import badges
from wallet.services import holder_keys
from wallet.services import metrics

OFFER_MAX_AGE = 30 * 60  # a pre-authorized code rarely lives longer
MAX_CREDENTIALS = 5
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


class ReceiveFailed(Exception):
    """The offer could not be taken; ``code`` says why (translated by the caller)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Prepared:
    """An offer ready for the holder's decision: who offers what, and whether a PIN is needed."""

    offer: Offer
    metadata: IssuerMetadata
    configurations: tuple[Configuration, ...]


def _fetcher() -> HttpFetcher:
    config = current_app.config
    return HttpFetcher(
        config["FETCH_ALLOWED_NETWORKS"],
        timeout=float(config.get("FETCH_TIMEOUT", 5.0)),
        max_bytes=int(config.get("FETCH_MAX_BYTES", 5 * 1024 * 1024)),
    )


def _get(fetcher: HttpFetcher, url: str, code: str) -> bytes:
    """GET a JSON document; raise ReceiveFailed(code) unless it answered 200."""
    response = fetcher.fetch(url, accept=JSON)
    if response.status != 200:
        raise ReceiveFailed(code)
    return response.body


def _metadata(fetcher: HttpFetcher, offer: Offer) -> IssuerMetadata:
    url = meta.well_known(offer.credential_issuer, meta.WELL_KNOWN_ISSUER)
    return meta.parse_issuer_metadata(_get(fetcher, url, "metadata"), offer.credential_issuer)


def prepare(text: str) -> Prepared:
    """Read what the holder pasted or scanned, fetch the offer and the issuer's metadata."""
    fetcher = _fetcher()
    try:
        source = read_input(text)
        if source.offer_uri is not None:
            offer = parse_offer(_get(fetcher, source.offer_uri, "offer_unreachable"))
        else:
            offer = parse_offer(source.offer_json or "")
    except Oid4vciError as exc:
        raise ReceiveFailed(exc.code.removeprefix("oid4vci.")) from None
    except FetchError:
        raise ReceiveFailed("offer_unreachable") from None
    return prepare_again(offer, fetcher)


def prepare_again(offer: Offer, fetcher: HttpFetcher | None = None) -> Prepared:
    """Fetch the issuer's metadata for an offer already read (to show it again)."""
    fetcher = fetcher or _fetcher()
    try:
        metadata = _metadata(fetcher, offer)
        configurations = meta.offered(metadata, offer.configuration_ids)
    except Oid4vciError as exc:
        raise ReceiveFailed(exc.code.removeprefix("oid4vci.")) from None
    except FetchError:
        raise ReceiveFailed("unreachable") from None
    return Prepared(offer, metadata, tuple(configurations[:MAX_CREDENTIALS]))


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="wallet.oid4vci-offer")


def pack(user: User, offer: Offer) -> str:
    """Return the signed form value that carries the offer to the holder's decision."""
    data = asdict(offer)
    data["configuration_ids"] = list(offer.configuration_ids)
    return _serializer().dumps({"u": user.id, "o": data})


def unpack(user: User, token: str) -> Offer | None:
    """Return the offer a form value carries, when it is this holder's and fresh."""
    if not token or len(token) > 20_000:
        return None
    try:
        data = _serializer().loads(token, max_age=OFFER_MAX_AGE)
        if data.get("u") != user.id:
            return None
        fields = dict(data["o"])
        fields["configuration_ids"] = tuple(fields["configuration_ids"])
        if fields.get("tx_code") is not None:
            fields["tx_code"] = TxCode(**fields["tx_code"])
        return Offer(**fields)
    except (BadSignature, KeyError, TypeError, ValueError, AttributeError):
        return None


def pin_problem(tx_code: TxCode | None, pin: str) -> str | None:
    """Return why a PIN cannot be what the issuer asked for (None when it can be)."""
    if tx_code is None:
        return None
    if not pin:
        return "pin_required"
    if len(pin) > 64 or not pin.isprintable():
        return "pin_format"
    if tx_code.input_mode == "numeric" and not re.fullmatch(r"[0-9]+", pin):
        return "pin_format"
    if tx_code.length is not None and len(pin) != tx_code.length:
        return "pin_format"
    return None


def _token_endpoint(fetcher: HttpFetcher, metadata: IssuerMetadata, offer: Offer) -> str:
    if metadata.token_endpoint is not None and offer.authorization_server is None:
        return metadata.token_endpoint
    server = meta.authorization_server(metadata, offer.authorization_server)
    for suffix in (meta.WELL_KNOWN_SERVER, meta.WELL_KNOWN_OPENID):
        response = fetcher.fetch(meta.well_known(server, suffix), accept=JSON)
        if response.status == 200:
            return meta.parse_server_metadata(response.body, server)
    raise ReceiveFailed("metadata")


def _post(
    fetcher: HttpFetcher, url: str, body: bytes, content_type: str, token: str | None
) -> Response:
    headers = {"Content-Type": content_type}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return fetcher.send(url, Outgoing("POST", headers, body), accept=JSON)


def _nonce(fetcher: HttpFetcher, metadata: IssuerMetadata, fallback: str | None) -> str | None:
    if metadata.nonce_endpoint is None:
        return fallback
    response = _post(fetcher, metadata.nonce_endpoint, b"", FORM, None)
    return exchange.parse_nonce(response.status, response.body)


def _binding(configuration: Configuration) -> str:
    """Return how to name the holder's key: did:key unless the issuer takes only did:jwk."""
    methods = configuration.binding_methods
    if methods and "did:key" not in methods and "did" not in methods:
        if "did:jwk" in methods or "jwk" in methods:
            return "did:jwk"
    return "did:key"


def _credential(
    fetcher: HttpFetcher,
    user: User,
    metadata: IssuerMetadata,
    configuration: Configuration,
    token: exchange.Token,
) -> tuple[str | dict[str, Any], ...]:
    """Prove the holder's key and fetch one credential (one retry with a fresh nonce)."""
    row = holder_keys.ensure(user)
    kid = holder_keys.method_for(row, _binding(configuration))
    nonce = _nonce(fetcher, metadata, token.c_nonce)
    for attempt in range(2):
        proof = exchange.proof_jwt(
            kid=kid,
            audience=metadata.credential_issuer,
            nonce=nonce,
            sign=lambda data: holder_keys.sign(row, data),
        )
        body = json.dumps(exchange.credential_request(metadata, configuration, proof)).encode()
        response = _post(fetcher, metadata.credential_endpoint, body, JSON, token.access_token)
        issued = exchange.parse_credential(response.status, response.body)
        if issued.deferred:
            raise ReceiveFailed("deferred")
        if issued.error is None:
            return issued.credentials
        if issued.error not in exchange.NONCE_ERRORS or attempt:
            raise ReceiveFailed("nonce" if issued.error in exchange.NONCE_ERRORS else "credential")
        nonce = issued.c_nonce or _nonce(fetcher, metadata, None)
        if nonce is None:
            raise ReceiveFailed("nonce")
    raise ReceiveFailed("nonce")


def receive(user: User, offer: Offer, pin: str) -> list[badge_import.ImportOutcome]:
    """Take the offer: token, proof, credentials; import them all or nothing.

    Raises ReceiveFailed, or ImportFailed (with the gate's code, or ``other_holder`` for a
    credential bound to another key) when a credential may not enter this wallet.
    """
    problem = pin_problem(offer.tx_code, pin)
    if problem is not None:
        raise ReceiveFailed(problem)
    fetcher = _fetcher()
    try:
        metadata = _metadata(fetcher, offer)
        configurations = meta.offered(metadata, offer.configuration_ids)[:MAX_CREDENTIALS]
        endpoint = _token_endpoint(fetcher, metadata, offer)
        form = exchange.token_request(offer.pre_authorized_code, pin if offer.tx_code else None)
        answer = _post(fetcher, endpoint, form, FORM, None)
        token = exchange.parse_token(answer.status, answer.body)
        received = [
            value
            for configuration in configurations
            for value in _credential(fetcher, user, metadata, configuration, token)
        ]
    except Oid4vciError as exc:
        raise ReceiveFailed(exc.code.removeprefix("oid4vci.")) from None
    except FetchError:
        raise ReceiveFailed("unreachable") from None
    return _import_all(user, received)


def _import_all(
    user: User, received: list[str | dict[str, Any]]
) -> list[badge_import.ImportOutcome]:
    """Check every credential first, then store them all (nothing when one is refused)."""
    verifier = badges.make_fetcher()
    accepted = []
    own = holder_keys.dids_of(user)
    try:
        for value in received:
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            checked = badge_import.check(user, text, fetcher=verifier)
            subject = checked.credential.subject_id
            if subject and subject.startswith("did:") and subject not in own:
                # Bound to a key this wallet does not hold: another holder's credential.
                raise badge_import.ImportFailed("other_holder", subject[:200])
            accepted.append(checked)
    except badge_import.ImportFailed as failure:
        metrics.IMPORTS.labels(outcome=failure.code).inc()
        raise
    outcomes = [badge_import.store(user, item, fetcher=verifier) for item in accepted]
    for outcome in outcomes:
        metrics.IMPORTS.labels(outcome="added" if outcome.created else "already").inc()
    return outcomes
