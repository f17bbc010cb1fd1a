"""Account data: export it all as a zip (profile, badges as received, an index), or delete it."""

from __future__ import annotations

import json
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO
from typing import Any

from flask import current_app
from flask import url_for
from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from wallet.extensions import db
from wallet.models import Badge
from wallet.models import BadgeContent
from wallet.models import ProfilePhoto
from wallet.models import User
from wallet.models import UserEmail
from wallet.models import utcnow
from wallet.models.names import full_name
from wallet.services import addresses
from wallet.services import profiles
from wallet.services import security

EXPORT_VERSION = 1
BATCH = 50
# Built in a spooled file: small exports stay in memory, large ones go to a temporary file, and
# originals are read from the database a batch at a time, so memory stays flat.
SPOOL_BYTES = 8 * 1024 * 1024
EXTENSIONS = {"png": "png", "svg": "svg", "json": "json", "jws": "jws", "jwt": "jwt", "url": "json"}
PHOTO_PATH = "profile/photo.png"
MEDIA_EXTENSIONS = {"image/png": "png", "image/svg+xml": "svg", "application/json": "json"}


def _iso(value: datetime | None) -> str | None:
    """Return an ISO 8601 timestamp (UTC assumed for naive database values), or None."""
    if value is None:
        return None
    return value.isoformat() if value.tzinfo else value.isoformat() + "+00:00"


def _public_url(endpoint: str, **values: str) -> str:
    """Return an absolute URL on WALLET_BASE_URL."""
    return current_app.config["BASE_URL"] + url_for(endpoint, **values)


def file_name(badge: Badge, content: BadgeContent) -> str:
    """Return the badge's path inside the zip: badges/<public_id>.<png|svg|json|jws|jwt>."""
    extension = EXTENSIONS.get(badge.format) or MEDIA_EXTENSIONS.get(
        content.original_media_type.split(";")[0].strip(), "bin"
    )
    return f"badges/{badge.public_id}.{extension}"


def profile_data(user: User) -> dict[str, Any]:
    """Return the account's profile and settings as exported in profile.json."""
    return {
        "export_version": EXPORT_VERSION,
        "email": user.email,
        "email_confirmed": user.is_verified,
        "family_name": user.family_name,
        "given_name": user.given_name,
        "family_name_kana": user.family_name_kana,
        "given_name_kana": user.given_name_kana,
        "romanized_name": user.romanized_name,
        "name_order": user.name_order,
        "display_name": full_name(user),
        "language": user.language,
        "additional_addresses": [
            {
                "email": row.email,
                "confirmed": row.is_confirmed,
                "added_at": _iso(row.created_at),
                "confirmed_at": _iso(row.confirmed_at),
            }
            for row in addresses.list_for(user)
        ],
        "settings": {
            "default_visibility": user.default_visibility,
            "profile_public": bool(user.profile_public),
            "expiry_reminders": bool(user.expiry_reminders),
        },
        "profile_bio": user.profile_bio,
        "profile_photo": PHOTO_PATH if profiles.photo_version(user) else None,
        "profile_url": _public_url("public.profile", profile_id=user.profile_id)
        if user.profile_public
        else None,
        "created_at": _iso(user.created_at),
    }


def index_entry(badge: Badge, path: str) -> dict[str, Any]:
    """Return one badge's entry in index.json."""
    return {
        "public_id": badge.public_id,
        "name": badge.name,
        "issuer": badge.issuer_name,
        "issuer_id": badge.issuer_id,
        "issued_on": _iso(badge.issued_on),
        "expires": _iso(badge.expires),
        "result": badge.result,
        "verified_at": _iso(badge.verified_at),
        "visibility": badge.visibility,
        "public_url": _public_url("public.show", public_id=badge.public_id)
        if badge.visibility == "public"
        else None,
        "spec": badge.spec,
        "format": badge.format,
        "source_url": badge.source_url,
        "file": path,
    }


