"""The roles migration: every operator of the release before becomes an owner of every issuer."""

from __future__ import annotations

import json
import logging.config

import sqlalchemy as sa

from tests.test_profile_id_migration import _clean
from tests.test_profile_id_migration import _user_row as _old_user_row

BEFORE = "22901bc8aa5e"
ROLES = "8367e0dfbbf0"


def _user_row(n: int, **extra: object) -> dict[str, object]:
    """A user row of the release before (sessions moved to their own table then)."""
    row = _old_user_row(n, **extra)
    del row["session_token"]
    return row


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


def _award_with_numbers(connection, meta: sa.MetaData) -> None:
    """One award of the release before, with a pass and a registration number.

    ``meta`` holds the tables reflected beforehand: reflecting inside the transaction would
    return the shared in-memory connection to the pool, which rolls the transaction back.
    """
    tables = meta.tables
    achievements, status_lists = tables["achievements"], tables["status_lists"]
    awards, issuers = tables["awards"], tables["issuers"]
    issuer_id = connection.execute(
        sa.select(issuers.c.id).where(issuers.c.slug == "jci")
    ).scalar_one()
    now = sa.func.now()
    connection.execute(
        achievements.insert().values(
            id=1,
            public_id="a1",
            issuer_id=issuer_id,
            slug="gishi",
            name="技士",
            description="d",
            criteria="c",
            image_png=b"x",
            created_at=now,
        )
    )
    connection.execute(
        status_lists.insert().values(
            id=1,
            issuer_id=issuer_id,
            number=1,
            purpose="revocation",
            bitstring=b"0",
            next_index=1,
            credential_json="{}",
            updated_at=now,
        )
    )
    identifiers = [
        {"type": "passNumber", "value": "G-2024-01"},
        {"type": "registrationNumber", "value": "T-567890"},
    ]
    connection.execute(
        awards.insert().values(
            achievement_id=1,
            email="a@example.com",
            email_key="a@example.com",
            family_name="山田",
            given_name="花子",
            language="ja",
            issued_on=sa.func.current_date(),
            identifiers_json=json.dumps(identifiers),
            credential_id="urn:uuid:1",
            status_list_id=1,
            status_index=5,
            credential_json="{}",
            baked_png=b"x",
            claim_state="pending",
            created_at=now,
        )
    )


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
            for name in ("achievements", "status_lists", "awards"):
                sa.Table(name, meta, autoload_with=engine)
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
                _award_with_numbers(connection, meta)

            upgrade(revision=ROLES)
            roles = sa.Table("issuer_roles", sa.MetaData(), autoload_with=engine)
            with engine.connect() as connection:
                rows = connection.execute(
                    sa.select(users.c.email, issuers.c.slug, roles.c.role)
                    .join(users, users.c.id == roles.c.user_id)
                    .join(issuers, issuers.c.id == roles.c.issuer_id)
                ).all()
            awards = sa.Table("awards", sa.MetaData(), autoload_with=engine)
            with engine.connect() as connection:
                numbers = connection.execute(sa.select(awards.c.numbers)).scalar_one()
            assert numbers == "g-2024-01 t-567890"  # what the follow-up search reads
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
