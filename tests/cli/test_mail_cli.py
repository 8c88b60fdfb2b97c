"""`assetmap mail test|send|status` against a real SMTP server on 127.0.0.1."""

import socket
from typing import Any

from aiosmtpd.controller import Controller

from tests.cli.conftest import Invoke


class Inbox:
    def __init__(self) -> None:
        self.recipients: list[list[str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_mail_test_sends_through_the_configured_server_and_status_says_so(
    assetmap: Invoke, monkeypatch: Any
) -> None:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        monkeypatch.setenv("ASSETMAP_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("ASSETMAP_SMTP_PORT", str(port))
        monkeypatch.setenv("ASSETMAP_SMTP_SECURITY", "none")
        sent = assetmap("mail", "test", "operator@example.org")
        status = assetmap("mail", "status")
    finally:
        controller.stop()
    assert sent.exit_code == 0, sent.output
    assert "sent: 1" in sent.output
    assert inbox.recipients == [["operator@example.org"]]
    assert status.exit_code == 0, status.output
    assert "sending to: 127.0.0.1" in status.output
    assert "queued: 0" in status.output


def test_mail_send_exits_1_and_keeps_the_email_when_the_server_is_down(
    assetmap: Invoke, monkeypatch: Any
) -> None:
    monkeypatch.setenv("ASSETMAP_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("ASSETMAP_SMTP_PORT", str(free_port()))
    monkeypatch.setenv("ASSETMAP_SMTP_SECURITY", "none")
    monkeypatch.setenv("ASSETMAP_SMTP_TIMEOUT_SECONDS", "2")

    result = assetmap("mail", "test", "operator@example.org")
    status = assetmap("mail", "status")

    assert result.exit_code == 1
    assert "not sent (queued to retry): 1" in result.output
    assert "queued: 1; failed at least once: 1" in status.output
    assert "operator@example.org" not in status.output


def test_mail_test_refuses_what_is_not_an_address(assetmap: Invoke) -> None:
    result = assetmap("mail", "test", "not an address")
    assert result.exit_code == 2
    assert "not an email address" in result.output
