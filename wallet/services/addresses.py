"""A holder's additional email addresses: add (a mailed link), confirm, remove, and match.

Rules (each address still belongs to one person):
- The sign-in address stays ``User.email``; additional addresses only match badges.
- A confirmed address is on one account only (a unique column for additional addresses; the
  sign-in addresses of confirmed accounts are checked before confirming).
- Pending addresses, and the sign-in addresses of never-confirmed accounts, block nobody: what
  nobody has proved cannot keep its owner out.
- Adding answers the same whatever the address is elsewhere (no enumeration): the mail to it
  carries a link only when it could be confirmed here, else it says the address is in use.
- Confirming needs the link, the account that asked being signed in, and a deliberate POST, so
  a link scanner, or the owner clicking a link someone else requested, adds nothing.
- Once an address is proved anywhere, other accounts' pending copies go; proving a sign-in
  address (its owner opened a mailed link) takes it off every other account.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from wallet.extensions import db
from wallet.models import User
from wallet.models import UserEmail
from wallet.models import utcnow
from wallet.services import mail
from wallet.services import security
from wallet.services import security_notices
from wallet.services.links import external_url

PURPOSE = "confirm-address"
# Enough for home, work, school and old addresses; a cap keeps the mails one holder can
# cause bounded (with the rate limit on adding).
MAX_ADDRESSES = 10


class AddressProblem(Exception):
    """An address could not be added or confirmed; ``code`` says why (the views translate it).

    ``unverified`` (the sign-in address is not confirmed yet), ``own`` (it is the sign-in
    address), ``listed`` (already in the list), ``too_many``, ``invalid`` (the link is forged,
    expired or used), ``other_account`` (the link is for another account), ``taken`` (the
    address is confirmed on another account).
    """

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def key_of(email: str) -> str:
    """Return the case-insensitive key of an address (the same as accounts.email_key)."""
    return email.strip().lower()


def list_for(user: User) -> list[UserEmail]:
    """Return the account's additional addresses, oldest first."""
    return list(
        db.session.scalars(
            select(UserEmail)
            .where(UserEmail.user_id == user.id)
            .order_by(UserEmail.created_at, UserEmail.id)
        )
    )


def confirmed_addresses(user: User) -> list[str]:
    """Return every address badges may name for this holder: confirmed ones only."""
    found = [user.email] if user.is_verified else []
    return found + [row.email for row in list_for(user) if row.is_confirmed]


def unconfirmed_addresses(user: User) -> list[str]:
    """Return the holder's addresses still waiting for confirmation (they never match)."""
    found = [] if user.is_verified else [user.email]
    return found + [row.email for row in list_for(user) if not row.is_confirmed]


def has_confirmed(user: User, email: str) -> bool:
    """Return whether email is one of the holder's confirmed additional addresses."""
    return (
        db.session.scalar(
            select(UserEmail.id).where(
                UserEmail.user_id == user.id, UserEmail.confirmed_key == key_of(email)
            )
        )
        is not None
    )


def confirmed_owner(email: str) -> User | None:
    """Return the account that has email as a confirmed additional address, if any."""
    row = db.session.scalar(select(UserEmail).where(UserEmail.confirmed_key == key_of(email)))
    return db.session.get(User, row.user_id) if row is not None else None


def _confirmed_elsewhere(key: str, user_id: int) -> bool:
    """Return whether another account has proved this address (sign-in or additional)."""
    primary = db.session.scalar(
        select(User.id).where(
            User.email_key == key, User.id != user_id, User.email_verified_at.is_not(None)
        )
    )
    if primary is not None:
        return True
    other = db.session.scalar(
        select(UserEmail.id).where(UserEmail.confirmed_key == key, UserEmail.user_id != user_id)
    )
    return other is not None


def _owner_language(key: str, fallback: str) -> str:
    """Return the language of the account that has proved this address, else fallback."""
    owner = db.session.scalar(
        select(User).where(User.email_key == key, User.email_verified_at.is_not(None))
    ) or confirmed_owner(key)
    return owner.language if owner is not None else fallback


def add(user: User, email: str) -> UserEmail:
    """Add a pending address and mail it; raise AddressProblem for the holder's own mistakes.

    Whether the address is in use elsewhere changes only what the mail to it says.
    """
    if not user.is_verified:
        raise AddressProblem("unverified")
    key = key_of(email)
    if key == user.email_key:
        raise AddressProblem("own")
    rows = list_for(user)
    if any(row.email_key == key for row in rows):
        raise AddressProblem("listed")
    if len(rows) >= MAX_ADDRESSES:
        raise AddressProblem("too_many")
    row = UserEmail(user_id=user.id, email=email.strip(), email_key=key)
    db.session.add(row)
    try:
        db.session.commit()
    except IntegrityError:  # the same address added twice at once
        db.session.rollback()
        raise AddressProblem("listed") from None
    send_confirmation(user, row)
    return row


