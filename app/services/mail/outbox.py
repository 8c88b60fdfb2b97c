"""The outbox: email is queued in the transaction of the change that causes it (so it is sent if
and only if the change is committed), and delivered later by the worker, outside any request.

Delivery is at least once and never lost while the SMTP server is down:
- a due message is *leased* first (its next attempt moved a lease ahead, in a short
  transaction that only one process can win: the update is conditional on the time it read),
  so several app processes behind a load balancer never send it twice at the same time;
- it is then sent; once the server accepts it the row is deleted (no address stays behind);
- a refusal or an unreachable server leaves it queued with back-off (30 s doubling to an hour
  at most), its last error kept without the address, for as long as it takes.
A process that dies mid-send leaves a lease that expires, and the message is sent again.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from app.models import OutboxMessage
from app.models.base import utcnow
from app.services.mail.senders import Sender, email_message
from app.settings import Settings

log = logging.getLogger("assetmap.mail")

# Longer than any SMTP conversation: a lease this old belongs to a process that died.
LEASE = timedelta(minutes=5)
FIRST_RETRY = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=1)
BATCH = 50


def enqueue(session: Session, *, to: str, subject: str, body: str) -> OutboxMessage:
    """Queue an email in the caller's transaction (sent after it commits)."""
    message = OutboxMessage(to_address=to, subject=subject[:300], body=body, attempts=0)
    session.add(message)
    session.flush()
    return message


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt: 30 s, 1 min, 2 min ... 1 h."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_WAIT)


@dataclass(frozen=True)
class Delivery:
    """What one round of delivery did."""

    sent: int
    failed: int


def _lease(session: Session, now: datetime, limit: int) -> list[OutboxMessage]:
    due = session.execute(
        select(OutboxMessage.id, OutboxMessage.next_attempt_at)
        .where(OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    ).all()
    leased = []
    for message_id, seen in due:
        won = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.next_attempt_at == seen)
            .values(next_attempt_at=now + LEASE, attempts=OutboxMessage.attempts + 1)
        )
        if getattr(won, "rowcount", 0) == 1:
            leased.append(message_id)
    session.commit()
    if not leased:
        return []
    return list(session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(leased))))


def deliver_due(
    session_factory: Callable[[], Session],
    sender: Sender,
    settings: Settings,
    *,
    now: datetime | None = None,
    limit: int = BATCH,
) -> Delivery:
    """Send the messages that are due (at most `limit`), each in its own short transaction."""
    now = now or utcnow()
    sent = failed = 0
    with session_factory() as session:
        messages = _lease(session, now, limit)
        for message in messages:
            email = email_message(settings, message.to_address, message.subject, message.body)
            try:
                sender.send(email)
            except Exception as exc:  # any failure: keep it queued, try later
                failed += 1
                error = f"{type(exc).__name__}: {exc}"[:500].replace(message.to_address, "<to>")
                session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id == message.id)
                    .values(
                        next_attempt_at=now + retry_delay(message.attempts),
                        last_error=error,
                    )
                )
                session.commit()
                log.warning(
                    "email %d not sent (attempt %d, next in %s): %s",
                    message.id,
                    message.attempts,
                    retry_delay(message.attempts),
                    error,
                )
                continue
            session.execute(delete(OutboxMessage).where(OutboxMessage.id == message.id))
            session.commit()
            sent += 1
    if sent:
        log.info("email sent: %d", sent)
    return Delivery(sent=sent, failed=failed)


@dataclass(frozen=True)
class Backlog:
    """The outbox at a glance, for operators (no addresses)."""

    queued: int
    failing: int
    oldest: datetime | None
    last_error: str | None


def backlog(session: Session) -> Backlog:
    """How many messages wait, how many have failed at least once, the oldest, the last error."""
    queued, oldest = session.execute(select(func.count(), func.min(OutboxMessage.created_at))).one()
    failing = session.scalar(select(func.count()).where(OutboxMessage.last_error.is_not(None)))
    last_error = session.scalar(
        select(OutboxMessage.last_error)
        .where(OutboxMessage.last_error.is_not(None))
        .order_by(OutboxMessage.next_attempt_at.desc())
        .limit(1)
    )
    return Backlog(int(queued), int(failing or 0), oldest, last_error)
