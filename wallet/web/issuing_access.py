"""The portal's doors: each issuing page finds its issuer and checks the signed-in role for it.

Anything the account has no role for, or may not do with its role, is 404 (never 403): the
portal does not tell an operator of one institute that another institute's page exists.
"""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from wallet.models import Achievement
from wallet.models import Award
from wallet.models import AwardBatch
from wallet.models import Issuer
from wallet.services import issuing
from wallet.services.issuing import audit
from wallet.services.issuing import batches as award_batches
from wallet.services.issuing import issuers
from wallet.services.issuing import roles


def portal_members_only() -> None:
    """Hide the whole portal from accounts that have no part in it (a before_request hook)."""
    if not current_user.is_authenticated or not roles.may_enter(current_user):
        abort(404)


def actor() -> audit.Actor:
    """Return the signed-in account as the audit log names it."""
    return audit.Actor(current_user._get_current_object(), "web")


def allowed(issuer: Issuer, action: str) -> bool:
    """Return whether the signed-in account may perform the action for the issuer."""
    return roles.can(current_user, issuer, action)


def issuer_or_404(slug: str, action: str = "read") -> Issuer:
    """Return the issuer when the signed-in account may perform the action for it, else 404."""
    found = issuers.get_issuer(slug)
    if found is None or not allowed(found, action):
        abort(404)
    return found


def achievement_or_404(public_id: str, action: str = "read") -> Achievement:
    """Return the achievement when its issuer allows the action to the account, else 404."""
    found = issuers.achievement_by_public_id(public_id)
    if found is None or not allowed(found.issuer, action):
        abort(404)
    return found


def award_or_404(award_id: int, action: str = "read") -> Award:
    """Return the award when its issuer allows the action to the account, else 404."""
    found = issuing.get_award(award_id)
    if found is None or not allowed(found.achievement.issuer, action):
        abort(404)
    return found


def batch_or_404(batch_id: str, action: str = "read") -> AwardBatch:
    """Return the CSV batch when its issuer allows the action to the account, else 404."""
    found = award_batches.get(batch_id)
    if found is None or not allowed(found.achievement.issuer, action):
        abort(404)
    return found


def role_of(issuer: Issuer) -> str | None:
    """Return the signed-in account's role for the issuer."""
    return roles.role_of(current_user, issuer)
