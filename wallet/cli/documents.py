"""`wallet documents render`: certificates, details sheets and business cards as PDF, in bulk."""

from __future__ import annotations

import contextlib
import os
import sys

import click
from flask.cli import AppGroup
from flask.cli import with_appcontext

from wallet.cli.support import fail

documents_group = AppGroup("documents", help="Render printable documents of badges (PDF).")


def _find(public_id: str):
    """Return the badge with this public id (any visibility: operators), holder loaded, or None."""
    from sqlalchemy.exc import SQLAlchemyError

    from wallet.services import badges

    try:
        return badges.get_any(public_id)
    except SQLAlchemyError as exc:
        fail(f"the database could not be read ({type(exc).__name__}); is it upgraded?")
        return None


def _badge_and_holder(public_id: str):
    """Return the badge with this public id and its holder, or exit 1."""
    badge = _find(public_id)
    if badge is None:
        fail(f"no badge with the public id {public_id}.")
    return badge, badge.user


@documents_group.command("render")
@click.argument("public_id")
@click.argument("kind", type=click.Choice(["certificate", "details", "card"]))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False),
    help="PDF file to write ('-' for standard output).",
)
@click.option(
    "--lang",
    type=click.Choice(["ja", "en"]),
    default=None,
    help="Document language (default: the holder's language).",
)
@click.option("--title", default=None, help="Title or affiliation line of a business card.")
@with_appcontext
def render(public_id: str, kind: str, output: str, lang: str | None, title: str | None) -> None:
    """Write the KIND document of the badge PUBLIC_ID to a PDF file."""
    from wallet.services import documents

    badge, holder = _badge_and_holder(public_id)
    language = lang or (holder.language if holder.language in documents.LANGS else "ja")
    try:
        document = documents.build(badge, holder, kind, language, title)
    except documents.DocumentError as exc:
        fail(str(exc))
        return
    try:
        if output == "-":
            sys.stdout.buffer.write(document.pdf)
            sys.stdout.buffer.flush()
        else:
            _write(output, document.pdf)
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}.")
    for warning in _warnings(document, badge):
        click.echo(f"Warning: {warning}", err=True)
    click.echo(f"Wrote {kind} ({language}, {len(document.pdf)} bytes) to {output}.", err=True)


def _write(path: str, data: bytes) -> None:
    """Write next to the target, then rename: an interrupted run never leaves half a PDF."""
    temporary = f"{path}.part"
    try:
        with open(temporary, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _warnings(document, badge) -> list[str]:
    """Return what the operator should know about a rendered document."""
    warnings = []
    if document.missing:
        characters = " ".join(f"{c} (U+{ord(c):04X})" for c in document.missing)
        warnings.append(f"no installed font can draw {characters}; printed as 〓.")
    if badge.visibility != "public":
        warnings.append("the badge is private; its QR code will not verify it.")
    return warnings


@documents_group.command("render-many")
@click.argument("kind", type=click.Choice(["certificate", "details", "card"]))
@click.option(
    "--ids",
    "ids_file",
    required=True,
    type=click.File("r", encoding="utf-8"),
    help="File with one public id per line ('-' for standard input).",
)
@click.option(
    "-o",
    "--output-dir",
    required=True,
    type=click.Path(file_okay=False, writable=True),
    help="Folder for the PDFs (created if missing), named <public id>-<kind>.pdf.",
)
@click.option(
    "--lang",
    type=click.Choice(["ja", "en"]),
    default=None,
    help="Document language (default: each holder's language).",
)
@with_appcontext
def render_many(kind: str, ids_file, output_dir: str, lang: str | None) -> None:
    """Write the KIND document of every listed badge in one process (institutes printing in bulk).

    One `render` process per badge spends most of its time starting up and reading the font;
    this command does that once. Unknown ids are reported and skipped; the exit status is 1 when
    any document was not written.
    """
    from wallet.services import documents

    ids = [line.strip() for line in ids_file if line.strip() and not line.startswith("#")]
    try:
        os.makedirs(output_dir, exist_ok=True)
    except OSError as exc:
        fail(f"cannot create {output_dir}: {exc.strerror or exc}.")
    written = failed = 0
    for public_id in ids:
        badge = _find(public_id)
        if badge is None:
            click.echo(f"Error: no badge with the public id {public_id}.", err=True)
            failed += 1
            continue
        holder = badge.user
        language = lang or (holder.language if holder.language in documents.LANGS else "ja")
        try:
            document = documents.build(badge, holder, kind, language)
        except documents.FontMissing as exc:
            fail(str(exc))  # the same for every badge: stop at once
        except documents.DocumentError as exc:
            click.echo(f"Error: {public_id}: {exc}", err=True)
            failed += 1
            continue
        target = os.path.join(output_dir, f"{public_id}-{kind}.pdf")
        try:
            _write(target, document.pdf)
        except OSError as exc:
            fail(f"cannot write {target}: {exc.strerror or exc}.")
        for warning in _warnings(document, badge):
            click.echo(f"Warning: {public_id}: {warning}", err=True)
        written += 1
        # Bulk output is never downloaded again from this process: keep memory flat.
        documents.cache_clear()
    click.echo(f"Wrote {written} {kind} PDF(s) to {output_dir}; {failed} failed.", err=True)
    if failed:
        sys.exit(1)
