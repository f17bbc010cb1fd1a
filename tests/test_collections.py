"""Collections: a holder groups badges, shares /c/<id>, and the same URL is a signed presentation.

The presentation is checked by the Digital Credentials Consortium's verifier
(@digitalcredentials/vc, pinned in tests/interop/dcc, installed by `make test-deps`), run in
Node offline: tests/interop/dcc/verify_presentation.mjs.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests import badge_factory
from tests import public_helpers
from tests.conftest import htmx_headers
from tests.conftest import make_user

ROOT = Path(__file__).resolve().parents[1]
DCC = ROOT / "tests" / "interop" / "dcc"
CONTEXTS = ROOT / "wallet" / "openbadges" / "contexts"
LD = {"Accept": "application/ld+json"}


def add_ob3(app, user_id: int):
    """Store a real signed OB 3.0 credential (did:key issuer) as one of the holder's badges."""
    import uuid

    from wallet.extensions import db
    from wallet.models import Badge
    from wallet.models import BadgeContent

    data = badge_factory.ob3_json()
    with app.app_context():
        badge = Badge(
            user_id=user_id,
            credential_key=uuid.uuid4().hex,
            spec="3.0",
            format="json",
            name="コンクリート診断士",
            issuer_name="Japan Concrete Institute",
            result="valid",
            recipient_confirmed=True,
            visibility="public",
        )
        badge.content = BadgeContent(
            original=data, original_media_type="application/json", payload=data.decode()
        )
        db.session.add(badge)
        db.session.commit()
        return badge.id, badge.public_id


def add_ob2(app, user_id: int, **fields):
    with app.app_context():
        badge = public_helpers.add_badge(user_id, **fields)
        return badge.id, badge.public_id


def make(client, **form):
    data = {"name_ja": "就職用", "name_en": "For job applications", "visibility": "public"}
    data.update(form)
    return client.post("/collections", data=data)


def public_id_of(response) -> str:
    location = response.headers["Location"]
    return location.rsplit("/", 1)[1]


