"""The `wallet` command group for operators, CI and scripts; it calls services, never views."""

from __future__ import annotations

import os
import sys

import click
from flask import Flask
from flask.cli import AppGroup
from flask.cli import with_appcontext

from wallet import cli_backup
from wallet import cli_issuing
from wallet.cli_documents import documents_group

users = AppGroup("users", help="Manage wallet accounts.")
badges_group = AppGroup("badges", help="Import, list, disclose and export holders' badges.")


def register(app: Flask) -> None:
    """Attach the command groups to the app's CLI."""
    app.cli.add_command(users)
    app.cli.add_command(badges_group)
    app.cli.add_command(reverify_command)
    app.cli.add_command(documents_group)
    cli_issuing.register(app)
    cli_backup.register(app)


def _fail(message: str) -> None:
    """Print a one-line error to stderr and exit with status 1 (no traceback)."""
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


@users.command("create")
@click.argument("email")
@click.option("--family-name", required=True, help="Family name (surname).")
@click.option("--given-name", required=True, help="Given name.")
@click.option(
    "--name-order",
    type=click.Choice(["family-first", "given-first"]),
    default=None,
    help="Display order; family-first by default for Japanese.",
)
@click.option("--lang", type=click.Choice(["ja", "en"]), default="ja", show_default=True)
@click.option("--verified", is_flag=True, help="Mark the email address as confirmed.")
@click.option("--operator", is_flag=True, help="Give the account the operator role.")
@with_appcontext
def create_user(
    email: str,
    family_name: str,
    given_name: str,
    name_order: str | None,
    lang: str,
    verified: bool,
    operator: bool,
) -> None:
    """Create an account; the password comes from WALLET_PASSWORD or a prompt."""
    from wallet.services import accounts
    from wallet.services.validation import check_new_account

    password = os.environ.get("WALLET_PASSWORD")
    if password is None:
        if not sys.stdin.isatty():
            _fail("set WALLET_PASSWORD or run in a terminal to be asked for the password.")
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    data = accounts.Registration(
        email=email.strip(),
        family_name=family_name.strip(),
        given_name=given_name.strip(),
        password=password,
        name_order=name_order or ("family-first" if lang == "ja" else "given-first"),
        language=lang,
    )
    problems = check_new_account(data)
    if problems:
        _fail(" ".join(problems))
    try:
        user = accounts.create_user(
            data, verified=verified, role="operator" if operator else "holder"
        )
    except ValueError:
        _fail(f"an account with the address {email} already exists.")
        return
    click.echo(f"Created account {user.email} (id {user.id}).", err=True)


# --- badges: the same services as the wallet pages -----------------------------------------

IMPORT_FAILURES = {
    "not_a_badge": "no Open Badge was found in this input.",
    "not_yours": "the badge was issued to someone else (its recipient is not {email}).",
    "email_unconfirmed": "the address {email} is not confirmed yet; confirm it, then import again.",
    "invalid": "the badge is not valid.",
    "revoked": "the issuer has revoked this badge.",
    "expired": "the badge has expired.",
    "not_yet_valid": "the badge is not valid yet.",
    "unverifiable": "the badge could not be verified now (an issuer resource could not be had).",
}


def _import_failure_text(code: str, message_id: str | None, email: str) -> str:
    """Return one English line saying why an import was refused."""
    from wallet.verification_messages import message

    if code in IMPORT_FAILURES:
        text = IMPORT_FAILURES[code].format(email=email)
    else:
        text = message(code, "en") if "." in code else f"the badge could not be added ({code})."
        if code.startswith("fetch.") and text == code:
            text = message("fetch.failed", "en")
        text = text[:1].lower() + text[1:]
    if message_id:
        text = f"{text} {message(message_id, 'en')}"
    return text


def _holder(email: str):
    """Return the account with this address, or exit 1."""
    from wallet.services import accounts

    user = accounts.find_by_email(email.strip())
    if user is None:
        _fail(f"no account with the address {email}.")
    return user


def _badge_by_public_id(public_id: str):
    """Return the badge with this public id whatever its visibility (operators), or exit 1."""
    from wallet.services import badges

    badge = badges.get_any(public_id)
    if badge is None:
        _fail(f"no badge with the public id {public_id}.")
    return badge


def _public_url(public_id: str) -> str:
    """Return the absolute URL of a badge's public page."""
    from flask import current_app

    return f"{current_app.config['BASE_URL']}/b/{public_id}"


def _read_source(source: str) -> bytes | str:
    """Return a URL as is, or the bytes of a file (`-`: standard input); exit 1 when unreadable."""
    if source.lower().startswith(("http://", "https://")):
        return source
    if source == "-":
        return sys.stdin.buffer.read()
    try:
        with open(source, "rb") as handle:
            return handle.read()
    except OSError as exc:
        _fail(f"cannot read {source}: {exc.strerror or exc}.")
        raise AssertionError from exc  # not reached: _fail exits


