"""SQLAlchemy 2 typed models: holders, the issuing portal, OAuth and presenting, importable here."""

from wallet.models.addresses import UserEmail
from wallet.models.auth import Passkey
from wallet.models.auth import PasskeyChallenge
from wallet.models.auth import UserSession
from wallet.models.holders import NAME_ORDERS
from wallet.models.holders import PUBLIC_ID_PATTERN
from wallet.models.holders import ROLES
from wallet.models.holders import VISIBILITIES
from wallet.models.holders import Badge
from wallet.models.holders import BadgeContent
from wallet.models.holders import ProfilePhoto
from wallet.models.holders import User
from wallet.models.holders import is_public_id
from wallet.models.holders import new_profile_id
from wallet.models.holders import new_public_id
from wallet.models.holders import utcnow
from wallet.models.issuing import CLAIM_STATES
from wallet.models.issuing import ISSUER_ROLES
from wallet.models.issuing import STATUS_LIST_BITS
from wallet.models.issuing import Achievement
from wallet.models.issuing import Award
from wallet.models.issuing import AwardBatch
from wallet.models.issuing import Issuer
from wallet.models.issuing import IssuerRole
from wallet.models.issuing import IssuingEvent
from wallet.models.issuing import RetiredIssuerKey
from wallet.models.issuing import StatusList
from wallet.models.oauth import CONNECTION_BADGES
from wallet.models.oauth import AuthorizationCode
from wallet.models.oauth import Connection
from wallet.models.oauth import ConnectionBadge
from wallet.models.oauth import OAuthClient
from wallet.models.oauth import RemoteHost
from wallet.models.oauth import RemoteImport
from wallet.models.oauth import Token
from wallet.models.presenting import AwardOffer
from wallet.models.presenting import Collection
from wallet.models.presenting import CollectionItem
from wallet.models.presenting import HolderKey

__all__ = [
    "CLAIM_STATES",
    "ISSUER_ROLES",
    "CONNECTION_BADGES",
    "NAME_ORDERS",
    "PUBLIC_ID_PATTERN",
    "ROLES",
    "STATUS_LIST_BITS",
    "VISIBILITIES",
    "Achievement",
    "Award",
    "AuthorizationCode",
    "AwardBatch",
    "AwardOffer",
    "Badge",
    "BadgeContent",
    "Collection",
    "CollectionItem",
    "Connection",
    "HolderKey",
    "ConnectionBadge",
    "Issuer",
    "IssuerRole",
    "IssuingEvent",
    "RetiredIssuerKey",
    "OAuthClient",
    "Passkey",
    "PasskeyChallenge",
    "ProfilePhoto",
    "RemoteHost",
    "RemoteImport",
    "StatusList",
    "Token",
    "User",
    "UserEmail",
    "UserSession",
    "is_public_id",
    "new_profile_id",
    "new_public_id",
    "utcnow",
]
