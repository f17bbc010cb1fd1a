"""Issuer and authorization server metadata: read as hostile documents, kept only when sound."""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from urllib.parse import urlsplit

from wallet.openbadges.errors import BadgeError
from wallet.openbadges.jsonutil import loads_object
from wallet.openbadges.limits import Limits
from wallet.openbadges.oid4vci import FORMATS
from wallet.openbadges.oid4vci import Oid4vciError
from wallet.openbadges.oid4vci.offer import check_url

METADATA_LIMITS = Limits(max_json_bytes=256 * 1024, max_json_depth=16)
MAX_CONFIGURATIONS = 100
MAX_DISPLAY = 20
WELL_KNOWN_ISSUER = "/.well-known/openid-credential-issuer"
WELL_KNOWN_SERVER = "/.well-known/oauth-authorization-server"
WELL_KNOWN_OPENID = "/.well-known/openid-configuration"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_LANG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")


@dataclass(frozen=True)
class Configuration:
    """One credential the issuer can issue, in a format we take."""

    id: str
    format: str
    types: tuple[str, ...]
    contexts: tuple[str, ...] = ()
    names: dict[str, str] = field(default_factory=dict)
    binding_methods: tuple[str, ...] = ()
    proof_algorithms: tuple[str, ...] = ()


@dataclass(frozen=True)
class IssuerMetadata:
    """The parts of an issuer's metadata the pre-authorized code flow needs, checked."""

    credential_issuer: str
    credential_endpoint: str
    nonce_endpoint: str | None
    token_endpoint: str | None
    authorization_servers: tuple[str, ...]
    configurations: dict[str, Configuration]
    names: dict[str, str] = field(default_factory=dict)
    # "v1" (1.0 and drafts 14-15: nonce endpoint, proofs, credentials), "draft13" or "draft11".
    shape: str = "v1"


def _fail(message: str) -> Oid4vciError:
    return Oid4vciError(message, code="oid4vci.metadata")


def well_known(identifier: str, suffix: str) -> str:
    """Return the metadata URL of an identifier: the well-known path before its own path."""
    parts = urlsplit(identifier)
    path = parts.path.rstrip("/")
    return f"{parts.scheme}://{parts.netloc}{suffix}{path}"


def clean_text(value: Any, limit: int = 200) -> str | None:
    """Return a display text without controls or direction overrides, cut to ``limit``."""
    if not isinstance(value, str):
        return None
    text = " ".join(_CONTROL.sub(" ", value).split())
    return text[:limit] or None


def display_names(value: Any) -> dict[str, str]:
    """Return {language: name} of a ``display`` array (``""`` for an entry without locale)."""
    names: dict[str, str] = {}
    items = value if isinstance(value, list) else []
    for item in items[:MAX_DISPLAY]:
        if not isinstance(item, dict):
            continue
        name = clean_text(item.get("name"))
        locale = item.get("locale") or ""
        if name is None or not isinstance(locale, str):
            continue
        if locale and not _LANG.fullmatch(locale):
            continue
        names.setdefault(locale.lower().split("-")[0], name)
    return names


def _strings(value: Any, limit: int = 20) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(v for v in value[:limit] if isinstance(v, str) and 0 < len(v) <= 500)


def _configuration(config_id: str, entry: Any) -> Configuration | None:
    """Return a configuration we can take (jwt_vc_json, ldp_vc), None for another format."""
    if not isinstance(entry, dict) or entry.get("format") not in FORMATS:
        return None
    definition = entry.get("credential_definition")
    if not isinstance(definition, dict):
        definition = entry  # draft 11 put types and @context on the entry itself
    types = _strings(definition.get("type") or definition.get("types"))
    if "VerifiableCredential" not in types:
        return None
    contexts = _strings(definition.get("@context"))
    display = entry.get("display")
    if display is None and isinstance(entry.get("credential_metadata"), dict):
        display = entry["credential_metadata"].get("display")
    algorithms: tuple[str, ...] = ()
    proofs = entry.get("proof_types_supported")
    if isinstance(proofs, dict) and isinstance(proofs.get("jwt"), dict):
        algorithms = _strings(proofs["jwt"].get("proof_signing_alg_values_supported"))
    return Configuration(
        id=config_id,
        format=str(entry["format"]),
        types=types,
        contexts=contexts,
        names=display_names(display),
        binding_methods=_strings(entry.get("cryptographic_binding_methods_supported")),
        proof_algorithms=algorithms,
    )