def _state(row: UserEmail) -> str:
    """Fingerprint that changes once the address is confirmed (links work once)."""
    return security.fingerprint(row.id, row.user_id, row.email_key, row.confirmed_at)


def send_confirmation(user: User, row: UserEmail) -> bool:
    """Mail the confirmation link, or, when another account has proved the address, a note.

    Both paths compose one mail, so the holder's page and its timing are the same.
    """
    if _confirmed_elsewhere(row.email_key, user.id):
        return mail.send(
            row.email,
            "address_in_use",
            _owner_language(row.email_key, user.language),
            login_url=external_url("auth.login"),
        )
    token = security.make_token(PURPOSE, row.public_id, _state(row))
    return mail.send(
        row.email,
        "confirm_address",
        user.language,
        user=user,
        address=row.email,
        confirm_url=external_url("addresses.confirm", token=token),
    )


def resend(user: User, public_id: str) -> bool:
    """Mail the confirmation of one of the holder's pending addresses again; False if none."""
    row = _own_row(user, public_id)
    if row is None or row.is_confirmed:
        return False
    send_confirmation(user, row)
    return True


def row_for_token(token: str) -> UserEmail | None:
    """Return the pending address a confirmation link names, when genuine, fresh and unused."""
    data = security.read_token(PURPOSE, token, int(current_app.config["EMAIL_TOKEN_MAX_AGE"]))
    if data is None or not isinstance(data[0], str):
        return None
    row = db.session.scalar(select(UserEmail).where(UserEmail.public_id == data[0]))
    if row is None or row.is_confirmed or not security.same_state(data[1], _state(row)):
        return None
    return row


@dataclass(frozen=True)
class Confirmed:
    """An address just confirmed on an account."""

    email: str


def confirm(user: User, token: str) -> Confirmed:
    """Confirm the address a link names on the signed-in account; raise AddressProblem."""
    row = row_for_token(token)
    if row is None:
        raise AddressProblem("invalid")
    if row.user_id != user.id:
        raise AddressProblem("other_account")
    if _confirmed_elsewhere(row.email_key, user.id):
        raise AddressProblem("taken")
    row.confirmed_at = utcnow()
    row.confirmed_key = row.email_key
    _drop_pending_elsewhere(row.email_key, user.id)
    try:
        db.session.commit()
    except IntegrityError:  # confirmed on another account at the same moment
        db.session.rollback()
        raise AddressProblem("taken") from None
    security_notices.notify(user, security_notices.ADDRESS_ADDED, detail=row.email)
    return Confirmed(row.email)


def remove(user: User, public_id: str) -> str | None:
    """Remove one of the holder's additional addresses; return it (None: no such address).

    The sign-in address is not in this list and cannot be removed. Badges already in the
    wallet stay; new ones to the address no longer match.
    """
    row = _own_row(user, public_id)
    if row is None:
        return None
    email = row.email
    db.session.delete(row)
    db.session.commit()
    return email


def _own_row(user: User, public_id: str) -> UserEmail | None:
    """Return the holder's address with this public id (another account's: None)."""
    if not isinstance(public_id, str) or len(public_id) > 32:
        return None
    return db.session.scalar(
        select(UserEmail).where(UserEmail.user_id == user.id, UserEmail.public_id == public_id)
    )


def _drop_pending_elsewhere(key: str, user_id: int) -> None:
    """Delete other accounts' pending copies of an address just proved (not committed)."""
    db.session.execute(
        delete(UserEmail).where(
            UserEmail.email_key == key,
            UserEmail.user_id != user_id,
            UserEmail.confirmed_at.is_(None),
        ),
        execution_options={"synchronize_session": False},
    )


def sign_in_address_proved(user: User) -> None:
    """Take a just-proved sign-in address off every other account (not committed).

    Its owner opened a link mailed to it (confirmation, reset, claim): that settles whose
    it is, also over a copy confirmed on another account meanwhile.
    """
    db.session.execute(
        delete(UserEmail).where(
            UserEmail.email_key == user.email_key, UserEmail.user_id != user.id
        ),
        execution_options={"synchronize_session": False},
    )


def forget_all(user: User) -> None:
    """Delete every additional address of an account (not committed)."""
    db.session.execute(
        delete(UserEmail).where(UserEmail.user_id == user.id),
        execution_options={"synchronize_session": False},
    )


def count_confirmed(user: User) -> int:
    """Return how many addresses badges may name for this holder."""
    extra = db.session.scalar(
        select(func.count())
        .select_from(UserEmail)
        .where(UserEmail.user_id == user.id, UserEmail.confirmed_key.is_not(None))
    )
    return int(extra or 0) + (1 if user.is_verified else 0)
