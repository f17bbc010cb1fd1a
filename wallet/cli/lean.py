"""Keep modules `wallet verify` never uses out of its process: start-up is most of its cost."""

from __future__ import annotations

import sys

# PyLD builds a network document loader when it is imported, from `requests` (installed with
# the test tools) or else `aiohttp`. Verification never uses it: every JSON-LD call passes the
# offline loader of bundled contexts. Hidden, they leave PyLD a default loader that refuses
# every URL, and spare about 50 ms.
HIDDEN = ("requests", "aiohttp")


def keep_lean() -> None:
    """Hide the modules above; those this process already imported stay."""
    for name in HIDDEN:
        if name not in sys.modules:
            # None in sys.modules is the documented way to make an import fail.
            sys.modules[name] = None  # type: ignore[assignment]