def _configurations(document: dict[str, Any]) -> tuple[dict[str, Configuration], str]:
    supported = document.get("credential_configurations_supported")
    if isinstance(supported, dict):
        entries = list(supported.items())
        shape = "v1" if document.get("nonce_endpoint") else "draft13"
    else:
        listed = document.get("credentials_supported")
        if not isinstance(listed, list):
            raise _fail("no credential configurations")
        entries = [(str(e.get("id", "")), e) for e in listed if isinstance(e, dict)]
        shape = "draft11"
    if len(entries) > MAX_CONFIGURATIONS:
        raise _fail("too many credential configurations")
    found: dict[str, Configuration] = {}
    for config_id, entry in entries:
        if not isinstance(config_id, str) or not 0 < len(config_id) <= 200:
            continue
        configuration = _configuration(config_id, entry)
        if configuration is not None:
            found[config_id] = configuration
    return found, shape


def parse_issuer_metadata(data: bytes | str, credential_issuer: str) -> IssuerMetadata:
    """Parse the issuer's metadata; it must name the same issuer as the offer did."""
    try:
        document = loads_object(data, limits=METADATA_LIMITS)
    except BadgeError:
        raise _fail("the issuer metadata is not a JSON object") from None
    if document.get("credential_issuer") != credential_issuer:
        # OpenID4VCI 1.0 §12.2.2: metadata for another issuer must not be used.
        raise _fail("the metadata is for another issuer")
    endpoint = check_url(document.get("credential_endpoint"), "credential_endpoint", _code())
    nonce = document.get("nonce_endpoint")
    token = document.get("token_endpoint")  # drafts up to 13 allowed it here
    servers = document.get("authorization_servers")
    if servers is None and isinstance(document.get("authorization_server"), str):
        servers = [document["authorization_server"]]  # draft 11
    if servers is not None and (not isinstance(servers, list) or len(servers) > 5):
        raise _fail("unusable authorization_servers")
    configurations, shape = _configurations(document)
    return IssuerMetadata(
        credential_issuer=credential_issuer,
        credential_endpoint=endpoint,
        nonce_endpoint=check_url(nonce, "nonce_endpoint", _code()) if nonce else None,
        token_endpoint=check_url(token, "token_endpoint", _code()) if token else None,
        authorization_servers=tuple(
            check_url(s, "authorization server", _code()) for s in servers or ()
        ),
        configurations=configurations,
        names=display_names(document.get("display")),
        shape=shape,
    )


def _code() -> str:
    return "oid4vci.metadata"


def parse_server_metadata(data: bytes | str, issuer: str) -> str:
    """Return the token endpoint of an authorization server's metadata (RFC 8414, checked)."""
    try:
        document = loads_object(data, limits=METADATA_LIMITS)
    except BadgeError:
        raise _fail("the authorization server metadata is not a JSON object") from None
    if document.get("issuer") != issuer:
        # RFC 8414 §3.3: an answer naming another issuer must not be used.
        raise _fail("the authorization server metadata is for another server")
    return check_url(document.get("token_endpoint"), "token_endpoint", _code())


def authorization_server(metadata: IssuerMetadata, wanted: str | None) -> str:
    """Return which authorization server issues the token: the offer's choice, if listed."""
    servers = metadata.authorization_servers
    if wanted is not None:
        if servers and wanted not in servers:
            raise _fail("the offer names an authorization server the issuer does not list")
        return wanted
    if len(servers) > 1:
        raise _fail("several authorization servers and the offer chose none")
    return servers[0] if servers else metadata.credential_issuer


def offered(metadata: IssuerMetadata, ids: tuple[str, ...]) -> list[Configuration]:
    """Return the offered configurations we can take; raise when there is none."""
    found = [metadata.configurations[i] for i in ids if i in metadata.configurations]
    if not found:
        raise Oid4vciError(
            "nothing offered in a format this wallet takes", code="oid4vci.unsupported"
        )
    return found
