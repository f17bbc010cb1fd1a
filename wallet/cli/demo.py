"""`wallet demo`: a demo institute, holder and badges on an empty database (never in production)."""

from __future__ import annotations

import json
import os

import click
from flask import current_app
from flask.cli import with_appcontext

from wallet.cli.support import fail
from wallet.cli.support import request_context


def _demo_password() -> str:
    """Return WALLET_PASSWORD, or a random password that meets the holder password policy."""
    from wallet.services import demo
    from wallet.services.password_policy import password_problems
    from wallet.services.validation import password_messages

    given = os.environ.get("WALLET_PASSWORD")
    if given is None:
        return demo.random_password()
    problems = password_problems(given, demo.personal_words())
    if problems:
        fail(
            "WALLET_PASSWORD does not meet the password policy: "
            + " ".join(password_messages(problems))
        )
    return given


@click.command("demo")
@click.option("--json", "as_json", is_flag=True, help="Print the sign-in data as one JSON object.")
@click.option(
    "--if-empty", is_flag=True, help="Do nothing (exit 0) when the database has accounts already."
)
@with_appcontext
def demo_command(as_json: bool, if_empty: bool) -> None:
    """Fill an EMPTY database with a demo institute, a holder コンクリート 太郎 and badges."""
    if current_app.config.get("ENV") == "production":
        if if_empty:
            click.echo("Demo data is never created in production; skipped.", err=True)
            return
        fail("demo data is never created in production (WALLET_ENV=production).")
    from wallet.services import demo

    if not demo.database_is_empty():
        if if_empty:
            return
        fail("the database is not empty; the demo only fills an empty database.")
    password = _demo_password()
    try:
        with request_context():
            document = demo.seed(password)
    except Exception as exc:  # a one-line message, never a traceback; seed() emptied the tables
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        fail(f"the demo could not be created ({reason}); nothing of it was kept.")
    lines = [
        "Demo data created.",
        f"  Sign in at {document['sign_in_url']}",
        f"  Holder コンクリート 太郎: {document['holder']} / password {document['password']}",
        f"  Operator (issuing pages at /issuing): {document['operator']} / same password",
        f"  A badge waiting to be claimed (hanako@example.com): {document['claim_url']}",
    ]
    click.echo("\n".join(lines), err=True)
    if as_json:
        click.echo(json.dumps(document, ensure_ascii=False))
