"""The error every issuing service raises (in a module of its own, below all of them)."""

from __future__ import annotations


class IssuingError(ValueError):
    """An issuing request cannot be carried out; ``code`` says why."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(detail or code)
        self.code = code
        self.detail = detail
