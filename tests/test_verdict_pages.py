"""A stored badge whose verdict changes on re-verification says so on every page, never valid.

The badge here is what the earlier rules let in: an HTTPS issuer's name on a credential signed
by a did:key nobody confirms. Stored as `valid`, re-verified it becomes `unverifiable`, and the
public page, the holder's page and the printed documents all say why, in amber.
"""

from __future__ import annotations

import io
import json
import re

import pytest
from pypdf import PdfReader

from tests.conftest import make_user
from tests.openbadges import v3_fixtures as fx
from tests.openbadges.fakes import FakeFetcher
from wallet.openbadges.keys import did_key_for
from wallet.openbadges.keys import ed25519_multikey

pytestmark = pytest.mark.db

VICTIM = "https://victim.example/issuers/1"
ATTACKER_VM = (
    f"{did_key_for(fx.OTHER_KEY.public_key())}#{ed25519_multikey(fx.OTHER_KEY.public_key())}"
)
REASON_EN = f"nothing published by {VICTIM} confirms that the key is the issuer"
REASON_JA = f"{VICTIM} が公開している情報では"


@pytest.fixture
def stored(app):
    """A forged badge stored as valid (as the earlier rules judged it), then re-verified."""
    from wallet.extensions import db
    from wallet.models import Badge
    from wallet.models import BadgeContent
    from wallet.services import badges

    forged = fx.sign(fx.credential(VICTIM), ATTACKER_VM, fx.OTHER_KEY)
    payload = json.dumps(forged, ensure_ascii=False)
    with app.app_context():
        user = make_user(fx.EMAIL)
        badge = Badge(
            user_id=user.id,
            credential_key="forged",
            spec="3.0",
            format="json",
            name="コンクリート診断士",
            issuer_name="Japan Concrete Institute",
            issuer_id=VICTIM,
            result="valid",
            recipient_confirmed=True,
            visibility="public",
        )
        badge.content = BadgeContent(
            original=payload.encode(), original_media_type="application/json", payload=payload
        )
        db.session.add(badge)
        db.session.commit()
        badge = badges.get_any(badge.public_id)
        report = badges.reverify(badge, fetcher=FakeFetcher())
        assert report.result == "unverifiable"
        return badge.id, badge.public_id


def test_public_page_shows_the_state_and_why(client, stored) -> None:
    _, public_id = stored
    html = client.get(f"/b/{public_id}?lang=en").get_data(as_text=True)
    assert 'class="state-banner state-unverifiable"' in html
    assert "Could not be verified" in html
    assert REASON_EN in html.replace("&#39;", "'")
    assert ">Valid<" not in html and "state-valid" not in html
    html = client.get(f"/b/{public_id}?lang=ja").get_data(as_text=True)
    assert "state-unverifiable" in html and REASON_JA in html


def test_holder_page_shows_the_reason_in_amber(client, auth, stored) -> None:
    badge_id, _ = stored
    auth.login(fx.EMAIL)
    html = client.get(f"/badges/{badge_id}").get_data(as_text=True)
    # The public page's banner, at the top of the holder's page (one state, one story).
    assert 'class="state-banner state-unverifiable"' in html
    assert REASON_JA in html  # the holder's language is Japanese
    assert "status-unverifiable" in html and "tag-warn" in html


@pytest.mark.parametrize("kind", ["certificate", "details"])
def test_printed_documents_print_the_state_and_why(app, stored, kind) -> None:
    from wallet.services import badges
    from wallet.services import documents

    with app.test_request_context("/"):
        badge = badges.get_any(stored[1])
        pdf = documents.render(badge, badge.user, kind, "en")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    flat = re.sub(r"\s+", " ", text)
    assert "Could not be verified" in flat
    assert "confirms that the key is the issuer" in flat.replace("’", "'")
