"""Who may do what for which issuer: owner, issuer and viewer roles, granted per issuer.

- owner: everything an issuer may, plus operators, signing keys, badge classes and the audit log;
- issuer: awards, re-sends notices, revokes;
- viewer: reads the issuer's pages.

An account with no role for an issuer must not learn it exists: callers answer 404 (pages) or
"no such issuer" (commands). The portal administrator (an account with the operator role) may
create issuers, and owns the ones it creates; it has no power over the others.
"""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from wallet.extensions import db
from wallet.models import ISSUER_ROLES
from wallet.models import Issuer
from wallet.models import IssuerRole
from wallet.models import User
from wallet.services import accounts
from wallet.services.issuing import audit
from wallet.services.issuing.errors import IssuingError

# What each action needs, as the lowest role that may do it (ISSUER_ROLES is highest first).
NEEDS = {
    "read": "viewer",
    "award": "issuer",
    "resend": "issuer",
    "revoke": "issuer",
    "manage": "owner",
}


def role_of(user: User | None, issuer: Issuer) -> str | None:
    """Return the user's role for the issuer, or None."""
    if user is None or getattr(user, "id", None) is None:
        return None
    return db.session.scalar(
        select(IssuerRole.role).where(
            IssuerRole.issuer_id == issuer.id, IssuerRole.user_id == user.id
        )
    )


def allows(role: str | None, action: str) -> bool:
    """Return whether a role may perform an action (NEEDS)."""
    if role not in ISSUER_ROLES:
        return False
    return ISSUER_ROLES.index(role) <= ISSUER_ROLES.index(NEEDS[action])


def can(user: User | None, issuer: Issuer, action: str) -> bool:
    """Return whether the user may perform the action for the issuer."""
    return allows(role_of(user, issuer), action)


def may_create_issuers(user: User | None) -> bool:
    """Return whether the account administers the portal (creates institutes)."""
    return bool(user is not None and getattr(user, "is_operator", False))


def may_enter(user: User | None) -> bool:
    """Return whether the account sees the issuing portal at all."""
    if user is None or getattr(user, "id", None) is None:
        return False
    if may_create_issuers(user):
        return True
    return bool(
        db.session.scalar(select(func.count(IssuerRole.id)).where(IssuerRole.user_id == user.id))
    )


def issuers_for(user: User) -> list[tuple[Issuer, str]]:
    """Return the issuers the user has a role in, with the role, by name."""
    rows = db.session.execute(
        select(Issuer, IssuerRole.role)
        .join(IssuerRole, IssuerRole.issuer_id == Issuer.id)
        .where(IssuerRole.user_id == user.id)
        .order_by(Issuer.name)
    )
    return [(issuer, role) for issuer, role in rows]


def members(issuer: Issuer) -> list[IssuerRole]:
    """Return the issuer's operators with their roles (owners first, then by address)."""
    rows = db.session.scalars(select(IssuerRole).where(IssuerRole.issuer_id == issuer.id))
    return sorted(rows, key=lambda r: (ISSUER_ROLES.index(r.role), r.user.email_key))


def _owners(issuer: Issuer) -> int:
    return int(
        db.session.scalar(
            select(func.count(IssuerRole.id)).where(
                IssuerRole.issuer_id == issuer.id, IssuerRole.role == "owner"
            )
        )
        or 0
    )


def add_owner(issuer: Issuer, user: User) -> None:
    """Make the account an owner of the issuer (no audit line: the issuer's creation)."""
    db.session.add(IssuerRole(issuer_id=issuer.id, user_id=user.id, role="owner"))
    db.session.commit()


def set_role(issuer: Issuer, email: str, role: str, actor: audit.Actor) -> IssuerRole:
    """Give the account at ``email`` a role for the issuer (added or changed) and log it.

    Raises IssuingError: "bad_role", "no_account" (no wallet account has the address),
    "last_owner" (the issuer would be left without an owner).
    """
    if role not in ISSUER_ROLES:
        raise IssuingError("bad_role")
    user = accounts.find_by_email(email or "")
    if user is None:
        raise IssuingError("no_account")
    current = db.session.scalar(
        select(IssuerRole).where(IssuerRole.issuer_id == issuer.id, IssuerRole.user_id == user.id)
    )
    if current is not None and current.role == role:
        return current
    if current is not None and current.role == "owner" and _owners(issuer) <= 1:
        raise IssuingError("last_owner")
    action = "role_changed" if current is not None else "role_added"
    if current is None:
        current = IssuerRole(issuer_id=issuer.id, user_id=user.id, role=role)
        db.session.add(current)
    else:
        current.role = role
    audit.record(issuer, actor, action, subject=user.email, detail=role)
    try:
        db.session.commit()
    except IntegrityError:  # added twice at once: the other request's row stands
        db.session.rollback()
        raise IssuingError("busy") from None
    return current


def remove(issuer: Issuer, user_id: int, actor: audit.Actor) -> bool:
    """Take away an account's role for the issuer; False when it had none.

    Raises IssuingError("last_owner") rather than leave the issuer without an owner.
    """
    current = db.session.scalar(
        select(IssuerRole).where(IssuerRole.issuer_id == issuer.id, IssuerRole.user_id == user_id)
    )
    if current is None:
        return False
    if current.role == "owner" and _owners(issuer) <= 1:
        raise IssuingError("last_owner")
    audit.record(issuer, actor, "role_removed", subject=current.user.email, detail=current.role)
    db.session.delete(current)
    db.session.commit()
    return True
