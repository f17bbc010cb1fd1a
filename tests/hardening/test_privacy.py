"""Privacy matrix: a private badge, and another holder's badge, stay invisible on every URL.

Every GET rule of the URL map that takes a badge id, a public id or a profile id is asked, as a
visitor and as another holder, plain and as an htmx fragment: the answer must be the neutral 404
(visitors on sign-in pages: the same redirect as for an id that never existed), byte-identical to
the answer for an id that never existed, and must not carry the badge's name or ids. Random ids
find nothing. ASVS 4.0 4.1.5, 4.2.1; 5.0 8.2.1, 8.2.2, 11.5.1.
"""

from __future__ import annotations

import io
import random
import re
import string
import zipfile
from typing import Any

from tests import badge_factory as bf
from tests.conftest import PASSWORD
from tests.hardening.helpers import write_figures

SECRET = "Secret Diploma Zebra"
OTHER_SECRET = "Jiro Only Walrus"
ID_ARGS = {"badge_id", "public_id", "profile_id"}


def _sign_in(app, email: str):
    client = app.test_client()
    response = client.post("/auth/login", data={"email": email, "password": PASSWORD})
    assert response.status_code in (302, 303)
    return client


def _setup(app, holder) -> dict[str, Any]:
    from wallet.extensions import db
    from wallet.models import User

    with app.app_context():
        private = bf.add_badge(holder["id"], name=SECRET, issuer_name=SECRET, visibility="private")
        foreign = bf.add_badge(holder["other_id"], name=OTHER_SECRET, issuer_name=OTHER_SECRET)
        public = bf.add_badge(holder["id"], name="Open Badge Shown", visibility="public")
        taro = db.session.get(User, holder["id"])
        jiro = db.session.get(User, holder["other_id"])
        taro.profile_public = True
        db.session.commit()
        return {
            "private": {"badge_id": private.id, "public_id": private.public_id},
            "foreign": {"badge_id": foreign.id, "public_id": foreign.public_id},
            "public": {"badge_id": public.id, "public_id": public.public_id},
            "taro_profile": taro.profile_id,
            "jiro_profile": jiro.profile_id,  # jiro's profile page is off
        }


