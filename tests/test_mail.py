"""The mail service: outbox .eml files and SMTP delivery to a real aiosmtpd server on 127.0.0.1."""

from __future__ import annotations

import datetime
import email
import email.policy
import ipaddress
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from aiosmtpd.smtp import LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import func
from sqlalchemy import select

from tests.conftest import make_user
from tests.conftest import registration_form
from wallet.extensions import db
from wallet.models import User
from wallet.services import mail

SMTP_USER = "wallet"
SMTP_PASSWORD = "s3cret-smtp"


# --- a real SMTP server ----------------------------------------------------------------------


@dataclass
class Received:
    """One message as the SMTP server saw it."""

    mail_from: str
    rcpt_tos: list[str]
    message: email.message.EmailMessage
    tls: bool
    login: str | None


@dataclass
class Sink:
    """aiosmtpd handler that keeps every message."""

    received: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd API)
        """Store the message."""
        login = None
        if session.auth_data is not None:
            login = session.auth_data.login.decode()
        self.received.append(
            Received(
                mail_from=envelope.mail_from,
                rcpt_tos=list(envelope.rcpt_tos),
                message=email.message_from_bytes(envelope.content, policy=email.policy.default),
                tls=session.ssl is not None
                or server.transport.get_extra_info("ssl_object") is not None,
                login=login,
            )
        )
        return "250 Message accepted for delivery"


def authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
    """Accept only the test account."""
    ok = isinstance(auth_data, LoginPassword) and (
        auth_data.login.decode(),
        auth_data.password.decode(),
    ) == (SMTP_USER, SMTP_PASSWORD)
    return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


def free_port() -> int:
    """Return a TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Certificates:
    """A throwaway CA and a server certificate for 127.0.0.1/localhost that it signed."""

    ca_file: Path
    cert_file: Path
    key_file: Path
    other_ca_file: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _ca(common_name: str, now: datetime.datetime):
    """Return (key, certificate) of a self-signed CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


@pytest.fixture(scope="module")
def certificates(tmp_path_factory) -> Certificates:
    """Generate a CA, a server certificate it signed, and an unrelated CA."""
    folder = tmp_path_factory.mktemp("tls")
    now = datetime.datetime.now(datetime.UTC)
    ca_key, ca_cert = _ca("Wallet Test CA", now)
    _, other_ca = _ca("Someone Else's CA", now)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    files = Certificates(
        ca_file=folder / "ca.pem",
        cert_file=folder / "server.pem",
        key_file=folder / "server.key",
        other_ca_file=folder / "other-ca.pem",
    )
    files.ca_file.write_bytes(ca_cert.public_bytes(pem))
    files.other_ca_file.write_bytes(other_ca.public_bytes(pem))
    files.cert_file.write_bytes(cert.public_bytes(pem))
    files.key_file.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return files


def server_tls_context(certificates: Certificates):
    """Return the SSL context the SMTP server presents."""
    import ssl

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificates.cert_file, certificates.key_file)
    return context


@dataclass
class SmtpServer:
    """A running aiosmtpd server and what it received."""

    port: int
    sink: Sink

    @property
    def received(self) -> list[Received]:
        """Messages accepted so far."""
        return self.sink.received


def start_server(**kwargs) -> tuple[Controller, SmtpServer]:
    """Start aiosmtpd on 127.0.0.1 with the given SMTP options."""
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    return controller, SmtpServer(port=port, sink=sink)


@pytest.fixture
def plain_server() -> Iterator[SmtpServer]:
    """An SMTP server without TLS or authentication."""
    controller, server = start_server()
    yield server
    controller.stop()


@pytest.fixture
def starttls_server(certificates) -> Iterator[SmtpServer]:
    """An SMTP server that requires STARTTLS and offers AUTH after it."""
    controller, server = start_server(
        tls_context=server_tls_context(certificates),
        require_starttls=True,
        authenticator=authenticator,
    )
    yield server
    controller.stop()


@pytest.fixture
def tls_server(certificates) -> Iterator[SmtpServer]:
    """An SMTP server with implicit TLS (SMTPS) and AUTH."""
    # aiosmtpd 1.4 counts only STARTTLS as TLS for AUTH, so allow AUTH on the SMTPS channel.
    controller, server = start_server(
        ssl_context=server_tls_context(certificates),
        authenticator=authenticator,
        auth_require_tls=False,
    )
    yield server
    controller.stop()


