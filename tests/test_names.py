"""Names are stored apart and rendered in the holder's order: コンクリート 太郎 (family-first)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import inspect as sa_inspect

from wallet.models import User
from wallet.models import names


def person(family: str, given: str, order: str, family_kana=None, given_kana=None):
    """Return an object shaped like a holder."""
    return SimpleNamespace(
        family_name=family,
        given_name=given,
        name_order=order,
        family_name_kana=family_kana,
        given_name_kana=given_kana,
    )


@pytest.mark.parametrize(
    ("family", "given", "order", "expected"),
    [
        ("コンクリート", "太郎", "family-first", "コンクリート 太郎"),
        ("コンクリート", "太郎", "given-first", "太郎 コンクリート"),
        ("Concrete", "Taro", "given-first", "Taro Concrete"),
        ("Concrete", "Taro", "family-first", "Concrete Taro"),
        ("山田", "花子", "family-first", "山田 花子"),
        ("李", "小龍", "family-first", "李 小龍"),
        ("Madonna", "", "given-first", "Madonna"),
        ("", "Teller", "family-first", "Teller"),
    ],
)
def test_full_name_in_the_chosen_order(family, given, order, expected):
    assert names.full_name(person(family, given, order)) == expected


def test_unknown_order_falls_back_to_family_first():
    assert names.full_name(person("コンクリート", "太郎", "")) == "コンクリート 太郎"


@pytest.mark.parametrize(
    ("kana", "order", "expected"),
    [
        (("こんくりーと", "たろう"), "family-first", "こんくりーと たろう"),
        (("こんくりーと", "たろう"), "given-first", "たろう こんくりーと"),
        ((None, None), "family-first", ""),
        (("", ""), "family-first", ""),
        (("こんくりーと", None), "family-first", "こんくりーと"),
        ((None, "たろう"), "given-first", "たろう"),
    ],
)
def test_furigana_in_the_chosen_order(kana, order, expected):
    holder = person("コンクリート", "太郎", order, *kana)
    assert names.full_name_kana(holder) == expected


def test_ordered_returns_the_two_parts():
    assert names.ordered("コンクリート", "太郎", "family-first") == ("コンクリート", "太郎")
    assert names.ordered("コンクリート", "太郎", "given-first") == ("太郎", "コンクリート")


def test_the_user_model_keeps_names_apart():
    columns = {c.key for c in sa_inspect(User).columns}
    assert {
        "family_name",
        "given_name",
        "family_name_kana",
        "given_name_kana",
        "name_order",
    } <= columns
    assert not columns & {"name", "full_name", "display_name"}


def test_templates_render_the_ordered_name(app):
    with app.test_request_context():
        template = app.jinja_env.from_string("{{ full_name(u) }}|{{ full_name_kana(u) }}")
        holder = person("コンクリート", "太郎", "family-first", "こんくりーと", "たろう")
        assert template.render(u=holder) == "コンクリート 太郎|こんくりーと たろう"
        holder = person("コンクリート", "太郎", "given-first")
        assert template.render(u=holder) == "太郎 コンクリート|"


def test_names_are_escaped_in_pages(app, client):
    from tests.conftest import make_user

    with app.app_context():
        make_user("x@example.com", family_name="<script>alert(1)</script>", given_name="&amp;")
    client.post("/auth/login", data={"email": "x@example.com", "password": "Passw0rd!"})
    body = client.get("/account").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
