"""Digests: each connector, planner and admin whose digest is not 'off' is emailed how much new
work arrived in their patch since their last digest (or since their account was made): pending
suggestions, open reports, pending offers, pending gaps, open introduction requests.

Counts and links to the queues only, never a person's name or contact details. 'immediate'
sends whenever a round finds something new, 'daily' at most once in 24 hours. A round claims
each user's digest by moving `digest_sent_at` conditionally on the value it read, in the
transaction that queues the email (app/services/mail/outbox.py sends it), so two app processes
never send one digest twice and a down SMTP server loses nothing.

Patches are the services' own: `editable_assets` (suggestions, reports, offers' person records),
the introductions' list (requests) and the gaps' `may_decide` (gaps).
Planners look after no assets: their digest counts gaps only.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.models import Asset, Gap, Offer, Report, User
from app.models.base import utcnow
from app.schemas.moderation import SUGGESTION_SOURCE
from app.services.assets.visibility import Viewer, editable_assets
from app.services.mail import messages
from app.services.people.introductions import list_for
from app.services.users import viewer_of
from app.settings import Settings

log = logging.getLogger("assetmap.mail")

DAILY = timedelta(hours=24)
ROLES_WITH_DIGEST = ("connector", "planner", "admin")
# Requests read per round of the introductions' own list, newest first.
_PAGE = 200


def _count(session: Session, stmt: Any) -> int:
    return int(session.scalar(stmt) or 0)


def _new_introductions(session: Session, viewer: Viewer, since: datetime, until: datetime) -> int:
    """Open requests of the viewer's patch made in (since, until] (not their own)."""
    count, before = 0, None
    while True:
        views, before = list_for(session, viewer, status="open", before=before, limit=_PAGE)
        for view in views:
            intro = view.introduction
            if intro.created_at <= since:
                return count
            if intro.created_at <= until and intro.requester_id != viewer.user_id:
                count += 1
        if before is None:
            return count


def _new_gaps(session: Session, viewer: Viewer, since: datetime, until: datetime) -> int:
    """Pending gaps made in (since, until] that the viewer decides (gaps' own patch rule)."""
    from app.services.coproduction.gaps import may_decide

    gaps = session.scalars(
        select(Gap).where(Gap.status == "pending", Gap.created_at > since, Gap.created_at <= until)
    )
    return sum(1 for gap in gaps if may_decide(session, viewer, gap))


def counts_for(
    session: Session, viewer: Viewer, since: datetime, until: datetime
) -> messages.DigestCounts:
    """What arrived in the viewer's patch in (since, until]: counts only."""
    gaps = _new_gaps(session, viewer, since, until)
    if viewer.role == "planner":
        return messages.DigestCounts(gaps=gaps)
    mine = editable_assets(viewer)
    suggestions = _count(
        session,
        select(func.count())
        .select_from(Asset)
        .where(
            mine,
            Asset.status == "pending",
            Asset.source == SUGGESTION_SOURCE,
            Asset.created_at > since,
            Asset.created_at <= until,
        ),
    )
    reports = _count(
        session,
        select(func.count())
        .select_from(Report)
        .join(Asset, Asset.id == Report.asset_id)
        .where(
            mine, Report.status == "open", Report.created_at > since, Report.created_at <= until
        ),
    )
    offers = _count(
        session,
        select(func.count())
        .select_from(Offer)
        .join(Asset, Asset.id == Offer.asset_id)
        .where(
            mine, Offer.status == "pending", Offer.created_at > since, Offer.created_at <= until
        ),
    )
    return messages.DigestCounts(
        suggestions=suggestions,
        reports=reports,
        offers=offers,
        gaps=gaps,
        introductions=_new_introductions(session, viewer, since, until),
    )


def _due(user: User, now: datetime) -> bool:
    if user.digest == "immediate":
        return True
    return user.digest == "daily" and (
        user.digest_sent_at is None or now - user.digest_sent_at >= DAILY
    )


@dataclass(frozen=True)
class DigestRound:
    """What one round did: digests queued, and users looked at."""

    queued: int
    looked_at: int


def _claim(session: Session, user: User, now: datetime) -> bool:
    """Move the user's digest_sent_at to `now`, only if no other process did since we read it."""
    seen = user.digest_sent_at
    same = User.digest_sent_at.is_(None) if seen is None else User.digest_sent_at == seen
    won = session.execute(
        update(User)
        .where(User.id == user.id, same)
        .values(digest_sent_at=now)
        .execution_options(synchronize_session=False)
    )
    return getattr(won, "rowcount", 0) == 1


def send_digests(
    session_factory: Callable[[], Session], settings: Settings, *, now: datetime | None = None
) -> DigestRound:
    """One round: queue each due digest that has something new, each user in a transaction."""
    now = now or utcnow()
    base = messages.site_url(settings)
    queued = 0
    with session_factory() as session:
        ids = list(
            session.scalars(
                select(User.id)
                .where(
                    User.active,
                    User.role.in_(ROLES_WITH_DIGEST),
                    User.digest != "off",
                    User.email_confirmed_at.is_not(None),
                )
                .order_by(User.id)
            )
        )
    for user_id in ids:
        with session_factory() as session:
            user = session.get(User, user_id)
            if user is None or not _due(user, now):
                continue
            since = user.digest_sent_at or user.created_at
            viewer = viewer_of(user)
            counts = counts_for(session, viewer, since, now)
            if counts.total == 0 or not _claim(session, user, now):
                continue
            email = messages.digest_email(lang=user.language, base=base, counts=counts, since=since)
            messages.send(session, to=user.email, email=email)
            session.commit()
            queued += 1
    if queued:
        log.info("digests queued: %d", queued)
    return DigestRound(queued=queued, looked_at=len(ids))