@badges_group.command("import")
@click.argument("email")
@click.argument("source")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
@with_appcontext
def import_badge(email: str, source: str, as_json: bool) -> None:
    """Import SOURCE (a PNG/SVG/JSON/JWS/JWT file or a URL) into the wallet of EMAIL."""
    import json

    from wallet.services import badge_import

    user = _holder(email)
    data = _read_source(source)
    try:
        outcome = badge_import.import_badge(user, data)
    except badge_import.ImportFailed as failure:
        _fail(_import_failure_text(failure.code, failure.message_id, user.email))
        return
    badge = outcome.badge
    document = {
        "id": badge.id,
        "public_id": badge.public_id,
        "public_url": _public_url(badge.public_id),
        "result": badge.result,
        "name": badge.name,
        "issuer": badge.issuer_name,
    }
    if outcome.created:
        click.echo(f"Added {badge.name!r} to the wallet of {user.email}.", err=True)
    else:
        click.echo(f"{badge.name!r} is already in the wallet of {user.email}.", err=True)
    if as_json:
        click.echo(json.dumps(document, ensure_ascii=False))
    else:
        click.echo(f"{badge.public_id}\t{badge.result}\t{document['public_url']}")


@badges_group.command("list")
@click.argument("email")
@click.option("--json", "as_json", is_flag=True, help="Print the badges as one JSON array.")
@with_appcontext
def list_badges(email: str, as_json: bool) -> None:
    """List the badges in the wallet of EMAIL, newest first."""
    import json

    from wallet.services import badges

    user = _holder(email)
    rows = []
    page = 1
    while True:
        items, has_more = badges.list_for(user, page=page)
        rows.extend(
            {
                "public_id": b.public_id,
                "name": b.name,
                "issuer": b.issuer_name,
                "result": b.result,
                "visibility": b.visibility,
            }
            for b in items
        )
        if not has_more:
            break
        page += 1
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    columns = ("public_id", "visibility", "result", "name", "issuer")
    for row in rows:
        click.echo("\t".join(row[k] for k in columns))
    click.echo(f"{len(rows)} badge(s).", err=True)


@badges_group.command("visibility")
@click.argument("public_id")
@click.argument("visibility", type=click.Choice(["public", "private"]))
@with_appcontext
def set_visibility(public_id: str, visibility: str) -> None:
    """Make a badge public or private (the same as the switch on its page)."""
    from wallet.services import badges

    badge = _badge_by_public_id(public_id)
    badges.set_visibility(badge, visibility)
    click.echo(f"Badge {public_id} is now {visibility}.", err=True)


@badges_group.command("export")
@click.argument("public_id")
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(dir_okay=False, writable=True),
    help="File to write (the badge as received).",
)
@with_appcontext
def export_badge(public_id: str, output: str) -> None:
    """Write the badge as it was received (baked image or text) to a file."""
    badge = _badge_by_public_id(public_id)
    try:
        with open(output, "wb") as handle:
            handle.write(badge.content.original)
    except OSError as exc:
        _fail(f"cannot write {output}: {exc.strerror or exc}.")
    click.echo(
        f"Wrote {len(badge.content.original)} bytes ({badge.content.original_media_type}) "
        f"to {output}.",
        err=True,
    )


# --- reverify: keep the public pages' verification state fresh (run from cron) -------------


@click.command("reverify")
@click.option(
    "--older-than",
    type=click.IntRange(min=0),
    default=None,
    metavar="SECONDS",
    help="Re-check badges last verified longer ago than this (default: WALLET_VERIFY_MAX_AGE).",
)
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Re-check at most N.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary on stdout.")
@with_appcontext
def reverify_command(older_than: int | None, limit: int | None, as_json: bool) -> None:
    """Re-verify stale badges from their stored originals; exit 1 when any could not be checked."""
    import json
    from datetime import timedelta

    from wallet.services import freshness

    age = timedelta(seconds=older_than) if older_than is not None else None
    summary = freshness.reverify_stale(age, limit=limit)
    if as_json:
        click.echo(json.dumps(summary.as_dict()))
    for public_id, before, after in summary.changed:
        click.echo(f"{public_id}: {before} -> {after}", err=True)
    for public_id in summary.failed:
        click.echo(f"{public_id}: could not be re-checked (see the log)", err=True)
    click.echo(
        f"Re-verified {summary.checked} badge(s): {len(summary.changed)} changed, "
        f"{len(summary.failed)} failed.",
        err=True,
    )
    if summary.failed:
        sys.exit(1)
