"""Mails that tell a holder their sign-in details changed, so that a stranger's change is seen.

OWASP ASVS 2.2.3 and 2.5.x: after a password change or reset, a passkey added or removed, or an
address confirmed, the account's sign-in address hears of it with what to do if it was not them.
The mail names the change and its time only: no password, link token or passkey secret.
"""

from __future__ import annotations

from wallet.models import User
from wallet.services import dates
from wallet.services import mail
from wallet.services.links import external_url

PASSWORD_CHANGED = "password_changed"
PASSKEY_ADDED = "passkey_added"
PASSKEY_REMOVED = "passkey_removed"
ADDRESS_ADDED = "address_added"
EVENTS = (PASSWORD_CHANGED, PASSKEY_ADDED, PASSKEY_REMOVED, ADDRESS_ADDED)


def notify(user: User, event: str, *, detail: str = "") -> bool:
    """Mail the sign-in address that event just happened (detail: a passkey's name, an address)."""
    if event not in EVENTS:
        raise ValueError(event)
    zone = dates.reader_zone(user.timezone, user.language)
    return mail.send(
        user.email,
        "security_notice",
        user.language,
        user=user,
        event=event,
        detail=detail,
        when=dates.format_moment(dates.now(), user.language, zone),
        reset_url=external_url("auth.forgot_password"),
        account_url=external_url("account.settings"),
    )
