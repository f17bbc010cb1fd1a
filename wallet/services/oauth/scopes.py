"""The scopes every API registers (one OAuth server serves them all) and what each one allows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# Asked for by OB 3.0 clients that want a refresh token; granted with the other scopes.
OFFLINE_ACCESS = "offline_access"


@dataclass(frozen=True)
class Scope:
    """One scope: its URI, the API it belongs to, and what it lets an application do."""

    uri: str
    api: str
    # "read-badges" (the consent page then asks which badges), "read" or "write"
    kind: str
    label: object  # a lazily translated sentence for the consent page
    # For "read-badges": the Open Badges versions it reads (what the consent page lists).
    badge_specs: tuple[str, ...] = ()


_REGISTRY: dict[str, Scope] = {}
# APIs whose clients may send the client secret in the body when refreshing (Moodle does).
_SECRET_POST_REFRESH: set[str] = set()


def register(scopes: Iterable[Scope]) -> None:
    """Make scopes known to the server (each API module registers its own at import)."""
    for scope in scopes:
        _REGISTRY[scope.uri] = scope


def allow_secret_post_refresh(api: str) -> None:
    """Let clients registered for an API's scopes refresh with client_secret_post."""
    _SECRET_POST_REFRESH.add(api)


def secret_post_refresh_allowed(registered: str | None) -> bool:
    """Return whether a client registered for these scopes may refresh with client_secret_post."""
    return any(
        (scope := known(uri)) is not None and scope.api in _SECRET_POST_REFRESH
        for uri in split(registered)
    )


def known(uri: str) -> Scope | None:
    """Return the registered scope with this URI, if any."""
    return _REGISTRY.get(uri)


def supported() -> list[str]:
    """Return every scope URI the server accepts, offline_access included."""
    return sorted(_REGISTRY) + [OFFLINE_ACCESS]


def split(scope: str | None) -> list[str]:
    """Return the distinct scope URIs of a space-separated scope string, in order."""
    seen: list[str] = []
    for item in (scope or "").split():
        if item not in seen:
            seen.append(item)
    return seen


def unknown(scope: str | None) -> list[str]:
    """Return the scopes of a scope string the server does not know."""
    return [s for s in split(scope) if s != OFFLINE_ACCESS and s not in _REGISTRY]


def granted(scope: str | None) -> list[Scope]:
    """Return the registered scopes of a scope string, in order (what an application may do)."""
    return [s for s in (known(uri) for uri in split(scope)) if s is not None]


def badge_specs(scope: str | None) -> list[str]:
    """Return the Open Badges versions the read-badges scopes of a scope string read."""
    found: list[str] = []
    for item in granted(scope):
        if item.kind == "read-badges":
            found.extend(spec for spec in item.badge_specs if spec not in found)
    return found


def has(granted: str | None, wanted: str) -> bool:
    """Return whether a granted scope string includes the wanted scope."""
    return wanted in split(granted)
