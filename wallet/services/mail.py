"""The one outgoing-mail service: compose in the recipient's language, deliver by backend."""

from __future__ import annotations

import email
import email.policy
import hashlib
import logging
import smtplib
import ssl
import time
import uuid
from email.message import EmailMessage
from email.utils import formatdate
from email.utils import make_msgid
from pathlib import Path
from typing import Any

from flask import current_app
from flask import g
from flask_babel import force_locale

from wallet.services import metrics
from wallet.services.templating import render_block

log = logging.getLogger(__name__)


class MailError(RuntimeError):
    """The message could not be handed to the mail system."""


def compose(to: str, template: str, lang: str, **context: Any) -> EmailMessage:
    """Render mail/<template>.html (blocks subject, text, html) in lang into a message."""
    name = f"mail/{template}.html"
    previous = g.get("force_lang")
    g.force_lang = lang
    try:
        with force_locale(lang):
            context = {"base_url": current_app.config["BASE_URL"], "lang": lang, **context}
            subject = " ".join(render_block(name, "subject", autoescape=False, **context).split())
            text = render_block(name, "text", autoescape=False, **context).strip() + "\n"
            html = render_block(name, "html", **context)
    finally:
        g.force_lang = previous
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=_sender_domain())
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    # Set last: set_content() drops and add_alternative() moves every Content-* header.
    message["Content-Language"] = lang
    return message


def _sender_domain() -> str:
    """Return the domain of the From address, for Message-IDs."""
    sender = current_app.config["MAIL_FROM"]
    return sender.rsplit("@", 1)[-1].strip(" >") or "wallet.invalid"


def send(to: str, template: str, lang: str, **context: Any) -> bool:
    """Compose one mail now and hand it to the job queue for delivery (jobs.enqueue).

    Returns False when it is known to have failed: delivered in this process at once (no queue,
    outside a web request) and refused. Queued mails are retried by the worker (MAIL_RETRY_DELAYS).
    """
    message = compose(to, template, lang, **context)
    from wallet.services import jobs

    try:
        handle = jobs.enqueue("mail.deliver", message=bytes(message), template=template)
    except jobs.QueueUnavailable as exc:
        # As an SMTP failure was before there was a queue: the request goes on, the mail is
        # reported (the holder can ask for it again: resend, reset).
        metrics.MAILS.labels(template=template, outcome="failed").inc()
        log.error("mail (template %s) could not be queued: %s", template, exc)
        return False
    return not handle.failed


def deliver_job(message: bytes, template: str = "?") -> None:
    """Deliver a composed message (the `mail.deliver` job); raise MailError to have it retried.

    A message already delivered by an earlier run of the same job is not sent again.
    """
    from wallet.services import jobs

    parsed = email.message_from_bytes(message, policy=email.policy.default)
    key = "mail:" + hashlib.sha256(str(parsed["Message-ID"] or message).encode()).hexdigest()
    if jobs.done_before(key):
        return
    try:
        deliver(parsed)  # type: ignore[arg-type]
    except MailError:
        metrics.MAILS.labels(template=template, outcome="failed").inc()
        raise
    metrics.MAILS.labels(template=template, outcome="sent").inc()
    jobs.mark_done(key)


def deliver(message: EmailMessage) -> None:
    """Hand a message to the configured backend, or raise MailError."""
    backend = current_app.config["MAIL_BACKEND"]
    if backend == "smtp":
        _deliver_smtp(message)
    elif backend == "outbox":
        _deliver_outbox(message)
    else:
        raise MailError(f"unknown mail backend {backend!r}")


def _deliver_outbox(message: EmailMessage) -> None:
    """Write the message as an .eml file in the outbox folder (development default)."""
    outbox = Path(current_app.config["MAIL_OUTBOX_DIR"])
    try:
        outbox.mkdir(parents=True, exist_ok=True)
        # Nanoseconds in the name so that sorting by name gives the sending order.
        ns = time.time_ns()
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(ns // 10**9)) + f"-{ns % 10**9:09d}"
        name = f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
        path = outbox / name
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(bytes(message))
        tmp.replace(path)
    except OSError as exc:
        raise MailError(f"the outbox could not be written: {exc.__class__.__name__}") from None
    # The file name only: subjects carry names of badges and people.
    log.info("mail written to the outbox as %s", name)


def _deliver_smtp(message: EmailMessage) -> None:
    """Send the message through the configured SMTP server."""
    config = current_app.config
    host, port = config["SMTP_HOST"], int(config["SMTP_PORT"])
    security = config["SMTP_SECURITY"]
    if security not in ("none", "starttls", "tls"):
        # A typo must not silently send mail (and the SMTP password) in clear text.
        raise MailError(f"unknown SMTP_SECURITY {security!r}")
    timeout = float(config["SMTP_TIMEOUT"])
    try:
        context = ssl.create_default_context(cafile=config.get("SMTP_CAFILE") or None)
        if security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
        else:
            client = smtplib.SMTP(host, port, timeout=timeout)
        with client:
            if security == "starttls":
                client.starttls(context=context)
            if config.get("SMTP_USER"):
                client.login(config["SMTP_USER"], config.get("SMTP_PASSWORD") or "")
            client.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        # No chained cause: SMTP errors quote the recipients, and logs and the failed-job
        # registry show the whole chain. The type and the SMTP code say enough.
        code = getattr(exc, "smtp_code", "")
        raise MailError(f"SMTP delivery failed: {exc.__class__.__name__} {code}".strip()) from None
