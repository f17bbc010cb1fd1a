"""Shared date/recipient checks, and every message id the engine emits has en and ja text."""

from __future__ import annotations

import re
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from pathlib import Path

import pytest

from wallet.openbadges.checks import date_checks
from wallet.openbadges.checks import has_timezone
from wallet.openbadges.checks import parse_datetime
from wallet.openbadges.checks import recipient_check
from wallet.openbadges.messages import MESSAGES
from wallet.openbadges.model import Recipient
from wallet.openbadges.model import VerificationReport
from wallet.openbadges.recipient import identity_hash

NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)
DAY = timedelta(days=1)


def result_of(checks: list[object]) -> str:
    return VerificationReport(tuple(checks)).result  # type: ignore[arg-type]


def test_all_good() -> None:
    checks = date_checks(NOW - DAY, NOW - DAY, NOW + DAY, NOW)
    assert [c.status for c in checks] == ["passed", "passed", "passed"]
    assert result_of(checks) == "valid"


def test_no_dates_at_all() -> None:
    assert [c.message_id for c in date_checks(None, None, None, NOW)] == ["dates.no_expiry"]


@pytest.mark.parametrize(
    ("issued", "valid_from", "expires", "result", "message"),
    [
        (NOW + DAY, None, None, "invalid", "dates.issued_in_future"),
        (None, NOW + DAY, None, "not_yet_valid", "dates.not_yet_valid"),
        (NOW - 2 * DAY, None, NOW - DAY, "expired", "dates.expired"),
        (NOW - DAY, None, NOW - 2 * DAY, "invalid", "dates.expires_before_issued"),
        (None, NOW - DAY, NOW - 2 * DAY, "invalid", "dates.expires_before_issued"),
        (NOW - DAY, None, NOW, "expired", "dates.expired"),
    ],
)
def test_date_outcomes(
    issued: datetime | None,
    valid_from: datetime | None,
    expires: datetime | None,
    result: str,
    message: str,
) -> None:
    checks = date_checks(issued, valid_from, expires, NOW)
    assert result_of(checks) == result
    assert message in [c.message_id for c in checks if c.status == "failed"]


def test_small_clock_skew_is_tolerated() -> None:
    soon = NOW + timedelta(minutes=2)
    assert result_of(date_checks(soon, soon, None, NOW)) == "valid"
    later = NOW + timedelta(minutes=6)
    assert result_of(date_checks(later, None, None, NOW)) == "invalid"
    assert result_of(date_checks(soon, None, None, NOW, skew=timedelta(0))) == "invalid"


def test_naive_datetimes_are_utc() -> None:
    naive_now = NOW.replace(tzinfo=None)
    checks = date_checks(NOW - DAY, None, (NOW + DAY).replace(tzinfo=None), naive_now)
    assert result_of(checks) == "valid"


def test_other_time_zones_compare_correctly() -> None:
    jst = timezone(timedelta(hours=9))
    expires = datetime(2026, 11, 21, 20, 30, tzinfo=jst)  # 11:30 UTC, before NOW
    assert result_of(date_checks(None, None, expires, NOW)) == "expired"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2016-12-31T23:59:59Z", datetime(2016, 12, 31, 23, 59, 59, tzinfo=UTC)),
        ("2016-12-31T23:59:59+09:00", datetime(2016, 12, 31, 14, 59, 59, tzinfo=UTC)),
        ("2017-10-01T00:00Z", datetime(2017, 10, 1, tzinfo=UTC)),
        ("2013-06-01", datetime(2013, 6, 1, tzinfo=UTC)),
        ("2016-12-31T23:59:59", datetime(2016, 12, 31, 23, 59, 59, tzinfo=UTC)),
        (None, None),
    ],
)
def test_parse_datetime(value: str | None, expected: datetime | None) -> None:
    assert parse_datetime(value) == expected


def test_parse_unix_only_when_allowed() -> None:
    assert parse_datetime(1388534400, allow_unix=True) == datetime(2014, 1, 1, tzinfo=UTC)
    assert parse_datetime("1388534400", allow_unix=True) == datetime(2014, 1, 1, tzinfo=UTC)
    with pytest.raises(ValueError):
        parse_datetime(1388534400)
    with pytest.raises(ValueError):
        parse_datetime("1388534400")


@pytest.mark.parametrize("value", ["tomorrow", "", "2016-13-01", {"a": 1}, True, "9" * 100])
def test_parse_datetime_rejects(value: object) -> None:
    with pytest.raises(ValueError):
        parse_datetime(value, allow_unix=True)


def test_has_timezone() -> None:
    assert has_timezone("2016-12-31T23:59:59Z")
    assert has_timezone("2016-12-31T23:59:59+0900")
    assert not has_timezone("2016-12-31T23:59:59")
    assert not has_timezone(5)


def test_recipient_check_states() -> None:
    hashed = Recipient(identity_hash("a@b.jp", "s"), "email", True, "s")
    assert recipient_check(hashed, None).status == "skipped"
    assert recipient_check(hashed, ["a@b.jp"]).status == "passed"
    assert recipient_check(hashed, ["x@b.jp"]).status == "failed"
    assert recipient_check(None, ["a@b.jp"]).message_id == "recipient.no_email_identity"
    assert recipient_check(Recipient("https://x", "url"), ["a@b.jp"]).status == "skipped"


ENGINE = [
    "legacy.py",
    "legacy_common.py",
    "legacy_fetch.py",
    "legacy_hosted.py",
    "legacy_parse.py",
    "legacy_signed.py",
    "legacy_structure.py",
    "checks.py",
    "verify.py",
    "jose.py",
    "baking.py",
    "recipient.py",
    "dataintegrity.py",
    "ecdsa/__init__.py",
    "ecdsa/sd.py",
]


def test_every_emitted_message_id_has_english_and_japanese() -> None:
    root = Path(__file__).parents[2] / "wallet" / "openbadges"
    source = "".join((root / name).read_text(encoding="utf-8") for name in ENGINE)
    ids = set(re.findall(r'"((?:[a-z0-9]+_?)+\.[a-z][a-z0-9_]*)"', source))
    ids = {i for i in ids if not i.endswith((".py", ".json", ".png", ".svg", ".pem"))}
    assert len(ids) > 50
    for message_id in sorted(ids):
        texts = MESSAGES.get(message_id)
        assert texts is not None, message_id
        assert texts.get("en") and texts.get("ja"), message_id
        assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", texts["ja"]), message_id
