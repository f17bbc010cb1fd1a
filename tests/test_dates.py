"""Dates as people read them: the reader's time zone, the day an issuer states, one style."""

from __future__ import annotations

import io
import json
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from tests import badge_factory as bf
from tests.conftest import make_user
from wallet.extensions import db
from wallet.models import Award
from wallet.models import Badge
from wallet.models import User

TOKYO = ZoneInfo("Asia/Tokyo")
# 23:30 and 00:30 Japan time on either side of midnight: 14:30 and 15:30 UTC on 20 April.
LATE_EVENING = datetime(2026, 4, 20, 23, 30, tzinfo=TOKYO)
JUST_AFTER_MIDNIGHT = datetime(2026, 4, 21, 0, 30, tzinfo=TOKYO)


# --- the helper ---------------------------------------------------------------------------------


def test_one_style_per_language(app) -> None:
    from wallet.services import dates

    moment = datetime(2026, 4, 20, 14, 30, tzinfo=UTC)
    with app.app_context():
        assert dates.format_day(date(2026, 4, 20), "ja") == "2026年4月20日"
        assert dates.format_day(date(2026, 4, 20), "en") == "20 April 2026"
        assert dates.format_moment(moment, "ja", TOKYO) == "2026年4月20日 23:30（日本時間）"
        assert dates.format_moment(moment, "en", TOKYO) == "20 April 2026, 23:30 (Japan Time)"
        assert dates.format_moment(moment, "en", ZoneInfo("UTC")) == "20 April 2026, 14:30 (UTC)"
        # An instant's day is the day in the reader's zone; SQLite's naive values are UTC.
        assert dates.format_day(datetime(2026, 4, 20, 15, 30), "ja", TOKYO) == "2026年4月21日"
        assert dates.format_day(datetime(2026, 4, 20, 15, 30), "en", ZoneInfo("UTC")) == (
            "20 April 2026"
        )


@pytest.mark.parametrize(
    ("text", "end", "day"),
    [
        ("2026-04-20T00:00:00+09:00", False, date(2026, 4, 20)),  # our portal's days
        ("2026-04-20", False, date(2026, 4, 20)),  # date-only (OB 1.x / 2.0)
        ("2026-04-20T00:00:00Z", False, date(2026, 4, 20)),
        ("2030-04-19T23:59:59+09:00", True, date(2030, 4, 19)),  # an expiry valid all day
        ("2030-04-19T23:59:59+09:00", False, None),
        ("2026-04-19T15:00:00Z", False, None),  # the same instant as Tokyo midnight: a moment
        ("2026-04-20T23:30:00+09:00", False, None),
    ],
)
def test_stated_day(text, end, day) -> None:
    from wallet.openbadges.checks import parse_datetime
    from wallet.services import dates

    assert dates.stated_day(parse_datetime(text), end=end) == day


def test_check_messages_show_their_dates_in_the_readers_zone(app) -> None:
    from wallet.openbadges.messages import message_text
    from wallet.services import dates

    params = {"date": "2026-04-20T14:59:59Z"}
    with app.app_context():
        ja = message_text("dates.expired", "ja", params, dates.instant_format("ja", TOKYO))
        en = message_text(
            "dates.expired", "en", params, dates.instant_format("en", ZoneInfo("UTC"))
        )
    assert "2026年4月20日 23:59（日本時間）" in ja
    assert "20 April 2026, 14:59 (UTC)" in en


# --- an award made at 23:30 and at 00:30 Japan time ----------------------------------------------


def _operator_awards_at(app, client, moment: datetime, email: str) -> Award:
    """Award the portal's badge through the operator's form with the clock at `moment`."""
    from wallet.services.issuing import issuers

    app.config["VERIFY_NOW"] = moment.astimezone(UTC)
    try:
        achievement = issuers.achievements_of(issuers.get_issuer("jci"))[0]
        response = client.post(
            f"/issuing/achievements/{achievement.public_id}/award",
            data={
                "email": email,
                "family_name": "コンクリート",
                "given_name": "太郎",
                "language": "ja",
                "pass_number": "G-2026-00001",
            },
        )
        assert response.status_code == 303, response.get_data(as_text=True)
    finally:
        app.config["VERIFY_NOW"] = None
    return db.session.scalar(db.select(Award).where(Award.email_key == email))


def _claim(app, award: Award, language: str) -> Badge:
    """The holder (an account on the awarded address) receives the award, verified then."""
    from wallet.services.issuing import claims

    user = make_user(award.email, language=language)
    user.romanized_name = "Taro Concrete"
    db.session.commit()
    app.config["VERIFY_NOW"] = award.created_at.astimezone(UTC) + timedelta(minutes=1)
    try:
        return claims.claim(award, user)
    finally:
        app.config["VERIFY_NOW"] = None


@pytest.fixture
def portal(app, client, auth):
    """An issuer, its badge class, and a signed-in operator."""
    from tests.test_issuing import grant
    from tests.test_issuing import make_issuer

    with app.app_context():
        make_issuer()
        make_user("operator@example.com", role="operator")
    grant(app, "operator@example.com", "jci", "issuer")
    auth.login("operator@example.com")
    return client


