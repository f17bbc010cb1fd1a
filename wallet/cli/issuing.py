"""Issuing commands: `wallet issuers`, `wallet achievements`, `wallet award`.

Commands that act for an issuer name the account they act as (``--as EMAIL``, or the
WALLET_OPERATOR environment variable): it must have the role for that issuer, and the audit log
names it. An issuer it has no role in answers "no issuer", like an unknown one.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask.cli import AppGroup
from flask.cli import with_appcontext

from wallet.cli.support import fail
from wallet.cli.support import request_context

issuers_group = AppGroup("issuers", help="Institutes whose badges this portal signs.")
achievements_group = AppGroup("achievements", help="Badge classes of an issuer.")


def _read(path: str | None) -> bytes | None:
    if path is None:
        return None
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror or exc}.")
        raise AssertionError from exc  # not reached


AS_OPTION = click.option(
    "--as",
    "acting_as",
    envvar="WALLET_OPERATOR",
    required=True,
    help="The operator account to act as (it needs the role; env WALLET_OPERATOR).",
)


def issuer_for(slug: str, acting_as: str | None = None, action: str = "read"):
    """Return the issuer, checking that ``acting_as`` may perform ``action`` for it."""
    from wallet.services.issuing import issuers
    from wallet.services.issuing import roles

    issuer = issuers.get_issuer(slug.strip().lower())
    if acting_as is not None and issuer is not None:
        if not roles.can(operator(acting_as), issuer, action):
            issuer = None
    if issuer is None:
        fail(f"no issuer {slug!r} (see `wallet issuers list`).")
    return issuer


def operator(email: str):
    """Return the account an operator command acts as."""
    from wallet.services import accounts

    user = accounts.find_by_email(email or "")
    if user is None:
        fail(f"no account {email!r}.")
    return user


def actor(email: str):
    """Return the audit log's actor for ``--as``."""
    from wallet.services.issuing import audit

    return audit.Actor(operator(email), "cli")


@issuers_group.command("create")
@click.argument("slug", required=False)
@click.option("--name", required=True, help="The institute's name as badges show it.")
@click.option("--url", required=True, help="The institute's web site.")
@click.option("--email", required=True, help="Contact address shown in badges and mails.")
@click.option("--description", default=None)
@click.option("--image", type=click.Path(dir_okay=False), default=None, help="Logo (PNG/JPEG).")
@click.option("--owner", default=None, help="Account that becomes the issuer's first owner.")
@click.option("--json", "as_json", is_flag=True, help="Print the issuer as one JSON object.")
@with_appcontext
def create_issuer(
    slug: str | None,
    name: str,
    url: str,
    email: str,
    description: str | None,
    image: str | None,
    owner: str | None,
    as_json: bool,
) -> None:
    """Create an issuer with a new Ed25519 key pair; SLUG (part of its URLs) defaults to its
    web site's name. The --owner account manages its operators (`wallet operators`)."""
    from wallet.services.issuing import credentials as issuer_documents
    from wallet.services.issuing import issuers
    from wallet.services.issuing.errors import IssuingError

    owner_account = operator(owner) if owner else None
    try:
        issuer = issuers.create_issuer(
            slug,
            name,
            url,
            email,
            description=description,
            image=_read(image),
            owner=owner_account,
        )
    except IssuingError as exc:
        fail(f"{exc.code}: {exc.detail or 'invalid value'}.")
        return
    document = {
        "slug": issuer.slug,
        "id": issuer_documents.issuer_url(issuer),
        "verification_method": issuer_documents.verification_method(issuer),
    }
    click.echo(f"Created issuer {issuer.slug}: {document['id']}", err=True)
    if as_json:
        click.echo(json.dumps(document, ensure_ascii=False))


