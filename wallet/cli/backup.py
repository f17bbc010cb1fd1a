"""`wallet backup` and `wallet restore`: the whole database as one portable, checked file."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext


@click.command("backup")
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(dir_okay=False, writable=True),
    help="File to write (a zip; written to FILE.partial first, then renamed).",
)
@with_appcontext
def backup_command(output: str) -> None:
    """Write every account, badge and setting to FILE (restorable on SQLite or PostgreSQL)."""
    from wallet.services import backup

    try:
        summary = backup.dump(output)
    except OSError as exc:
        click.echo(f"Error: cannot write {output}: {exc.strerror or exc}.", err=True)
        sys.exit(1)
    click.echo(
        f"Wrote {summary.total} rows of {len(summary.rows)} tables "
        f"(schema revision {summary.revision or 'none'}) to {output}.",
        err=True,
    )


@click.command("restore")
@click.argument("source", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="Replace everything in a database that is not empty.")
@with_appcontext
def restore_command(source: str, yes: bool) -> None:
    """Load a backup; a non-empty database is replaced only with --yes, in one transaction."""
    from wallet.services import backup

    try:
        summary = backup.restore(source, replace=yes)
    except backup.BackupError as exc:
        click.echo(f"Error: {exc} Nothing was changed.", err=True)
        sys.exit(1)
    click.echo(
        f"Restored {summary.total} rows of {len(summary.rows)} tables from {source}.", err=True
    )
