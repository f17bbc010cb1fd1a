"""The institute's portal in Chromium, on a phone and a desktop, in Japanese and English (issue 18).

An owner adds an operator with the issuer role; the operator lands on the portal, uploads a CSV
in which two people share one address and sees those two lines refused with the reason (both
recipients named, the lines to download and correct), sees whom it awarded, finds the unclaimed
ones by state and re-sends them the notice, and meets 404 on another institute's pages.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import make_user

WORDS = {
    "ja": {
        "added": "を「発行担当：授与・再送信・失効」にしました。",
        "lines": "ファイルの 4 行：2 件を授与、0 行は授与済み、2 行は受け付けませんでした。",
        "shared": "このアドレスを別々の人に割り当てています",
        "done": "すべての行を処理しました",
        "resend": "未受領の 2 人に通知を再送信する",
        "resent": "未受領の 2 人に通知を再送信しています。",
        "unclaimed": "未受領",
    },
    "en": {
        "added": "is now Issuer: awards, re-sends and revokes.",
        "lines": "4 lines in the file: 2 badges awarded, 0 lines were awarded before, "
        "2 lines refused.",
        "shared": "give this address to different people",
        "done": "Every line is done",
        "resend": "Mail the notice again to the 2 recipients who have not received it",
        "resent": "The notice is being mailed again to 2 unclaimed recipients.",
        "unclaimed": "Not received yet",
    },
}


def _setup(server: Any, label: str, lang: str) -> dict[str, str]:
    """Two institutes, an owner of the first, an account for the new operator."""
    from wallet.services.issuing import issuers

    app = server.app
    owner_email = f"owner-{label}@example.com"
    with app.app_context(), app.test_request_context("/"):
        owner = make_user(owner_email, family_name="所有", given_name="者", language=lang)
        make_user(f"op-{label}@example.com", family_name="発行", given_name="担当", language=lang)
        stranger = make_user(f"other-{label}@example.com", family_name="他", given_name="人")
        issuer = issuers.create_issuer(
            None,
            "日本コンクリート工学会",
            f"https://{label}.example.org/",
            "b@example.org",
            owner=owner,
        )
        badge = issuers.create_achievement(issuer, None, "Concrete Engineer", "d", "c")
        other = issuers.create_issuer(
            None,
            "Other Institute",
            f"https://other-{label}.example.org/",
            "o@example.org",
            owner=stranger,
        )
        other_badge = issuers.create_achievement(other, None, "Other badge", "d", "c")
        return {
            "owner": owner_email,
            "operator": f"op-{label}@example.com",
            "slug": issuer.slug,
            "badge": f"/issuing/achievements/{badge.public_id}",
            "other": f"/issuing/issuers/{other.slug}",
            "other_badge": f"/issuing/achievements/{other_badge.public_id}",
        }


def _sign_out(tab: Any) -> None:
    tab.page.locator("header .site-menu > summary").click()  # sign-out sits in the header's menu
    tab.page.locator("header form[action='/auth/logout'] button").click()
    tab.page.wait_for_load_state()


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_owner_adds_an_operator_who_awards_a_csv_with_a_shared_address(
    open_tab, live_server, tmp_path, viewport: str, lang: str
) -> None:
    label = f"portal-{viewport}-{lang}"
    words = WORDS[lang]
    ids = _setup(live_server, label, lang)
    tab = open_tab(viewport, lang, name=label)
    page = tab.page

    # The owner adds the operator with the issuer role.
    tab.sign_in(ids["owner"], lands=r"/issuing/$")
    tab.shot("owner-portal")
    page.locator(f"a[href='/issuing/issuers/{ids['slug']}']").click()
    page.locator(f"a[href='/issuing/issuers/{ids['slug']}/operators']").click()
    page.wait_for_url(re.compile(r"/operators$"))
    page.fill("#email", ids["operator"])
    page.select_option("#role", "issuer")
    # htmx answers with HX-Redirect to this same URL: wait for that page to load, not only for
    # its flash (the list below it may not be parsed yet when the flash shows).
    with page.expect_navigation(url=re.compile(r"/operators$")):
        page.locator("#operator-form button[type=submit]").click()
    page.locator("#flash", has_text=words["added"]).wait_for()  # after htmx's full reload
    assert page.locator(".operator", has_text=ids["operator"]).count() == 1
    tab.shot("operator-added")
    tab.assert_accessible()
    _sign_out(tab)

    # The operator lands on the portal and sees this institute only.
    tab.sign_in(ids["operator"], lands=r"/issuing/$")
    assert page.locator(f"a[href='{ids['other']}']").count() == 0
    tab.goto(ids["badge"])
    recipients = [f"{label}-{n}@example.com" for n in range(3)]
    csv_file = tmp_path / f"{label}.csv"
    csv_file.write_text(
        "email,family_name,given_name,issue_date,registration_number\n"
        f"{recipients[0]},山田,花子,2025-04-01,R-1\n"
        f"{recipients[1]},佐藤,次郎,2025-04-01,R-2\n"
        f"{recipients[2]},鈴木,一郎,2025-04-01,R-3\n"
        f"{recipients[0].upper()},山田,太郎,2025-04-01,R-4\n",
        encoding="utf-8",
    )
    page.set_input_files("input[type=file]", str(csv_file))
    page.locator("form[enctype='multipart/form-data'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/issuing/batches/"))
    page.locator(".awarded-list").wait_for(timeout=20_000)  # shown once every line is done
    assert words["done"] in page.locator("#batch-progress").inner_text()
    summary = page.locator(".batch-summary").inner_text()
    assert words["lines"] in summary, summary
    problems = page.locator(".problem-address")
    assert problems.count() == 2
    for n in range(2):
        text = problems.nth(n).inner_text()
        assert words["shared"] in text and "2 (山田 花子), 5 (山田 太郎)" in text, text
    assert page.locator("a[href$='/refused.csv']").count() == 1
    awarded = page.locator(".awarded-list").inner_text()
    assert recipients[1] in awarded and recipients[2] in awarded and recipients[0] not in awarded
    tab.shot("csv-refused-lines")
    tab.assert_accessible()
    assert tab.small_tap_targets() == []

    # The follow-up: the unclaimed, as cards, and the notice once more to them.
    tab.goto(ids["badge"] + "?state=unclaimed")
    cards = page.locator(".award-card")
    assert cards.count() == 2
    assert words["unclaimed"] in cards.first.inner_text()
    if viewport == "phone":  # stacked: one card per row, the address whole on it
        boxes = [cards.nth(n).bounding_box() for n in range(2)]
        assert boxes[0]["y"] < boxes[1]["y"] and abs(boxes[0]["x"] - boxes[1]["x"]) < 1
    page.fill("#award-q", "R-3")
    expect(page.locator(".award-card")).to_have_count(1)  # htmx swapped the list in
    assert recipients[2] in page.locator("#award-list").inner_text()
    tab.goto(ids["badge"] + "?state=unclaimed")
    tab.shot("unclaimed-cards")
    tab.assert_accessible()
    page.locator(f"button:has-text('{words['resend']}')").click()
    page.locator("#flash", has_text=words["resent"]).wait_for()
    for recipient in recipients[1:]:
        assert len(live_server.mails_to(recipient, at_least=2)) == 2, recipient
    assert live_server.outbox().to(recipients[0]) == []

    # Another institute's pages do not exist for this operator.
    for path in (ids["other"], ids["other_badge"], f"{ids['other']}/operators"):
        with tab.expecting("404"):
            tab.goto(path, status=404)
        assert "Other" not in page.content()
    tab.shot("another-institute-404")
