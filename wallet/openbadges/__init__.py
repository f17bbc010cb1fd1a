"""Open Badges 0.5–3.0: read, unbake, bake and verify badges (pure library, no Flask)."""

from __future__ import annotations

from wallet.openbadges.baking import bake_png
from wallet.openbadges.baking import bake_svg
from wallet.openbadges.errors import BadgeError
from wallet.openbadges.errors import FetchError
from wallet.openbadges.errors import ParseError
from wallet.openbadges.errors import TooLarge
from wallet.openbadges.errors import UnsupportedFormat
from wallet.openbadges.fetch import Fetcher
from wallet.openbadges.fetch import Response
from wallet.openbadges.limits import DEFAULT_LIMITS
from wallet.openbadges.limits import Limits
from wallet.openbadges.model import Check
from wallet.openbadges.model import Credential
from wallet.openbadges.model import VerificationReport
from wallet.openbadges.verify import Loaded
from wallet.openbadges.verify import read
from wallet.openbadges.verify import unbake
from wallet.openbadges.verify import verify
from wallet.openbadges.verify import verify_loaded

__all__ = [
    "DEFAULT_LIMITS",
    "BadgeError",
    "Check",
    "Credential",
    "FetchError",
    "Fetcher",
    "Limits",
    "Loaded",
    "ParseError",
    "Response",
    "TooLarge",
    "UnsupportedFormat",
    "VerificationReport",
    "bake_png",
    "bake_svg",
    "read",
    "unbake",
    "verify",
    "verify_loaded",
]
