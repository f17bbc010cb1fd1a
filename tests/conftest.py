"""Shared fixtures: the app on SQLite or PostgreSQL, a client, a CLI runner, the outbox, users."""

from __future__ import annotations

import email
import email.policy
import os
import re
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

TEST_DATABASE_URL = os.environ.get("WALLET_TEST_DATABASE_URL", "sqlite://")
PASSWORD = "Passw0rd!"  # the incumbent's rule allowed it: existing accounts still sign in
# A password the policy accepts, for every form that sets one (registration, reset, claim).
STRONG_PASSWORD = "Velvet#cactus42"

CHEAP_HASHING = {
    "PASSWORD_TIME_COST": 1,
    "PASSWORD_MEMORY_COST": 1024,
    "PASSWORD_PARALLELISM": 1,
}


def pytest_configure(config: pytest.Config) -> None:
    """Capture every log line of the session (searched for personal data at its end)."""
    from tests import suite_logs

    suite_logs.start()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when any captured log line holds a test address or name."""
    from tests import suite_logs

    suite_logs.stop()
    if session.config.option.collectonly or session.testscollected == 0:
        return
    base = suite_logs.folder()
    found = suite_logs.leaks(base, suite_logs.needles())
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    write = reporter.write_line if reporter is not None else (lambda line, **_: print(line))
    write(f"log privacy: {suite_logs.line_count(base)} captured log lines in {base}")
    if found:
        write(f"log privacy: {len(found)} line(s) hold personal data from the tests:", red=True)
        for name, needle, line in found[:50]:
            write(f"  {name}: {needle!r} in {line}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses the database so the PostgreSQL run can select them."""
    for item in items:
        if "app" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.db)


def make_config(tmp_path: Path, **overrides: object) -> dict[str, object]:
    """Return the configuration mapping the tests run with."""
    config: dict[str, object] = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "DATABASE_URL": TEST_DATABASE_URL,
        "BASE_URL": "https://wallet.example.test",
        "MAIL_BACKEND": "outbox",
        "MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
        "RATELIMIT_ENABLED": False,
        "WTF_CSRF_ENABLED": False,
        # A request's jobs (mails) run before the test client returns; tests/test_jobs.py
        # covers running them after the response.
        "QUEUE_AFTER_RESPONSE": False,
        "LOG_LEVEL": "WARNING",  # on stderr; the suite's log capture takes every level
        **CHEAP_HASHING,
    }
    config.update(overrides)
    return config


@pytest.fixture
def app_config(tmp_path: Path) -> dict[str, object]:
    """Configuration for the app fixture; tests may change it before `app` is built."""
    return make_config(tmp_path)


@pytest.fixture
def app(app_config: dict[str, object], tmp_path: Path) -> Iterator:
    """A fresh application with empty tables."""
    from wallet import create_app
    from wallet.extensions import db

    application = create_app(app_config)
    application.instance_path = str(tmp_path / "instance")
    with application.app_context():
        db.drop_all()
        db.create_all()
    yield application
    with application.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture
def client(app):
    """A test client for app."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner for app's commands."""
    return app.test_cli_runner()


class Outbox:
    """The mails the app wrote to its outbox folder, oldest first."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def messages(self) -> list[EmailMessage]:
        """Return every message written so far."""
        if not self.folder.exists():
            return []
        return [
            email.message_from_bytes(p.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
            for p in sorted(self.folder.glob("*.eml"))
        ]

    def to(self, address: str) -> list[EmailMessage]:
        """Return the messages sent to address."""
        return [m for m in self.messages() if m["To"] == address]

    def last(self) -> EmailMessage:
        """Return the newest message."""
        messages = self.messages()
        assert messages, "no mail was sent"
        return messages[-1]

    @staticmethod
    def text(message: EmailMessage) -> str:
        """Return the plain-text body."""
        part = message.get_body(preferencelist=("plain",))
        assert part is not None
        return part.get_content()

    @classmethod
    def links(cls, message: EmailMessage) -> list[str]:
        """Return the absolute links in the plain-text body."""
        return re.findall(r"https?://\S+", cls.text(message))


@pytest.fixture
def outbox(app) -> Outbox:
    """The app's mail outbox."""
    return Outbox(Path(app.config["MAIL_OUTBOX_DIR"]))


def make_user(
    email_address: str = "taro@example.com",
    *,
    family_name: str = "コンクリート",
    given_name: str = "太郎",
    name_order: str = "family-first",
    language: str = "ja",
    verified: bool = True,
    password: str = PASSWORD,
    role: str = "holder",
):
    """Create and return a user through the accounts service (needs an app context)."""
    from wallet.services import accounts

    return accounts.create_user(
        accounts.Registration(
            email=email_address,
            family_name=family_name,
            given_name=given_name,
            name_order=name_order,
            language=language,
            password=password,
        ),
        verified=verified,
        role=role,
    )


@pytest.fixture
def user(app):
    """A verified holder named コンクリート 太郎 (family-first, Japanese)."""
    with app.app_context():
        created = make_user()
        return {"id": created.id, "email": created.email, "password": PASSWORD}


def registration_form(**overrides: str) -> dict[str, str]:
    """Return a valid registration form for コンクリート 花子 (hanako@example.com)."""
    data = {
        "email": "hanako@example.com",
        "family_name": "コンクリート",
        "given_name": "花子",
        "name_order": "family-first",
        "language": "ja",
        "password": "Lantern+orbit7",
        "password_confirm": "Lantern+orbit7",
    }
    data.update(overrides)
    return data


class AuthActions:
    """Sign in and out through the real forms."""

    def __init__(self, client) -> None:
        self._client = client

    def login(self, email_address: str = "taro@example.com", password: str = PASSWORD):
        """Post the sign-in form."""
        return self._client.post("/auth/login", data={"email": email_address, "password": password})

    def logout(self):
        """Post the sign-out form."""
        return self._client.post("/auth/logout")


@pytest.fixture
def auth(client) -> AuthActions:
    """Sign-in helpers bound to the test client."""
    return AuthActions(client)


HTMX_HEADERS = {"HX-Request": "true"}


def htmx_headers(target: str | None = None, **extra: str) -> dict[str, str]:
    """Return the headers htmx sends for a request aimed at target."""
    headers = dict(HTMX_HEADERS)
    if target:
        headers["HX-Target"] = target
    headers.update(extra)
    return headers
