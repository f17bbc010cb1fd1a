"""Software we did not write against the API host, over real HTTP on loopback.

Authlib's OAuth 2.0 client (requests integration) walks discovery -> registration -> consent
-> token -> upsert -> read -> refresh -> revocation; Schemathesis generates requests from the
discovery document and checks every answer against it (no server errors, documented statuses,
content types and schemas, unauthenticated calls refused).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from tests import badge_factory as bf
from tests.api import helpers as h
from tests.api.live import approve_consent
from tests.api.live import live_app
from tests.api.live import run_schemathesis
from tests.api.live import schemathesis_command
from tests.api.live import sign_in
from tests.conftest import PASSWORD
from tests.conftest import make_user

EMAIL = "taro@example.com"


def _connect_with_authlib(base: str, holder: requests.Session):
    """Discover, register and authorize with Authlib's client; return (session, flow)."""
    from authlib.common.security import generate_token
    from authlib.integrations.requests_client import OAuth2Session

    document = requests.get(base + "/ims/ob/v3p0/discovery", timeout=10).json()
    scheme = document["components"]["securitySchemes"]["OAuth2ACG"]
    flow = scheme["flows"]["authorizationCode"]
    registered = requests.post(scheme["x-imssf-registrationUrl"], json=h.metadata(), timeout=10)
    assert registered.status_code == 201, registered.text
    client = registered.json()
    session = OAuth2Session(
        client["client_id"],
        client["client_secret"],
        scope=" ".join(flow["scopes"]),
        redirect_uri=h.REDIRECT,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",
    )
    verifier = generate_token(48)
    url, _state = session.create_authorization_url(flow["authorizationUrl"], code_verifier=verifier)
    back = approve_consent(holder, base, url)
    session.fetch_token(flow["tokenUrl"], authorization_response=back, code_verifier=verifier)
    return session, flow, document["servers"][0]["url"]


@pytest.mark.slow
def test_authlib_client_discovers_registers_is_authorized_upserts_and_reads(tmp_path: Path) -> None:
    with live_app(tmp_path, "host") as host:
        with host.context():
            make_user(EMAIL, language="en")
        holder = requests.Session()
        sign_in(holder, host.url, EMAIL, PASSWORD)
        session, flow, api = _connect_with_authlib(host.url, holder)

        body = bf.ob3_json(name="Pushed by an outside client")
        created = session.post(
            api + "/credentials", data=body, headers={"Content-Type": "application/json"}
        )
        assert created.status_code == 201 and created.content == body
        read = session.get(api + "/credentials")
        assert read.status_code == 200 and read.headers["X-Total-Count"] == "1"
        assert read.json()["credential"] == [json.loads(body)]
        assert session.get(api + "/profile").json()["email"] == EMAIL

        old = session.token["access_token"]
        session.refresh_token(flow["refreshUrl"])
        assert session.token["access_token"] != old
        assert requests.get(api + "/profile", headers=h.bearer(old), timeout=10).status_code == 401
        assert session.get(api + "/profile").status_code == 200

        session.revoke_token(host.url + "/oauth/revoke", token=session.token["access_token"])
        assert session.get(api + "/profile").status_code == 401


@pytest.mark.slow
def test_schemathesis_finds_nothing_wrong_with_the_discovery_document(tmp_path: Path) -> None:
    command = schemathesis_command()
    if command is None:
        pytest.skip("schemathesis is not installed (make test-deps installs it)")
    with live_app(tmp_path, "host") as host:
        with host.context():
            make_user(EMAIL, language="en")
        holder = requests.Session()
        sign_in(holder, host.url, EMAIL, PASSWORD)
        session, _flow, _api = _connect_with_authlib(host.url, holder)
        token = session.token["access_token"]
        result = run_schemathesis(command, host.url + "/ims/ob/v3p0/discovery", token, tmp_path)
        assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
        assert "4 " in result.stdout or "operations" in result.stdout.lower()
