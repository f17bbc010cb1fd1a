"""Per-issuer commands: `wallet operators`, `wallet awards`, `wallet reminders`, and
`wallet issuers rotate-key|log`. Each acts as an account (--as) that needs the role for the issuer.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask.cli import AppGroup
from flask.cli import with_appcontext

from wallet.cli.issuing import AS_OPTION
from wallet.cli.issuing import actor
from wallet.cli.issuing import issuer_for
from wallet.cli.issuing import issuers_group
from wallet.cli.support import fail
from wallet.cli.support import request_context

operators_group = AppGroup("operators", help="Who works for an issuer, and with which role.")
awards_group = AppGroup("awards", help="An achievement's awards: follow-up, re-sending, revoking.")


@operators_group.command("list")
@click.argument("issuer_slug")
@AS_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print one JSON array.")
@with_appcontext
def list_operators(issuer_slug: str, acting_as: str, as_json: bool) -> None:
    """List the operators of ISSUER_SLUG and their roles (owners only)."""
    from wallet.services.issuing import roles

    issuer = issuer_for(issuer_slug, acting_as, "manage")
    rows = [{"email": m.user.email, "role": m.role} for m in roles.members(issuer)]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    for row in rows:
        click.echo(f"{row['role']}\t{row['email']}")


@operators_group.command("set")
@click.argument("issuer_slug")
@click.argument("email")
@click.argument("role", type=click.Choice(["owner", "issuer", "viewer"]))
@AS_OPTION
@with_appcontext
def set_operator(issuer_slug: str, email: str, role: str, acting_as: str) -> None:
    """Give the account EMAIL the ROLE for ISSUER_SLUG (owners only; the account must exist)."""
    from wallet.services.issuing import roles
    from wallet.services.issuing.errors import IssuingError

    issuer = issuer_for(issuer_slug, acting_as, "manage")
    try:
        roles.set_role(issuer, email, role, actor(acting_as))
    except IssuingError as exc:
        fail(f"{exc.code}: {_ROLE_ERRORS.get(exc.code, 'refused')}.")
    click.echo(f"{email} is {role} of {issuer.slug}.", err=True)


_ROLE_ERRORS = {
    "no_account": "no wallet account has this address",
    "last_owner": "the issuer would be left without an owner",
    "bad_role": "unknown role",
}


@operators_group.command("remove")
@click.argument("issuer_slug")
@click.argument("email")
@AS_OPTION
@with_appcontext
def remove_operator(issuer_slug: str, email: str, acting_as: str) -> None:
    """Take the role of the account EMAIL for ISSUER_SLUG away (owners only)."""
    from wallet.services import accounts
    from wallet.services.issuing import roles
    from wallet.services.issuing.errors import IssuingError

    issuer = issuer_for(issuer_slug, acting_as, "manage")
    user = accounts.find_by_email(email)
    try:
        removed = user is not None and roles.remove(issuer, user.id, actor(acting_as))
    except IssuingError as exc:
        fail(f"{exc.code}: {_ROLE_ERRORS.get(exc.code, 'refused')}.")
    if not removed:
        fail(f"{email} has no role for {issuer.slug}.")
    click.echo(f"{email} no longer works for {issuer.slug}.", err=True)


@issuers_group.command("rotate-key")
@click.argument("issuer_slug")
@AS_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the keys as one JSON object.")
@with_appcontext
def rotate_key(issuer_slug: str, acting_as: str, as_json: bool) -> None:
    """Give ISSUER_SLUG a new signing key; the old one stays published, retired (owners only)."""
    from wallet.services.issuing import credentials as issuer_documents
    from wallet.services.issuing import rotation

    issuer = issuer_for(issuer_slug, acting_as, "manage")
    retired = rotation.rotate(issuer, actor(acting_as))
    document = {
        "verification_method": issuer_documents.verification_method(issuer),
        "retired": issuer_documents.verification_method(issuer, retired.public_key_multibase),
        "retired_at": issuer_documents.utc_timestamp(retired.retired_at),
    }
    click.echo(f"{issuer.slug} signs with a new key; the old one stays published.", err=True)
    if as_json:
        click.echo(json.dumps(document))


@issuers_group.command("log")
@click.argument("issuer_slug")
@AS_OPTION
@click.option("-o", "--output", type=click.Path(dir_okay=False), default="-", help="CSV file.")
@with_appcontext
def export_log(issuer_slug: str, acting_as: str, output: str) -> None:
    """Write the audit log of ISSUER_SLUG as CSV (owners only; formula cells neutralised)."""
    from wallet.services.issuing import audit

    issuer = issuer_for(issuer_slug, acting_as, "manage")
    text = audit.export_csv(issuer)
    if output == "-":
        click.echo(text, nl=False)
        return
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}.")


def _achievement(issuer_slug: str, ref: str, acting_as: str, action: str):
    from wallet.services.issuing import issuers

    issuer = issuer_for(issuer_slug, acting_as, action)
    found = issuers.get_achievement(issuer, ref.strip())
    if found is None:
        fail(f"{issuer.slug} has no achievement {ref!r}.")
    return found


@awards_group.command("list")
@click.argument("issuer_slug")
@click.argument("achievement_ref")
@click.option("--state", type=click.Choice(["claimed", "unclaimed", "revoked"]), default=None)
@click.option("--search", default="", help="Name, address or registration number.")
@AS_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@with_appcontext
def list_awards(
    issuer_slug: str,
    achievement_ref: str,
    state: str | None,
    search: str,
    acting_as: str,
    as_json: bool,
) -> None:
    """Counts by state and the awards of ACHIEVEMENT_REF (newest first, at most 1,000)."""
    from wallet.services.issuing import followup

    found = _achievement(issuer_slug, achievement_ref, acting_as, "read")
    counts = followup.counts(found)
    awards, matched = followup.search(found, query=search, state=state or "", size=1000)
    document = {
        "awarded": counts.awarded,
        "claimed": counts.claimed,
        "unclaimed": counts.unclaimed,
        "revoked": counts.revoked,
        "matched": matched,
        "awards": [
            {
                "credential_id": a.credential_id,
                "email": a.email,
                "family_name": a.family_name,
                "given_name": a.given_name,
                "issued_on": a.issued_on.isoformat(),
                "state": followup.state_of(a),
                "identifiers": dict(followup.identifiers_of(a)),
            }
            for a in awards
        ],
    }
    if as_json:
        click.echo(json.dumps(document, ensure_ascii=False))
        return
    click.echo(
        f"awarded {counts.awarded}, claimed {counts.claimed}, unclaimed {counts.unclaimed}, "
        f"revoked {counts.revoked}"
    )
    for row in document["awards"]:
        click.echo(f"{row['state']}\t{row['issued_on']}\t{row['email']}\t{row['credential_id']}")


@awards_group.command("resend")
@click.argument("issuer_slug")
@click.argument("achievement_ref")
@click.option("--email", "address", default=None, help="Only the award(s) to this address.")
@AS_OPTION
@with_appcontext
def resend_awards(
    issuer_slug: str, achievement_ref: str, address: str | None, acting_as: str
) -> None:
    """Mail the notice again to every unclaimed recipient of ACHIEVEMENT_REF (or one address)."""
    from wallet.extensions import db
    from wallet.models import Award
    from wallet.services.issuing import followup

    found = _achievement(issuer_slug, achievement_ref, acting_as, "resend")
    ids = followup.unclaimed_ids(found)
    sent = 0
    with request_context():
        for award_id in ids:
            award = db.session.get(Award, award_id)
            if award is None or (address and award.email_key != address.strip().lower()):
                continue
            sent += int(followup.resend(award, actor(acting_as)))
    click.echo(f"Mailed {sent} notice(s) again.", err=True)
    if address and not sent:
        sys.exit(1)


@awards_group.command("revoke")
@click.argument("issuer_slug")
@click.argument("credential_id")
@click.option("--reason", default="", help="Kept with the award and shown on the portal.")
@AS_OPTION
@with_appcontext
def revoke_award(issuer_slug: str, credential_id: str, reason: str, acting_as: str) -> None:
    """Revoke the award CREDENTIAL_ID (urn:uuid:…, see `wallet awards list --json`)."""
    from sqlalchemy import select

    from wallet.extensions import db
    from wallet.models import Award
    from wallet.services.issuing import claims

    issuer = issuer_for(issuer_slug, acting_as, "revoke")
    award = db.session.scalar(select(Award).where(Award.credential_id == credential_id.strip()))
    if award is None or award.achievement.issuer_id != issuer.id:
        fail(f"{issuer.slug} has no award {credential_id!r}.")
    if claims.revoke(award, reason, actor=actor(acting_as)):
        click.echo("Revoked.", err=True)
    else:
        click.echo("It was revoked already.", err=True)


@click.command("reminders")
@click.option("--limit", type=click.IntRange(min=1), default=1000, help="At most this many.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@with_appcontext
def reminders_command(limit: int, as_json: bool) -> None:
    """Send the due reminders of unclaimed awards (for cron; running it twice sends nothing twice).

    A badge's reminder is on when it has reminder days (web page or --reminder-days).
    """
    from wallet.services.issuing import followup

    with request_context():
        result = followup.send_reminders(limit=limit)
    click.echo(f"{result['sent']} reminder(s) sent of {result['due']} due.", err=True)
    if as_json:
        click.echo(json.dumps(result))
    if result["sent"] < result["due"]:
        sys.exit(1)
