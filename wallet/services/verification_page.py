"""What a badge's public verification page shows, read in one narrow query."""

from __future__ import annotations

from datetime import date
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import bindparam
from sqlalchemy import select

from wallet.extensions import db
from wallet.models import Badge
from wallet.models import BadgeContent
from wallet.models import User
from wallet.models import is_public_id


class PageFacts(NamedTuple):
    """Every stored value the verification page shows (hashable: it keys the page cache)."""

    public_id: str
    name: str
    issuer_name: str
    issuer_id: str | None
    issued_on: datetime | None
    expires: datetime | None
    issued_day: date | None
    expires_day: date | None
    result: str
    recipient_confirmed: bool
    verified_at: datetime | None
    reason_json: str | None
    family_name: str
    given_name: str
    name_order: str
    # What the badge says about itself (description, criteria, numbers, issuer), as stored.
    details_json: str


# Built once: the page is the most-visited one, and building the statement per request showed.
_QUERY = (
    select(
        Badge.public_id,
        Badge.name,
        Badge.issuer_name,
        Badge.issuer_id,
        Badge.issued_on,
        Badge.expires,
        Badge.issued_day,
        Badge.expires_day,
        Badge.result,
        Badge.recipient_confirmed,
        Badge.verified_at,
        Badge.reason_json,
        User.family_name,
        User.given_name,
        User.name_order,
        BadgeContent.details_json,
    )
    .join(User, User.id == Badge.user_id)
    .join(BadgeContent, BadgeContent.badge_id == Badge.id)
    .where(Badge.public_id == bindparam("public_id"), Badge.visibility == "public")
)


def page_facts(public_id: str) -> PageFacts | None:
    """Return the facts of a public badge, None when it is private or unknown (one query)."""
    if not is_public_id(public_id):
        return None
    # A pooled connection rather than the ORM session: half the cost on the hottest page.
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            # One read, nothing to roll back: spare the BEGIN and ROLLBACK round trips.
            connection.execution_options(isolation_level="AUTOCOMMIT")
        row = connection.execute(_QUERY, {"public_id": public_id}).first()
    return None if row is None else PageFacts(*row)
