"""Additional email addresses: adding, confirming, removing, and the import gate matching any
confirmed address (web, `wallet badges import`, the OB 3.0 API); each address is one person's."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from tests import badge_factory as bf
from tests.api import helpers as h
from tests.conftest import PASSWORD
from tests.conftest import STRONG_PASSWORD
from tests.conftest import make_user
from tests.conftest import registration_form

WORK = "taro.work@example.org"
CONFIRM = "/account/addresses/confirm/"


def _path(url: str) -> str:
    """Return the path of an absolute link from a mail."""
    return urlsplit(url).path


def _link(outbox, address: str, contains: str = CONFIRM) -> str:
    """Return the first link containing `contains` in the newest mail to address."""
    mails = outbox.to(address)
    assert mails, f"no mail to {address}"
    links = [link for link in outbox.links(mails[-1]) if contains in link]
    assert links, outbox.text(mails[-1])
    return _path(links[0])


def _add(client, email: str = WORK):
    return client.post("/account/addresses", data={"email": email})


def _confirm(client, path: str):
    return client.post(path)


def _rows(app, email: str = WORK) -> list:
    from wallet.extensions import db
    from wallet.models import UserEmail

    with app.app_context():
        return list(db.session.scalars(db.select(UserEmail).where(UserEmail.email_key == email)))


def _confirmed_work_address(app, client, auth, outbox) -> None:
    """Sign in as taro, add WORK and confirm it through the mailed link."""
    auth.login()
    assert _add(client).status_code == 303
    link = _link(outbox, WORK)
    page = client.get(link)
    assert page.status_code == 200 and WORK in page.get_data(as_text=True)
    assert _confirm(client, link).status_code == 303


def _import(app, email: str, source: bytes | str):
    from wallet.services import accounts
    from wallet.services import badge_import

    with app.app_context():
        return badge_import.import_badge(accounts.find_by_email(email), source)


def _hashed_credential(recipient: str, salt: str = "pepper") -> bytes:
    """A signed OB 3.0 badge naming recipient by a salted SHA-256 identity hash."""
    from wallet.openbadges.recipient import identity_hash

    doc = bf.ob3_credential(email=None, name="Hashed badge")
    doc["credentialSubject"]["identifier"] = [
        {
            "type": "IdentityObject",
            "identityType": "emailAddress",
            "hashed": True,
            "identityHash": identity_hash(recipient, salt),
            "salt": salt,
        }
    ]
    return json.dumps(bf.sign(doc)).encode()


# --- adding and confirming ------------------------------------------------------------------


def test_a_confirmed_address_matches_plain_and_hashed_badges(app, client, auth, user, outbox):
    from wallet.services import badge_import

    with pytest.raises(badge_import.ImportFailed) as before:
        _import(app, user["email"], bf.ob3_json(email=WORK))
    assert before.value.code == "not_yours"
    _confirmed_work_address(app, client, auth, outbox)
    assert _import(app, user["email"], bf.ob3_json(email=WORK)).created
    assert _import(app, user["email"], _hashed_credential(WORK)).created
    # The sign-in address goes on matching.
    assert _import(app, user["email"], bf.ob3_json(email=user["email"], name="Own")).created
    [row] = _rows(app)
    assert row.confirmed_key == WORK and row.confirmed_at is not None


def test_a_pending_address_never_matches_and_the_refusal_names_it(app, client, auth, user, outbox):
    from wallet.services import badge_import

    auth.login()
    _add(client)
    with pytest.raises(badge_import.ImportFailed) as refused:
        _import(app, user["email"], _hashed_credential(WORK))
    assert refused.value.code == "email_unconfirmed"
    assert refused.value.params == {"address": WORK}
    page = client.post("/badges/import", data={"text": bf.ob3_json(email=WORK).decode()})
    assert page.status_code == 422
    assert WORK in page.get_data(as_text=True)  # "use the link we mailed to taro.work@…"


def test_the_link_asks_before_it_adds_and_works_once(app, client, auth, user, outbox):
    auth.login()
    _add(client)
    mail = outbox.to(WORK)[-1]
    assert "Confirm" in mail["Subject"] or "確認" in mail["Subject"]
    link = _link(outbox, WORK)
    client.get(link)  # a link scanner or a preview: nothing is added by opening it
    assert _rows(app)[0].confirmed_at is None
    assert _confirm(client, link).status_code == 303
    again = _confirm(client, link)
    assert again.status_code == 400
    assert _rows(app)[0].confirmed_at is not None


def test_the_link_needs_the_account_that_asked(app, client, auth, user, outbox):
    auth.login()
    _add(client)
    link = _link(outbox, WORK)
    auth.logout()
    # Signed out: the sign-in page, coming back to the link afterwards.
    response = client.get(link)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    with app.app_context():
        make_user("hanako@example.com", family_name="山田", given_name="花子")
    auth.login("hanako@example.com")
    page = client.get(link)
    assert "another wallet account" in page.get_data(as_text=True) or "別のウォレット" in (
        page.get_data(as_text=True)
    )
    assert _confirm(client, link).status_code == 400
    assert _rows(app)[0].confirmed_at is None


def test_adding_is_refused_for_own_listed_and_unconfirmed(app, client, auth, user, outbox):
    auth.login()
    own = _add(client, "TARO@example.com")
    assert own.status_code == 422
    _add(client)
    listed = _add(client, WORK.upper())
    assert listed.status_code == 422
    bad = _add(client, "not an address")
    assert bad.status_code == 422
    assert len(outbox.to(WORK)) == 1
    with app.app_context():
        make_user("new@example.com", verified=False)
    auth.logout()
    auth.login("new@example.com")
    refused = _add(client, "other@example.org")
    assert refused.status_code == 422
    assert outbox.to("other@example.org") == []


def test_adding_and_removing_need_a_recent_sign_in(app, client, auth, user, outbox):
    from sqlalchemy import update

    from wallet.extensions import db
    from wallet.models import UserSession
    from wallet.models import utcnow

    auth.login()
    _add(client)
    with app.app_context():
        db.session.execute(
            update(UserSession).values(authenticated_at=utcnow() - timedelta(hours=1))
        )
        db.session.commit()
    [row] = _rows(app)
    for response in (
        client.get("/account/addresses"),
        _add(client, "second@example.org"),
        client.post(f"/account/addresses/{row.public_id}/remove"),
    ):
        assert response.status_code in (302, 303)
        assert "/auth/reauth" in response.headers["Location"]
    assert outbox.to("second@example.org") == []
    assert len(_rows(app)) == 1
    confirmed = client.post("/auth/reauth", data={"password": PASSWORD, "next": "/"})
    assert confirmed.status_code in (302, 303)
    assert client.post(f"/account/addresses/{row.public_id}/remove").status_code == 303
    assert _rows(app) == []


def test_removing_stops_matching_and_only_the_owner_can(app, client, auth, user, outbox):
    from wallet.services import badge_import

    _confirmed_work_address(app, client, auth, outbox)
    [row] = _rows(app)
    auth.logout()
    with app.app_context():
        make_user("hanako@example.com", family_name="山田", given_name="花子")
    auth.login("hanako@example.com")
    assert client.post(f"/account/addresses/{row.public_id}/remove").status_code == 404
    assert client.post(f"/account/addresses/{row.public_id}/resend").status_code == 404
    auth.logout()
    auth.login()
    assert client.post(f"/account/addresses/{row.public_id}/remove").status_code == 303
    with pytest.raises(badge_import.ImportFailed) as refused:
        _import(app, user["email"], bf.ob3_json(email=WORK))
    assert refused.value.code == "not_yours"
    page = client.get("/account/addresses").get_data(as_text=True)
    assert f'class="address">{user["email"]}<' in page
    assert f'class="address">{WORK}<' not in page


def test_the_address_page_lists_both_kinds_and_resends(app, client, auth, user, outbox):
    auth.login()
    _add(client)
    page = client.get("/account/addresses")
    text = page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    assert user["email"] in text and WORK in text
    [row] = _rows(app)
    assert client.post(f"/account/addresses/{row.public_id}/resend").status_code == 303
    assert len(outbox.to(WORK)) == 2


def test_a_bad_address_answers_422_with_the_form_fragment_for_htmx(app, client, auth, user):
    from tests.conftest import htmx_headers

    auth.login()
    response = client.post(
        "/account/addresses", data={"email": "nope"}, headers=htmx_headers("address-form")
    )
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "<html" not in body and 'aria-invalid="true"' in body


# --- one address, one person ----------------------------------------------------------------


def test_an_address_confirmed_on_one_account_cannot_be_added_to_another(
    app, client, auth, user, outbox
):
    from wallet.services import addresses
    from wallet.services import badge_import

    _confirmed_work_address(app, client, auth, outbox)
    auth.logout()
    with app.app_context():
        make_user("hanako@example.com", family_name="山田", given_name="花子")
    auth.login("hanako@example.com")
    sent_before = len(outbox.to(WORK))
    # The same answer as for a free address: nothing tells Hanako the address is in use.
    response = _add(client)
    assert response.status_code == 303
    note = outbox.to(WORK)[sent_before]
    assert not [link for link in outbox.links(note) if CONFIRM in link]
    # Even a genuine link for Hanako's row is refused.
    with app.app_context():
        from wallet.extensions import db
        from wallet.models import UserEmail

        row = db.session.scalar(db.select(UserEmail).where(UserEmail.confirmed_key.is_(None)))
        token = addresses.security.make_token(
            addresses.PURPOSE, row.public_id, addresses._state(row)
        )
    refused = _confirm(client, CONFIRM + token)
    assert refused.status_code == 400
    with pytest.raises(badge_import.ImportFailed):
        _import(app, "hanako@example.com", bf.ob3_json(email=WORK))
    assert _import(app, user["email"], bf.ob3_json(email=WORK)).created


def test_the_database_refuses_a_second_confirmed_copy(app, user):
    from sqlalchemy.exc import IntegrityError

    from wallet.extensions import db
    from wallet.models import UserEmail
    from wallet.models import utcnow

    with app.app_context():
        other = make_user("hanako@example.com", family_name="山田", given_name="花子")
        for owner in (user["id"], other.id):
            db.session.add(
                UserEmail(
                    user_id=owner,
                    email=WORK,
                    email_key=WORK,
                    confirmed_key=WORK,
                    confirmed_at=utcnow(),
                )
            )
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_a_pending_address_does_not_block_its_owner(app, client, auth, user, outbox):
    """Taro asks for hanako@…; it stays pending; Hanako registers it and proves it."""
    auth.login()
    _add(client, "hanako@example.com")
    taros_link = _link(outbox, "hanako@example.com")
    auth.logout()
    assert client.post("/auth/register", data=registration_form()).status_code == 303
    verify = _link(outbox, "hanako@example.com", "/auth/verify/")
    assert client.get(verify).status_code in (302, 303)
    # Proved by its owner: Taro's pending copy is gone, and his link is dead.
    assert _rows(app, "hanako@example.com") == []
    auth.login()
    assert _confirm(client, taros_link).status_code == 400


def test_confirming_elsewhere_drops_other_pending_copies(app, client, auth, user, outbox):
    with app.app_context():
        make_user("hanako@example.com", family_name="山田", given_name="花子")
    auth.login("hanako@example.com")
    _add(client)
    auth.logout()
    _confirmed_work_address(app, client, auth, outbox)
    [row] = _rows(app)
    assert row.user_id == user["id"]


def test_registering_with_a_confirmed_additional_address_creates_nothing(
    app, client, auth, user, outbox
):
    from wallet.services import accounts

    _confirmed_work_address(app, client, auth, outbox)
    auth.logout()
    response = client.post("/auth/register", data=registration_form(email=WORK))
    assert response.status_code == 303  # the same answer as for a new address
    with app.app_context():
        assert accounts.find_by_email(WORK) is None
    mail = outbox.to(WORK)[-1]
    text = outbox.text(mail)
    assert "/auth/verify/" not in text
    assert "sign-in address" in text or "ログイン用" in text


def test_a_squatted_sign_in_address_proved_by_its_owner_leaves_other_accounts(
    app, client, auth, user, outbox
):
    """Someone registered WORK without proving it; Taro confirmed it as his; WORK's owner (Taro)
    then resets the squatter's password: the address is that account's, settings reset."""
    from wallet.extensions import db
    from wallet.models import ProfilePhoto
    from wallet.services import accounts

    with app.app_context():
        squat = make_user(WORK, verified=False)
        squat.profile_bio = "not yours"
        squat.profile_public = True
        db.session.add(ProfilePhoto(user_id=squat.id, png=bf.plain_png(), version="x"))
        db.session.commit()
    _confirmed_work_address(app, client, auth, outbox)  # an unproved account blocks nobody
    auth.logout()
    client.post("/auth/forgot", data={"email": WORK})
    reset = _link(outbox, WORK, "/auth/reset/")
    done = client.post(
        reset, data={"password": STRONG_PASSWORD, "password_confirm": STRONG_PASSWORD}
    )
    assert done.status_code in (302, 303)
    assert _rows(app) == []
    with app.app_context():
        owner = accounts.find_by_email(WORK)
        assert owner.is_verified and owner.profile_bio is None and not owner.profile_public
        assert db.session.get(ProfilePhoto, owner.id) is None


# --- the same gate everywhere ----------------------------------------------------------------


def test_wallet_badges_import_matches_an_additional_address(
    app, client, auth, user, outbox, runner, tmp_path
):
    _confirmed_work_address(app, client, auth, outbox)
    path = tmp_path / "badge.json"
    path.write_bytes(bf.ob3_json(email=WORK, name="Via the command"))
    result = runner.invoke(args=["badges", "import", WORK, str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["name"] == "Via the command"
    path.write_bytes(bf.ob3_json(email="stranger@example.org"))
    refused = runner.invoke(args=["badges", "import", user["email"], str(path)])
    assert refused.exit_code == 1
    assert WORK in refused.stderr and user["email"] in refused.stderr


def test_the_api_upsert_matches_an_additional_address(app, client, auth, user, outbox):
    _confirmed_work_address(app, client, auth, outbox)
    token = h.connect(client, auth)["access_token"]
    headers = {**h.bearer(token), "Content-Type": "application/json"}
    added = client.post("/ims/ob/v3p0/credentials", data=bf.ob3_json(email=WORK), headers=headers)
    assert added.status_code == 201
    pending = bf.ob3_json(email="later@example.org")
    auth.login()
    _add(client, "later@example.org")
    refused = client.post("/ims/ob/v3p0/credentials", data=pending, headers=headers)
    assert refused.status_code == 400
    assert "not confirmed" in refused.get_json()["imsx_description"]


def test_an_award_to_an_additional_address_is_claimed_by_its_account(
    app, client, auth, user, outbox
):
    from tests.test_claims import award_by_csv
    from tests.test_claims import claim_path
    from tests.test_claims import registration
    from tests.test_claims import wallet_badges

    _confirmed_work_address(app, client, auth, outbox)
    auth.logout()
    award_by_csv(app, f"{WORK},コンクリート,太郎,2025-04-01,,,\n")
    path = claim_path(outbox, WORK)
    signed_out = client.get(path).get_data(as_text=True)
    # The address has a wallet: sign in, not register (nor a second account for it).
    assert "/auth/login?next=/claim/" in signed_out
    assert 'name="password_confirm"' not in signed_out
    assert client.post(path, data=registration()).status_code == 303
    auth.login()
    received = client.post(path)
    assert received.status_code == 303 and "/badges/" in received.headers["Location"]
    assert [b.name for b in wallet_badges(app, user["email"])]
