"""The OB 2.1 API's scopes, registered with the shared OAuth server."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from wallet.services.oauth import scopes

API = "ob21"
PREFIX = "https://purl.imsglobal.org/spec/ob/v2p1/scope/"
ASSERTION_READ = PREFIX + "assertion.readonly"
ASSERTION_CREATE = PREFIX + "assertion.create"
PROFILE_READ = PREFIX + "profile.readonly"

# Order matters to Moodle: its backpack client (core_badges oauth2 client, get_login_url) asks
# for every scope offered but the first, unless "profile" and "openid" are offered too. Reading
# the profile is the one it never uses, so it goes first; Moodle then asks to read and to add.
OFFERED = (PROFILE_READ, ASSERTION_READ, ASSERTION_CREATE)

ALL = (
    scopes.Scope(
        ASSERTION_READ,
        API,
        "read-badges",
        _l("Read the badges you choose below."),
        badge_specs=("2.0",),
    ),
    scopes.Scope(
        ASSERTION_CREATE,
        API,
        "write",
        _l(
            "Put badges in your wallet. Each one is verified and must be issued to your email "
            "address; you get an email for each."
        ),
    ),
    scopes.Scope(PROFILE_READ, API, "read", _l("See your name and email address.")),
)

DESCRIPTIONS = {
    ASSERTION_READ: "Permission to read assertions for the authenticated entity.",
    ASSERTION_CREATE: "Permission to create assertions for the authenticated entity.",
    PROFILE_READ: "Permission to read the profile for the authenticated entity.",
}

scopes.register(ALL)
# Moodle's badge backpack client refreshes its token with the secret in the form body.
scopes.allow_secret_post_refresh(API)
