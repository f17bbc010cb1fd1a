"""Exceptions for unreadable input; an invalid badge is a report, never an exception."""

from __future__ import annotations

from collections.abc import Mapping


class BadgeError(Exception):
    """Base class: the input could not be read at all.

    ``code`` is a stable message id (translated by the caller); ``str(exc)`` is an
    English explanation that never reveals internal network details. ``reason``, when
    known, is a finer message id saying what was wrong ("not valid JSON", "a PNG without
    badge data", "the address answered 404") with its ``params``; both are in the
    message tables. Refused, unresolvable and unreachable addresses never get one: they
    read alike on purpose, so the answers cannot map a network.
    """

    code = "input.unreadable"

    def __init__(
        self,
        message: str = "",
        *,
        code: str | None = None,
        reason: str | None = None,
        params: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message or self.__class__.__doc__ or "")
        if code is not None:
            self.code = code
        self.reason = reason
        self.params: dict[str, str] = dict(params or {})


class ParseError(BadgeError):
    """The input is not a well-formed badge container (PNG, SVG, JSON, JWS)."""

    code = "input.malformed"


class UnsupportedFormat(BadgeError):
    """The input is readable but is not an Open Badge this library understands."""

    code = "input.not_a_badge"


class TooLarge(ParseError):
    """The input exceeds a size, depth or count limit."""

    code = "input.too_large"


class FetchError(BadgeError):
    """A remote resource could not be retrieved (refused, unreachable, too slow or too big)."""

    code = "fetch.failed"
