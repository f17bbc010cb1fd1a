"""Account rules shared by the web forms and the command line, as plain functions."""

from __future__ import annotations

import unicodedata

from email_validator import EmailNotValidError
from email_validator import validate_email

from wallet.services.security import password_problems

# Bidirectional overrides and isolates can make a displayed name read differently.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def has_unusable_characters(value: str) -> bool:
    """Return whether text holds control characters, bidi overrides or undecodable bytes."""
    return any(
        unicodedata.category(c) in ("Cc", "Cs") or c == "\ufffd" or c in _BIDI_CONTROLS
        for c in value
    )


PASSWORD_RULES = {
    "length": "The password must be 8 to 20 characters long.",
    "characters": "The password may contain only letters, digits and ! @ # % & + =.",
    "variety": (
        "The password needs at least two kinds of characters: upper-case, lower-case, "
        "digits, symbols."
    ),
}


def check_new_account(data: object) -> list[str]:
    """Return English problem descriptions for a new account (empty when it is fine)."""
    problems: list[str] = []
    email = str(getattr(data, "email", ""))
    if len(email) > 254:
        problems.append("The email address is too long.")
    else:
        try:
            validate_email(email, check_deliverability=False)
        except EmailNotValidError:
            problems.append(f"{email!r} is not a valid email address.")
    for name in ("family_name", "given_name"):
        value = str(getattr(data, name, ""))
        label = name.replace("_", " ")
        if not value:
            problems.append(f"The {label} is required.")
        elif len(value) > 100:
            problems.append(f"The {label} is too long (100 characters at most).")
        elif has_unusable_characters(value):
            problems.append(f"The {label} contains characters that cannot be used.")
    problems += [PASSWORD_RULES[p] for p in password_problems(str(getattr(data, "password", "")))]
    return problems
