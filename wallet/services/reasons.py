"""Why a badge is not valid: the deciding check, stored with the badge, and read back in words.

Stored as JSON on the badge (``reason_json``): the check's message id and values, and since
when the wallet has seen this result (kept while the result stays the same, so a revoked
badge can say when its revocation was found). Revocation reasons come from the issuer: OB 2.0
revocation lists and hosted assertions, and 1EdTech revocation lists put them in ``reason``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import tzinfo

from wallet.openbadges import Check
from wallet.openbadges import VerificationReport
from wallet.openbadges.messages import message_text
from wallet.services import dates
from wallet.services.richtext import clean_text

REASON_MAX = 200


@dataclass(frozen=True)
class Reason:
    """A stored reason: the deciding check's message, its values, and since when it holds."""

    message_id: str
    params: dict[str, str] = field(default_factory=dict)
    since: datetime | None = None

    @property
    def issuer_words(self) -> str:
        """Return the issuer's own reason for a revocation ("" when it gave none)."""
        words = " ".join(clean_text(self.params.get("reason", "")).split())
        return words[:REASON_MAX]


def deciding_check(report: VerificationReport) -> Check | None:
    """Return the check that makes a result other than `valid` (None for a valid badge)."""
    result = report.result
    if result == "valid":
        return None
    return next((c for c in report.checks if c.implied_result() == result), None)


def reason_json(
    report: VerificationReport,
    *,
    previous: str | None = None,
    previous_result: str | None = None,
    at: datetime | None = None,
) -> str | None:
    """Serialise why a result is not `valid`; keep the earlier `since` while the result holds."""
    check = deciding_check(report)
    if check is None:
        return None
    earlier = parse(previous) if previous_result == report.result else None
    if earlier is not None:
        since = earlier.since  # unknown for reasons stored before `since` existed
    else:
        since = at or dates.now()
    data: dict[str, object] = {"id": check.message_id, "params": dict(check.params)}
    if since is not None:
        data["since"] = dates.as_aware(since).isoformat()
    return json.dumps(data, ensure_ascii=False)


def parse(stored: str | None) -> Reason | None:
    """Return a stored reason, None when there is none or it is damaged."""
    try:
        data = json.loads(stored) if stored else None
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        return None
    params = data.get("params")
    clean = {str(k): str(v) for k, v in params.items()} if isinstance(params, dict) else {}
    since = None
    if isinstance(data.get("since"), str):
        try:
            since = dates.as_aware(datetime.fromisoformat(data["since"]))
        except ValueError:
            since = None
    return Reason(data["id"], clean, since)


def reason_text(stored: str | None, lang: str, zone: tzinfo | None = None) -> str:
    """Return why a badge is not valid in words of ``lang`` ("" when there is no reason)."""
    reason = parse(stored)
    if reason is None:
        return ""
    return message_text(reason.message_id, lang, reason.params, dates.instant_format(lang, zone))
