"""Claiming: award notice mails with a claim link, and the award landing in the holder's wallet."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import selectinload

from wallet.extensions import db
from wallet.models import Award
from wallet.models import Badge
from wallet.models import User
from wallet.models import utcnow
from wallet.services import accounts
from wallet.services import badge_import
from wallet.services import badges
from wallet.services import issuing
from wallet.services import mail
from wallet.services import security
from wallet.services.issuing import audit
from wallet.services.issuing import credentials as issuer_documents
from wallet.services.issuing import offers
from wallet.services.links import external_url

PURPOSE = "claim-award"
# A notice may sit unread for months (the seeds' holders register "by the end of February").
DEFAULT_MAX_AGE = 365 * 24 * 60 * 60


class ClaimProblem(Exception):
    """The award cannot be claimed now; ``code`` says why (see the claim views)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class TokenCheck:
    """What a claim link points at: the award, or a problem ("invalid", "used", "revoked")."""

    award: Award | None
    problem: str | None = None


def _state(award: Award) -> str:
    """Fingerprint that changes once the award is claimed or revoked (links are single use)."""
    return security.fingerprint(award.credential_id, award.claim_state, award.revoked_at)


def make_token(award: Award) -> str:
    """Return a signed claim token for the award."""
    return security.make_token(PURPOSE, award.id, _state(award))


def claim_url(award: Award) -> str:
    """Return the absolute claim link."""
    return external_url("claim.claim", token=make_token(award))


def check_token(token: str) -> TokenCheck:
    """Return the award a claim token names, or why it cannot be used."""
    max_age = int(current_app.config.get("CLAIM_TOKEN_MAX_AGE", DEFAULT_MAX_AGE))
    data = security.read_token(PURPOSE, token, max_age)
    if data is None or not isinstance(data[0], int):
        return TokenCheck(None, "invalid")
    award = db.session.get(Award, data[0])
    if award is None:
        return TokenCheck(None, "invalid")
    if award.revoked_at is not None:
        return TokenCheck(award, "revoked")
    if not security.same_state(data[1], _state(award)):
        return TokenCheck(award, "used")
    return TokenCheck(award, None)


def _language_for(award: Award) -> str:
    """Return the holder's language: the account's if there is one, else the award's."""
    user = accounts.account_for_address(award.email)
    return user.language if user is not None else award.language


def send_notice(award: Award, *, template: str = "award_notice") -> bool:
    """Mail (or mail again) the award notice with a fresh claim link; False if undeliverable.

    ``template``: ``award_reminder`` for the one reminder (services/issuing/followup.py).
    """
    if award.revoked_at is not None or award.claim_state != "pending":
        return False
    achievement = award.achievement
    sent = mail.send(
        award.email,
        template,
        _language_for(award),
        award=award,
        achievement=achievement,
        issuer=achievement.issuer,
        claim_url=claim_url(award),
        **offers.notice_context(award),
    )
    if sent:
        award.notified_at = utcnow()
        db.session.commit()
    return sent


def names_differ(award: Award, user: User) -> bool:
    """Return whether the account's name differs from the name the institute awarded to."""

    def norm(text: str) -> str:
        return "".join(text.split()).replace("\u3000", "")

    return (norm(award.family_name), norm(award.given_name)) != (
        norm(user.family_name),
        norm(user.given_name),
    )


@contextmanager
def _verification_time(at: datetime | None) -> Iterator[None]:
    """Verify as of ``at`` (demo data: a badge that was valid when it was claimed)."""
    if at is None:
        yield
        return
    config = current_app.config
    previous = config.get("VERIFY_NOW")
    config["VERIFY_NOW"] = at
    try:
        yield
    finally:
        config["VERIFY_NOW"] = previous


def badge_for(award: Award) -> Badge | None:
    """Return the wallet badge a claimed award became, if it is still there."""
    if award.claimed_by_id is None:
        return None
    # The wallet keys a badge by a digest of its credential id (badge_import.credential_key).
    key = hashlib.sha256(award.credential_id.encode("utf-8")).hexdigest()
    return db.session.scalar(
        select(Badge)
        .options(selectinload(Badge.content))
        .where(Badge.user_id == award.claimed_by_id, Badge.credential_key == key)
    )


