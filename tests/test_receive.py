"""Receiving by OpenID4VCI through the web pages, and the refusals of hostile issuers.

The honest issuer is the npm one (tests/oid4vci_issuer.py); hostile ones are documents served
by a plain HTTP server on 127.0.0.1 that answers whatever the test puts in it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from urllib.parse import quote

import pytest
from sqlalchemy import func
from sqlalchemy import select

from tests.conftest import htmx_headers
from tests.conftest import make_config
from tests.oid4vci_issuer import npm_issuer

pytestmark = pytest.mark.slow
GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"


@pytest.fixture(scope="module")
def issuer():
    with npm_issuer() as running:
        yield running


@pytest.fixture
def app_config(tmp_path):
    return make_config(tmp_path, FETCH_ALLOWED_NETWORKS="127.0.0.0/8")


def badge_count(app) -> int:
    from wallet.extensions import db
    from wallet.models import Badge

    with app.app_context():
        return int(db.session.scalar(select(func.count(Badge.id))) or 0)


def test_paste_confirm_pin_and_receive_without_javascript(app, client, auth, user, issuer):
    made = issuer.offer(issuer="v1", configurations=["OpenBadge_ldp"], tx_code="2468")
    auth.login()
    page = client.get("/receive")
    assert page.status_code == 200
    assert "camera=(self)" in page.headers["Permissions-Policy"]
    assert 'name="offer"' in page.text and "data-scan" in page.text
    confirm = client.post(
        "/receive", data={"offer": made["offer"]}, headers={"Accept-Language": "ja"}
    )
    assert confirm.status_code == 200
    assert "テスト研修所" in confirm.text and "コンクリート技士" in confirm.text
    assert 'name="pin"' in confirm.text and 'inputmode="numeric"' in confirm.text
    token = confirm.text.split('name="offer" value="', 1)[1].split('"', 1)[0]
    wrong = client.post("/receive/accept", data={"offer": token, "pin": "1111"})
    assert wrong.status_code == 422
    assert "PIN" in wrong.text and badge_count(app) == 0
    done = client.post("/receive/accept", data={"offer": token, "pin": "2468"})
    assert done.status_code == 303
    shown = client.get(done.headers["Location"])
    assert "Concrete Engineer" in shown.text
    assert badge_count(app) == 1
    # The same offer again: the issuer refuses the used code; nothing more is stored.
    again = client.post("/receive/accept", data={"offer": token, "pin": "2468"})
    assert again.status_code == 422 and badge_count(app) == 1


def test_htmx_swaps_the_fragment_and_the_offer_endpoint_takes_a_link(client, auth, user, issuer):
    made = issuer.offer(issuer="draft13", by_reference=True)
    auth.login()
    fragment = client.post(
        "/receive", data={"offer": made["offer"]}, headers=htmx_headers("receive-form")
    )
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and "テスト研修所" in fragment.text
    uri = made["offer"].split("credential_offer_uri=", 1)[1]
    landed = client.get(f"/receive/offer?credential_offer_uri={uri}")
    assert landed.status_code == 200 and "テスト研修所" in landed.text


def test_the_offer_endpoint_needs_a_signed_in_holder(client, issuer):
    made = issuer.offer(issuer="v1")
    answer = client.get("/receive/offer?" + made["offer"].split("?", 1)[1])
    assert answer.status_code == 302 and "/auth/login" in answer.headers["Location"]


def test_an_offer_form_of_another_holder_or_forged_is_refused(app, client, auth, user, issuer):
    from tests.conftest import make_user

    made = issuer.offer(issuer="v1")
    auth.login()
    confirm = client.post("/receive", data={"offer": made["offer"]})
    token = confirm.text.split('name="offer" value="', 1)[1].split('"', 1)[0]
    with app.app_context():
        make_user("hanako@example.com", given_name="花子")
    auth.logout()
    auth.login("hanako@example.com")
    stolen = client.post("/receive/accept", data={"offer": token})
    assert stolen.status_code == 422 and badge_count(app) == 0
    forged = client.post("/receive/accept", data={"offer": token[:-3] + "abc"})
    assert forged.status_code == 422


def test_nonsense_and_empty_offers_are_422_with_a_message(client, auth, user):
    auth.login()
    for text in ("", "hello", "openid-credential-offer://?credential_offer=%7B", "x" * 20000):
        answer = client.post("/receive", data={"offer": text})
        assert answer.status_code == 422
        assert "form-errors" in answer.text


# --- hostile issuers ----------------------------------------------------------------------------


class Documents:
    """What the hostile server answers: path -> (status, JSON body); and what it was asked."""

    def __init__(self) -> None:
        self.answers: dict[str, tuple[int, object]] = {}
        self.requests: list[tuple[str, str]] = []
        self.base = ""


@contextmanager
def hostile_server() -> Iterator[Documents]:
    documents = Documents()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            documents.requests.append((self.command, self.path))
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            status, body = documents.answers.get(self.path.split("?")[0], (404, {"error": "no"}))
            data = json.dumps(body).encode() if not isinstance(body, bytes) else body
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _answer

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    documents.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield documents
    finally:
        server.shutdown()
        server.server_close()


def honest_metadata(base: str, **changes: object) -> dict[str, object]:
    document: dict[str, object] = {
        "credential_issuer": base,
        "credential_endpoint": base + "/credential",
        "nonce_endpoint": base + "/nonce",
        "credential_configurations_supported": {
            "badge": {
                "format": "ldp_vc",
                "credential_definition": {"type": ["VerifiableCredential", "OpenBadgeCredential"]},
            }
        },
        "display": [{"name": "Hostile", "locale": "en"}],
    }
    document.update(changes)
    return document


def offer_for(base: str) -> str:
    offer = {
        "credential_issuer": base,
        "credential_configuration_ids": ["badge"],
        "grants": {GRANT: {"pre-authorized_code": "abc"}},
    }
    return "openid-credential-offer://?credential_offer=" + quote(json.dumps(offer))


@pytest.mark.parametrize(
    "hostile",
    [
        "another_issuer",
        "metadata_endpoint_http",
        "endpoint_with_userinfo",
        "not_json",
        "a_list",
        "huge_depth",
        "too_many_configurations",
        "only_other_formats",
        "unlisted_authorization_server",
    ],
)
def test_hostile_issuer_metadata_is_refused_with_a_message_and_nothing_stored(
    app, client, auth, user, hostile
) -> None:
    auth.login()
    with hostile_server() as server:
        base = server.base
        metadata: object = {
            "another_issuer": honest_metadata(base, credential_issuer="https://issuer.example"),
            "metadata_endpoint_http": honest_metadata(
                base, credential_endpoint="http://issuer.example/credential"
            ),
            "endpoint_with_userinfo": honest_metadata(
                base, credential_endpoint="https://user@issuer.example/credential"
            ),
            "not_json": b"<html>hello</html>",
            "a_list": [1, 2, 3],
            "huge_depth": json.loads("[" * 60 + "]" * 60),
            "too_many_configurations": honest_metadata(
                base,
                credential_configurations_supported={
                    f"c{i}": {"format": "ldp_vc"} for i in range(500)
                },
            ),
            "only_other_formats": honest_metadata(
                base, credential_configurations_supported={"badge": {"format": "mso_mdoc"}}
            ),
            "unlisted_authorization_server": honest_metadata(
                base, authorization_servers=["https://a.example", "https://b.example"]
            ),
        }[hostile]
        server.answers["/.well-known/openid-credential-issuer"] = (200, metadata)
        answer = client.post("/receive", data={"offer": offer_for(base)})
        if answer.status_code == 200:  # read; refused when taken
            token = answer.text.split('name="offer" value="', 1)[1].split('"', 1)[0]
            answer = client.post("/receive/accept", data={"offer": token})
        assert answer.status_code == 422
        assert "form-errors" in answer.text
        # Nothing but the metadata was asked: no token request went out.
        assert all(method == "GET" for method, _path in server.requests)
    assert badge_count(app) == 0


def test_an_issuer_pointing_the_wallet_at_internal_addresses_is_refused(app, client, auth, user):
    """Loopback is allowed here for the test servers; the metadata server is public only."""
    auth.login()
    offer = offer_for("https://169.254.169.254")
    answer = client.post("/receive", data={"offer": offer})
    assert answer.status_code == 422
    assert badge_count(app) == 0


def test_a_token_endpoint_that_redirects_is_not_followed(app, client, auth, user) -> None:
    auth.login()
    with hostile_server() as server:
        base = server.base
        server.answers["/.well-known/openid-credential-issuer"] = (200, honest_metadata(base))
        server.answers["/.well-known/oauth-authorization-server"] = (
            200,
            {"issuer": base, "token_endpoint": base + "/token"},
        )
        server.answers["/token"] = (302, {})
        confirm = client.post("/receive", data={"offer": offer_for(base)})
        token = confirm.text.split('name="offer" value="', 1)[1].split('"', 1)[0]
        answer = client.post("/receive/accept", data={"offer": token})
        assert answer.status_code == 422
        assert ("POST", "/token") in server.requests
        assert not any(path == "/credential" for _m, path in server.requests)
    assert badge_count(app) == 0
