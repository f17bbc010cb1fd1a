"""`wallet badges import | list | visibility | export`: the same services as the pages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests import badge_factory as bf
from tests.conftest import make_user
from wallet.extensions import db
from wallet.models import Badge
from wallet.services import accounts
from wallet.services import badges


@pytest.fixture
def holder(app) -> str:
    """A verified holder; returns the email address."""
    with app.app_context():
        return make_user().email


def _invoke(runner, *args: str):
    return runner.invoke(args=["badges", *args])


def test_import_file_json_contract(app, runner, holder, tmp_path: Path) -> None:
    """--json prints exactly the contract's object on stdout; messages go to stderr."""
    source = tmp_path / "badge.png"
    source.write_bytes(bf.ob3_png(name="CLI badge"))
    result = _invoke(runner, "import", holder, str(source), "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert set(document) == {"id", "public_id", "public_url", "result", "name", "issuer"}
    assert document["public_url"] == f"https://wallet.example.test/b/{document['public_id']}"
    assert (document["result"], document["name"], document["issuer"]) == (
        "valid",
        "CLI badge",
        "Japan Concrete Institute",
    )
    assert "Added" in result.stderr
    again = _invoke(runner, "import", holder, str(source), "--json")
    assert again.exit_code == 0
    assert json.loads(again.stdout)["id"] == document["id"]
    assert "already" in again.stderr
    with app.app_context():
        badge = db.session.get(Badge, document["id"])
        assert badge.public_id == document["public_id"] and badge.format == "png"


@pytest.fixture
def loopback_config(app_config):
    """Let the fetcher reach the test's own HTTP server on 127.0.0.1."""
    app_config["FETCH_ALLOWED_NETWORKS"] = ["127.0.0.1/32"]
    return app_config


def test_import_by_url(loopback_config, app, runner, holder) -> None:
    """A URL SOURCE goes through the app's fetcher (allow-listed loopback server)."""
    with bf.badge_server() as server:
        server.files.update(bf.ob2_hosted_files(server.base))
        result = _invoke(runner, "import", holder, server.url("/assertions/1.json"), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["name"] == "Concrete Technician"
    with app.app_context():
        assert db.session.query(Badge).one().format == "url"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"not a badge", "no Open Badge was found"),
        (None, "issued to someone else"),
        (b"TAMPERED", "not valid"),
    ],
)
def test_import_failure_exits_one_with_a_clear_message(
    app, runner, holder, tmp_path: Path, content, expected
) -> None:
    """Refused or unreadable: exit 1, one line on stderr, nothing on stdout, nothing stored."""
    source = tmp_path / "input"
    if content is None:
        content = bf.ob3_json(email="someone@else.example")
    elif content == b"TAMPERED":
        content = bf.tampered_json()
    source.write_bytes(content)
    result = _invoke(runner, "import", holder, str(source), "--json")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Error: ") and expected in result.stderr
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.output
    with app.app_context():
        assert db.session.query(Badge).count() == 0


def test_import_errors_for_unknown_account_and_missing_file(runner, holder, tmp_path) -> None:
    """Unknown address and unreadable file: exit 1 with a message."""
    missing = _invoke(runner, "import", "nobody@example.com", str(tmp_path / "x"))
    assert missing.exit_code == 1 and "no account" in missing.stderr
    unreadable = _invoke(runner, "import", holder, str(tmp_path / "nope.png"))
    assert unreadable.exit_code == 1 and "cannot read" in unreadable.stderr
    assert "Traceback" not in missing.output + unreadable.output


def test_list_visibility_export(app, runner, holder, tmp_path: Path) -> None:
    """list --json shows the badges; visibility acts like the switch; export writes the original."""
    original = bf.ob3_svg(name="Exported")
    source = tmp_path / "b.svg"
    source.write_bytes(original)
    public_id = json.loads(_invoke(runner, "import", holder, str(source), "--json").stdout)[
        "public_id"
    ]
    listing = _invoke(runner, "list", holder, "--json")
    assert listing.exit_code == 0
    assert json.loads(listing.stdout) == [
        {
            "public_id": public_id,
            "name": "Exported",
            "issuer": "Japan Concrete Institute",
            "result": "valid",
            "visibility": "public",
        }
    ]
    assert _invoke(runner, "visibility", public_id, "private").exit_code == 0
    with app.app_context():
        assert not badges.is_public(public_id)
    assert json.loads(_invoke(runner, "list", holder, "--json").stdout)[0]["visibility"] == (
        "private"
    )
    assert _invoke(runner, "visibility", public_id, "public").exit_code == 0
    with app.app_context():
        assert badges.is_public(public_id)
    target = tmp_path / "out.svg"
    exported = _invoke(runner, "export", public_id, "-o", str(target))
    assert exported.exit_code == 0, exported.output
    assert target.read_bytes() == original
    plain = _invoke(runner, "list", holder)
    assert plain.exit_code == 0 and public_id in plain.stdout


def test_list_pages_through_everything(app, runner, holder) -> None:
    """More badges than one page: list returns them all."""
    with app.app_context():
        user_id = accounts.find_by_email(holder).id
        for i in range(badges.PAGE_SIZE + 3):
            bf.add_badge(user_id, name=f"b{i}")
    listing = json.loads(_invoke(runner, "list", holder, "--json").stdout)
    assert len(listing) == badges.PAGE_SIZE + 3


def test_unknown_public_id(runner, holder, tmp_path) -> None:
    """visibility/export of an unknown or malformed id: exit 1 with a message."""
    for args in (
        ["visibility", "nosuchbadge", "public"],
        ["export", "nosuchbadge", "-o", str(tmp_path / "x")],
        ["export", "../../etc", "-o", str(tmp_path / "x")],
    ):
        result = _invoke(runner, *args)
        assert result.exit_code == 1 and "no badge" in result.stderr
    bad = _invoke(runner, "visibility", "abc", "friends")
    assert bad.exit_code == 2
