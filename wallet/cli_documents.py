"""`wallet documents render`: certificates, details sheets and business cards as PDF, in bulk."""

from __future__ import annotations

import os
import sys

import click
from flask.cli import AppGroup
from flask.cli import with_appcontext

documents_group = AppGroup("documents", help="Render printable documents of badges (PDF).")


def _fail(message: str, code: int = 1) -> None:
    """Print a one-line error to stderr and exit non-zero (no traceback)."""
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


def _badge_and_holder(public_id: str):
    """Return the badge with this public id (any visibility: operators) and its holder, or exit."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from wallet.extensions import db
    from wallet.models import Badge

    badge = None
    if public_id.isalnum() and len(public_id) <= 32:
        badge = db.session.scalar(
            select(Badge)
            .options(selectinload(Badge.content), selectinload(Badge.user))
            .where(Badge.public_id == public_id)
        )
    if badge is None:
        _fail(f"no badge with the public id {public_id}.")
    return badge, badge.user


@documents_group.command("render")
@click.argument("public_id")
@click.argument("kind", type=click.Choice(["certificate", "details", "card"]))
@click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False),
    help="PDF file to write ('-' for standard output).",
)
@click.option(
    "--lang", type=click.Choice(["ja", "en"]), default=None,
    help="Document language (default: the holder's language).",
)
@click.option("--title", default=None, help="Title or affiliation line of a business card.")
@with_appcontext
def render(public_id: str, kind: str, output: str, lang: str | None, title: str | None) -> None:
    """Write the KIND document of the badge PUBLIC_ID to a PDF file."""
    from sqlalchemy.exc import SQLAlchemyError

    from wallet.services import documents

    try:
        badge, holder = _badge_and_holder(public_id)
    except SQLAlchemyError as exc:
        _fail(f"the database could not be read ({type(exc).__name__}); is it upgraded?")
        return
    language = lang or (holder.language if holder.language in documents.LANGS else "ja")
    try:
        document = documents.build(badge, holder, kind, language, title)
    except documents.DocumentError as exc:
        _fail(str(exc))
        return
    try:
        if output == "-":
            sys.stdout.buffer.write(document.pdf)
            sys.stdout.buffer.flush()
        else:
            # Write next to the target, then rename: an interrupted run never leaves half a PDF.
            temporary = f"{output}.part"
            with open(temporary, "wb") as handle:
                handle.write(document.pdf)
            os.replace(temporary, output)
    except OSError as exc:
        _fail(f"cannot write {output}: {exc.strerror or exc}.")
    if document.missing:
        click.echo(
            "Warning: no installed font can draw "
            + " ".join(f"{c} (U+{ord(c):04X})" for c in document.missing)
            + "; printed as 〓.",
            err=True,
        )
    if badge.visibility != "public":
        click.echo("Warning: the badge is private; its QR code will not verify it.", err=True)
    click.echo(f"Wrote {kind} ({language}, {len(document.pdf)} bytes) to {output}.", err=True)