@pytest.mark.parametrize(
    ("moment", "ja_day", "en_day"),
    [
        (LATE_EVENING, "2026年4月20日", "20 April 2026"),
        (JUST_AFTER_MIDNIGHT, "2026年4月21日", "21 April 2026"),
    ],
)
def test_an_award_shows_its_japanese_calendar_day_on_every_page_and_document(
    app, portal, moment, ja_day, en_day
) -> None:
    """Today the day shifted to UTC (4月19日 / 4月20日); now every page and PDF agrees."""
    from wallet.services import documents

    client = portal
    with app.app_context():
        award = _operator_awards_at(app, client, moment, "holder@example.com")
        assert award.issued_on == date.fromisoformat(
            "2026-04-20" if moment == LATE_EVENING else "2026-04-21"
        )
        credential = json.loads(award.credential_json)
        assert credential["validFrom"] == f"{award.issued_on.isoformat()}T00:00:00+09:00"
        badge = _claim(app, award, "ja")
        badge_id, public_id = badge.id, badge.public_id
        assert badge.issued_day == award.issued_on
    # The operator's table.
    table = client.get(f"/issuing/achievements/{award.achievement.public_id}").get_data(
        as_text=True
    )
    assert ja_day in table
    client.post("/auth/logout")
    # The public page, for Japanese visitors (Japan Time) and English ones (UTC).
    assert ja_day in client.get(f"/b/{public_id}?lang=ja").get_data(as_text=True)
    assert en_day in client.get(f"/b/{public_id}?lang=en").get_data(as_text=True)
    # The holder's wallet and badge page, in Japanese and, after switching, in English.
    client.post("/auth/login", data={"email": "holder@example.com", "password": "Passw0rd!"})
    assert ja_day in client.get("/").get_data(as_text=True)
    assert ja_day in client.get(f"/badges/{badge_id}").get_data(as_text=True)
    with app.app_context():
        db.session.scalar(
            db.select(User).where(User.email_key == "holder@example.com")
        ).language = "en"
        db.session.commit()
    assert en_day in client.get("/").get_data(as_text=True)
    assert en_day in client.get(f"/badges/{badge_id}").get_data(as_text=True)
    # Every document, in both languages.
    with app.test_request_context("/"):
        from wallet.services import badges

        stored = badges.get_any(public_id)
        holder = stored.user
        for kind in ("certificate", "details"):
            for lang, day in (("ja", ja_day), ("en", en_day)):
                pdf = documents.render(stored, holder, kind, lang)
                text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
                assert day in " ".join(text.split()), (kind, lang)


def test_a_moment_is_shown_in_the_readers_zone_and_the_setting_moves_it(app, client, auth) -> None:
    """Another issuer's instant (not a day boundary) follows the reader's zone."""
    issued = "2026-04-21T00:30:00+09:00"  # 15:30 UTC on 20 April
    with app.app_context():
        ja_holder = make_user("ja@example.com", language="ja")
        en_holder = make_user("en@example.com", language="en", family_name="Doe", given_name="Jo")
        from wallet.services import badge_import

        ids = {}
        for holder in (ja_holder, en_holder):
            source = bf.ob3_json(email=holder.email, extra={"validFrom": issued})
            badge = badge_import.import_badge(holder, source).badge
            assert badge.issued_day is None  # a moment, not a day
            ids[holder.email] = badge.id
    auth.login("ja@example.com")
    assert "2026年4月21日" in client.get(f"/badges/{ids['ja@example.com']}").get_data(as_text=True)
    auth.logout()
    auth.login("en@example.com")
    page = client.get(f"/badges/{ids['en@example.com']}").get_data(as_text=True)
    assert "20 April 2026" in page and "21 April 2026" not in page
    # The holder chooses Japan time in the settings: the same badge now reads 21 April.
    saved = client.post("/account/timezone", data={"timezone": "Asia/Tokyo"})
    assert saved.status_code == 303
    page = client.get(f"/badges/{ids['en@example.com']}").get_data(as_text=True)
    assert "21 April 2026" in page and "(Japan Time)" in page
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.email_key == "en@example.com"))
        assert user.timezone == "Asia/Tokyo"
    # Back to automatic (UTC for English).
    client.post("/account/timezone", data={"timezone": "auto"})
    assert "20 April 2026" in client.get(f"/badges/{ids['en@example.com']}").get_data(as_text=True)


def test_the_time_zone_setting_refuses_what_is_not_a_zone(app, client, auth) -> None:
    with app.app_context():
        make_user()
    auth.login()
    page = client.get("/account").get_data(as_text=True)
    assert 'name="timezone"' in page and "Asia/Tokyo" in page
    for value in ("Mars/Olympus", "../../etc/passwd", "", "x" * 500):
        refused = client.post("/account/timezone", data={"timezone": value})
        assert refused.status_code == 422
    with app.app_context():
        assert db.session.scalar(db.select(User)).timezone is None


def test_offset_written_by_the_portal_is_the_same_instant(app) -> None:
    """Writing +09:00 instead of Z changes nothing a verifier checks: the instant is the same."""
    from tests.test_issuing import make_issuer
    from tests.test_issuing import row
    from wallet.services import issuing

    with app.app_context():
        _issuer, achievement = make_issuer()
        award = issuing.award(achievement, row()).award
        credential = json.loads(award.credential_json)
    start = datetime.fromisoformat(credential["validFrom"])
    assert start.utcoffset() == timedelta(hours=9)
    assert start.astimezone(UTC) == datetime(2025, 3, 31, 15, 0, tzinfo=UTC)
    until = datetime.fromisoformat(credential["validUntil"])
    assert until.astimezone(UTC) == datetime(2029, 3, 31, 14, 59, 59, tzinfo=UTC)
