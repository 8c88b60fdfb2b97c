"""A connector's patch at a glance: its assets, what waits for them, and where it is on a map.

Admins and connectors without a patch look after every area. Person-linked records appear here
because this is the connectors' own view of their patch (DESIGN §4): the rules are
`editable_assets` (app/services/assets/visibility.py), as for every write.
"""

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.models import PERSON_KINDS, Area, Asset, Report
from app.models.base import utcnow
from app.schemas.moderation import SUGGESTION_SOURCE
from app.services.assets.records import extent_of_assets
from app.services.assets.visibility import Viewer, editable_assets
from app.spatial.geometry import geometry_from_db

# Wales, for a map with nothing else to fit to.
WALES = (-5.4, 51.3, -2.6, 53.5)
EXPIRING_DAYS = 30
# A published asset is due a check when nobody has checked it for this many months.
CHECK_EVERY_MONTHS = 12
# The most due checks one page lists (the longest unchecked first); the rest follow as these
# are checked.
DUE_CHECKS_SHOWN = 200


@dataclass(frozen=True)
class PatchAsset:
    """One asset of the patch as the dashboard lists it."""

    id: int
    kind: str
    name_en: str | None
    name_cy: str | None
    status: str


@dataclass(frozen=True)
class PatchSummary:
    """What waits for the connector: counts of each kind of work."""

    suggestions: int
    reports: int
    lapsed_consents: int
    expiring_consents: int
    # Published assets not checked for CHECK_EVERY_MONTHS months (due_checks).
    due_checks: int = 0


@dataclass(frozen=True)
class DueCheck:
    """A published asset of the patch that nobody has checked for CHECK_EVERY_MONTHS."""

    id: int
    kind: str
    name_en: str | None
    name_cy: str | None
    postcode: str | None
    last_verified_at: datetime | None
    version: int


@dataclass(frozen=True)
class DueChecks:
    """The first due checks (never checked first, then the longest ago), how many are due in
    all, and the moment a check must be after not to be due."""

    assets: list[DueCheck]
    total: int
    checked_before: datetime


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (the month's last day when that
    month is shorter: 31 March less one month is 28 or 29 February)."""
    year, month = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return moment.replace(year=year, month=month + 1, day=min(moment.day, last_day))


def _due_for_a_check(viewer: Viewer, cutoff: datetime) -> list[ColumnElement[bool]]:
    return [
        editable_assets(viewer),
        Asset.status == "published",
        Asset.last_verified_at.is_(None) | (Asset.last_verified_at <= cutoff),
    ]


def due_checks(
    session: Session,
    *,
    viewer: Viewer,
    now: datetime | None = None,
    limit: int | None = None,
) -> DueChecks:
    """The patch's published assets not checked for CHECK_EVERY_MONTHS months (never checked,
    or last checked at or before that long ago), oldest first, at most `limit` of them
    (default DUE_CHECKS_SHOWN)."""
    cutoff = months_before(now or utcnow(), CHECK_EVERY_MONTHS)
    due = _due_for_a_check(viewer, cutoff)
    stmt = (
        select(
            Asset.id,
            Asset.kind,
            Asset.name_en,
            Asset.name_cy,
            Asset.postcode,
            Asset.last_verified_at,
            Asset.version,
        )
        .where(*due)
        .order_by(Asset.last_verified_at.is_not(None), Asset.last_verified_at, Asset.id)
        .limit(limit or DUE_CHECKS_SHOWN)
    )
    return DueChecks(
        assets=[DueCheck(*row) for row in session.execute(stmt)],
        total=_count(session, *due),
        checked_before=cutoff,
    )


def patch_assets(
    session: Session, *, viewer: Viewer, after: int | None = None, limit: int = 100
) -> tuple[list[PatchAsset], int | None]:
    """The patch's assets that are not archived, by id, and the id to continue after (None:
    no more). People (skill, volunteer) of the patch are included."""
    stmt = (
        select(Asset.id, Asset.kind, Asset.name_en, Asset.name_cy, Asset.status)
        .where(editable_assets(viewer), Asset.status != "archived")
        .order_by(Asset.id)
        .limit(limit + 1)
    )
    if after is not None:
        stmt = stmt.where(Asset.id > after)
    rows = [PatchAsset(*row) for row in session.execute(stmt)]
    more = rows[limit - 1].id if len(rows) > limit else None
    return rows[:limit], more


def in_patch(session: Session, *, viewer: Viewer, asset_id: int) -> bool:
    """Whether the viewer looks after this asset (may change it)."""
    found = select(Asset.id).where(Asset.id == asset_id, editable_assets(viewer))
    return session.scalar(found) is not None


def _count(session: Session, *conditions: ColumnElement[bool]) -> int:
    return int(session.scalar(select(func.count()).select_from(Asset).where(*conditions)) or 0)


def patch_summary(session: Session, *, viewer: Viewer) -> PatchSummary:
    """How many suggestions wait, reports are open, consents have lapsed or lapse within
    EXPIRING_DAYS, and published assets are due a check, in the viewer's patch."""
    mine = editable_assets(viewer)
    now = utcnow()
    people = [Asset.kind.in_(PERSON_KINDS), Asset.status != "archived", mine]
    lapsed = (Asset.consent_expires_at.is_(None)) | (Asset.consent_expires_at <= now)
    soon = Asset.consent_expires_at.between(now, now + timedelta(days=EXPIRING_DAYS))
    reports = session.scalar(
        select(func.count())
        .select_from(Report)
        .join(Asset, Asset.id == Report.asset_id)
        .where(Report.status == "open", mine)
    )
    return PatchSummary(
        suggestions=_count(
            session, Asset.status == "pending", Asset.source == SUGGESTION_SOURCE, mine
        ),
        reports=int(reports or 0),
        lapsed_consents=_count(session, *people, lapsed),
        expiring_consents=_count(session, *people, soon, Asset.consent_expires_at > now),
        due_checks=_count(
            session, *_due_for_a_check(viewer, months_before(now, CHECK_EVERY_MONTHS))
        ),
    )


def patch_bounds(session: Session, *, viewer: Viewer) -> tuple[float, float, float, float]:
    """A lon/lat box for the viewer's patch: its areas, else the assets, else Wales."""
    if viewer.is_connector and viewer.patch:
        shapes = [
            geometry_from_db(g)
            for g in session.scalars(select(Area.geom).where(Area.id.in_(sorted(viewer.patch))))
        ]
        if shapes:
            boxes = [s.bounds for s in shapes]
            return (
                min(b[0] for b in boxes),
                min(b[1] for b in boxes),
                max(b[2] for b in boxes),
                max(b[3] for b in boxes),
            )
    extent = extent_of_assets(session, viewer=viewer)
    if extent is not None:
        return (extent.minx, extent.miny, extent.maxx, extent.maxy)
    return WALES
