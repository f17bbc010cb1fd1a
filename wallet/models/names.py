"""Person names rendered in the holder's chosen order; never stored joined."""

from __future__ import annotations

from typing import Protocol


class Named(Protocol):
    """Anything with separately stored family and given names."""

    family_name: str
    given_name: str
    name_order: str


def ordered(family: str, given: str, order: str) -> tuple[str, str]:
    """Return the two parts in display order."""
    if order == "given-first":
        return given, family
    return family, given


def full_name(person: Named) -> str:
    """Return the display name, e.g. 'コンクリート 太郎' for a family-first holder."""
    first, second = ordered(person.family_name, person.given_name, person.name_order)
    return f"{first} {second}".strip()


def full_name_kana(person: Named) -> str:
    """Return the furigana in display order, or an empty string when none was given."""
    family = getattr(person, "family_name_kana", None) or ""
    given = getattr(person, "given_name_kana", None) or ""
    if not family and not given:
        return ""
    first, second = ordered(family, given, person.name_order)
    return f"{first} {second}".strip()
