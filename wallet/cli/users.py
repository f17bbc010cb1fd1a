"""`wallet users`: accounts created by operators, with the same checks as registration."""

from __future__ import annotations

import os
import sys

import click
from flask.cli import AppGroup
from flask.cli import with_appcontext

from wallet.cli.support import fail

users = AppGroup("users", help="Manage wallet accounts.")


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
            fail("set WALLET_PASSWORD or run in a terminal to be asked for the password.")
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
        fail(" ".join(problems))
    try:
        user = accounts.create_user(
            data, verified=verified, role="operator" if operator else "holder"
        )
    except ValueError:
        fail(f"an account with the address {email} already exists.")
        return
    click.echo(f"Created account {user.email} (id {user.id}).", err=True)
