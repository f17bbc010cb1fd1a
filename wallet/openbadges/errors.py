"""Exceptions for unreadable input; an invalid badge is a report, never an exception."""

from __future__ import annotations


class BadgeError(Exception):
    """Base class: the input could not be read at all.

    ``code`` is a stable message id (translated by the caller); ``str(exc)`` is an
    English explanation that never reveals internal network details.
    """

    code = "input.unreadable"

    def __init__(self, message: str = "", *, code: str | None = None) -> None:
        super().__init__(message or self.__class__.__doc__ or "")
        if code is not None:
            self.code = code


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
