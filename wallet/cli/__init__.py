"""The `wallet` command: one module per command group; `verify` never imports Flask."""
