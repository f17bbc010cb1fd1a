"""Account rules shared by the web forms and the command line, as plain functions."""

from __future__ import annotations

import unicodedata

from email_validator import EmailNotValidError
from email_validator import validate_email

from wallet.services.password_policy import password_problems
from wallet.services.password_policy import personal_words

# Bidirectional overrides and isolates can make a displayed name read differently.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def has_unusable_characters(value: str) -> bool:
    """Return whether text holds control characters, bidi overrides or undecodable bytes."""
    return any(
        unicodedata.category(c) in ("Cc", "Cs") or c == "\ufffd" or c in _BIDI_CONTROLS
        for c in value
    )


PASSWORD_RULES = {
    "short": "The password must be at least 8 characters long.",
    "long": "The password must be at most 128 characters long.",
    "personal": "It uses your name or email address.",
    "common": "It is a commonly used password.",
    "words": "Common words and names alone are guessed first.",
    "keyboard": "Keyboard patterns like qwerty are guessed first.",
    "sequence": "Sequences like abc or 1234 are guessed first.",
    "repeat": "Repeated characters are guessed first.",
    "dates": "Dates and years are guessed first.",
    "guessable": "Add a few more unrelated words or characters.",
}
GUESSABLE = "The password is too easy to guess."


def password_messages(problems: list[str]) -> list[str]:
    """Return English sentences for the password policy's problem codes."""
    if problems and problems[0] not in ("short", "long"):
        return [GUESSABLE, *(PASSWORD_RULES[p] for p in problems)]
    return [PASSWORD_RULES[p] for p in problems]


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
    personal = personal_words(
        email,
        str(getattr(data, "family_name", "")),
        str(getattr(data, "given_name", "")),
    )
    password = str(getattr(data, "password", ""))
    problems += password_messages(password_problems(password, personal))
    return problems
