"""What a badge says about itself, ready for a page: description, criteria, numbers, issuer.

Everything here comes from the issuer and is hostile: texts stay text (templates escape them,
Markdown goes through services.richtext), and only http(s) links survive (richtext.safe_url).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from wallet.services.identifiers import identifier_label
from wallet.services.richtext import safe_url


@dataclass(frozen=True)
class About:
    """The issuer's description of a badge and its award, as stored at import."""

    description: str = ""
    criteria: str = ""
    criteria_url: str | None = None
    identifiers: list[tuple[str, str]] = field(default_factory=list)
    issuer_name: str = ""
    issuer_url: str | None = None
    issuer_id: str = ""


def parse_details(details_json: str | None) -> dict[str, Any]:
    """Return the stored display details (a damaged value gives {})."""
    try:
        data = json.loads(details_json or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def about(details: dict[str, Any], issuer_name: str = "") -> About:
    """Return what a page shows about a badge from its stored details."""
    found = details.get("issuer")
    issuer: dict[str, Any] = found if isinstance(found, dict) else {}
    return About(
        description=_text(details.get("description")),
        criteria=_text(details.get("criteria_narrative")),
        criteria_url=safe_url(_text(details.get("criteria_url")) or None),
        identifiers=[
            (identifier_label(item), _text(item.get("value")))
            for item in details.get("identifiers") or []
            if isinstance(item, dict) and _text(item.get("value")).strip()
        ],
        issuer_name=_text(issuer.get("name")) or issuer_name,
        issuer_url=safe_url(_text(issuer.get("url")) or None)
        or safe_url(_text(issuer.get("id")) or None),
        issuer_id=_text(issuer.get("id")),
    )


def _text(value: object) -> str:
    """Return value when it is a string, else "" (stored details are not trusted for type)."""
    return value if isinstance(value, str) else ""
