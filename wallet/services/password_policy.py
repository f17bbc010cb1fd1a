"""The holder password policy: 8 to 128 characters of any kind, refused when guessable.

No composition rule (ASVS 4.0 2.1.9): length, and a strength estimate (zxcvbn) that knows
common passwords, words, names, keyboard patterns, dates and the holder's own name and address.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from zxcvbn import zxcvbn

PASSWORD_MIN = 8
PASSWORD_MAX = 128
# zxcvbn's score: 0-1 fall to an online attack within reach of our limits; 2 is ~10^8 guesses
# (a random 8-character password of the incumbent's rule scores 2 and stays accepted).
MIN_SCORE = 2
# zxcvbn refuses longer input (and costs more with length); the rest adds strength anyway.
ESTIMATE_CHARS = 72
# The order reasons are reported in: the most telling first.
REASONS = ("personal", "common", "words", "keyboard", "sequence", "repeat", "dates", "guessable")


@dataclass(frozen=True)
class Strength:
    """What the policy says of a password: a 0-4 score and the problems, empty when accepted."""

    score: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """Return whether the password is accepted."""
        return not self.problems


def normalize(password: str) -> str:
    """Return the password in NFC: the same characters typed on any device hash the same."""
    return unicodedata.normalize("NFC", password)


def personal_words(email: str | None, *names: str | None) -> list[str]:
    """Return the words of the holder's own that a password must not lean on."""
    words: list[str] = []
    if email:
        address = email.strip().lower()
        local, _, domain = address.partition("@")
        words += [address, local, *re.split(r"[._+\-]", local), domain.split(".")[0]]
    for name in names:
        if name:
            words += [name.strip().lower(), *name.lower().split()]
    return [w for w in dict.fromkeys(words) if len(w) >= 2]


def assess(password: str, personal: list[str] | tuple[str, ...] = ()) -> Strength:
    """Assess a password against the policy, with the holder's own words."""
    password = normalize(password)
    if len(password) < PASSWORD_MIN:
        return Strength(0, ("short",))
    if len(password) > PASSWORD_MAX:
        return Strength(0, ("long",))
    result = zxcvbn(password[:ESTIMATE_CHARS], user_inputs=list(personal))
    score = int(result["score"])
    folded = password.casefold()
    # The address is the account's user name: known to anyone who tries to guess.
    contains_address = any(w in folded for w in personal if "@" in w)
    if score >= MIN_SCORE and not contains_address:
        return Strength(score, ())
    found = {_reason(match) for match in result["sequence"]}
    if contains_address:
        found.add("personal")
    reasons = tuple(r for r in REASONS if r in found and r != "guessable") or ("guessable",)
    return Strength(min(score, MIN_SCORE - 1), reasons)


def _reason(match: dict[str, object]) -> str:
    """Return the reason code for one pattern zxcvbn found in the password."""
    pattern = match.get("pattern")
    if pattern == "dictionary":
        return {"user_inputs": "personal", "passwords": "common"}.get(
            str(match.get("dictionary_name")), "words"
        )
    if pattern == "regex" or pattern == "date":
        return "dates"
    return {"spatial": "keyboard", "sequence": "sequence", "repeat": "repeat"}.get(
        str(pattern), "guessable"
    )


def password_problems(password: str, personal: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Return the policy's problem codes for a password (empty when it is accepted)."""
    return list(assess(password, personal).problems)