def use_smtp(app, port: int, security: str = "none", **extra: object) -> None:
    """Point the app's mail at the SMTP server on 127.0.0.1:port."""
    app.config.update(
        MAIL_BACKEND="smtp",
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=port,
        SMTP_SECURITY=security,
        SMTP_TIMEOUT=5.0,
        **extra,
    )


def use_smtp_login(
    app, port: int, security: str, certificates, password: str = SMTP_PASSWORD
) -> None:
    """Point the app's mail at a TLS server trusting the test CA, signing in as SMTP_USER."""
    use_smtp(
        app,
        port,
        security,
        SMTP_CAFILE=str(certificates.ca_file),
        SMTP_USER=SMTP_USER,
        SMTP_PASSWORD=password,
    )


def send_verification(app, address: str = "taro@example.com", language: str = "ja") -> bool:
    """Create an unverified user and mail the verification link; return send()'s result."""
    from wallet.services import accounts

    with app.test_request_context():
        user = make_user(address, verified=False, language=language)
        return accounts.send_verification(user)


# --- outbox backend --------------------------------------------------------------------------


def test_outbox_writes_parseable_eml_files(app, outbox):
    assert send_verification(app)
    files = sorted(Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml"))
    assert len(files) == 1
    assert not list(Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.tmp"))
    message = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert message["To"] == "taro@example.com"
    assert message["From"] == app.config["MAIL_FROM"]
    assert message["Subject"]
    assert message["Message-ID"].startswith("<") and message["Message-ID"].endswith(">")
    assert message["Date"]
    assert message["Content-Language"] == "ja"
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    assert plain is not None and html_part is not None
    assert "コンクリート 太郎" in plain.get_content()
    assert '<html lang="ja">' in html_part.get_content()
    link = app.config["BASE_URL"] + "/auth/verify/"
    assert link in plain.get_content()
    assert link in html_part.get_content()


def test_outbox_mails_in_english_for_english_users(app, outbox):
    assert send_verification(app, "jane@example.com", language="en")
    message = outbox.last()
    assert message["Content-Language"] == "en"
    assert message["Subject"] == "Confirm your email address"
    assert '<html lang="en">' in message.get_body(preferencelist=("html",)).get_content()


def test_outbox_keeps_the_sending_order(app, outbox):
    with app.test_request_context():
        for i in range(20):
            user = make_user(f"u{i:02d}@example.com", verified=False)
            from wallet.services import accounts

            accounts.send_verification(user)
    assert [m["To"] for m in outbox.messages()] == [f"u{i:02d}@example.com" for i in range(20)]


def test_message_ids_are_unique(app, outbox):
    send_verification(app, "a@example.com")
    send_verification(app, "b@example.com")
    ids = {m["Message-ID"] for m in outbox.messages()}
    assert len(ids) == 2


def test_outbox_that_cannot_be_written_fails_softly(app_config, app, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the outbox folder should be")
    app.config["MAIL_OUTBOX_DIR"] = str(blocker)
    assert send_verification(app) is False


def test_unknown_backend_fails_softly(app):
    app.config["MAIL_BACKEND"] = "carrier-pigeon"
    assert send_verification(app) is False


# --- SMTP backend ----------------------------------------------------------------------------


def test_smtp_plain_delivery(app, plain_server):
    use_smtp(app, plain_server.port)
    assert send_verification(app) is True
    (got,) = plain_server.received
    assert got.rcpt_tos == ["taro@example.com"]
    assert got.mail_from == "no-reply@wallet.invalid"
    assert got.tls is False
    assert got.message["Content-Language"] == "ja"
    assert got.message.get_body(preferencelist=("html",)) is not None
    assert (
        app.config["BASE_URL"] + "/auth/verify/"
        in got.message.get_body(preferencelist=("plain",)).get_content()
    )


def test_smtp_starttls_with_the_configured_ca(app, starttls_server, certificates):
    use_smtp(app, starttls_server.port, "starttls", SMTP_CAFILE=str(certificates.ca_file))
    assert send_verification(app) is True
    (got,) = starttls_server.received
    assert got.tls is True
    assert got.rcpt_tos == ["taro@example.com"]


def test_smtp_starttls_refuses_an_untrusted_certificate(app, starttls_server, certificates):
    use_smtp(app, starttls_server.port, "starttls", SMTP_CAFILE=str(certificates.other_ca_file))
    assert send_verification(app) is False
    assert starttls_server.received == []


def test_smtp_starttls_with_system_cas_refuses_a_private_ca(app, starttls_server):
    use_smtp(app, starttls_server.port, "starttls")
    assert send_verification(app) is False
    assert starttls_server.received == []


def test_smtp_server_requiring_starttls_refuses_plain(app, starttls_server):
    use_smtp(app, starttls_server.port, "none")
    assert send_verification(app) is False
    assert starttls_server.received == []


def test_smtp_starttls_with_login(app, starttls_server, certificates):
    use_smtp_login(app, starttls_server.port, "starttls", certificates)
    assert send_verification(app) is True
    (got,) = starttls_server.received
    assert got.login == SMTP_USER
    assert got.tls is True


def test_smtp_wrong_password_fails_softly(app, starttls_server, certificates):
    use_smtp_login(app, starttls_server.port, "starttls", certificates, password="wrong")
    assert send_verification(app) is False
    assert starttls_server.received == []


def test_smtp_implicit_tls_with_login(app, tls_server, certificates):
    use_smtp_login(app, tls_server.port, "tls", certificates)
    assert send_verification(app) is True
    (got,) = tls_server.received
    assert got.tls is True
    assert got.login == SMTP_USER


def test_smtp_implicit_tls_refuses_an_untrusted_certificate(app, tls_server, certificates):
    use_smtp(app, tls_server.port, "tls", SMTP_CAFILE=str(certificates.other_ca_file))
    assert send_verification(app) is False
    assert tls_server.received == []


def test_unknown_smtp_security_never_falls_back_to_plain(app, plain_server):
    use_smtp(app, plain_server.port, "ssl")
    assert send_verification(app) is False
    assert plain_server.received == []


def test_smtp_server_down_fails_softly(app):
    use_smtp(app, free_port())
    assert send_verification(app) is False


def test_registration_survives_a_dead_smtp_server(app, client):
    use_smtp(app, free_port())
    response = client.post(
        "/auth/register",
        data=registration_form(),
    )
    assert response.status_code == 303
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(User))
    assert count == 1
    forgot = client.post("/auth/forgot", data={"email": "hanako@example.com"})
    assert forgot.status_code == 303


def test_registration_over_smtp(app, client, plain_server):
    use_smtp(app, plain_server.port)
    client.post(
        "/auth/register",
        data=registration_form(language="en"),
    )
    (got,) = plain_server.received
    assert got.message["Content-Language"] == "en"
    assert got.message["Subject"] == "Confirm your email address"


def test_deliver_raises_mail_error_for_a_dead_server(app):
    use_smtp(app, free_port())
    with app.test_request_context():
        message = mail.compose(
            "taro@example.com",
            "verify_email",
            "en",
            user=make_user(),
            verify_url="https://x.example/",
        )
        with pytest.raises(mail.MailError):
            mail.deliver(message)


def test_plain_text_and_subject_are_not_html_escaped(app, outbox):
    """Names and links with & < > ' read as written in the text part; the HTML part escapes."""
    from wallet.services import accounts

    with app.test_request_context():
        holder = make_user(
            "smith@example.com", family_name="Smith & <Sons>", given_name="O'Neil", language="en"
        )
        accounts.request_password_reset("smith@example.com")
    message = outbox.last()
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert holder.family_name in text
    assert "O'Neil" in text
    assert "&amp;" not in text and "&#39;" not in text and "&lt;" not in text
    assert "Smith &amp; &lt;Sons&gt;" in html
    assert "<Sons>" not in html
    with app.test_request_context():
        subject = mail.compose(
            "a@example.com", "award_notice", "en", **_award_context("Smith & Sons")
        )["Subject"]
    assert "Smith & Sons" in subject


def _award_context(issuer_name: str) -> dict[str, object]:
    """Return what the award notice template reads, with the given issuer name."""
    from types import SimpleNamespace

    issuer = SimpleNamespace(name=issuer_name, url="https://issuer.example", email=None)
    award = SimpleNamespace(
        family_name="Doe",
        given_name="Jane",
        name_order="given-first",
        language="en",
        family_name_kana=None,
        given_name_kana=None,
        romanized_name=None,
        pass_number=None,
        registration_number=None,
        expires=None,
        fields={},
    )
    achievement = SimpleNamespace(name="Welding", description="", issuer=issuer)
    return {
        "issuer": issuer,
        "award": award,
        "achievement": achievement,
        "claim_url": "https://wallet.example.test/claim/x?a=1&b=2",
        "user": award,
    }
