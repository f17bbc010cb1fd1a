"""The OB 3.0 API's four scopes, registered with the shared OAuth server."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from wallet.services.oauth import scopes

PREFIX = "https://purl.imsglobal.org/spec/ob/v3p0/scope/"
CREDENTIAL_READ = PREFIX + "credential.readonly"
CREDENTIAL_UPSERT = PREFIX + "credential.upsert"
PROFILE_READ = PREFIX + "profile.readonly"
PROFILE_UPDATE = PREFIX + "profile.update"

ALL = (
    scopes.Scope(CREDENTIAL_READ, "ob3", "read-badges", _l("Read the badges you choose below.")),
    scopes.Scope(PROFILE_READ, "ob3", "read", _l("See your name and email address.")),
    scopes.Scope(
        CREDENTIAL_UPSERT,
        "ob3",
        "write",
        _l(
            "Put badges in your wallet. Each one is verified and must be issued to your email "
            "address; you get an email for each."
        ),
    ),
    scopes.Scope(PROFILE_UPDATE, "ob3", "write", _l("Change the name on your profile.")),
)

DESCRIPTIONS = {
    CREDENTIAL_READ: "Permission to read AchievementCredentials for the authenticated entity.",
    CREDENTIAL_UPSERT: "Permission to create or update AchievementCredentials for the "
    "authenticated entity.",
    PROFILE_READ: "Permission to read the profile for the authenticated entity.",
    PROFILE_UPDATE: "Permission to update the profile for the authenticated entity.",
}

scopes.register(ALL)
