"""A wallet we did not write takes the portal's offer: @openid4vc/openid4vci's Openid4vciClient
(pinned in tests/interop/oid4vci, installed by `make test-deps`), run in Node against the app on
a loopback server (tests/interop/oid4vci/holder.mjs)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.test_award_offers import app_config  # noqa: F401 (the loopback BASE_URL)
from tests.test_award_offers import live  # noqa: F401
from tests.test_award_offers import notice_offer
from tests.test_award_offers import port  # noqa: F401

pytestmark = pytest.mark.slow
FOLDER = Path(__file__).resolve().parent / "interop" / "oid4vci"


def other_wallet(link: str) -> dict:
    node = shutil.which("node")
    assert node, "Node.js is needed for the other wallet"
    assert (FOLDER / "node_modules" / "@openid4vc" / "openid4vci").is_dir(), (
        "the OpenID4VCI library is not installed: `make test-deps` (scripts/fetch_npm_interop.py)"
    )
    result = subprocess.run(
        [node, str(FOLDER / "holder.mjs"), link],
        cwd=FOLDER,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_another_wallet_takes_the_award_bound_to_its_key_once(app, outbox, live):  # noqa: F811
    _award_id, link = notice_offer(app, outbox)
    taken = other_wallet(link)
    assert "error" not in taken, taken
    [credential] = taken["credentials"]
    assert credential["credentialSubject"]["id"] == taken["did"]
    assert taken["did"].startswith("did:jwk:")
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    from wallet.extensions import db
    from wallet.models import AwardOffer

    with app.app_context():
        assert db.session.query(AwardOffer).one().holder_id == taken["did"]
    # The same offer again: the code was used, the other wallet is refused too.
    again = other_wallet(link)
    assert "error" in again and "credentials" not in again
