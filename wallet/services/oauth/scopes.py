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


_REGISTRY: dict[str, Scope] = {}


def register(scopes: Iterable[Scope]) -> None:
    """Make scopes known to the server (each API module registers its own at import)."""
    for scope in scopes:
        _REGISTRY[scope.uri] = scope


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


def has(granted: str | None, wanted: str) -> bool:
    """Return whether a granted scope string includes the wanted scope."""
    return wanted in split(granted)
