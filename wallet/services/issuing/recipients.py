"""One address, one person: per issuer, an email address belongs to one recipient.

The seeds' guide: one address per registered person; an address several people share cannot
receive Open Badges (the badge names the address, and whoever reads it claims every badge sent
to it). A recipient is the family and given name (compared without spaces, width or case) and,
for awards of the same badge, the registration number when both carry one (an institute numbers
each qualification's register on its own, so two badges of one person carry different numbers).
An award that would give an address to a second person is refused with what it conflicts with:
another line of the same file, the
issuer's latest award to the address, or the wallet account that owns the address (an account
is one person). The operator corrects the address, or confirms on the award form that it is the
same person whose name changed; from then on that award is the address's latest.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from wallet.extensions import db
from wallet.models import Achievement
from wallet.models import Award
from wallet.models import Issuer
from wallet.services import accounts
from wallet.services.issuing.errors import IssuingError

REGISTRATION = "registrationNumber"


@dataclass(frozen=True)
class Person:
    """A recipient as the institute knows them."""

    family_name: str
    given_name: str
    registration_number: str | None = None


def _norm(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text or "").split()).casefold()


def same_person(a: Person, b: Person) -> bool:
    """Return whether two recipients are the same person (names, and numbers when both have one)."""
    if (_norm(a.family_name), _norm(a.given_name)) != (_norm(b.family_name), _norm(b.given_name)):
        return False
    if a.registration_number and b.registration_number:
        return _norm(a.registration_number) == _norm(b.registration_number)
    return True


def registration_of(identifiers: Iterable[tuple[str, str]]) -> str | None:
    """Return the registration number among (type, value) identifiers, if any."""
    return next((value for kind, value in identifiers if kind == REGISTRATION and value), None)


def person_of_award(award: Award) -> Person:
    """Return the recipient an award names."""
    pairs = [(e.get("type", ""), e.get("value", "")) for e in json.loads(award.identifiers_json)]
    return Person(award.family_name, award.given_name, registration_of(pairs))


@dataclass(frozen=True)
class Conflict:
    """What an award to an address conflicts with: an earlier award, or the wallet account."""

    kind: str  # "award" or "account"
    award: Award | None = None

    def describe(self) -> str:
        """Return the earlier recipient as the report shows it (name, badge, day)."""
        if self.award is None:
            return ""
        from wallet.models.names import full_name

        return (
            f"{full_name(self.award)} ({self.award.achievement.name}, "
            f"{self.award.issued_on.isoformat()})"
        )


class AddressTaken(IssuingError):
    """The address belongs to another person (the conflict says whom)."""

    def __init__(self, conflict: Conflict) -> None:
        super().__init__(f"address_{conflict.kind}", conflict.describe())
        self.conflict = conflict


def latest_award(issuer: Issuer, email: str, achievement_id: int | None = None) -> Award | None:
    """Return the issuer's newest unrevoked award to the address (of one badge, or any)."""
    statement = (
        select(Award)
        .join(Achievement, Achievement.id == Award.achievement_id)
        .where(
            Achievement.issuer_id == issuer.id,
            Award.email_key == email.strip().lower(),
            Award.revoked_at.is_(None),
        )
    )
    if achievement_id is not None:
        statement = statement.where(Award.achievement_id == achievement_id)
    return db.session.scalar(statement.order_by(Award.id.desc()).limit(1))


def conflict_for(
    issuer: Issuer, email: str, person: Person, achievement_id: int | None = None
) -> Conflict | None:
    """Return what giving the address to this person (for a badge) conflicts with, or None.

    The issuer's latest award to the address says whose it is; only the first award of the
    issuer to an address is compared with the wallet account (later ones were, or were
    confirmed by the operator as the same person). A revoked award holds no address:
    revoking a badge sent to the wrong person frees it.
    """
    named = Person(person.family_name, person.given_name)
    earlier = latest_award(issuer, email)
    if earlier is not None and not same_person(person_of_award(earlier), named):
        return Conflict("award", earlier)
    if person.registration_number and achievement_id is not None:
        same_badge = latest_award(issuer, email, achievement_id)
        if same_badge is not None and not same_person(person_of_award(same_badge), person):
            return Conflict("award", same_badge)
    if earlier is not None:
        return None
    account = accounts.find_by_email(email)
    if account is not None and not same_person(
        Person(account.family_name, account.given_name), named
    ):
        return Conflict("account")
    return None


def shared_in_file(rows: Iterable[tuple[int, str, Person, str]]) -> dict[int, str]:
    """Return, for each line giving an address to several people in one file, who shares it.

    ``rows`` are (line, address, person, display name); the value lists every line of that
    address with its name, e.g. ``"3 (山田 花子), 7 (山田 一郎)"``.
    """
    by_address: dict[str, list[tuple[int, Person, str]]] = {}
    for line, email, person, name in rows:
        by_address.setdefault(email.strip().lower(), []).append((line, person, name))
    shared: dict[int, str] = {}
    for entries in by_address.values():
        first = entries[0][1]
        if all(same_person(first, person) for _line, person, _name in entries[1:]):
            continue
        listing = ", ".join(f"{line} ({name})" for line, _person, name in entries)
        for line, _person, _name in entries:
            shared[line] = listing
    return shared
