"""Labels of the identifiers issuers put in badges (pass number 合格番号, registration number)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

# Well-known kinds get our translated label; any other keeps the issuer's own words.
IDENTIFIER_LABELS = {
    "passNumber": _l("Pass number"),
    "registrationNumber": _l("Registration number"),
    "licenseNumber": _l("Licence number"),
    "certificateNumber": _l("Certificate number"),
    "studentId": _l("Student ID"),
    "result": _l("Result"),
}


def identifier_label(item: dict[str, Any]) -> str:
    """Return the label of an identifier: ours for well-known kinds, else the issuer's."""
    label = str(item.get("label") or item.get("type") or "")
    known = IDENTIFIER_LABELS.get(label)
    return str(known) if known else (label or _("Identifier"))
