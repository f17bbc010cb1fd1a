"""Typed, immutable model shared by parsing and verification: credentials, checks, reports."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from typing import Any
from typing import Literal

Status = Literal["passed", "failed", "warning", "skipped", "unsupported"]
Result = Literal["valid", "invalid", "revoked", "expired", "not_yet_valid", "unverifiable"]
Spec = Literal["0.5", "1.0", "1.1", "2.0", "3.0"]
Format = Literal["png", "svg", "json", "jws", "jwt", "url"]

# Worst first: the overall result is the worst outcome among the checks.
RESULT_PRECEDENCE: tuple[Result, ...] = (
    "invalid",
    "revoked",
    "unverifiable",
    "expired",
    "not_yet_valid",
    "valid",
)


@dataclass(frozen=True)
class Check:
    """One verification step and its outcome.

    ``id`` names the step (``"proof"``, ``"expiry"``, ``"revocation"``, ...);
    ``message_id`` names the human message (translated outside the library);
    ``detail`` is a short technical English note; ``params`` fill the message;
    ``outcome`` is the overall result a failure implies (``invalid`` by default,
    ``revoked``/``expired``/``not_yet_valid`` for those facts, ``unverifiable``
    when a needed resource could not be had).
    """

    id: str
    status: Status
    message_id: str
    detail: str = ""
    params: Mapping[str, str] = field(default_factory=dict)
    outcome: Result | None = None

    def implied_result(self) -> Result:
        """Return the overall result this check alone would give."""
        if self.status == "failed":
            return self.outcome or "invalid"
        if self.status == "unsupported":
            return self.outcome or "unverifiable"
        return "valid"


@dataclass(frozen=True)
class Profile:
    """An issuer (or any profile) as the badge describes it."""

    id: str | None = None
    name: str | None = None
    url: str | None = None
    email: str | None = None
    image: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class Recipient:
    """The identity the badge was awarded to.

    ``type`` is ``"email"``, ``"url"``, ``"telephone"``, ``"did"``, ``"id"`` or what the
    badge says; ``identity`` is plain or ``algo$hex`` when ``hashed``.
    """

    identity: str
    type: str = "email"
    hashed: bool = False
    salt: str | None = None


@dataclass(frozen=True)
class Identifier:
    """An identifier the issuer put in the badge, e.g. a pass or registration number."""

    label: str
    value: str
    type: str = ""


@dataclass(frozen=True)
class Alignment:
    """An alignment to a framework or competency."""

    name: str | None = None
    url: str | None = None
    description: str | None = None
    framework: str | None = None
    code: str | None = None


@dataclass(frozen=True)
class Evidence:
    """A piece of evidence attached to the award."""

    id: str | None = None
    name: str | None = None
    description: str | None = None
    narrative: str | None = None
    genre: str | None = None


@dataclass(frozen=True)
class Achievement:
    """The badge class / achievement: what was earned."""

    id: str | None = None
    name: str = ""
    description: str | None = None
    criteria_narrative: str | None = None
    criteria_url: str | None = None
    image: str | None = None
    type: str | None = None


@dataclass(frozen=True)
class Credential:
    """One badge of any version, normalised for display; ``payload`` keeps what was signed."""

    spec: Spec
    format: Format
    achievement: Achievement
    issuer: Profile
    id: str | None = None
    recipient: Recipient | None = None
    # The OB 3.0 subject's own `id` (a DID when the badge is bound to a holder's key).
    subject_id: str | None = None
    issued_on: datetime | None = None
    valid_from: datetime | None = None
    expires: datetime | None = None
    narrative: str | None = None
    image: str | None = None
    evidence: tuple[Evidence, ...] = ()
    alignments: tuple[Alignment, ...] = ()
    identifiers: tuple[Identifier, ...] = ()
    payload: Any = None
    original: bytes = b""
    source_url: str | None = None


@dataclass(frozen=True)
class VerificationReport:
    """The outcome of verifying one badge: every check, and the result they add up to."""

    checks: tuple[Check, ...]
    credential: Credential | None = None
    spec: Spec | None = None
    format: Format | None = None

    @property
    def result(self) -> Result:
        """Return the worst result implied by any check (precedence in ``RESULT_PRECEDENCE``)."""
        implied = {check.implied_result() for check in self.checks}
        for result in RESULT_PRECEDENCE:
            if result in implied:
                return result
        return "valid"

    def failed(self) -> tuple[Check, ...]:
        """Return the checks that failed or could not be run."""
        return tuple(c for c in self.checks if c.status in ("failed", "unsupported"))
