"""Who delivers an email: an SMTP server (smtplib; STARTTLS, implicit TLS or plain), or, with
no SMTP server configured, the log (development: `make run` prints each email)."""

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Protocol

from app.settings import Settings

log = logging.getLogger("assetmap.mail")


class Sender(Protocol):
    """Delivers one message or raises (OSError, smtplib.SMTPException) to have it retried."""

    def send(self, message: EmailMessage) -> None: ...


class SmtpSender:
    """One SMTP connection per batch of messages is plenty for the volumes here; this opens one
    per message, which survives a server that drops idle connections."""

    def __init__(self, settings: Settings) -> None:
        assert settings.smtp_host is not None
        self.host = settings.smtp_host
        self.port = settings.smtp_port
        self.security = settings.smtp_security
        self.user = settings.smtp_user
        self.password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
        self.timeout = settings.smtp_timeout_seconds

    def _connect(self) -> smtplib.SMTP:
        if self.security == "tls":
            context = ssl.create_default_context()
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        return smtp

    def send(self, message: EmailMessage) -> None:
        """Deliver `message` (raises when the server is down or refuses it)."""
        with self._connect() as smtp:
            if self.user:
                smtp.login(self.user, self.password)
            smtp.send_message(message)


class LogSender:
    """No SMTP server: each email goes to the log, whole, so a developer can follow its link."""

    def send(self, message: EmailMessage) -> None:
        """Write `message` to the log."""
        log.info(
            "email (no SMTP server configured; ASSETMAP_SMTP_HOST sends it)\n"
            "To: %s\nSubject: %s\n\n%s",
            message["To"],
            message["Subject"],
            message.get_content(),
        )


def sender_for(settings: Settings) -> Sender:
    """The SMTP server the settings name, else the log."""
    return SmtpSender(settings) if settings.smtp_host else LogSender()


def email_message(settings: Settings, to: str, subject: str, body: str) -> EmailMessage:
    """A plain-text UTF-8 email from the service's From address."""
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=settings.mail_from.rpartition("@")[2].strip(">"))
    message.set_content(body)
    return message
