"""Account use cases: register, confirm email, sign in, reset and change passwords, settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from wallet.extensions import db
from wallet.models import Passkey
from wallet.models import ProfilePhoto
from wallet.models import User
from wallet.models import new_profile_id
from wallet.models import utcnow
from wallet.services import addresses
from wallet.services import dates
from wallet.services import mail
from wallet.services import password_policy
from wallet.services import security
from wallet.services import security_notices
from wallet.services import sessions
from wallet.services.links import external_url

VERIFY = "verify-email"
RESET = "reset-password"


@dataclass(frozen=True)
class Registration:
    """What the registration form collected, already shape-validated."""

    email: str
    family_name: str
    given_name: str
    password: str
    name_order: str = "family-first"
    language: str = "ja"
    family_name_kana: str | None = None
    given_name_kana: str | None = None
    romanized_name: str | None = None


def personal_words_of(user: User) -> list[str]:
    """Return the account's own words (address, names) that its password must not lean on."""
    return password_policy.personal_words(
        user.email,
        user.family_name,
        user.given_name,
        user.family_name_kana,
        user.given_name_kana,
        user.romanized_name,
    )


def email_key(email: str) -> str:
    """Return the case-insensitive key of an email address."""
    return email.strip().lower()


def find_by_email(email: str) -> User | None:
    """Return the account whose sign-in address this is, if any."""
    return db.session.scalar(select(User).where(User.email_key == email_key(email)))


def account_for_address(email: str) -> User | None:
    """Return the account an address belongs to: a proved sign-in address, then a confirmed
    additional one, then a never-confirmed sign-in address (which blocks nobody else)."""
    user = find_by_email(email)
    if user is not None and user.is_verified:
        return user
    return addresses.confirmed_owner(email) or user


def owns_address(user: User, email: str) -> bool:
    """Return whether email is the user's sign-in address or a confirmed additional one."""
    return email_key(email) == user.email_key or addresses.has_confirmed(user, email)


def create_user(data: Registration, *, verified: bool = False, role: str = "holder") -> User:
    """Create an account and commit; raise ValueError('exists') when the address is taken
    (another account's sign-in address, or an address another account confirmed)."""
    if addresses.confirmed_owner(data.email) is not None:
        raise ValueError("exists")
    user = User(
        email=data.email.strip(),
        email_key=email_key(data.email),
        family_name=data.family_name,
        given_name=data.given_name,
        family_name_kana=data.family_name_kana or None,
        given_name_kana=data.given_name_kana or None,
        romanized_name=data.romanized_name or None,
        name_order=data.name_order,
        language=data.language,
        password_hash=security.hash_password(data.password),
        role=role,
        email_verified_at=utcnow() if verified else None,
    )
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise ValueError("exists") from None
    return user


def register(data: Registration) -> User | None:
    """Register a holder and mail a verification link.

    When the address already has an account nothing is created and its owner gets a mail
    instead. Both paths hash the password and compose one mail, and delivery goes through the
    job queue after the answer (services/jobs), so the page and its timing are the same.
    """
    existing = account_for_address(data.email)
    if existing is None:
        try:
            user = create_user(data)
        except ValueError:  # registered meanwhile by a concurrent request
            existing = account_for_address(data.email)
        else:
            send_verification(user)
            return user
    security.hash_password(data.password)  # the same cost as creating the account
    if existing is not None:
        # An additional address of that account: it signs in with its sign-in address.
        additional = email_key(data.email) != existing.email_key
        mail.send(
            data.email.strip() if additional else existing.email,
            "already_registered",
            existing.language,
            user=existing,
            additional=additional,
            login_url=external_url("auth.login"),
            reset_url=external_url("auth.forgot_password"),
        )
    return None


def _verify_state(user: User) -> str:
    """Fingerprint that changes once the address is confirmed, or the password changes."""
    return security.fingerprint(user.email_key, user.email_verified_at, user.password_hash)


def _reset_state(user: User) -> str:
    """Fingerprint that changes with the password (reset tokens die with a change)."""
    return security.fingerprint(user.password_hash, user.password_changed_at)


def send_verification(user: User) -> bool:
    """Mail a link that confirms the user's address."""
    token = security.make_token(VERIFY, user.id, _verify_state(user))
    return mail.send(
        user.email,
        "verify_email",
        user.language,
        user=user,
        verify_url=external_url("auth.verify_email", token=token),
    )


def confirm_email(token: str) -> User | None:
    """Mark the address confirmed when the token is genuine, fresh and unused."""
    user = _token_user(VERIFY, token, "EMAIL_TOKEN_MAX_AGE", _verify_state)
    if user is None:
        return None
    user.email_verified_at = utcnow()
    addresses.sign_in_address_proved(user)
    db.session.commit()
    return user


def authenticate(email: str, password: str) -> User | None:
    """Return the account when the password is right; rehash when the cost changed."""
    user = find_by_email(email)
    if user is None:
        security.dummy_verify()
        return None
    ok, new_hash = security.verify_password(password, user.password_hash)
    if not ok:
        return None
    if new_hash:
        user.password_hash = new_hash
        db.session.commit()
    return user


