"""Why a pushed assertion was refused, in the 2.1 statusText and an English sentence.

Moodle shows the sentence to the person who pressed "Add to backpack", so it says what to do.
"""

from __future__ import annotations

import re

from wallet.api.ob21 import envelope
from wallet.services.badge_import import ImportFailed

_UNSAFE = re.compile(r"[<>&\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_RECIPIENT = {
    "not_yours": "The badge is issued to another email address than this wallet's holder has.",
    "no_recipient": "The badge names no recipient.",
    "other_identity": "The badge names its recipient by an identifier this holder has not "
    "confirmed (only email addresses are accepted).",
    "email_unconfirmed": "The holder has not confirmed their email address in the wallet yet.",
}
_INVALID = {
    "invalid": "The badge does not verify (its signature or content is not the issuer's).",
    "revoked": "The issuer has revoked this badge.",
    "expired": "The badge has expired.",
    "not_yet_valid": "The badge is not valid yet.",
    "unverifiable": "The badge could not be verified now (an issuer document could not be had).",
    "issuer_unconfirmed": "The signature holds, but nothing the issuer publishes confirms the "
    "signing key.",
}
_REQUEST = {
    "wrong_version": "Only Open Badges 2.0 assertions are accepted here.",
    "not_a_badge": "No Open Badges assertion was found.",
    "not_an_open_badge": "The document is not an Open Badges assertion.",
}


def refusal(failure: ImportFailed) -> tuple[str, str]:
    """Return (statusText, message) for a refused push."""
    code = failure.code
    if code in _RECIPIENT:
        return envelope.RECIPIENT_MISMATCH, _RECIPIENT[code]
    if code in _INVALID:
        text = _INVALID[code]
        reason = _UNSAFE.sub("", failure.params.get("reason", ""))[:200].strip()
        if code == "revoked" and reason:
            # The issuer's words travel on into the client's pages: plain text only.
            text += " Reason given: " + reason
        return envelope.INVALID_BADGE, text
    if code.startswith("fetch."):
        return envelope.INVALID_BADGE, "The issuer's copy of the badge could not be retrieved."
    if code == "conflict":
        return "BAD_REQUEST", "An assertion with this id from another issuer is in the wallet."
    if code in _REQUEST:
        return envelope.VALIDATION, _REQUEST[code]
    detail = failure.detail if code.startswith("input.") else ""
    return envelope.VALIDATION, f"The body is not a usable Assertion Payload. {detail}".strip()