def _json_bytes(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


@dataclass
class Export:
    """A finished export: ``data`` when small, else ``file`` (rewound; read it with chunks)."""

    size: int
    data: bytes | None = None
    file: IO[bytes] | None = None

    def chunks(self, size: int = 64 * 1024) -> Iterator[bytes]:
        """Yield the zip in pieces; the temporary file is closed once read (or abandoned)."""
        if self.file is None:
            yield self.data or b""
            return
        try:
            while chunk := self.file.read(size):
                yield chunk
        finally:
            self.file.close()

    def close(self) -> None:
        """Release the temporary file, if any (safe to call twice)."""
        if self.file is not None:
            self.file.close()


def export_zip(user: User) -> Export:
    """Write the whole account to a zip: the bytes when small, else a temporary file to stream.

    profile.json (with the additional addresses and the bio), profile/photo.png when there is
    a photo, badges/<public_id>.<ext> (each original byte for byte as received) and
    index.json (one entry per badge, pointing at its file).
    """
    out: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    now = utcnow()
    stamp = (now.year, now.month, now.day, now.hour, now.minute, now.second)
    ids = db.session.scalars(
        select(Badge.id).where(Badge.user_id == user.id).order_by(Badge.created_at, Badge.id)
    ).all()
    entries: list[dict[str, Any]] = []
    with zipfile.ZipFile(out, "w") as archive:

        def write(name: str, data: bytes, compress: bool = True) -> None:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
            archive.writestr(info, data)

        write("profile.json", _json_bytes(profile_data(user)))
        photo = profiles.own_photo(user)
        if photo is not None:
            write(PHOTO_PATH, photo, compress=False)
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            rows = db.session.scalars(
                select(Badge)
                .options(selectinload(Badge.content))
                .where(Badge.id.in_(chunk), Badge.user_id == user.id)
                .order_by(Badge.created_at, Badge.id)
            ).all()
            for badge in rows:
                path = file_name(badge, badge.content)
                # PNGs are compressed already; text compresses well.
                write(path, badge.content.original, compress=not path.endswith(".png"))
                entries.append(index_entry(badge, path))
            for badge in rows:
                db.session.expunge(badge.content)
                db.session.expunge(badge)
        write(
            "index.json",
            _json_bytes(
                {
                    "export_version": EXPORT_VERSION,
                    "exported_at": _iso(now),
                    "count": len(entries),
                    "badges": entries,
                }
            ),
        )
    size = out.tell()
    out.seek(0)
    if size <= SPOOL_BYTES:
        # Still in memory: hand over plain bytes, nothing left open for anyone to forget.
        with out:
            return Export(size=size, data=out.read())
    return Export(size=size, file=out)


def export_name(at: datetime | None = None) -> str:
    """Return the download name of an export, e.g. badge-wallet-2026-11-21.zip."""
    return f"badge-wallet-{(at or utcnow()).date().isoformat()}.zip"


def delete_account(user: User, password: str) -> bool:
    """Delete the account and everything in it when the password is right; False otherwise.

    Badges and their stored content, the profile photo and the additional addresses go first
    explicitly (not only through ON DELETE CASCADE), so nothing is left behind whatever the
    database enforces; their public URLs 404 at once.
    """
    ok, _ = security.verify_password(password, user.password_hash)
    if not ok:
        return False
    badge_ids = select(Badge.id).where(Badge.user_id == user.id).scalar_subquery()
    unsynced = {"synchronize_session": False}
    db.session.execute(
        delete(BadgeContent).where(BadgeContent.badge_id.in_(badge_ids)),
        execution_options=unsynced,
    )
    db.session.execute(delete(Badge).where(Badge.user_id == user.id), execution_options=unsynced)
    for table in (ProfilePhoto, UserEmail):
        owned = delete(table).where(table.user_id == user.id)
        db.session.execute(owned, execution_options=unsynced)
    db.session.execute(delete(User).where(User.id == user.id), execution_options=unsynced)
    db.session.commit()
    db.session.expunge_all()
    return True