def request_password_reset(email: str) -> None:
    """Mail a reset link when the address has an account; say nothing either way.

    Both paths sign a token and compose the mail (the unknown address's copy is dropped), and
    delivery goes through the job queue after the answer: the answer's timing tells nothing.
    """
    user = find_by_email(email)
    if user is None:
        token = security.make_token(RESET, 0, "0" * 16)
        stand_in = User(email=email, family_name="", given_name="", language="en")
        mail.compose(
            email,
            "reset_password",
            "en",
            user=stand_in,
            reset_url=external_url("auth.reset_password", token=token),
        )
        return
    token = security.make_token(RESET, user.id, _reset_state(user))
    mail.send(
        user.email,
        "reset_password",
        user.language,
        user=user,
        reset_url=external_url("auth.reset_password", token=token),
    )


def user_for_reset(token: str) -> User | None:
    """Return the account a reset token is for, when genuine, fresh and unused."""
    return _token_user(RESET, token, "RESET_TOKEN_MAX_AGE", _reset_state)


def _token_user(
    purpose: str, token: str, max_age_setting: str, state: Callable[[User], str]
) -> User | None:
    """Return the account a mailed token names, when genuine, fresh and its state unchanged."""
    from flask import current_app

    data = security.read_token(purpose, token, current_app.config[max_age_setting])
    if data is None:
        return None
    user = db.session.get(User, data[0]) if isinstance(data[0], int) else None
    if user is None or not security.same_state(data[1], state(user)):
        return None
    return user


def set_password(user: User, password: str) -> None:
    """Store a new password; outstanding reset tokens and other devices' sessions die with it.

    The sign-in address is told (security_notices), so that a change by someone else is seen.
    """
    user.password_hash = security.hash_password(password)
    user.password_changed_at = utcnow()
    db.session.commit()
    sessions.end_all(user, keep_current=True)
    security_notices.notify(user, security_notices.PASSWORD_CHANGED)


def end_all_sessions(user: User) -> None:
    """Sign the user out on every device: each session and remember cookie stops working."""
    sessions.end_all(user)


def reset_password(token: str, password: str) -> User | None:
    """Set a new password from a reset link; a reset also proves the address."""
    user = user_for_reset(token)
    if user is None:
        return None
    prove_address(user)
    set_password(user, password)
    sessions.end_all(user)
    return user


def prove_address(user: User) -> None:
    """Record that a mailed link (reset, claim) reached the address; commits.

    A never-confirmed account may have been made by someone else before the address's owner
    came (pre-registration takeover): what it set returns to defaults, its public profile gets
    a new id and loses its bio and photo, its passkeys and additional addresses go, and every
    other device is signed out. The address also leaves any other account.
    """
    if user.email_verified_at is not None:
        return
    user.email_verified_at = utcnow()
    user.default_visibility = "public"
    user.profile_public = False
    user.profile_bio = None
    user.expiry_reminders = True
    user.mastodon_instance = None
    user.profile_id = new_profile_id()
    user.passkey_handle = None
    db.session.execute(delete(Passkey).where(Passkey.user_id == user.id))
    db.session.execute(delete(ProfilePhoto).where(ProfilePhoto.user_id == user.id))
    addresses.forget_all(user)
    addresses.sign_in_address_proved(user)
    db.session.commit()
    sessions.end_all(user, keep_current=True)


def check_password(user: User, password: str) -> bool:
    """Return whether password is the user's (re-authentication; rehashes like sign-in)."""
    ok, new_hash = security.verify_password(password, user.password_hash)
    if ok and new_hash:
        user.password_hash = new_hash
        db.session.commit()
    return ok


def change_password(user: User, current: str, new: str) -> bool:
    """Change the password when the current one is right."""
    ok, _ = security.verify_password(current, user.password_hash)
    if not ok:
        return False
    set_password(user, new)
    return True


def update_profile(user: User, **fields: object) -> None:
    """Save names and preferences; the email address is not editable."""
    allowed = {
        "family_name",
        "given_name",
        "family_name_kana",
        "given_name_kana",
        "romanized_name",
        "name_order",
        "language",
        "default_visibility",
        "profile_public",
    }
    for name, value in fields.items():
        if name in allowed:
            setattr(user, name, value if value != "" else None)
    db.session.commit()


def set_expiry_reminders(user: User, on: bool) -> None:
    """Turn the reminder mails before a badge expires on or off."""
    user.expiry_reminders = on
    db.session.commit()


def set_language(user: User, lang: str) -> None:
    """Remember the UI language on the account."""
    user.language = lang
    db.session.commit()


def load_session_user(session_id: str) -> User | None:
    """Return the user of a live server-side session 'id:secret' (services/sessions.py)."""
    return sessions.load(session_id)


def set_timezone(user: User, zone: str | None) -> None:
    """Remember the time zone the holder reads dates in (None: their language's default)."""
    if zone is not None and zone not in dates.timezone_choices():
        raise ValueError(zone)
    user.timezone = zone
    db.session.commit()
