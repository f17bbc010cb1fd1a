"""Check messages show dates the way people read them, in each language."""

from __future__ import annotations

from datetime import datetime

import pytest

from wallet.openbadges.messages import _day_and_time
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


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_days_and_times_read_as_babel_writes_them(lang: str) -> None:
    """The library writes en and ja dates itself (Babel is slow to load); Babel is the judge."""
    from babel.dates import format_datetime

    values = [
        f"{year:04d}-{month:02d}-{day:02d}{time}"
        for year, day in ((2026, 1), (2031, 9), (999, 28), (2024, 29))
        for month in range(1, 13)
        for time in ("", "T00:00:00Z", "T09:05:59+09:00", "T23:59:00-03:30", "T12:30:15.5")
        if not (month == 2 and day == 29 and year != 2024)
    ]
    for value in values:
        instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
        with_time = len(value) > 10
        if with_time:
            pattern = "y年M月d日 HH:mm" if lang == "ja" else "d MMMM y, HH:mm"
        else:
            pattern = "y年M月d日" if lang == "ja" else "d MMMM y"
        expected = format_datetime(instant, pattern, tzinfo=instant.tzinfo, locale=lang)
        assert _day_and_time(instant, lang, with_time) == expected, value
        assert expected in message("dates.not_expired", lang, {"date": value})


def test_other_languages_still_go_through_babel() -> None:
    assert message("dates.not_expired", "fr", {"date": "2026-04-01"}) == (
        "Valid until 1 avril 2026."
    )
