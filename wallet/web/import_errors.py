"""Why a badge was not added, in plain words: what was wrong, then what to do about it."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_login import current_user

from wallet.services import addresses
from wallet.services import badge_import
from wallet.web.i18n import check_text
from wallet.web.visitors import signed_in_user


def failure_text(failure: badge_import.ImportFailed) -> str:
    """Say in plain words why a badge was not added (what was wrong, and what to do)."""
    code = failure.code
    if code.startswith("fetch.") or code.startswith("input.") or code == "not_a_badge":
        return _unreadable(failure)
    text = _gate_text(failure)
    if text is not None:
        return text
    texts = {
        "invalid": _("The badge is not valid: its signature or content does not check out."),
        "revoked": _("The issuer has revoked this badge."),
        "expired": _("This badge has expired."),
        "not_yet_valid": _("This badge is not valid yet."),
        "unverifiable": _(
            "The badge could not be verified right now: something the issuer publishes could "
            "not be reached. Please try again later."
        ),
    }
    text = texts.get(code, _("The badge could not be added."))
    reason = check_text(failure.message_id, failure.params)
    return f"{text} {reason}".strip() if reason else text


def _unreadable(failure: badge_import.ImportFailed) -> str:
    """Say what was wrong with input that could not be read, and what to do about it."""
    code, reason = failure.code, failure.message_id
    what = check_text(reason, failure.params) if reason else ""
    if code == "fetch.timeout":
        return _(
            "The address took too long to answer. Please try again later, or upload the badge file."
        )
    if code in ("fetch.too_large", "input.too_large"):
        return _("The badge is too large to be read.")
    if reason == "fetch.status":
        return f"{what} {_status_advice(failure.params.get('status', ''))}"
    if code.startswith("fetch."):
        # Refused, unresolvable and unreachable addresses get one message: telling them apart
        # would let anyone map which internal names exist (security notes S13).
        return _(
            "The badge could not be fetched from that address. "
            "Check the address, or download the badge and upload the file."
        )
    if reason in ("input.png_no_badge", "input.svg_no_badge", "input.other_image"):
        return (
            what
            + " "
            + _(
                "Images saved from a web page or to the photo library lose the badge data: use "
                "the original file the issuer sent (on a phone, from the Files app)."
            )
        )
    if reason == "input.web_page":
        return (
            what
            + " "
            + _(
                "Paste the address of the badge itself (the assertion link in the issuer's mail), "
                "or download the badge and upload the file."
            )
        )
    if what:
        return what
    if code in ("input.not_a_badge", "not_a_badge"):
        return _(
            "No Open Badge was found in this file or text. An image saved to the photo library "
            "may have lost its badge data: use the original file from the Files app."
        )
    return _("This file or text could not be read as a badge.")


def _status_advice(status: str) -> str:
    """Return what to do when the badge's address answered with an HTTP status."""
    if status in ("404", "410"):
        return _("Check that the address is complete; the badge may have moved or been removed.")
    if status in ("401", "403"):
        return _(
            "The issuer shows it only to people who are signed in: download the badge there "
            "and upload the file."
        )
    if status.startswith("5"):
        return _("The issuer's server has a problem. Please try again later.")
    return _("Check the address, or download the badge and upload the file.")


def _gate_text(failure: badge_import.ImportFailed) -> str | None:
    """Return the text of a refusal by the wallet's gate (not this holder's, ...), else None."""
    code = failure.code
    if code == "not_an_open_badge":
        return _(
            "This is a verifiable credential, but not an Open Badge, so it cannot be added to "
            "the wallet."
        )
    if code == "not_yours":
        return _(
            "This badge was issued to someone else: its recipient is not %(email)s. If it is "
            "yours, ask the issuer to issue it to this address.",
            # Every confirmed address of the holder was compared (services/addresses.py).
            email=confirmed_addresses_text(),
        )
    if code == "no_recipient":
        return _(
            "This badge does not say who it was awarded to, so it cannot be added to a wallet. "
            "Ask the issuer to issue it to %(email)s.",
            email=current_user.email,
        )
    if code == "other_identity":
        return _(
            "This badge names its recipient by an identifier that is not this account's email "
            "address. Ask the issuer to issue it to %(email)s.",
            email=current_user.email,
        )
    if code == "issuer_unconfirmed":
        return _(
            "The badge's signature is intact, but nothing published by %(issuer)s confirms the "
            "key that signed it, so it cannot be shown as valid. Ask the issuer to publish its "
            "signing key in its issuer profile or DID document, then add the badge again.",
            issuer=failure.params.get("issuer") or _("the issuer"),
        )
    if code == "email_unconfirmed":
        return _(
            "Please confirm your email address first (use the link we mailed to %(email)s), "
            "then add the badge again.",
            email=failure.params.get("address") or current_user.email,
        )
    return None


def confirmed_addresses_text() -> str:
    """Return the holder's confirmed addresses, comma-separated (badges to any of them match)."""
    return ", ".join(addresses.confirmed_addresses(signed_in_user())) or str(current_user.email)