def dcc_verify(tmp_path: Path, presentation: dict, challenge: str, domain: str | None) -> dict:
    """Run the DCC verifier on a presentation; return its report."""
    node = shutil.which("node")
    assert node, "Node.js is needed for the DCC verifier"
    assert (DCC / "node_modules" / "@digitalcredentials" / "vc").is_dir(), (
        "the DCC verifier is not installed: run `make test-deps`"
    )
    path = tmp_path / "presentation.json"
    path.write_text(json.dumps(presentation, ensure_ascii=False), encoding="utf-8")
    result = subprocess.run(
        [
            node,
            str(DCC / "verify_presentation.mjs"),
            str(path),
            challenge,
            domain or "-",
            str(CONTEXTS),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)


def test_a_collection_is_made_without_javascript_and_shared_at_a_random_url(
    app, client, auth, user
):
    first, first_public = add_ob2(app, user["id"])
    second, _ = add_ob2(app, user["id"], number=2, name="Secret badge", visibility="private")
    auth.login()
    assert "/collections" in client.get("/").text
    form = client.get("/collections/new")
    assert form.status_code == 200 and 'name="badge"' in form.text
    made = make(client, badge=[str(first), str(second)])
    assert made.status_code == 303
    public_id = public_id_of(made)
    # Random, at least 96 bits, lower-case letters and digits, never starting with '-'.
    assert re.fullmatch(r"[a-z][a-z0-9]{19}", public_id)
    listing = client.get("/collections")
    assert "就職用" in listing.text
    assert "2件のバッジ" in listing.text  # the holder reads Japanese
    visitor = app.test_client()
    page = visitor.get(f"/c/{public_id}", headers={"Accept-Language": "ja"})
    assert page.status_code == 200
    assert "就職用" in page.text and "コンクリート技士" in page.text
    assert f"/b/{first_public}" in page.text
    # A private badge stays private in a public collection.
    assert "Secret badge" not in page.text
    english = visitor.get(f"/c/{public_id}", headers={"Accept-Language": "en"})
    assert "For job applications" in english.text
    assert "Set-Cookie" not in page.headers


def test_private_unknown_and_other_holders_collections_are_the_neutral_404(app, client, auth, user):
    badge, _ = add_ob2(app, user["id"])
    auth.login()
    public_id = public_id_of(make(client, badge=[str(badge)], visibility="private"))
    visitor = app.test_client()
    unknown_badge = visitor.get("/b/abcdefghijklmnopqrst")
    for path in (f"/c/{public_id}", "/c/abcdefghijklmnopqrst", "/c/-x"):
        missing = visitor.get(path)
        assert missing.status_code == 404
        # The same page as an unknown badge (but for the address in its language switch).
        assert missing.text.replace(path, "") == unknown_badge.text.replace(
            "/b/abcdefghijklmnopqrst", ""
        )
        assert client.get(path, headers=LD).status_code == 404
    auth.logout()
    with app.app_context():
        make_user("hanako@example.com")
    auth.login("hanako@example.com")
    assert client.get(f"/collections/{public_id}").status_code == 404
    forged = client.post(
        f"/collections/{public_id}", data={"name_en": "Mine", "visibility": "public"}
    )
    assert forged.status_code == 404
    # Another holder's badge ids are ignored: nothing to group, a 422 with the form.
    refused = make(client, badge=[str(badge)])
    assert refused.status_code == 422 and "バッジを1件以上選んでください" in refused.text


def test_bad_input_is_422_with_the_form_and_nothing_saved(app, client, auth, user):
    badge, _ = add_ob2(app, user["id"])
    auth.login()
    nameless = make(client, badge=[str(badge)], name_ja="", name_en="  ")
    assert nameless.status_code == 422 and "コレクションの名前を入力してください" in nameless.text
    empty = client.post(
        "/collections",
        data={"name_en": "Empty", "visibility": "public"},
        headers=htmx_headers("collection-form"),
    )
    assert empty.status_code == 422 and "<html" not in empty.text
    assert "バッジを1件以上選んでください" in empty.text
    japanese = make(client, visibility="everyone", badge=[str(badge)])
    assert japanese.status_code == 422
    listing = client.get("/collections")
    assert "コレクションはまだありません" in listing.text


@pytest.mark.slow
def test_the_same_url_is_a_presentation_signed_by_the_holder_that_dcc_accepts(
    app, client, auth, user, tmp_path
):
    ob3, _ = add_ob3(app, user["id"])
    ob2, _ = add_ob2(app, user["id"])
    auth.login()
    public_id = public_id_of(make(client, badge=[str(ob3), str(ob2)]))
    auth.logout()
    challenge, domain = "c-8f2e1d", "verifier.example"
    answer = client.get(f"/c/{public_id}?challenge={challenge}&domain={domain}", headers=LD)
    assert answer.status_code == 200
    assert answer.mimetype == "application/ld+json"
    assert answer.headers["Cache-Control"] == "no-store"
    presentation = answer.get_json(force=True)
    from wallet.extensions import db
    from wallet.models import HolderKey

    with app.app_context():
        did = db.session.query(HolderKey).filter_by(user_id=user["id"]).one().did_key
    assert presentation["holder"] == did
    proof = presentation["proof"]
    assert proof["cryptosuite"] == "eddsa-rdfc-2022"
    assert proof["proofPurpose"] == "authentication"
    assert proof["verificationMethod"].startswith(did + "#")
    assert proof["challenge"] == challenge and proof["domain"] == domain
    entries = presentation["verifiableCredential"]
    assert entries[0]["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    # The OB 2.0 badge travels unchanged, byte for byte, inside an envelope.
    assert entries[1]["type"] == "EnvelopedVerifiableCredential"
    with app.app_context():
        from wallet.models import BadgeContent

        payload = db.session.get(BadgeContent, ob2).payload
    import base64

    carried = base64.b64decode(entries[1]["id"].split("base64,", 1)[1]).decode()
    assert carried == payload

    report = dcc_verify(tmp_path, presentation, challenge, domain)
    assert report["presentation"] is True, report
    assert report["credentials"][0] is True, report
    # The OB 2.0 badge's envelope carries no Data Integrity proof for DCC to check (its own
    # verification is hosted or a JWS): DCC says so for that entry, the presentation stands.
    # Another challenge, or a changed badge list, and DCC refuses the presentation.
    assert dcc_verify(tmp_path, presentation, "another", domain)["presentation"] is False
    presentation["verifiableCredential"] = entries[:1]
    assert dcc_verify(tmp_path, presentation, challenge, domain)["presentation"] is False

    download = client.get(f"/c/{public_id}?download=1")
    assert download.status_code == 200
    assert "attachment" in download.headers["Content-Disposition"]
    assert download.get_json(force=True)["proof"]["proofPurpose"] == "authentication"
    assert client.get(f"/c/{public_id}?challenge=", headers=LD).status_code == 400
