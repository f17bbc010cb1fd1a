"""The public page says what the badge means: description, criteria, numbers, issuer link."""

from __future__ import annotations

import json

import pytest

from tests import badge_factory as bf
from tests.conftest import make_user
from wallet.extensions import db
from wallet.models import Badge
from wallet.models import BadgeContent

HOSTILE = {
    "description": "Passed the **exam**. <img src=x onerror=alert(1)> [site](javascript:alert(2))",
    "criteria_narrative": "<script>alert(3)</script>Pass *both* parts.",
    "criteria_url": "javascript:alert(4)",
    "issuer": {"id": "https://issuer.example/i", "name": "JCI", "url": "javascript:alert(5)"},
    "identifiers": [
        {"label": "passNumber", "value": "P-2023-004217", "type": "ext:passNumber"},
        {"label": "<b>Member</b>", "value": "<i>R-1</i>", "type": "ext:member"},
    ],
}


@pytest.fixture
def imported(app) -> tuple[int, str]:
    """A real OB 3.0 badge imported through the service (details as import derives them)."""
    from wallet.services import badge_import

    with app.app_context():
        user = make_user()
        outcome = badge_import.import_badge(user, bf.ob3_json(pass_number="合格-2026-0042"))
        return outcome.badge.id, outcome.badge.public_id


def test_visitors_read_what_the_badge_means(client, imported) -> None:
    _badge_id, public_id = imported
    for lang, heading, label in (
        ("ja", "このバッジが示すこと", "合格番号"),
        ("en", "What this badge means", "Pass number"),
    ):
        html = client.get(f"/b/{public_id}?lang={lang}").get_data(as_text=True)
        assert heading in html
        assert "Passed the <strong>concrete diagnostician</strong> examination." in html
        assert "Pass the written and oral examinations." in html
        assert f"<dt>{label}</dt>" in html and "合格-2026-0042" in html
    # The recipient's own address never appears (it identifies the holder, not the badge).
    assert "taro@example.com" not in html


def test_issuer_content_is_escaped_and_sanitised(app, client) -> None:
    with app.app_context():
        user = make_user()
        badge = Badge(
            user_id=user.id,
            credential_key="k",
            spec="3.0",
            format="json",
            name="X",
            issuer_name="JCI",
            issuer_id="https://issuer.example/i",
            result="valid",
            recipient_confirmed=True,
            visibility="public",
        )
        badge.content = BadgeContent(
            original=b"{}",
            original_media_type="application/json",
            payload="{}",
            details_json=json.dumps(HOSTILE),
        )
        db.session.add(badge)
        db.session.commit()
        public_id = badge.public_id
    html = client.get(f"/b/{public_id}?lang=en").get_data(as_text=True)
    assert "<strong>exam</strong>" in html and "<em>both</em>" in html
    # Markup from the issuer arrives as text; no tag, handler or script URL survives as markup.
    for bad in ("<img src=x", "<script>alert(3)", 'href="javascript:', "<b>Member", "<i>R-1"):
        assert bad not in html, bad
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;b&gt;Member&lt;/b&gt;" in html and "&lt;i&gt;R-1&lt;/i&gt;" in html
    # An issuer "url" that is not http(s) is not linked: the id is, when it is.
    assert '<a href="https://issuer.example/i" rel="nofollow noopener noreferrer">JCI</a>' in html
    assert "Criteria on the issuer's site" not in html.replace("&#39;", "'")


def test_a_private_badge_shows_nothing_and_the_cache_follows_the_content(app, client, imported):
    from wallet.services import badges

    badge_id, public_id = imported
    first = client.get(f"/b/{public_id}?lang=en").get_data(as_text=True)
    assert "Pass the written and oral examinations." in first
    with app.app_context():
        stored = badges.get_any(public_id)
        details = json.loads(stored.content.details_json)
        details["criteria_narrative"] = "Pass the new examination."
        stored.content.details_json = json.dumps(details)
        db.session.commit()
    again = client.get(f"/b/{public_id}?lang=en").get_data(as_text=True)
    assert "Pass the new examination." in again  # the page cache is keyed by what it shows
    with app.app_context():
        badges.set_visibility(db.session.get(Badge, badge_id), "private")
    gone = client.get(f"/b/{public_id}?lang=en")
    assert gone.status_code == 404 and "examination" not in gone.get_data(as_text=True)


def test_the_page_is_still_one_query(app, client, imported) -> None:
    from sqlalchemy import event

    _badge_id, public_id = imported
    statements: list[str] = []
    with app.app_context():
        engine = db.engine

        def count(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get(f"/b/{public_id}?lang=ja").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
    # One lookup by the page cache middleware, one by the view (a cached visit: the first only).
    assert len([s for s in statements if "badge_contents" in s]) <= 2
    assert len(statements) <= 2, statements
