"""The `wallet` command group for operators, CI and scripts; it calls services, never views."""

from __future__ import annotations

import os
import sys

import click
from flask import Flask
from flask.cli import AppGroup
from flask.cli import with_appcontext

users = AppGroup("users", help="Manage wallet accounts.")


def register(app: Flask) -> None:
    """Attach the command groups to the app's CLI."""
    app.cli.add_command(users)
    app.cli.add_command(reverify_command)


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
