"""The roles migration: every operator of the release before becomes an owner of every issuer."""

from __future__ import annotations

import logging.config

import sqlalchemy as sa

from tests.test_profile_id_migration import _clean
from tests.test_profile_id_migration import _user_row

BEFORE = "b6e1f4a9c2d7"
ROLES = "8367e0dfbbf0"


def _issuer_row(slug: str) -> dict[str, object]:
    return {
        "slug": slug,
        "name": slug.upper(),
        "url": f"https://{slug}.example/",
        "email": f"b@{slug}.example",
        "public_key_multibase": "z6Mk",
        "private_key_sealed": b"x",
        "created_at": sa.func.now(),
    }


def test_operators_become_owners_of_the_issuers_that_existed(app, monkeypatch) -> None:
    from flask_migrate import downgrade
    from flask_migrate import upgrade

    from wallet.extensions import db

    monkeypatch.setattr(logging.config, "fileConfig", lambda *args, **kwargs: None)
    with app.app_context():
        engine = db.engine
        _clean(engine)
        try:
            upgrade(revision=BEFORE)
            meta = sa.MetaData()
            users = sa.Table("users", meta, autoload_with=engine)
            issuers = sa.Table("issuers", meta, autoload_with=engine)
            with engine.begin() as connection:
                connection.execute(
                    users.insert().values(**_user_row(1, role="operator", profile_id="p1"))
                )
                connection.execute(
                    users.insert().values(**_user_row(2, role="operator", profile_id="p2"))
                )
                connection.execute(
                    users.insert().values(**_user_row(3, profile_id="p3"))
                )  # a holder
                for slug in ("jci", "other"):
                    connection.execute(issuers.insert().values(**_issuer_row(slug)))

            upgrade(revision=ROLES)
            roles = sa.Table("issuer_roles", sa.MetaData(), autoload_with=engine)
            with engine.connect() as connection:
                rows = connection.execute(
                    sa.select(users.c.email, issuers.c.slug, roles.c.role)
                    .join(users, users.c.id == roles.c.user_id)
                    .join(issuers, issuers.c.id == roles.c.issuer_id)
                ).all()
            assert sorted(rows) == [
                ("u1@example.com", "jci", "owner"),
                ("u1@example.com", "other", "owner"),
                ("u2@example.com", "jci", "owner"),
                ("u2@example.com", "other", "owner"),
            ]
            downgrade(revision=BEFORE)
            assert "issuer_roles" not in sa.inspect(engine).get_table_names()
        finally:
            _clean(engine)
            db.create_all()
