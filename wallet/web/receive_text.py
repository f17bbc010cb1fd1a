"""What to tell a holder when an OpenID4VCI offer could not be taken, in plain words."""

from __future__ import annotations

from flask_babel import gettext as _


def failure_text(code: str) -> str | None:
    """Return the message for a receiving failure code (None: an import gate code)."""
    texts = {
        "offer": _(
            "This is not an offer this wallet can read. Paste the whole link that starts with "
            "openid-credential-offer://, the offer's https address, or its text."
        ),
        "offer_unreachable": _(
            "The offer could not be fetched from its address. It may have expired: ask the "
            "issuer for a new one."
        ),
        "metadata": _(
            "The issuer's description of its service is missing or unusable (it names another "
            "issuer, unsafe addresses or nothing we can take), so the offer was not used."
        ),
        "unsupported": _(
            "The issuer offers this credential only in a format or way this wallet does not "
            "support yet (it takes Open Badges as jwt_vc_json or ldp_vc, by pre-authorized code)."
        ),
        "unreachable": _("The issuer could not be reached. Please try again later."),
        "token": _(
            "The issuer did not hand over the badge (its answer was unusable). Please try again "
            "later or ask the issuer."
        ),
        "pin": _(
            "The issuer did not accept the PIN, or this offer was already used or has expired. "
            "Check the PIN; if it is right, ask the issuer for a new offer."
        ),
        "pin_required": _("Enter the PIN the issuer sent you separately."),
        "pin_format": _("The PIN does not have the form the issuer asked for."),
        "nonce": _(
            "The issuer did not accept this wallet's proof of its key (the one-time value did "
            "not match), so nothing was added. Please start again with a new offer."
        ),
        "credential": _(
            "The issuer refused to issue the badge or sent something unusable. Nothing was added."
        ),
        "deferred": _(
            "The issuer will issue this badge later; this wallet cannot wait for a deferred "
            "badge yet. Ask the issuer for the badge file or a new offer."
        ),
        "expired": _("This offer form has expired. Paste or scan the offer again."),
        "other_holder": _(
            "The issuer sent a badge bound to another wallet's key, not to yours, so it was "
            "not added."
        ),
    }
    return texts.get(code)
