"""`wallet users create`: the web form's rules, clean errors, and the real console script."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlalchemy import select

from tests.conftest import CHEAP_HASHING
from tests.conftest import make_user
from wallet.extensions import db
from wallet.models import User

GOOD_PASSWORD = "Cl1+secret"
WALLET = Path(sys.executable).parent / "wallet"


def create(runner, *args: str, password: str | None = GOOD_PASSWORD):
    """Run `wallet users create` with the password in WALLET_PASSWORD."""
    env = {"WALLET_PASSWORD": password} if password is not None else {"WALLET_PASSWORD": None}
    return runner.invoke(args=["users", "create", *args], env=env)


def stored(app, address: str) -> User | None:
    """Return the account for address (detached)."""
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email_key == address.lower()))
        if user is not None:
            db.session.expunge(user)
        return user


def count(app) -> int:
    """Return how many accounts exist."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def assert_clean_failure(result, *fragments: str) -> None:
    """Check a refused command: exit 1, one Error: line naming the problem, no traceback."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert result.stderr.startswith("Error: ")
    for fragment in fragments:
        assert fragment in result.stderr


def test_create_a_japanese_holder(app, runner, client):
    result = create(
        runner, "Taro@Example.com", "--family-name", "コンクリート", "--given-name", "太郎"
    )
    assert result.exit_code == 0, result.output
    assert "Created account Taro@Example.com" in result.stderr
    assert result.stdout == ""
    user = stored(app, "taro@example.com")
    assert user.email == "Taro@Example.com"
    assert (user.family_name, user.given_name) == ("コンクリート", "太郎")
    assert user.language == "ja"
    assert user.name_order == "family-first"
    assert user.role == "holder"
    assert user.email_verified_at is None
    assert user.password_hash.startswith("$argon2id$")
    response = client.post(
        "/auth/login", data={"email": "taro@example.com", "password": GOOD_PASSWORD}
    )
    assert response.status_code == 303


def test_english_holder_defaults_to_given_first(app, runner):
    result = create(
        runner, "jane@example.com", "--family-name", "Doe", "--given-name", "Jane", "--lang", "en"
    )
    assert result.exit_code == 0, result.output
    user = stored(app, "jane@example.com")
    assert (user.language, user.name_order) == ("en", "given-first")


def test_name_order_option_beats_the_language_default(app, runner):
    result = create(
        runner,
        "kenji@example.com",
        "--family-name",
        "Sato",
        "--given-name",
        "Kenji",
        "--lang",
        "ja",
        "--name-order",
        "given-first",
    )
    assert result.exit_code == 0, result.output
    assert stored(app, "kenji@example.com").name_order == "given-first"


def test_verified_flag(app, runner):
    result = create(
        runner, "ok@example.com", "--family-name", "A", "--given-name", "B", "--verified"
    )
    assert result.exit_code == 0, result.output
    assert stored(app, "ok@example.com").email_verified_at is not None


def test_duplicate_address_is_refused_whatever_the_case(app, runner):
    with app.app_context():
        make_user("taro@example.com")
    result = create(runner, "TARO@example.COM", "--family-name", "X", "--given-name", "Y")
    assert_clean_failure(result, "already exists")
    assert count(app) == 1
    assert stored(app, "taro@example.com").family_name == "コンクリート"


@pytest.mark.parametrize(
    "address", ["not-an-email", "taro@", "@example.com", "a b@example.com", "x" * 300 + "@ex.com"]
)
def test_bad_email_is_refused(app, runner, address):
    result = create(runner, address, "--family-name", "A", "--given-name", "B")
    assert_clean_failure(result)
    assert "email address" in result.stderr
    assert count(app) == 0


@pytest.mark.parametrize(
    ("password", "fragments"),
    [
        ("short1A", ["at least 8 characters"]),
        ("password123", ["too easy to guess", "commonly used password"]),
        ("p@example.com2026", ["too easy to guess", "your name or email address"]),
        ("パス", ["at least 8 characters"]),
        ("", ["at least 8 characters"]),
        ("x" * 129, ["at most 128 characters"]),
    ],
)
def test_bad_password_is_refused_naming_the_rule(app, runner, password, fragments):
    result = create(
        runner, "p@example.com", "--family-name", "A", "--given-name", "B", password=password
    )
    assert_clean_failure(result, *fragments)
    assert count(app) == 0


@pytest.mark.parametrize(
    "options",
    [
        ["--family-name", "", "--given-name", "B"],
        ["--family-name", "A", "--given-name", "   "],
        ["--family-name", "A" * 101, "--given-name", "B"],
        ["--family-name", "A\x07", "--given-name", "B"],
    ],
)
def test_bad_names_are_refused(app, runner, options):
    result = create(runner, "n@example.com", *options)
    assert_clean_failure(result)
    assert "name" in result.stderr
    assert count(app) == 0


def test_unknown_language_is_a_usage_error(app, runner):
    result = create(
        runner, "l@example.com", "--family-name", "A", "--given-name", "B", "--lang", "fr"
    )
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert count(app) == 0


def test_missing_password_without_a_terminal(app, runner):
    result = create(
        runner, "n@example.com", "--family-name", "A", "--given-name", "B", password=None
    )
    assert_clean_failure(result, "WALLET_PASSWORD")
    assert count(app) == 0


# --- the real console script -----------------------------------------------------------------


def run_wallet(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the installed `wallet` console script."""
    return subprocess.run(
        [str(WALLET), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parent.parent,
    )


def test_console_script_migrates_and_creates_a_user(tmp_path):
    assert WALLET.exists(), "the wallet console script is not installed in this environment"
    database = tmp_path / "wallet.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("WALLET_")}
    env.update(
        WALLET_DATABASE_URL=f"sqlite:///{database}",
        WALLET_MAIL_OUTBOX_DIR=str(tmp_path / "outbox"),
        WALLET_PASSWORD=GOOD_PASSWORD,
        **{f"WALLET_{k}": str(v) for k, v in CHEAP_HASHING.items()},
    )
    upgraded = run_wallet("db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr

    created = run_wallet(
        "users",
        "create",
        "cli@example.com",
        "--family-name",
        "コンクリート",
        "--given-name",
        "太郎",
        "--verified",
        env=env,
    )
    assert created.returncode == 0, created.stderr
    assert "Created account cli@example.com" in created.stderr

    again = run_wallet(
        "users", "create", "CLI@example.com", "--family-name", "X", "--given-name", "Y", env=env
    )
    assert again.returncode == 1
    assert again.stderr.startswith("Error: ")
    assert "already exists" in again.stderr
    assert "Traceback" not in again.stderr

    with sqlite3.connect(database) as connection:
        rows = connection.execute(
            "SELECT email, family_name, given_name, name_order, language,"
            " email_verified_at IS NOT NULL FROM users"
        ).fetchall()
    assert rows == [("cli@example.com", "コンクリート", "太郎", "family-first", "ja", 1)]
