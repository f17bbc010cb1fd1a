"""An operator uploads a CSV in the browser: with htmx the batch finishes by itself; without
JavaScript the operator presses "Continue" until it is done. Every recipient is mailed."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import PASSWORD
from tests.conftest import make_user

HEADER = "email,family_name,given_name,issue_date\n"


def _achievement(server: Any, slug: str, owner: str) -> str:
    """Create an issuer (owned by ``owner``) with one achievement; return its page path."""
    from wallet.services import accounts
    from wallet.services.issuing import issuers

    app = server.app
    with app.app_context(), app.test_request_context("/"):
        issuer = issuers.create_issuer(
            slug,
            "日本コンクリート工学会",
            "https://www.jci-net.or.jp/",
            "badges@example.org",
            owner=accounts.find_by_email(owner),
        )
        achievement = issuers.create_achievement(
            issuer, "gishi", "コンクリート技士", "登録を示します。", "試験に合格すること。"
        )
        return f"/issuing/achievements/{achievement.public_id}"


@pytest.mark.parametrize("js", [True, False], ids=["htmx", "no-js"])
def test_csv_batch_runs_to_the_end(open_tab, live_server, tmp_path, monkeypatch, js: bool) -> None:
    label = "htmx" if js else "nojs"
    app = live_server.app
    # Seven lines: four steps. Restored after the test: the live server is the session's.
    monkeypatch.setitem(app.config, "AWARD_STEP_ROWS", 2)
    # A step also ends after AWARD_STEP_SECONDS: on a loaded machine it could stop after one
    # line, and four presses would not be enough.
    monkeypatch.setitem(app.config, "AWARD_STEP_SECONDS", 600.0)
    operator = f"batch-{label}@example.com"
    with app.app_context():
        make_user(operator, role="operator", language="ja")
    path = _achievement(live_server, f"batch-{label}", operator)
    recipients = [f"batch-{label}-{n}@example.com" for n in range(7)]
    csv_file = tmp_path / "awards.csv"
    csv_file.write_text(
        HEADER + "".join(f"{r},山田,花子{n},2025-04-01\n" for n, r in enumerate(recipients)),
        encoding="utf-8",
    )
    tab = open_tab("desktop", "ja", js=js, name=f"batch-{label}")
    page = tab.page
    tab.goto("/auth/login")
    page.fill("#email", operator)
    page.fill("#password", PASSWORD)
    page.locator("form:has(#password) button[type=submit]").click()
    page.wait_for_url(re.compile(r"/issuing/$"))  # operators land on the portal

    tab.goto(path)
    page.set_input_files("input[type=file]", str(csv_file))
    page.locator("form[enctype='multipart/form-data'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/issuing/batches/"))
    if js:
        page.wait_for_selector("text=すべての行を処理しました", timeout=20_000)
    else:
        for _ in range(4):
            page.locator("#batch-progress button[type=submit]").click()
            page.wait_for_load_state()
        assert page.locator("text=すべての行を処理しました").count() == 1
    assert page.locator("progress").get_attribute("value") == "7"
    tab.shot("batch-done")
    if js:  # axe runs as page script
        tab.assert_accessible()
    for recipient in recipients:
        assert len(live_server.mails_to(recipient, at_least=1)) == 1, recipient
