"""The `wallet` console script: the Flask CLI of this app, with a fast path for `verify`."""

from __future__ import annotations

import os
import sys

import click

LOUD_COMMANDS = {"run", "worker"}


@click.command("secret")
def secret_command() -> None:
    """Print a new random secret for WALLET_SECRET_KEY or WALLET_ISSUER_KEY_SECRET."""
    from wallet.services.secret_keys import new_secret

    click.echo(new_secret())


def main() -> None:
    """Run `wallet`; `wallet verify` and `wallet secret` run without loading the web app."""
    if len(sys.argv) > 1 and sys.argv[1] == "verify":
        from wallet.cli.lean import keep_lean

        keep_lean()
        from wallet.cli.verify import verify

        verify.main(args=sys.argv[2:], prog_name="wallet verify")
        return
    if len(sys.argv) > 1 and sys.argv[1] == "secret":
        secret_command.main(args=sys.argv[2:], prog_name="wallet secret")
        return
    from flask.cli import FlaskGroup

    if not set(sys.argv[1:2]) & LOUD_COMMANDS:
        # An operator command's stderr is its user interface: warnings and errors only, unless
        # WALLET_LOG_LEVEL says otherwise. Servers and the worker log every request and job.
        os.environ.setdefault("WALLET_LOG_LEVEL", "WARNING")

    from wallet import create_app
    from wallet.cli.verify import verify
    from wallet.config import InsecureConfiguration

    cli = FlaskGroup(
        name="wallet",
        create_app=lambda: create_app(),
        help="The badge wallet: serve, migrate and manage it.",
    )
    cli.add_command(verify)
    cli.add_command(secret_command)
    try:
        cli.main(args=sys.argv[1:], prog_name="wallet")
    except InsecureConfiguration as refusal:
        # An operator's mistake, not a bug: say what to do, without a traceback.
        click.echo(f"Error: {refusal}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