@issuers_group.command("list")
@click.option("--as", "acting_as", default=None, help="Only the issuers this account works for.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON array.")
@with_appcontext
def list_issuers(acting_as: str | None, as_json: bool) -> None:
    """List the issuers and their achievements (with --as: those of one operator, and its role)."""
    from wallet.services.issuing import credentials as issuer_documents
    from wallet.services.issuing import issuers
    from wallet.services.issuing import roles

    if acting_as is not None:
        found = roles.issuers_for(operator(acting_as))
    else:
        found = [(issuer, None) for issuer in issuers.list_issuers()]
    rows = [
        {
            "slug": issuer.slug,
            "name": issuer.name,
            "id": issuer_documents.issuer_url(issuer),
            **({"role": role} if role else {}),
            "achievements": [
                {"slug": a.slug, "public_id": a.public_id, "name": a.name}
                for a in issuers.achievements_of(issuer)
            ],
        }
        for issuer, role in found
    ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    for row in rows:
        click.echo(f"{row['slug']}\t{row['name']}\t{row['id']}\t{row.get('role', '')}".rstrip())
        for achievement in row["achievements"]:
            click.echo(f"  {achievement['slug']}\t{achievement['name']}")


@issuers_group.command("publish")
@click.argument("directory", type=click.Path(file_okay=False))
@with_appcontext
def publish(directory: str) -> None:
    """Write the public documents (profiles, status lists, achievements) under DIRECTORY.

    The layout mirrors the URLs under WALLET_BASE_URL, so
    `wallet verify BADGE --offline --url-map BASE_URL/=DIRECTORY` works without the server.
    """
    from wallet.services.issuing import credentials as issuer_documents

    written = issuer_documents.publish_documents(Path(directory))
    click.echo(f"Wrote {len(written)} documents under {directory}.", err=True)


@achievements_group.command("create")
@click.argument("issuer_slug")
@click.argument("slug", required=False)
@click.option("--name", required=True)
@click.option("--description", required=True)
@click.option("--criteria", required=True, help="What the holder did to earn it (Markdown).")
@click.option("--image", type=click.Path(dir_okay=False), default=None, help="Badge image.")
@click.option("--validity-days", type=click.IntRange(min=1), default=None, help="Default expiry.")
@click.option(
    "--reminder-days",
    type=click.IntRange(min=1, max=365),
    default=None,
    help="One reminder to unclaimed recipients this many days after their notice.",
)
@AS_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the achievement as one JSON object.")
@with_appcontext
def create_achievement(
    issuer_slug: str,
    slug: str | None,
    name: str,
    description: str,
    criteria: str,
    image: str | None,
    validity_days: int | None,
    reminder_days: int | None,
    acting_as: str,
    as_json: bool,
) -> None:
    """Create an achievement of ISSUER_SLUG (SLUG defaults to one made from --name; owners)."""
    from wallet.services.issuing import credentials as issuer_documents
    from wallet.services.issuing import issuers
    from wallet.services.issuing.errors import IssuingError

    issuer = issuer_for(issuer_slug, acting_as, "manage")
    try:
        achievement = issuers.create_achievement(
            issuer,
            slug,
            name,
            description,
            criteria,
            image=_read(image),
            validity_days=validity_days,
            reminder_days=reminder_days,
            actor=actor(acting_as),
        )
    except IssuingError as exc:
        fail(f"{exc.code}: {exc.detail or 'invalid value'}.")
        return
    document = {
        "slug": achievement.slug,
        "public_id": achievement.public_id,
        "id": issuer_documents.achievement_url(achievement),
    }
    click.echo(f"Created achievement {achievement.slug} of {issuer.slug}.", err=True)
    if as_json:
        click.echo(json.dumps(document, ensure_ascii=False))


@click.command("award")
@click.argument("issuer_slug")
@click.argument("achievement_ref")
@click.argument("csv_file", type=click.Path(dir_okay=False))
@click.option("--no-mail", is_flag=True, help="Do not mail award notices (send them later).")
@AS_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print one JSON report on stdout.")
@with_appcontext
def award_command(
    issuer_slug: str,
    achievement_ref: str,
    csv_file: str,
    no_mail: bool,
    acting_as: str,
    as_json: bool,
) -> None:
    """Award ACHIEVEMENT_REF of ISSUER_SLUG to every line of CSV_FILE.

    Columns: email, family_name, given_name, issue_date, expiry (YYYY-MM-DD), and any others
    (pass_number, registration_number, ...) as identifiers in the badge. Bad lines are
    reported with their line numbers and the good ones go through; re-running the same file
    awards nothing twice. One address belongs to one person: lines giving an address to someone
    else (in the file, before, or the address's wallet account) are refused. Exit status 1 when
    any line was refused. Needs the issuer (or owner) role.
    """
    from wallet.services.issuing import claims
    from wallet.services.issuing import csv_awards
    from wallet.services.issuing import issuers
    from wallet.services.issuing.errors import IssuingError

    issuer = issuer_for(issuer_slug, acting_as, "award")
    achievement = issuers.get_achievement(issuer, achievement_ref.strip())
    if achievement is None:
        fail(f"{issuer.slug} has no achievement {achievement_ref!r}.")
        return
    data = _read(csv_file) or b""
    try:
        with request_context():
            report = csv_awards.award_csv(
                achievement,
                data,
                notify=None if no_mail else claims.send_notice,
                actor=actor(acting_as),
            )
    except IssuingError as exc:
        fail(f"{exc.code}: {exc.detail}.")
        return
    for problem in report.problems:
        click.echo(f"{csv_file}:{problem.line}: {problem.message}", err=True)
    click.echo(
        f"{report.lines} line(s) in the file: awarded {len(report.created)} new badge(s); "
        f"{len(report.existing)} line(s) were already awarded; {len(report.problems)} line(s) "
        "refused.",
        err=True,
    )
    unmailed = [award for _line, award in report.created if award.notified_at is None]
    if unmailed and not no_mail:
        click.echo(
            f"Warning: {len(unmailed)} award notice(s) could not be mailed; the awards are kept "
            "and the notices can be sent again from the issuing pages.",
            err=True,
        )
    if as_json:
        document = {
            "lines": report.lines,
            "created": len(report.created),
            "existing": len(report.existing),
            "problems": [
                {"line": p.line, "code": p.code, "message": p.message} for p in report.problems
            ],
            "awards": [
                {
                    "line": line,
                    "id": award.id,
                    "email": award.email,
                    "credential_id": award.credential_id,
                    "created": created,
                }
                for created, rows in ((True, report.created), (False, report.existing))
                for line, award in rows
            ],
        }
        click.echo(json.dumps(document, ensure_ascii=False))
    if report.problems:
        sys.exit(1)
