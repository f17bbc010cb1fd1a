"""The profile-id migration: existing accounts get distinct random ids, then NOT NULL + UNIQUE."""

from __future__ import annotations

import logging.config
import re

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

BEFORE = "d385caa929d3"
PROFILE_ID = "c3bcd303e5c8"


def _user_row(n: int, **extra: object) -> dict[str, object]:
    return {
        "email": f"u{n}@example.com",
        "email_key": f"u{n}@example.com",
        "family_name": "コンクリート",
        "given_name": "太郎",
        "name_order": "family-first",
        "language": "ja",
        "password_hash": "x",
        "session_token": f"t{n}",
        "role": "holder",
        "default_visibility": "public",
        "profile_public": False,
        "created_at": sa.func.now(),
        "password_changed_at": sa.func.now(),
        **extra,
    }


def _clean(engine: sa.Engine) -> None:
    from wallet.extensions import db

    db.drop_all()
    with engine.begin() as connection:
        connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))


def test_upgrade_backfills_random_unique_profile_ids_and_downgrades(app, monkeypatch):
    from flask_migrate import downgrade
    from flask_migrate import upgrade

    from wallet.extensions import db

    # migrations/env.py calls fileConfig(), which would disable the test process's loggers.
    monkeypatch.setattr(logging.config, "fileConfig", lambda *args, **kwargs: None)
    with app.app_context():
        engine = db.engine
        _clean(engine)
        try:
            upgrade(revision=BEFORE)
            users = sa.Table("users", sa.MetaData(), autoload_with=engine)
            assert "profile_id" not in users.c
            with engine.begin() as connection:
                for n in range(5):
                    connection.execute(users.insert().values(**_user_row(n)))

            upgrade(revision=PROFILE_ID)
            users = sa.Table("users", sa.MetaData(), autoload_with=engine)
            with engine.connect() as connection:
                ids = connection.execute(sa.select(users.c.profile_id)).scalars().all()
            assert len(ids) == 5 and len(set(ids)) == 5
            assert all(re.fullmatch(r"[a-z][a-z0-9]{19}", value) for value in ids)
            assert users.c.profile_id.nullable is False

            with pytest.raises(IntegrityError), engine.begin() as connection:
                connection.execute(users.insert().values(**_user_row(9)))  # no profile id
            with pytest.raises(IntegrityError), engine.begin() as connection:
                connection.execute(users.insert().values(**_user_row(8, profile_id=ids[0])))

            downgrade(revision=BEFORE)
            users = sa.Table("users", sa.MetaData(), autoload_with=engine)
            assert "profile_id" not in users.c
        finally:
            _clean(engine)
            db.create_all()  # what the app fixture's teardown expects to drop
