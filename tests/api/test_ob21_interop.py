"""Software we did not write against the OB 2.1 host, over real HTTP on loopback.

Authlib's OAuth 2.0 client walks manifest -> registration -> consent (PKCE) -> token -> push ->
read -> refresh -> revocation. Schemathesis generates requests from the host's OpenAPI
description (/ims/ob/v2p1/discovery) and checks every answer against it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests

from tests.api import helpers as h
from tests.api import moodle_site
from tests.api.live import approve_consent
from tests.api.live import live_app
from tests.api.live import run_schemathesis
from tests.api.live import schemathesis_command
from tests.api.live import sign_in
from tests.conftest import PASSWORD
from tests.conftest import make_user

EMAIL = "taro@example.com"


def _connect_with_authlib(base: str, holder: requests.Session):
    """Read the manifest, register and authorize with Authlib's client; return (session, api)."""
    from authlib.common.security import generate_token
    from authlib.integrations.requests_client import OAuth2Session

    manifest = requests.get(base + "/.well-known/badgeconnect.json", timeout=10).json()
    api = manifest["badgeConnectAPI"][0]
    metadata = h.metadata(scope=" ".join(api["scopesOffered"]))
    registered = requests.post(api["registrationUrl"], json=metadata, timeout=10)
    assert registered.status_code == 201, registered.text
    client = registered.json()
    session = OAuth2Session(
        client["client_id"],
        client["client_secret"],
        scope=" ".join(api["scopesOffered"]),
        redirect_uri=h.REDIRECT,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",
    )
    verifier = generate_token(48)
    url, _state = session.create_authorization_url(api["authorizationUrl"], code_verifier=verifier)
    back = approve_consent(holder, base, url)
    session.fetch_token(api["tokenUrl"], authorization_response=back, code_verifier=verifier)
    return session, api


@pytest.mark.slow
def test_authlib_client_reads_the_manifest_is_authorized_pushes_reads_refreshes_revokes(
    tmp_path: Path,
) -> None:
    with moodle_site.moodle_site() as site, live_app(tmp_path, "host") as host:
        with host.context():
            make_user(EMAIL, language="en")
        holder = requests.Session()
        sign_in(holder, host.url, EMAIL, PASSWORD)
        session, api = _connect_with_authlib(host.url, holder)
        base = api["apiBase"]

        signed = site.award_signed(3, EMAIL, "Pushed by an outside client")
        pushed = session.post(base + "/assertions", json={"signedAssertion": signed})
        assert pushed.status_code == 200 and pushed.json()["status"]["statusText"] == "OK"
        read = session.get(base + "/assertions")
        assert read.headers["X-Total-Count"] == "1"
        assert read.json()["signedAssertions"] == [signed]
        assert session.get(base + "/profile").json()["profile"]["email"] == EMAIL

        old = session.token["access_token"]
        session.refresh_token(api["tokenUrl"])
        assert session.token["access_token"] != old
        stale = requests.get(base + "/profile", headers=h.bearer(old), timeout=10)
        assert (
            stale.status_code == 401 and stale.json()["status"]["statusText"] == "UNAUTHENTICATED"
        )

        session.revoke_token(api["tokenRevocationUrl"], token=session.token["access_token"])
        assert session.get(base + "/profile").status_code == 401


def _loopback_only(host: str, port: int) -> list[str]:
    """Resolve nothing but literal addresses: generated badge URLs must not reach DNS."""
    if re.fullmatch(r"[0-9.]+|\[?[0-9a-fA-F:]+\]?", host):
        return [host.strip("[]")]
    raise OSError("name resolution is off in this test")


@pytest.mark.slow
def test_schemathesis_finds_nothing_wrong_with_the_2_1_description(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    command = schemathesis_command()
    if command is None:
        pytest.skip("schemathesis is not installed (make test-deps installs it)")
    from wallet.openbadges import fetch_http

    monkeypatch.setattr(fetch_http, "_default_resolver", _loopback_only)
    with live_app(tmp_path, "host") as host:
        with host.context():
            make_user(EMAIL, language="en")
        holder = requests.Session()
        sign_in(holder, host.url, EMAIL, PASSWORD)
        session, _api = _connect_with_authlib(host.url, holder)
        result = run_schemathesis(
            command, host.url + "/ims/ob/v2p1/discovery", session.token["access_token"], tmp_path
        )
        assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
        assert "operations" in result.stdout.lower()
