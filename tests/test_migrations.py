"""Migrations: `flask db upgrade` builds every table, and the models never drift from the head."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine
from sqlalchemy import inspect
from sqlalchemy import text
from sqlalchemy.engine import make_url

from tests.conftest import TEST_DATABASE_URL
from tests.conftest import make_config
from wallet import create_app

pytestmark = pytest.mark.db


@contextmanager
def logging_preserved() -> Iterator[None]:
    """Undo the logging set-up that migrations/env.py applies (fileConfig) once it ran."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    loggers = {
        name: (logger.disabled, logger.level, list(logger.handlers), logger.propagate)
        for name, logger in logging.Logger.manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
    }
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, logger in logging.Logger.manager.loggerDict.items():
            if not isinstance(logger, logging.Logger):
                continue
            if name in loggers:
                logger.disabled, lvl, hdl, logger.propagate = loggers[name]
                logger.setLevel(lvl)
                logger.handlers[:] = hdl
            else:
                logger.disabled = False


@contextmanager
def empty_database(tmp_path, kind: str) -> Iterator[str]:
    """Yield the URL of an empty database: a new SQLite file, or a new PostgreSQL schema."""
    if kind == "sqlite-file":
        yield f"sqlite:///{tmp_path / 'migrated.db'}"
        return
    url = make_url(TEST_DATABASE_URL)
    schema = f"mig_{secrets.token_hex(6)}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False
        )
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


KINDS = ["sqlite-file"]
if not TEST_DATABASE_URL.startswith("sqlite"):
    KINDS.append("configured")


@pytest.fixture(params=KINDS)
def migrated_app(request, tmp_path):
    """An app whose (empty) database was brought to the head by `flask db upgrade`."""
    with empty_database(tmp_path, request.param) as url:
        app = create_app(make_config(tmp_path, DATABASE_URL=url))
        with logging_preserved():
            result = app.test_cli_runner().invoke(args=["db", "upgrade"])
        assert result.exit_code == 0, (result.output, result.exception)
        yield app
        from wallet.extensions import db

        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def model_metadata():
    """Return the metadata of every model (all model modules imported)."""
    import wallet.models  # noqa: F401 (registers the tables)
    from wallet.extensions import db

    return db.metadata


def test_upgrade_creates_every_table(migrated_app):
    from wallet.extensions import db

    metadata = model_metadata()
    with migrated_app.app_context():
        tables = set(inspect(db.engine).get_table_names())
    assert "alembic_version" in tables
    assert "users" in tables
    missing = set(metadata.tables) - tables
    assert not missing, f"tables without a migration: {sorted(missing)}"


def test_models_and_migration_head_do_not_drift(migrated_app):
    from wallet.extensions import db

    metadata = model_metadata()
    with migrated_app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        differences = compare_metadata(context, metadata)
    assert differences == [], "models differ from the migrations; run `wallet db migrate`"


def test_upgrade_is_at_head_and_idempotent(migrated_app):
    from alembic.script import ScriptDirectory

    from wallet.extensions import db

    with migrated_app.app_context():
        config = migrated_app.extensions["migrate"].migrate.get_config()
    heads = set(ScriptDirectory.from_config(config).get_heads())
    assert len(heads) == 1, f"several migration heads: {heads}"
    with migrated_app.app_context(), db.engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    assert current == heads
    with logging_preserved():
        again = migrated_app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert again.exit_code == 0


def test_the_app_works_on_the_migrated_schema(migrated_app):
    from tests.conftest import make_user

    with migrated_app.app_context():
        make_user("migrated@example.com")
    client = migrated_app.test_client()
    response = client.post(
        "/auth/login", data={"email": "MIGRATED@example.com", "password": "Passw0rd!"}
    )
    assert response.status_code == 303
    with migrated_app.app_context():
        with pytest.raises(ValueError):
            make_user("Migrated@Example.com")
