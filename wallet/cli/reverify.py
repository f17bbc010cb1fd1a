"""`wallet reverify`: keep the public pages' verification state fresh (run from cron)."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext


@click.command("reverify")
@click.option(
    "--older-than",
    type=click.IntRange(min=0),
    default=None,
    metavar="SECONDS",
    help=(
        "Re-check badges last verified longer ago than this (default: WALLET_VERIFY_MAX_AGE, "
        "and WALLET_VERIFY_RETRY_AGE for badges that could not be checked)."
    ),
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
