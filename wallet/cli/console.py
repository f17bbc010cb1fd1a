"""The `wallet` console script: the Flask CLI of this app, with a fast path for `verify`."""

from __future__ import annotations

import os
import sys

LOUD_COMMANDS = {"run", "worker"}


def main() -> None:
    """Run `wallet`; `wallet verify` runs without loading the web application."""
    if len(sys.argv) > 1 and sys.argv[1] == "verify":
        from wallet.cli.lean import keep_lean

        keep_lean()
        from wallet.cli.verify import verify

        verify.main(args=sys.argv[2:], prog_name="wallet verify")
        return
    from flask.cli import FlaskGroup

    if not set(sys.argv[1:2]) & LOUD_COMMANDS:
        # An operator command's stderr is its user interface: warnings and errors only, unless
        # WALLET_LOG_LEVEL says otherwise. Servers and the worker log every request and job.
        os.environ.setdefault("WALLET_LOG_LEVEL", "WARNING")

    from wallet import create_app
    from wallet.cli.verify import verify

    cli = FlaskGroup(
        name="wallet",
        create_app=lambda: create_app(),
        help="The badge wallet: serve, migrate and manage it.",
    )
    cli.add_command(verify)
    cli.main(args=sys.argv[1:], prog_name="wallet")


if __name__ == "__main__":
    main()