def _urls(app, values: dict[str, Any], *, wallet_only: bool = False) -> list[str]:
    """Return every GET URL of a rule taking an id, filled with values."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or not (set(rule.arguments) & ID_ARGS):
            continue
        if wallet_only and "badge_id" not in rule.arguments:
            continue
        extra = set(rule.arguments) - ID_ARGS
        fills = [{}]
        if extra == {"kind"}:
            fills = [{"kind": k} for k in ("certificate", "details", "card")]
        elif extra:
            fills = [{name: "x" for name in extra}]
        for fill in fills:
            args = {**{k: v for k, v in values.items() if k in rule.arguments}, **fill}
            if set(rule.arguments) - set(args):
                continue
            urls.append(rule.build(args, append_unknown=False)[1])
    return urls


def _normalised(response, url: str, values: dict[str, Any]) -> tuple[int, str, str]:
    """Return status, Location and body without the CSRF token and the requested URL itself."""
    from urllib.parse import quote

    body = response.get_data(as_text=True)
    asked = [url, quote(url, safe="")] + [str(v) for v in values.values() if len(str(v)) >= 8]
    for text in asked:
        body = body.replace(text, "{asked}")
    body = re.sub(r'name="csrf_token"[^>]*value="[^"]*"', "", body)
    body = re.sub(r'"X-CSRFToken": "[^"]*"', "", body)
    body = re.sub(r'(name="csrf-token" content=")[^"]*"', r"\1", body)
    location = response.headers.get("Location", "")
    location = re.sub(r"next=[^&]*", "next=", location)
    for text in asked:
        location = location.replace(text, "{asked}")
    return response.status_code, location, body


def _diff(a: str, b: str) -> str:
    import difflib

    return "\n".join(difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=0))


def test_private_and_foreign_badges_are_404_everywhere(app, holder) -> None:
    ids = _setup(app, holder)
    visitor = app.test_client()
    jiro = _sign_in(app, "jiro@example.com")
    taro = _sign_in(app, "taro@example.com")
    never = {"badge_id": 987654, "public_id": "zzzzzzzzzzzzzzzzzzzz"}
    # Jiro's badge is public: its public page is fine; in Taro's wallet routes it must not exist.
    cases = [
        ("visitor", visitor, {**ids["private"], "profile_id": ids["jiro_profile"]}, SECRET, False),
        (
            "other holder",
            jiro,
            {**ids["private"], "profile_id": ids["jiro_profile"]},
            SECRET,
            False,
        ),
        ("visitor", visitor, ids["foreign"], OTHER_SECRET, True),
        ("holder", taro, ids["foreign"], OTHER_SECRET, True),
    ]
    asked = 0
    for who, client, values, secret, wallet_only in cases:
        never_values = {**never, "profile_id": "yyyyyyyyyyyyyyyyyyyy"}
        pairs = zip(
            _urls(app, values, wallet_only=wallet_only),
            _urls(app, never_values, wallet_only=wallet_only),
            strict=True,
        )
        for url, never_url in pairs:
            for headers in (
                {},
                {"HX-Request": "true"},
                {"HX-Request": "true", "HX-Boosted": "true"},
            ):
                if who == "visitor":
                    client = app.test_client()  # no flash left over from an earlier redirect
                response = client.get(url, headers=headers)
                asked += 1
                status = response.status_code
                if who != "visitor" or url.startswith(("/b/", "/u/")):
                    assert status == 404, (who, url, status)
                else:
                    # Sign-in pages: the visitor is sent to sign in, exactly as for a made-up id.
                    assert (
                        status in (302, 303, 401, 404, 200)
                        and status != 200
                        or ("HX-Redirect" in response.headers)
                    ), (who, url, status)
                body = response.get_data(as_text=True)
                assert secret not in body, (who, url)
                assert response.headers.get("ETag") is None, (who, url)
                if who == "visitor":
                    client = app.test_client()
                baseline = client.get(never_url, headers=headers)
                mine = _normalised(response, url, values)
                theirs = _normalised(baseline, never_url, never_values)
                assert mine == theirs, (who, url, headers, _diff(mine[2], theirs[2]))
    # The public page of the holder's profile lists the public badge, never the private one.
    profile = visitor.get(f"/u/{ids['taro_profile']}").get_data(as_text=True)
    assert "Open Badge Shown" in profile and SECRET not in profile
    write_figures("privacy_matrix", {"requests": asked, "leaks": 0})


def test_export_and_lists_of_another_holder_never_include_the_badge(app, holder) -> None:
    _setup(app, holder)
    jiro = _sign_in(app, "jiro@example.com")
    for url in ("/", "/?q=Secret", "/?status=private", "/badges"):
        response = jiro.get(url, follow_redirects=True)
        assert SECRET not in response.get_data(as_text=True)
    response = jiro.post("/account/export", data={})
    if response.mimetype == "application/zip":
        with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
            for name in archive.namelist():
                assert SECRET.encode() not in archive.read(name), name


def test_random_ids_find_nothing(app, holder) -> None:
    """1,000 random public ids, badge ids and profile ids: all the same 404."""
    _setup(app, holder)
    rng = random.Random(4242)
    alphabet = string.ascii_lowercase + string.digits
    jiro = _sign_in(app, "jiro@example.com")
    visitor = app.test_client()
    found = 0
    statuses: set[int] = set()
    for _ in range(1000):
        public_id = rng.choice(string.ascii_lowercase) + "".join(rng.choices(alphabet, k=19))
        for response in (
            visitor.get(f"/b/{public_id}"),
            visitor.get(f"/u/{public_id}"),
            jiro.get(f"/badges/{rng.randrange(1, 10_000)}"),
        ):
            statuses.add(response.status_code)
            found += response.status_code != 404
    # Taro's badges are ids 1 and 3: jiro must get 404 for those too.
    for badge_id in range(1, 6):
        response = jiro.get(f"/badges/{badge_id}")
        if response.status_code != 404:
            assert badge_id == 2  # jiro's own badge
    assert found == 0 and statuses == {404}
    write_figures("enumeration", {"ids_tried": 3000, "found": found})
