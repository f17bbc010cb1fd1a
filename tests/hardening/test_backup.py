"""`wallet backup` and `wallet restore`: round trips keep every byte; bad dumps change nothing.

Runs on SQLite and, with WALLET_TEST_DATABASE_URL, on PostgreSQL (the dump is portable: one made on
either restores on the other). ASVS 5.0 2.3.3 (transactions), 16.5.3 (fail closed).
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import date
from pathlib import Path

import pytest

from tests import badge_factory as bf
from tests.conftest import make_user
from tests.hardening.helpers import db_state


def _fill(app) -> None:
    """Accounts with settings, badges with binary originals, an issuer with an award."""
    from wallet.extensions import db
    from wallet.models import BadgeContent
    from wallet.services import accounts
    from wallet.services import issuing
    from wallet.services.issuing import issuers

    with app.app_context():
        taro = make_user()
        hanako = make_user(
            "hanako@example.com", given_name="花子", name_order="given-first", language="en"
        )
        accounts.update_profile(
            hanako, default_visibility="private", profile_public=True, romanized_name="Hanako C"
        )
        bf.add_badge(taro.id, name="Binary original", visibility="private")
        badge = bf.add_badge(hanako.id, name="バッジ 🎓", issuer_name="発行者")
        content = db.session.get(BadgeContent, badge.id)
        content.original = bytes(range(256)) * 50  # every byte value
        content.image_png = bf.plain_png()
        db.session.commit()
        issuer = issuers.create_issuer(
            "jci", "日本コンクリート工学会", "https://jci.example/", "b@x.org"
        )
        achievement = issuers.create_achievement(issuer, "gishi", "技士", "説明", "基準")
        issuing.award(
            achievement,
            issuing.AwardRow("taro@example.com", "コンクリート", "太郎", date(2026, 4, 1)),
        )


def test_round_trip_keeps_every_row_byte_for_byte(app, runner, tmp_path: Path) -> None:
    _fill(app)
    before = db_state(app)
    dump = tmp_path / "wallet-backup.zip"
    result = runner.invoke(args=["backup", "-o", str(dump)])
    assert result.exit_code == 0, result.output
    assert dump.is_file() and not (tmp_path / "wallet-backup.zip.partial").exists()
    with zipfile.ZipFile(dump) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["format"] == "badge-wallet-backup" and manifest["version"] == 1
    assert manifest["tables"]["badge_contents"]["rows"] == 2
    assert manifest["tables"]["awards"]["rows"] == 1

    # Restoring over the same (non-empty) database needs --yes.
    refused = runner.invoke(args=["restore", str(dump)])
    assert refused.exit_code == 1 and "not empty" in refused.output
    assert db_state(app) == before

    _wipe(app)
    assert db_state(app) != before
    result = runner.invoke(args=["restore", str(dump)])
    assert result.exit_code == 0, result.output
    assert db_state(app) == before
    # And over a changed database with --yes: everything replaced.
    with app.app_context():
        make_user("intruder@example.com")
    result = runner.invoke(args=["restore", str(dump), "--yes"])
    assert result.exit_code == 0, result.output
    assert db_state(app) == before
    _new_rows_still_work(app)


def _wipe(app) -> None:
    from wallet.extensions import db

    with app.app_context():
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()


def _new_rows_still_work(app) -> None:
    """After a restore new rows get fresh ids (PostgreSQL sequences moved past the restored)."""
    with app.app_context():
        user = make_user("after@example.com")
        badge = bf.add_badge(user.id, name="After restore")
        assert user.id > 2 and badge.id > 2


def _broken_dumps(good: bytes) -> dict[str, bytes]:
    """Return damaged variants of a good dump."""
    with zipfile.ZipFile(io.BytesIO(good)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}

    def rezip(changed: dict[str, bytes | None]) -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            for name, data in {**files, **changed}.items():
                if data is not None:
                    archive.writestr(name, data)
        return out.getvalue()

    manifest = json.loads(files["manifest.json"])
    other_revision = dict(manifest, revision="ffffffffffff")
    other_version = dict(manifest, version=99)
    users = files["tables/users.jsonl"]
    wrong_count = json.loads(files["manifest.json"])
    wrong_count["tables"]["users"]["rows"] += 1
    return {
        "truncated": good[: len(good) // 2],
        "empty": b"",
        "not a zip": b"hello",
        "no manifest": rezip({"manifest.json": None}),
        "table missing": rezip({"tables/badges.jsonl": None}),
        "row changed": rezip({"tables/users.jsonl": users.replace(b"taro", b"jiro")}),
        "row dropped": rezip({"tables/users.jsonl": b"\n".join(users.splitlines()[1:]) + b"\n"}),
        "wrong count": rezip({"manifest.json": json.dumps(wrong_count).encode()}),
        "other revision": rezip({"manifest.json": json.dumps(other_revision).encode()}),
        "other version": rezip({"manifest.json": json.dumps(other_version).encode()}),
        "manifest garbage": rezip({"manifest.json": b"\xff{"}),
        "flipped byte": good[:200] + bytes([good[200] ^ 0xFF]) + good[201:],
    }


@pytest.mark.parametrize("into", ["empty", "filled"])
def test_damaged_or_foreign_dumps_are_refused_and_change_nothing(
    app, runner, tmp_path: Path, into: str
) -> None:
    _fill(app)
    dump = tmp_path / "good.zip"
    assert runner.invoke(args=["backup", "-o", str(dump)]).exit_code == 0
    if into == "empty":
        _wipe(app)
    before = db_state(app)
    for case, data in _broken_dumps(dump.read_bytes()).items():
        path = tmp_path / "broken.zip"
        path.write_bytes(data)
        result = runner.invoke(args=["restore", str(path), "--yes"])
        assert result.exit_code == 1, (case, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit), case
        assert "Error: " in result.output and "Nothing was changed." in result.output, case
        if case == "other revision":
            assert "schema revision ffffffffffff" in result.output
        assert db_state(app) == before, case
    missing = runner.invoke(args=["restore", str(tmp_path / "nope.zip")])
    assert missing.exit_code != 0 and db_state(app) == before


def test_a_failure_while_writing_rolls_everything_back(app) -> None:
    """An error half way through the inserts leaves the old contents in place."""
    from wallet.services import backup

    _fill(app)
    with app.app_context():
        buffer = io.BytesIO()
        backup.dump(buffer)
    before = db_state(app)
    # Make the last table's rows violate a constraint: the inserts before it must be undone.
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    manifest = json.loads(files["manifest.json"])
    badges = files["tables/badges.jsonl"].splitlines()
    duplicated = b"\n".join([*badges, badges[0]]) + b"\n"  # same primary key twice
    files["tables/badges.jsonl"] = duplicated
    manifest["tables"]["badges"]["rows"] += 1
    manifest["tables"]["badges"]["sha256"] = hashlib.sha256(duplicated).hexdigest()
    files["manifest.json"] = json.dumps(manifest).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    out.seek(0)
    with app.app_context():
        with pytest.raises(backup.BackupError, match="nothing was changed"):
            backup.restore(out, replace=True)
    assert db_state(app) == before


def _big_badges(app) -> None:
    """Store 60 badges whose originals are 512 KiB each: a table of about 40 MB in a dump."""
    import os

    from wallet.extensions import db
    from wallet.models import BadgeContent

    with app.app_context():
        holder = make_user()
        for index in range(60):
            badge = bf.add_badge(holder.id, name=f"Big {index}")
            content = db.session.get(BadgeContent, badge.id)
            content.original = os.urandom(512 * 1024)  # incompressible: the dump stays big
        db.session.commit()


def _peak_memory(call) -> int:
    """Return the most memory Python held at once while call ran."""
    import tracemalloc

    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_backup_streams_each_table_instead_of_holding_it(app, tmp_path: Path) -> None:
    """A 40 MB table is written within a small fraction of its size in memory (was: all of it)."""
    from wallet.services import backup

    _big_badges(app)
    dump = tmp_path / "big.zip"
    with app.app_context():
        peak = _peak_memory(lambda: backup.dump(dump))
    with zipfile.ZipFile(dump) as archive:
        unpacked = archive.getinfo("tables/badge_contents.jsonl").file_size
    assert unpacked > 40 * 1024 * 1024
    assert peak < unpacked / 2, (
        f"backup held {peak / 2**20:.0f} MiB of a {unpacked / 2**20:.0f} MiB table"
    )


def test_restore_streams_the_dump_instead_of_reading_it_whole(app, tmp_path: Path) -> None:
    """A 40 MB table restores within a small fraction of its size in memory (was: all of it)."""
    from wallet.services import backup

    _big_badges(app)
    dump = tmp_path / "big.zip"
    with app.app_context():
        backup.dump(dump)
        with zipfile.ZipFile(dump) as archive:
            unpacked = archive.getinfo("tables/badge_contents.jsonl").file_size
        assert unpacked > 40 * 1024 * 1024
    expected = db_state(app)
    with app.app_context():
        peak = _peak_memory(lambda: backup.restore(dump, replace=True))
    assert db_state(app) == expected
    assert peak < unpacked / 2, (
        f"restore held {peak / 2**20:.0f} MiB of a {unpacked / 2**20:.0f} MiB table"
    )
