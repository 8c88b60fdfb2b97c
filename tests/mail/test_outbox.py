"""Email through the outbox, against a real SMTP server (aiosmtpd) on 127.0.0.1: sent only after
the change commits, removed once the server accepts it, kept and retried with back-off while the
server is down, leased so two workers never send one message twice, and sent by the app's own
worker without anyone calling it."""

import logging
import socket
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from app.main import create_app
from app.models import OutboxMessage
from app.models.base import utcnow
from app.services.mail.outbox import (
    LONGEST_WAIT,
    backlog,
    deliver_due,
    enqueue,
    retry_delay,
)
from app.services.mail.senders import LogSender, SmtpSender, sender_for
from app.settings import Settings

WELSH = "Croeso i'r map asedau: ŵ ŷ â — diolch!"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Inbox:
    """What the SMTP server received: (envelope recipients, parsed message)."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], EmailMessage]] = []
        self.logins: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.original_content, policy=default)
        assert isinstance(message, EmailMessage)
        self.received.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            b"mailer",
            b"s3cret",
        )
        if ok:
            self.logins.append(data.login.decode())
        # handled=False: the server answers a refusal with 535 itself (the default, True, leaves
        # the client waiting for a reply until its timeout).
        return AuthResult(success=ok, handled=False)


class SmtpServer:
    """A real SMTP server on a local port, started and stopped by the test."""

    def __init__(self, port: int, *, auth: bool = False) -> None:
        self.port = port
        self.inbox = Inbox()
        options: dict[str, Any] = {}
        if auth:
            # Plain-text AUTH on 127.0.0.1 only (aiosmtpd warns if it is also *required*).
            options = {"authenticator": self.inbox.authenticate, "auth_require_tls": False}
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=port, **options)

    def __enter__(self) -> "SmtpServer":
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()  # closes its event loop too


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer(free_port()) as server:
        yield server


def mail_settings(settings: Settings, port: int, **more: Any) -> Settings:
    return settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_security": "none",
            "mail_from": "Asset map <no-reply@assetmap.example>",
            **more,
        }
    )


@pytest.fixture
def factory(db: Engine) -> Callable[[], Session]:
    return sessionmaker(db, expire_on_commit=False)


def queued(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(OutboxMessage)) or 0)


def test_a_committed_email_is_delivered_whole_and_then_removed(
    session: Session, settings: Settings, factory: Callable[[], Session], smtp: SmtpServer
) -> None:
    config = mail_settings(settings, smtp.port)
    enqueue(session, to="resident@example.org", subject="Cadarnhewch", body=WELSH)
    session.commit()

    done = deliver_due(factory, SmtpSender(config), config)

    assert (done.sent, done.failed) == (1, 0)
    [(recipients, message)] = smtp.inbox.received
    assert recipients == ["resident@example.org"]
    assert message["From"] == "Asset map <no-reply@assetmap.example>"
    assert message["Subject"] == "Cadarnhewch"
    assert message.get_content().strip() == WELSH
    session.expire_all()
    assert queued(session) == 0  # no address stays behind once sent


def test_an_email_of_a_change_rolled_back_is_never_sent(
    session: Session, settings: Settings, factory: Callable[[], Session], smtp: SmtpServer
) -> None:
    config = mail_settings(settings, smtp.port)
    enqueue(session, to="resident@example.org", subject="Hello", body="body")
    session.rollback()

    assert deliver_due(factory, SmtpSender(config), config).sent == 0
    assert smtp.inbox.received == []


def test_while_the_server_is_down_nothing_is_lost_and_it_is_sent_when_it_returns(
    session: Session, settings: Settings, factory: Callable[[], Session]
) -> None:
    port = free_port()  # nothing listens here yet
    config = mail_settings(settings, port, smtp_timeout_seconds=2)
    enqueue(session, to="connector@example.org", subject="Digest", body="3 new suggestions")
    session.commit()
    start = utcnow()

    down = deliver_due(factory, SmtpSender(config), config, now=start)

    assert (down.sent, down.failed) == (0, 1)
    session.expire_all()
    row = session.scalars(select(OutboxMessage)).one()
    assert row.attempts == 1
    assert row.last_error and "connector@example.org" not in row.last_error
    assert row.next_attempt_at >= start + timedelta(seconds=30)
    # Not due again before its back-off, even with the server back.
    with SmtpServer(port) as server:
        early = deliver_due(factory, SmtpSender(config), config, now=start + timedelta(seconds=5))
        assert (early.sent, early.failed) == (0, 0)
        later = deliver_due(factory, SmtpSender(config), config, now=start + timedelta(seconds=31))
        assert later.sent == 1
        [(recipients, message)] = server.inbox.received
    assert recipients == ["connector@example.org"]
    assert message["Subject"] == "Digest"
    session.expire_all()
    assert queued(session) == 0


def test_back_off_doubles_from_30_seconds_to_an_hour_at_most() -> None:
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert retry_delay(20) == LONGEST_WAIT == timedelta(hours=1)


class Nested:
    """A sender that, mid-send, lets a second worker try the same outbox."""

    def __init__(self, inner: SmtpSender, second_worker: Callable[[], Any]) -> None:
        self.inner = inner
        self.second_worker = second_worker
        self.second: Any = None

    def send(self, message: EmailMessage) -> None:
        self.second = self.second_worker()
        self.inner.send(message)


def test_a_message_being_sent_is_leased_so_a_second_worker_skips_it(
    session: Session, settings: Settings, factory: Callable[[], Session], smtp: SmtpServer
) -> None:
    config = mail_settings(settings, smtp.port)
    enqueue(session, to="a@example.org", subject="One", body="one")
    session.commit()
    now = utcnow()
    other = SmtpSender(config)
    sender = Nested(other, lambda: deliver_due(factory, other, config, now=now))

    first = deliver_due(factory, sender, config, now=now)

    assert first.sent == 1
    assert (sender.second.sent, sender.second.failed) == (0, 0)
    assert len(smtp.inbox.received) == 1


def test_the_smtp_login_is_used_when_configured(
    session: Session, settings: Settings, factory: Callable[[], Session]
) -> None:
    with SmtpServer(free_port(), auth=True) as server:
        config = mail_settings(
            settings, server.port, smtp_user="mailer", smtp_password=SecretStr("s3cret")
        )
        enqueue(session, to="a@example.org", subject="Hi", body="hi")
        session.commit()
        assert deliver_due(factory, SmtpSender(config), config).sent == 1
        wrong = mail_settings(
            settings, server.port, smtp_user="mailer", smtp_password=SecretStr("nope")
        )
        enqueue(session, to="b@example.org", subject="Hi", body="hi")
        session.commit()
        refused = deliver_due(factory, SmtpSender(wrong), wrong)
    assert server.inbox.logins == ["mailer"]
    assert [r for r, _ in server.inbox.received] == [["a@example.org"]]
    assert (refused.sent, refused.failed) == (0, 1)
    session.expire_all()
    assert backlog(session).failing == 1
    assert "s3cret" not in (backlog(session).last_error or "")


def test_the_apps_own_worker_sends_queued_email(
    session: Session, settings: Settings, smtp: SmtpServer
) -> None:
    config = mail_settings(settings, smtp.port, mail_every_seconds=0.2)
    enqueue(session, to="resident@example.org", subject="Welcome", body=WELSH)
    session.commit()

    with TestClient(create_app(config)):
        deadline = time.monotonic() + 10
        while not smtp.inbox.received and time.monotonic() < deadline:
            time.sleep(0.05)

    [(recipients, message)] = smtp.inbox.received
    assert recipients == ["resident@example.org"]
    assert message.get_content().strip() == WELSH


def test_without_an_smtp_server_email_goes_to_the_log(
    session: Session,
    settings: Settings,
    factory: Callable[[], Session],
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert settings.smtp_host is None
    sender = sender_for(settings)
    assert isinstance(sender, LogSender)
    enqueue(session, to="dev@example.org", subject="Confirm", body="Follow /confirm?t=abc")
    session.commit()

    with caplog.at_level(logging.INFO, logger="assetmap.mail"):
        assert deliver_due(factory, sender, settings).sent == 1

    assert "To: dev@example.org" in caplog.text
    assert "Follow /confirm?t=abc" in caplog.text
