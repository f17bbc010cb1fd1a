"""The demo: an institute and the holder コンクリート 太郎 with valid, expired, revoked badges."""

from __future__ import annotations

import io
import secrets
import string
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

from flask import current_app
from PIL import Image
from PIL import ImageDraw
from sqlalchemy import func
from sqlalchemy import select

from wallet.extensions import db
from wallet.models import Issuer
from wallet.models import User
from wallet.services import accounts
from wallet.services import badges
from wallet.services import issuing
from wallet.services import password_policy
from wallet.services.issuing import claims
from wallet.services.issuing import credentials as issuer_documents
from wallet.services.issuing import issuers
from wallet.services.issuing import roles

DEMO_HOLDER = "taro@example.com"
DEMO_OPERATOR = "operator@example.com"
DEMO_NEWCOMER = "hanako@example.com"


def personal_words() -> list[str]:
    """Return the demo accounts' own words (addresses, names) a demo password must avoid."""
    return password_policy.personal_words(DEMO_HOLDER, "コンクリート", "太郎") + (
        password_policy.personal_words(DEMO_OPERATOR)
    )


def random_password() -> str:
    """Return a random password that meets the holder password policy (and the incumbent's)."""
    alphabet = string.ascii_letters + string.digits
    while True:
        # upper, lower and digit guaranteed: 13 characters the incumbent's rule allows too
        password = "Wa1" + "".join(secrets.choice(alphabet) for _ in range(10))
        if password_policy.assess(password, personal_words()).ok:
            return password


def _image(rgb: tuple[int, int, int]) -> bytes:
    """Return a simple round badge image in one colour."""
    image = Image.new("RGBA", (256, 256), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((8, 8, 248, 248), fill=(*rgb, 255))
    draw.ellipse((36, 36, 220, 220), outline=(255, 255, 255, 255), width=8)
    draw.polygon([(128, 70), (186, 170), (70, 170)], fill=(255, 255, 255, 230))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def database_is_empty() -> bool:
    """Return whether the database has no account and no issuer (the demo's precondition)."""
    users = db.session.scalar(select(func.count(User.id))) or 0
    institutes = db.session.scalar(select(func.count(Issuer.id))) or 0
    return users == 0 and institutes == 0


def seed(password: str) -> dict[str, Any]:
    """Fill an empty database with the demo; all or nothing, return what to sign in with.

    The services commit step by step; since the database was empty before, undoing a
    half-made demo is emptying it again.
    """
    try:
        return _seed(password)
    except BaseException:
        db.session.rollback()
        _empty_every_table()
        raise


def _empty_every_table() -> None:
    """Delete every row (children first), leaving the schema as it is."""
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


def _seed(password: str) -> dict[str, Any]:
    """Create the demo institute, holder, operator and badges."""
    issuer = issuers.create_issuer(
        "demo-institute",
        "デモ工学会 (Demo Institute)",
        "https://example.org/",
        "badges@example.org",
        description="A demonstration issuer of this badge wallet; its badges prove nothing.",
        image=_image((29, 78, 216)),
    )
    engineer = issuers.create_achievement(
        issuer,
        "concrete-engineer",
        "コンクリート技士",
        "コンクリートの製造・施工・検査に関する技術を有する者として登録されたことを示します。",
        "コンクリート技士試験に合格し、登録を済ませていること。",
        image=_image((22, 128, 61)),
        validity_days=4 * 365,
    )
    chief = issuers.create_achievement(
        issuer,
        "chief-concrete-engineer",
        "コンクリート主任技士",
        "コンクリートの製造・施工・研究における高度な技術を有する者として登録されたことを示します。",
        "コンクリート主任技士試験に合格し、登録を済ませていること。",
        image=_image((180, 83, 9)),
        validity_days=4 * 365,
    )
    diagnostician = issuers.create_achievement(
        issuer,
        "concrete-diagnostician",
        "コンクリート診断士",
        "コンクリート構造物の診断・維持管理に関する技術を有する者として登録されたことを示します。",
        "コンクリート診断士試験に合格し、登録を済ませていること。",
        image=_image((124, 58, 237)),
        validity_days=4 * 365,
    )
    holder = accounts.create_user(
        accounts.Registration(
            email=DEMO_HOLDER,
            family_name="コンクリート",
            given_name="太郎",
            password=password,
            name_order="family-first",
            language="ja",
            family_name_kana="コンクリート",
            given_name_kana="タロウ",
            romanized_name="Taro Concrete",
        ),
        verified=True,
    )
    operator = accounts.create_user(
        accounts.Registration(
            email=DEMO_OPERATOR,
            family_name="発行",
            given_name="担当",
            password=password,
            name_order="family-first",
            language="ja",
        ),
        verified=True,
        role="operator",
    )
    roles.add_owner(issuer, operator)
    today = issuing.today()

    def row(issued_days_ago: int, expires_in: int, pass_no: str, reg_no: str) -> Any:
        return issuing.AwardRow(
            email=DEMO_HOLDER,
            family_name="コンクリート",
            given_name="太郎",
            issued_on=today - timedelta(days=issued_days_ago),
            expires_on=today + timedelta(days=expires_in),
            identifiers=(("passNumber", pass_no), ("registrationNumber", reg_no)),
        )

    valid = issuing.award(engineer, row(230, 4 * 365 - 230, "G-2024-01234", "T-567890")).award
    claims.claim(valid, holder)
    # Valid when it was claimed, expired since: claimed "at" its issue date, then re-checked.
    old = issuing.award(diagnostician, row(5 * 365, -40, "S-2020-00777", "D-123456")).award
    claims.claim(old, holder, at=datetime.now(UTC) - timedelta(days=5 * 365 - 2))
    revoked = issuing.award(chief, row(120, 4 * 365 - 120, "C-2025-00042", "S-246810")).award
    claims.claim(revoked, holder)
    claims.revoke(revoked)
    expired_badge = claims.badge_for(old)
    if expired_badge is not None:
        badges.reverify(expired_badge, fetcher=issuer_documents.PortalFetcher())
    # One award still waiting for its holder: try the claim flow from its link.
    waiting = issuing.award(
        engineer,
        issuing.AwardRow(
            email=DEMO_NEWCOMER,
            family_name="セメント",
            given_name="花子",
            issued_on=today,
            identifiers=(("passNumber", "G-2026-00001"),),
        ),
    ).award
    claims.send_notice(waiting)
    base = current_app.config["BASE_URL"]
    return {
        "holder": holder.email,
        "password": password,
        "operator": operator.email,
        "operator_password": password,
        "issuer": issuer_documents.issuer_url(issuer),
        "sign_in_url": f"{base}/auth/login",
        "claim_url": claims.claim_url(waiting),
        "badges": [
            {"name": b.name, "public_id": b.public_id, "result": b.result}
            for b in (claims.badge_for(a) for a in (valid, old, revoked))
            if b is not None
        ],
    }
