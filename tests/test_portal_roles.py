"""Roles per issuer (owner, issuer, viewer) on every page and command, and the audit log."""

from __future__ import annotations

import csv
import io

import pytest

from tests.conftest import PASSWORD
from tests.conftest import htmx_headers
from tests.conftest import make_user
from tests.test_issuing import CSV_HEADER
from tests.test_issuing import grant
from tests.test_issuing import make_issuer
from tests.test_issuing import row


def login(client, email: str) -> None:
    response = client.post("/auth/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 303


@pytest.fixture
def two_institutes(app):
    """Issuers jci (owner o@, issuer i@, viewer v@) and other (owner x@), each with a badge."""
    from wallet.services import issuing
    from wallet.services.issuing import issuers

    with app.app_context():
        _, achievement = make_issuer("jci")
        other = issuers.create_issuer("other", "Other", "https://other.example/", "o@example.org")
        other_badge = issuers.create_achievement(other, "b", "Other badge", "d", "c")
        ids = {
            "jci": achievement.public_id,
            "jci_award": issuing.award(achievement, row()).award.id,
            "other": other_badge.public_id,
            "other_award": issuing.award(other_badge, row("z@example.com")).award.id,
        }
        for email in ("o@example.com", "i@example.com", "v@example.com", "x@example.com"):
            make_user(email, family_name="担当", given_name=email[0])
    grant(app, "o@example.com", "jci", "owner")
    grant(app, "i@example.com", "jci", "issuer")
    grant(app, "v@example.com", "jci", "viewer")
    grant(app, "x@example.com", "other", "owner")
    return ids


def pages(ids: dict, slug: str, public_id: str, award_id: int) -> dict[str, list[tuple]]:
    """The issuer's pages by the least role that may use them."""
    return {
        "read": [
            ("get", f"/issuing/issuers/{slug}"),
            ("get", f"/issuing/achievements/{public_id}"),
        ],
        "award": [
            ("post", f"/issuing/achievements/{public_id}/award"),
            ("post", f"/issuing/achievements/{public_id}/csv"),
            ("post", f"/issuing/achievements/{public_id}/resend-all"),
            ("get", f"/issuing/awards/{award_id}/revoke"),
            ("post", f"/issuing/awards/{award_id}/resend"),
        ],
        "manage": [
            ("post", f"/issuing/issuers/{slug}"),
            ("post", f"/issuing/achievements/{public_id}/reminder"),
            ("get", f"/issuing/issuers/{slug}/operators"),
            ("post", f"/issuing/issuers/{slug}/operators"),
            ("get", f"/issuing/issuers/{slug}/key"),
            ("post", f"/issuing/issuers/{slug}/key"),
            ("get", f"/issuing/issuers/{slug}/log"),
            ("get", f"/issuing/issuers/{slug}/log.csv"),
        ],
    }


@pytest.mark.parametrize(
    ("email", "allowed"),
    [
        ("o@example.com", {"read", "award", "manage"}),
        ("i@example.com", {"read", "award"}),
        ("v@example.com", {"read"}),
    ],
)
def test_each_role_reaches_its_pages_and_no_other_institutes(
    app, client, two_institutes, email, allowed
) -> None:
    ids = two_institutes
    login(client, email)
    assert client.get("/issuing/").status_code == 200
    own = pages(ids, "jci", ids["jci"], ids["jci_award"])
    for level, entries in own.items():
        for method, path in entries:
            status = getattr(client, method)(path).status_code
            if level in allowed:
                assert status != 404, (email, method, path)
            else:
                assert status == 404, (email, method, path)
    foreign = pages(ids, "other", ids["other"], ids["other_award"])
    for entries in foreign.values():
        for method, path in entries:
            response = getattr(client, method)(path)
            assert response.status_code == 404, (email, method, path)
            assert "Other" not in response.get_data(as_text=True)


def test_index_lists_only_the_issuers_of_the_account(app, client, two_institutes) -> None:
    login(client, "i@example.com")
    html = client.get("/issuing/").get_data(as_text=True)
    assert "日本コンクリート工学会" in html and "Other" not in html
    assert "新しい発行者" not in html  # only the portal administrator creates issuers


def test_a_holder_without_roles_sees_no_portal_and_lands_on_the_wallet(app, client) -> None:
    with app.app_context():
        make_user("h@example.com")
    response = client.post("/auth/login", data={"email": "h@example.com", "password": PASSWORD})
    assert response.headers["Location"] == "/"
    assert client.get("/issuing/").status_code == 404
    assert "/issuing/" not in client.get("/").get_data(as_text=True)


def test_operators_land_on_the_portal_after_signing_in(app, client, two_institutes) -> None:
    response = client.post("/auth/login", data={"email": "v@example.com", "password": PASSWORD})
    assert response.headers["Location"] == "/issuing/"
    assert 'href="/issuing/"' in client.get("/").get_data(as_text=True)  # and find it again


def test_owner_adds_changes_and_removes_an_operator(app, client, two_institutes) -> None:
    from wallet.services.issuing import issuers
    from wallet.services.issuing import roles

    with app.app_context():
        make_user("new@example.com", family_name="新人", given_name="一")
    login(client, "o@example.com")
    missing = client.post(
        "/issuing/issuers/jci/operators", data={"email": "nobody@example.com", "role": "issuer"}
    )
    assert missing.status_code == 422 and "アカウントを作成" in missing.get_data(as_text=True)
    fragment = client.post(
        "/issuing/issuers/jci/operators",
        data={"email": "nobody@example.com", "role": "issuer"},
        headers=htmx_headers("operator-form"),
    )
    text = fragment.get_data(as_text=True)
    assert fragment.status_code == 422 and "<html" not in text and "アカウントを作成" in text
    added = client.post(
        "/issuing/issuers/jci/operators", data={"email": "New@Example.com", "role": "issuer"}
    )
    assert added.status_code == 303
    with app.app_context():
        user_id = next(
            m.user_id
            for m in roles.members(issuers.get_issuer("jci"))
            if m.user.email == "new@example.com"
        )
        assert roles.role_of(m_user(app, "new@example.com"), issuers.get_issuer("jci")) == "issuer"
    assert (
        client.post(f"/issuing/issuers/jci/operators/{user_id}/role", data={"role": "viewer"})
    ).status_code == 303
    assert client.post(f"/issuing/issuers/jci/operators/{user_id}/remove").status_code == 303
    with app.app_context():
        assert roles.role_of(m_user(app, "new@example.com"), issuers.get_issuer("jci")) is None
    log = client.get("/issuing/issuers/jci/log").get_data(as_text=True)
    assert "担当者追加" in log and "役割変更" in log and "担当者削除" in log


def m_user(app, email: str):
    from wallet.services import accounts

    return accounts.find_by_email(email)


def test_the_last_owner_cannot_be_removed_or_demoted(app, two_institutes) -> None:
    from wallet.services.issuing import audit
    from wallet.services.issuing import issuers
    from wallet.services.issuing import roles
    from wallet.services.issuing.errors import IssuingError

    with app.app_context():
        issuer = issuers.get_issuer("jci")
        owner = m_user(app, "o@example.com")
        actor = audit.Actor(owner, "web")
        with pytest.raises(IssuingError) as failure:
            roles.set_role(issuer, "o@example.com", "viewer", actor)
        assert failure.value.code == "last_owner"
        with pytest.raises(IssuingError):
            roles.remove(issuer, owner.id, actor)
        roles.set_role(issuer, "i@example.com", "owner", actor)
        assert roles.remove(issuer, owner.id, actor) is True


def test_audit_log_records_who_did_what_and_exports_neutralised_csv(
    app, client, outbox, two_institutes
) -> None:
    from wallet.services.issuing import audit

    login(client, "i@example.com")
    base = f"/issuing/achievements/{two_institutes['jci']}"
    form = {
        "email": '=HYPERLINK("http://evil")@example.com',
        "family_name": "=1+2",
        "given_name": "@SUM(A1)",
        "issue_date": "2025-04-01",
        "language": "ja",
    }
    # The address is refused by the form (not an address); a name may start with "=" though.
    form["email"] = "calc@example.com"
    assert client.post(base + "/award", data=form).status_code == 303
    with app.app_context():
        from wallet.extensions import db
        from wallet.models import Award

        award_id = db.session.scalar(
            db.select(Award.id).where(Award.email_key == "calc@example.com")
        )
    assert client.post(f"/issuing/awards/{award_id}/resend").status_code == 303
    assert (
        client.post(f"/issuing/awards/{award_id}/revoke", data={"reason": "-mistake"}).status_code
        == 303
    )
    assert client.get("/issuing/issuers/jci/log").status_code == 404  # issuers do not read it
    client.post("/auth/logout")
    login(client, "o@example.com")
    page = client.get("/issuing/issuers/jci/log").get_data(as_text=True)
    assert page.count("i@example.com") >= 3
    response = client.get("/issuing/issuers/jci/log.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["time", "actor", "via", "action", "badge", "subject", "detail"]
    assert [r[3] for r in rows[1:] if r[1] == "i@example.com"] == ["award", "resend", "revoke"]
    assert [r[1] for r in rows[1:] if r[3] == "award"] == ["system", "i@example.com"]
    revoke = next(r for r in rows[1:] if r[3] == "revoke")
    assert revoke[1] == "i@example.com" and revoke[5] == "calc@example.com"
    assert revoke[6] == "'-mistake"  # a formula start is neutralised
    for cell in (c for r in rows for c in r):
        assert not cell.startswith(("=", "+", "-", "@")), cell
    with app.app_context():
        assert audit.neutralise("=1+2") == "'=1+2"
        assert audit.neutralise("+81 3") == "'+81 3"
        assert audit.neutralise("@x") == "'@x"
        assert audit.neutralise("\tx") == "'\tx"
        assert audit.neutralise("山田") == "山田"


def test_commands_check_the_role_for_the_issuer(app, runner, tmp_path, two_institutes) -> None:
    csv_file = tmp_path / "a.csv"
    csv_file.write_text(CSV_HEADER + "n@example.com,山田,花子,2025-04-01,,P,R\n", "utf-8")
    refused = runner.invoke(args=["award", "--as", "v@example.com", "jci", "gishi", str(csv_file)])
    assert refused.exit_code == 1 and "no issuer 'jci'" in refused.stderr  # a viewer
    refused = runner.invoke(args=["award", "--as", "x@example.com", "jci", "gishi", str(csv_file)])
    assert refused.exit_code == 1 and "no issuer 'jci'" in refused.stderr  # another institute's
    done = runner.invoke(
        args=["award", "jci", "gishi", str(csv_file)], env={"WALLET_OPERATOR": "i@example.com"}
    )
    assert done.exit_code == 0, done.output
    assert runner.invoke(args=["operators", "list", "jci", "--as", "i@example.com"]).exit_code == 1
    listed = runner.invoke(args=["operators", "list", "jci", "--as", "o@example.com", "--json"])
    assert {"email": "v@example.com", "role": "viewer"} in __import__("json").loads(listed.stdout)
    assert (
        runner.invoke(
            args=["operators", "set", "jci", "x@example.com", "viewer", "--as", "o@example.com"]
        ).exit_code
        == 0
    )
    nobody = runner.invoke(
        args=["operators", "set", "jci", "nobody@example.com", "issuer", "--as", "o@example.com"]
    )
    assert (
        nobody.exit_code == 1 and "no_account" in nobody.stderr and "Traceback" not in nobody.output
    )
    log = runner.invoke(args=["issuers", "log", "jci", "--as", "o@example.com"])
    assert log.exit_code == 0 and ",cli,award," in log.stdout and "i@example.com" in log.stdout
    assert runner.invoke(args=["issuers", "log", "jci", "--as", "i@example.com"]).exit_code == 1


def test_issuers_list_shows_one_operators_issuers_with_their_role(
    app, runner, two_institutes
) -> None:
    import json

    result = runner.invoke(args=["issuers", "list", "--as", "v@example.com", "--json"])
    assert result.exit_code == 0, result.output
    assert [(r["slug"], r["role"]) for r in json.loads(result.stdout)] == [("jci", "viewer")]
    everyone = runner.invoke(args=["issuers", "list", "--json"])
    assert sorted(r["slug"] for r in json.loads(everyone.stdout)) == ["jci", "other"]
