"""`assetmap mail ...`: see what waits in the outbox, send what is due, send a test email."""

from typing import Annotated

import typer

from app.cli import app, fail, session_scope
from app.settings import get_settings

mail_app = typer.Typer(help="Email: the outbox and the SMTP server.", no_args_is_help=True)
app.add_typer(mail_app, name="mail")


@mail_app.command("status")
def status() -> None:
    """How many emails wait, how many have failed at least once, the oldest, the last error."""
    from app.services.mail.outbox import backlog

    with session_scope("outbox") as session:
        found = backlog(session)
    settings = get_settings()
    where = settings.smtp_host or "the log (ASSETMAP_SMTP_HOST is not set)"
    typer.echo(f"sending to: {where}")
    typer.echo(f"queued: {found.queued}; failed at least once: {found.failing}")
    if found.oldest is not None:
        typer.echo(f"oldest queued at: {found.oldest.isoformat(timespec='seconds')}")
    if found.last_error:
        typer.echo(f"last error: {found.last_error}")


@mail_app.command("send")
def send() -> None:
    """Send the email that is due now (what the app's worker does every
    ASSETMAP_MAIL_EVERY_SECONDS; for cron when that is 0). Exit status 1 if any failed."""
    from app.db import make_engine, make_session_factory
    from app.services.mail.outbox import deliver_due
    from app.services.mail.senders import sender_for

    settings = get_settings()
    engine = make_engine(settings)
    try:
        done = deliver_due(make_session_factory(engine), sender_for(settings), settings)
    finally:
        engine.dispose()
    typer.echo(f"sent: {done.sent}; not sent (queued to retry): {done.failed}")
    if done.failed:
        raise typer.Exit(1)


@mail_app.command("test")
def test(
    to: Annotated[str, typer.Argument(help="Where to send the test email.")],
) -> None:
    """Queue a test email to TO and send it now, to check the SMTP settings."""
    from app.services.mail.outbox import enqueue

    if "@" not in to or any(c in to for c in "\r\n ,;<>"):
        fail(f"not an email address: {to!r}")
    with session_scope("outbox") as session:
        enqueue(
            session,
            to=to,
            subject="assetmap: test email",
            body="This is a test email from assetmap. If you can read it, email works.\n",
        )
        session.commit()
    send()


@mail_app.command("digests")
def digests() -> None:
    """Queue the connectors' digests that are due now (what the app's worker does every
    ASSETMAP_DIGEST_EVERY_SECONDS); `assetmap mail send` then sends them."""
    from app.db import make_engine, make_session_factory
    from app.services.mail.digests import send_digests

    settings = get_settings()
    engine = make_engine(settings)
    try:
        done = send_digests(make_session_factory(engine), settings)
    finally:
        engine.dispose()
    typer.echo(f"digests queued: {done.queued} (of {done.looked_at} people who get one)")
