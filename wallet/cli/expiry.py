"""`wallet expiry-reminders`: mail holders before their badges expire (run from cron)."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext


@click.command("expiry-reminders")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Mail at most N.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary on stdout.")
@with_appcontext
def expiry_reminders_command(limit: int | None, as_json: bool) -> None:
    """Mail the due reminders of badges about to expire (once per badge and expiry date;
    running it twice sends nothing twice); exit 1 when a mail could not be sent."""
    import json

    from wallet.services import expiry_reminders

    summary = expiry_reminders.send_due(limit=limit)
    if as_json:
        click.echo(json.dumps(summary.as_dict()))
    for public_id in summary.failed:
        click.echo(f"{public_id}: the reminder could not be sent (tried again next run)", err=True)
    click.echo(
        f"Sent {len(summary.sent)} expiry reminder(s); {len(summary.failed)} failed.", err=True
    )
    if summary.failed:
        sys.exit(1)