def claim(award: Award, user: User, *, at: datetime | None = None) -> Badge:
    """Put the awarded badge into the user's wallet (verified by the same engine) and mail.

    Raises ClaimProblem: "revoked", "claimed" (by another account), "wrong_account"
    (neither the sign-in address nor a confirmed additional one), "import_failed".
    """
    if award.revoked_at is not None:
        raise ClaimProblem("revoked")
    if award.claim_state == "claimed":
        if award.claimed_by_id == user.id:
            badge = badge_for(award)
            if badge is not None:
                return badge
        else:
            raise ClaimProblem("claimed")
    if not accounts.owns_address(user, award.email):
        raise ClaimProblem("wrong_account")
    if user.email_key == award.email_key:
        # The claim link reached this address: that proves it as well as a confirmation mail.
        accounts.prove_address(user)
    fetcher = issuer_documents.PortalFetcher(fallback=badges.make_fetcher())
    try:
        with _verification_time(at):
            outcome = badge_import.import_badge(user, award.baked_png, fetcher=fetcher)
    except badge_import.ImportFailed as exc:
        raise ClaimProblem("import_failed", f"{exc.code} {exc.detail}".strip()) from None
    changed = db.session.execute(
        update(Award)
        .where(Award.id == award.id, Award.claim_state == "pending")
        .values(claim_state="claimed", claimed_by_id=user.id, claimed_at=utcnow())
    ).rowcount
    db.session.commit()
    db.session.refresh(award)
    if changed:
        achievement = award.achievement
        mail.send(
            user.email,
            "issuance_complete",
            user.language,
            user=user,
            award=award,
            achievement=achievement,
            issuer=achievement.issuer,
            badge=outcome.badge,
            wallet_url=external_url("main.index"),
        )
    return outcome.badge


def register_and_claim(
    award: Award, data: accounts.Registration, *, at: datetime | None = None
) -> tuple[User, Badge]:
    """Create the holder's account on the awarded address (confirmed by the link) and claim.

    Raises ClaimProblem("account_exists") when the address already has an account.
    """
    if award.revoked_at is not None:
        raise ClaimProblem("revoked")
    fixed = accounts.Registration(
        email=award.email,
        family_name=data.family_name,
        given_name=data.given_name,
        password=data.password,
        name_order=data.name_order,
        language=data.language,
        family_name_kana=data.family_name_kana,
        given_name_kana=data.given_name_kana,
        romanized_name=data.romanized_name,
    )
    try:
        user = accounts.create_user(fixed, verified=True)
    except ValueError:
        raise ClaimProblem("account_exists") from None
    return user, claim(award, user, at=at)


def revoke(award: Award, reason: str = "", *, actor: audit.Actor = audit.SYSTEM) -> bool:
    """Revoke an award and re-check the holder's copy at once (their wallet shows it revoked)."""
    changed = issuing.revoke(award, reason, actor=actor)
    badge = badge_for(award)
    if changed and badge is not None:
        badges.reverify(
            badge, fetcher=issuer_documents.PortalFetcher(fallback=badges.make_fetcher())
        )
    return changed


def pending_for(user: User) -> list[Award]:
    """Return the unclaimed, unrevoked awards to the user's address."""
    return list(
        db.session.scalars(
            select(Award).where(
                Award.email_key == user.email_key,
                Award.claim_state == "pending",
                Award.revoked_at.is_(None),
            )
        )
    )


def award_and_notify(
    achievement: Any,
    row: issuing.AwardRow,
    *,
    actor: audit.Actor = audit.SYSTEM,
    same_person: bool = False,
) -> issuing.AwardOutcome:
    """Award one badge and mail its notice (only when the award is new).

    Raises recipients.AddressTaken as issuing.award does.
    """
    outcome = issuing.award(achievement, row, actor=actor, same_person=same_person)
    if outcome.created:
        send_notice(outcome.award)
    return outcome
