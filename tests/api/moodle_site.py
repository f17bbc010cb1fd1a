"""A Moodle site's badge documents, served on loopback as Moodle serves them.

What Moodle publishes for an awarded course badge (core_badges_assertion, OPEN_BADGES_V2):
- the assertion at ``{wwwroot}/badges/assertion.php?b=HASH&obversion=2``, with the BadgeClass
  embedded (``badge``), which embeds the issuer (``badge.issuer``, the site's default issuer);
  the legacy ``verify`` alias ({"type": "hosted", "url": <the assertion URL>}), ``evidence``
  pointing at ``badges/badge.php?hash=HASH``, and ``issuedOn`` from PHP's ``date('c')``;
- the recipient always hashed and salted: ``sha256$`` + sha256(email + site salt);
- a revoked (deleted) issued badge: 410 Gone and ``{"id": assertion.php?b=HASH, "revoked": true}``;
- the BadgeClass at ``badges/badge_json.php?id=N``, the issuer at
  ``badges/badge_json.php?id=N&action=0&obversion=2``; the image as a data: URI.
Moodle only issues hosted badges. The signed one here is what the same site would publish if it
signed (an RS256 JWS; key and revocation list linked from the issuer): the 2.1 API carries it.
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests import badge_factory as bf
from wallet.openbadges.jose import sign_compact

OB2 = "https://w3id.org/openbadges/v2"
SALT = "moodle-site-salt"
SITE_NAME = "Example University Moodle"
ISSUER_NAME = "Example University"


def _date_c(moment: datetime) -> str:
    """Return PHP's date('c'): ISO 8601 with a numeric offset."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


class MoodleSite:
    """The documents of one Moodle site, keyed by path and query as Moodle's scripts answer."""

    def __init__(self, wwwroot: str) -> None:
        self.wwwroot = wwwroot.rstrip("/") + "/"
        self.documents: dict[str, tuple[int, bytes]] = {}
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.revoked_ids: list[str] = []

    def url(self, path_and_query: str) -> str:
        """Return the absolute URL of a Moodle path (no leading slash)."""
        return self.wwwroot + path_and_query

    def issuer(self, badge_id: int) -> dict[str, Any]:
        """Return the site's default issuer as Moodle embeds it (badges_get_default_issuer)."""
        return {
            "name": ISSUER_NAME,
            "url": self.wwwroot,
            "email": "badges@university.example",
            "@context": OB2,
            "id": self.url(f"badges/badge_json.php?id={badge_id}&action=0&obversion=2"),
            "type": "Issuer",
        }

    def badge_class(self, badge_id: int, name: str) -> dict[str, Any]:
        """Return the BadgeClass Moodle embeds in an assertion (get_badge_class)."""
        return {
            "name": name,
            "description": f"Awarded for completing the course {name}.",
            "image": "data:image/png;base64,"
            + base64.b64encode(bf.plain_png((90, 30, 140))).decode(),
            "criteria": {
                "id": self.url(f"badges/badge.php?hash=criteria{badge_id}"),
                "narrative": "Complete every activity of the course.",
            },
            "issuer": self.issuer(badge_id),
            "@context": OB2,
            "id": self.url(f"badges/badge_json.php?id={badge_id}"),
            "type": "BadgeClass",
            "version": "1",
            "@language": "en",
        }

    def assertion(self, badge_hash: str, badge_id: int, email: str, name: str) -> dict[str, Any]:
        """Return the OB 2.0 assertion Moodle builds for an issued badge (get_badge_assertion)."""
        url = self.url(f"badges/assertion.php?b={badge_hash}&obversion=2")
        issued = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
        identity = "sha256$" + hashlib.sha256((email + SALT).encode()).hexdigest()
        return {
            "recipient": {"identity": identity, "type": "email", "hashed": True, "salt": SALT},
            "badge": self.badge_class(badge_id, name),
            "verify": {"type": "hosted", "url": url},
            "issuedOn": _date_c(issued),
            "evidence": self.url(f"badges/badge.php?hash={badge_hash}"),
            "@context": OB2,
            "type": "Assertion",
            "id": url,
        }

    def award_hosted(self, badge_hash: str, badge_id: int, email: str, name: str) -> dict[str, Any]:
        """Publish a hosted assertion (and its BadgeClass and issuer); return the assertion."""
        assertion = self.assertion(badge_hash, badge_id, email, name)
        self._publish(assertion["id"], assertion)
        self._publish(assertion["badge"]["id"], assertion["badge"])
        self._publish(assertion["badge"]["issuer"]["id"], assertion["badge"]["issuer"])
        return assertion

    def revoke(self, assertion: dict[str, Any], badge_hash: str) -> None:
        """Answer as badges/assertion.php does once the issued badge is gone: 410 and a stub."""
        stub = {"id": self.url(f"badges/assertion.php?b={badge_hash}"), "revoked": True}
        self._publish(assertion["id"], stub, status=410)

    def award_signed(self, badge_id: int, email: str, name: str) -> str:
        """Publish the issuer (with key and revocation list) and return a signed assertion."""
        assertion = self.assertion(f"signed{badge_id}", badge_id, email, name)
        key_url = self.url(f"badges/key.php?id={badge_id}")
        revocations = self.url(f"badges/revoked.php?id={badge_id}")
        issuer = {**self.issuer(badge_id), "publicKey": key_url, "revocationList": revocations}
        badge = {**self.badge_class(badge_id, name), "issuer": issuer["id"]}
        assertion.update(
            id=f"urn:uuid:0b9c2f5e-6d1a-4c3b-9e8f-{badge_id:012d}",
            badge=badge["id"],
            verification={"type": "SignedBadge", "creator": key_url},
        )
        del assertion["verify"]
        pem = self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        key = {"@context": OB2, "type": "CryptographicKey", "id": key_url, "owner": issuer["id"]}
        self._publish(key_url, {**key, "publicKeyPem": pem.decode()})
        self._publish(issuer["id"], issuer)
        self._publish(badge["id"], badge)
        self._publish(
            revocations,
            {
                "@context": OB2,
                "type": "RevocationList",
                "id": revocations,
                "issuer": issuer["id"],
                "revokedAssertions": self.revoked_ids,
            },
        )
        return sign_compact(assertion, self.key, "RS256")

    def _publish(self, url: str, document: dict[str, Any], status: int = 200) -> None:
        assert url.startswith(self.wwwroot), url
        path = "/" + url[len(self.wwwroot) :]
        self.documents[path] = (status, json.dumps(document).encode())


@contextmanager
def moodle_site() -> Iterator[MoodleSite]:
    """Serve a MoodleSite on http://127.0.0.1:<port>/ until the block ends."""
    holder: dict[str, MoodleSite] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            found = holder["site"].documents.get(self.path)
            if found is None:
                self.send_error(404)
                return
            status, body = found
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder["site"] = MoodleSite(f"http://127.0.0.1:{httpd.server_address[1]}/")
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield holder["site"]
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)
