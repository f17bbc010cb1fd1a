"""OpenID for Verifiable Credential Issuance (1.0 and the common earlier drafts), as a wallet.

Pure parsing and building: offers (``offer``), issuer and authorization server metadata
(``metadata``), the proof of possession and the token and credential exchanges (``exchange``).
The network is the caller's: every document here arrives as bytes it fetched.
"""

from __future__ import annotations

from wallet.openbadges.errors import BadgeError

PRE_AUTHORIZED_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
FORMATS = ("jwt_vc_json", "ldp_vc")


class Oid4vciError(BadgeError):
    """An offer, a metadata document or an answer we will not use; ``code`` says which step.

    Codes: ``oid4vci.offer`` (the offer), ``oid4vci.metadata`` (the issuer's metadata),
    ``oid4vci.unsupported`` (nothing offered in a format or grant we take), ``oid4vci.token``,
    ``oid4vci.pin`` (the issuer refused the PIN or code), ``oid4vci.nonce``,
    ``oid4vci.credential``, ``oid4vci.deferred`` (issued later, not supported).
    """

    code = "oid4vci.offer"
