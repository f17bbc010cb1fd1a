"""Check messages show dates the way people read them, in each language."""

from __future__ import annotations

from wallet.openbadges.messages import message


def test_instants_are_shown_as_days_and_times_per_language() -> None:
    assert message("dates.not_expired", "en", {"date": "2026-11-11T14:09:11Z"}) == (
        "Valid until 11 November 2026, 14:09 UTC."
    )
    assert "2026年11月11日 14:09" in message(
        "dates.not_expired", "ja", {"date": "2026-11-11T14:09:11+09:00"}
    )


def test_plain_days_and_other_values_pass_through() -> None:
    assert "2026年4月1日" in message("dates.not_expired", "ja", {"date": "2026-04-01"})
    assert "garbage" in message("dates.not_expired", "en", {"date": "garbage"})
    assert message("no.such.id", "ja") == "no.such.id"
