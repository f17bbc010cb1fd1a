"""`wallet badges`: import, list, disclose and export a holder's badges (the wallet's services)."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from flask.cli import with_appcontext

from wallet.cli.support import fail

badges_group = AppGroup("badges", help="Import, list, disclose and export holders' badges.")


IMPORT_FAILURES = {
    "not_a_badge": "no Open Badge was found in this input.",
    "not_an_open_badge": "this is a verifiable credential, but not an Open Badge.",
    "not_yours": "the badge was issued to someone else (its recipient is not {email}).",
    "no_recipient": "the badge does not say who it was awarded to; ask the issuer to name {email}.",
    "other_identity": (
        "the badge names its recipient by an identifier other than {email}; "
        "ask the issuer to issue it to {email}."
    ),
    "issuer_unconfirmed": "ask the issuer to publish its signing key, then import again.",
    "email_unconfirmed": "the address {email} is not confirmed yet; confirm it, then import again.",
    "invalid": "the badge is not valid.",
    "revoked": "the issuer has revoked this badge.",
    "expired": "the badge has expired.",
    "not_yet_valid": "the badge is not valid yet.",
    "unverifiable": "the badge could not be verified now (an issuer resource could not be had).",
}


def _import_failure_text(
    code: str, message_id: str | None, email: str, params: dict[str, str] | None = None
) -> str:
    """Return one English line saying why an import was refused."""
    from wallet.openbadges.messages import message

    if code in IMPORT_FAILURES:
        text = IMPORT_FAILURES[code].format(email=email)
    else:
        text = message(code, "en") if "." in code else f"the badge could not be added ({code})."
        if code.startswith("fetch.") and text == code:
            text = message("fetch.failed", "en")
        text = text[:1].lower() + text[1:]
    if message_id:
        text = f"{text} {message(message_id, 'en', params)}"
    return text


def _holder(email: str):
    """Return the account with this address, or exit 1."""
    from wallet.services import accounts

    # The sign-in address or a confirmed additional one: both name the holder.
    user = accounts.account_for_address(email.strip())
    if user is None:
        fail(f"no account with the address {email}.")
    return user


def _badge_by_public_id(public_id: str):
    """Return the badge with this public id whatever its visibility (operators), or exit 1."""
    from wallet.services import badges

    badge = badges.get_any(public_id)
    if badge is None:
        fail(f"no badge with the public id {public_id}.")
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
        fail(f"cannot read {source}: {exc.strerror or exc}.")
        raise AssertionError from exc  # not reached: _fail exits


@badges_group.command("import")
@click.argument("email")
@click.argument("source")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
@with_appcontext
def import_badge(email: str, source: str, as_json: bool) -> None:
    """Import SOURCE (a PNG/SVG/JSON/JWS/JWT file or a URL) into the wallet of EMAIL."""
    import json

    from wallet.services import addresses
    from wallet.services import badge_import

    user = _holder(email)
    data = _read_source(source)
    try:
        outcome = badge_import.import_badge(user, data)
    except badge_import.ImportFailed as failure:
        named = user.email
        if failure.code == "not_yours":  # every confirmed address was compared
            named = ", ".join(addresses.confirmed_addresses(user)) or user.email
        elif failure.code == "email_unconfirmed":
            named = failure.params.get("address") or user.email
        fail(_import_failure_text(failure.code, failure.message_id, named, failure.params))
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
        items, has_more = badges.list_for(user, page=page, by_state=False)
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
        fail(f"cannot write {output}: {exc.strerror or exc}.")
    click.echo(
        f"Wrote {len(badge.content.original)} bytes ({badge.content.original_media_type}) "
        f"to {output}.",
        err=True,
    )
