"""Account rules shared by the web forms and the command line, as plain functions."""

from __future__ import annotations

from email_validator import EmailNotValidError
from email_validator import validate_email

from wallet.security import password_problems

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
        if not value:
            problems.append(f"The {name.replace('_', ' ')} is required.")
        elif len(value) > 100:
            problems.append(f"The {name.replace('_', ' ')} is too long (100 characters at most).")
    problems += [PASSWORD_RULES[p] for p in password_problems(str(getattr(data, "password", "")))]
    return problems
