"""Introductions: a resident asks to be put in touch with people offering a theme near them.

The request goes to the connectors of the patch it falls in, never to a person: the requester
learns only the published count of people offering the theme in the area holding their place
(app/services/people/disclosure.py). Their place is stored as the
centre of its 1 km grid square (app/services/people/grid.py), so not even their own point is kept.
A request belongs to a patch when its area is one of the patch's areas or its point lies in
one of them (so a connector scoped to a ward sees the requests of the LSOAs inside it).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import and_, false, or_, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.errors import Forbidden, InvalidInput, NotFound
from app.models import LEVELS, Area, Introduction, Theme, User
from app.models.base import utcnow
from app.schemas.introductions import IntroductionCreate
from app.services import audit
from app.services.assets.visibility import Viewer
from app.services.needs.areas import areas_covering
from app.services.needs.postcodes import lookup_postcode
from app.services.people import disclosure
from app.services.people.grid import public_square
from app.services.users import actor_of
from app.spatial.geometry import geometry_from_db

# Rows read per round while filtering a scoped connector's list by patch geometry.
_BATCH = 500


@dataclass(frozen=True)
class IntroductionView:
    """A request with what its JSON shows: area, theme labels, and who asked."""

    introduction: Introduction
    area: Area | None
    theme_label_en: str
    theme_label_cy: str
    requester: str
    # Only connectors and admins get a way to reach the requester: they broker the meeting.
    requester_email: str | None


@dataclass(frozen=True)
class NewIntroduction:
    """A request just made, and how many people near it offer its theme (counts only)."""

    view: IntroductionView
    people_near: dict[str, Any]


# ---- who handles a request ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Patch:
    """A scoped connector's patch: area ids and their shapes (for point-in-patch checks)."""

    area_ids: frozenset[int]
    shapes: tuple[BaseGeometry, ...]

    def holds(self, intro: Introduction) -> bool:
        """Whether the request is in this patch."""
        if intro.area_id is not None and intro.area_id in self.area_ids:
            return True
        return any(shapely.intersects_xy(s, intro.lon, intro.lat) for s in self.shapes)

    def condition(self) -> ColumnElement[bool]:
        """A SQL prefilter: area in the patch, or point inside a patch area's bounding box."""
        boxes = [
            and_(
                Introduction.lon.between(minx, maxx),
                Introduction.lat.between(miny, maxy),
            )
            for minx, miny, maxx, maxy in (s.bounds for s in self.shapes)
        ]
        if not self.area_ids and not boxes:
            return false()
        return or_(Introduction.area_id.in_(sorted(self.area_ids)), *boxes)


def _patch_of(session: Session, viewer: Viewer) -> _Patch | None:
    """The viewer's patch; None when they handle every request (admins, unscoped connectors)."""
    if viewer.is_admin or (viewer.is_connector and viewer.patch is None):
        return None
    area_ids = frozenset(viewer.patch or ()) if viewer.is_connector else frozenset()
    shapes = tuple(
        geometry_from_db(geom)
        for geom in session.scalars(select(Area.geom).where(Area.id.in_(sorted(area_ids))))
    )
    return _Patch(area_ids, shapes)


def _handles(viewer: Viewer, patch: _Patch | None, intro: Introduction) -> bool:
    if viewer.is_admin or (viewer.is_connector and patch is None):
        return True
    return viewer.is_connector and patch is not None and patch.holds(intro)


def _own(viewer: Viewer, intro: Introduction) -> bool:
    return viewer.user_id is not None and intro.requester_id == viewer.user_id


# ---- views --------------------------------------------------------------------------------------


def _views(
    session: Session, viewer: Viewer, rows: Iterable[tuple[Introduction, User]]
) -> list[IntroductionView]:
    rows = list(rows)
    area_ids = {i.area_id for i, _ in rows if i.area_id is not None}
    areas = {a.id: a for a in session.scalars(select(Area).where(Area.id.in_(sorted(area_ids))))}
    codes = sorted({i.theme_code for i, _ in rows})
    themes = {t.code: t for t in session.scalars(select(Theme).where(Theme.code.in_(codes)))}
    brokers = viewer.is_admin or viewer.is_connector
    return [
        IntroductionView(
            introduction=intro,
            area=areas.get(intro.area_id) if intro.area_id is not None else None,
            theme_label_en=themes[intro.theme_code].label_en,
            theme_label_cy=themes[intro.theme_code].label_cy,
            requester=actor_of(user),
            requester_email=user.email if brokers else None,
        )
        for intro, user in rows
    ]


def _view(session: Session, viewer: Viewer, intro: Introduction) -> IntroductionView:
    user = session.get(User, intro.requester_id)
    assert user is not None  # requester_id is a foreign key that cascades on delete
    return _views(session, viewer, [(intro, user)])[0]


# ---- asking ------------------------------------------------------------------------------------


def _place(session: Session, data: IntroductionCreate) -> tuple[float, float]:
    """The point the request is about: `near`, or the postcode's centroid."""
    if data.near is not None:
        return data.near[0], data.near[1]
    assert data.postcode is not None  # the schema requires one of the two
    try:
        found = lookup_postcode(session, data.postcode)
    except NotFound as exc:
        raise InvalidInput(("body", "postcode"), exc.message) from exc
    return found.lon, found.lat


def _smallest_area(session: Session, lon: float, lat: float) -> int | None:
    covering = areas_covering(session, lon, lat)
    return next((covering[level] for level in LEVELS if level in covering), None)


def _people_near(session: Session, theme: Theme, lon: float, lat: float) -> dict[str, Any]:
    """The published count of people offering the theme in the area holding the point."""
    return disclosure.near_answer(session, lon, lat, themes=(theme.code,))


def request_introduction(
    session: Session, viewer: Viewer, data: IntroductionCreate
) -> NewIntroduction:
    """Record a request to meet people offering a theme near a place (flushed, not committed).

    The place is kept only as its 1 km square's centre; the request is routed by the smallest
    area holding that centre (none when no areas are loaded: then admins and connectors
    without a patch see it)."""
    if viewer.user_id is None:
        raise Forbidden("the admin token is no user account: sign in as a user to ask for this")
    theme = session.get(Theme, data.theme)
    if theme is None or not theme.active:
        raise InvalidInput(("body", "theme"), f"unknown theme {data.theme!r}; see /api/v1/themes")
    lon, lat = _place(session, data)
    square = public_square(lon, lat)
    intro = Introduction(
        requester_id=viewer.user_id,
        theme_code=theme.code,
        lon=square.lon,
        lat=square.lat,
        area_id=_smallest_area(session, square.lon, square.lat),
        message=data.message,
        status="open",
        created_at=utcnow(),
    )
    session.add(intro)
    session.flush()
    # No message and no point in the trail: both are the requester's own words and place.
    audit.record(
        session,
        actor=viewer.actor or "anonymous",
        action="create",
        entity_type="introduction",
        entity_id=intro.id,
        changes={
            "theme_code": [None, intro.theme_code],
            "area_id": [None, intro.area_id],
            "status": [None, intro.status],
        },
    )
    session.flush()
    return NewIntroduction(
        view=_view(session, viewer, intro),
        people_near=_people_near(session, theme, square.lon, square.lat),
    )


# ---- reading and handling ----------------------------------------------------------------------


def list_for(
    session: Session,
    viewer: Viewer,
    *,
    status: str | None = None,
    before: int | None = None,
    limit: int = 100,
) -> tuple[list[IntroductionView], int | None]:
    """Requests this viewer may see, newest first, and the id to page on from (None: no more).

    Residents and planners see their own; connectors those of their patch and their own;
    admins all."""
    patch = _patch_of(session, viewer)
    own = Introduction.requester_id == viewer.user_id if viewer.user_id is not None else false()
    if patch is None:
        condition: ColumnElement[bool] = true()
    elif viewer.is_connector:
        condition = or_(own, patch.condition())
    else:
        condition = own
    stmt = (
        select(Introduction, User)
        .join(User, User.id == Introduction.requester_id)
        .where(condition)
        .order_by(Introduction.id.desc())
    )
    if status is not None:
        stmt = stmt.where(Introduction.status == status)
    found: list[tuple[Introduction, User]] = []
    cursor = before
    while len(found) <= limit:
        page = stmt if cursor is None else stmt.where(Introduction.id < cursor)
        rows = [(i, u) for i, u in session.execute(page.limit(_BATCH))]
        for intro, user in rows:
            # The SQL prefilter matched bounding boxes: recheck against the patch's shapes.
            if patch is None or _own(viewer, intro) or _handles(viewer, patch, intro):
                found.append((intro, user))
                if len(found) > limit:
                    break
        if len(rows) < _BATCH:
            break
        cursor = rows[-1][0].id
    more = len(found) > limit
    found = found[:limit]
    return _views(session, viewer, found), (found[-1][0].id if more else None)


def update(session: Session, viewer: Viewer, introduction_id: int, status: str) -> IntroductionView:
    """Mark a request of the viewer's patch done or declined (flushed, not committed).

    Requests the viewer may not see are a 404; their own request outside their patch a 403."""
    intro = session.get(Introduction, introduction_id)
    patch = _patch_of(session, viewer)
    if intro is None:
        raise NotFound(f"introduction {introduction_id} not found")
    if not _handles(viewer, patch, intro):
        if _own(viewer, intro):
            raise Forbidden("only the connectors of its patch handle your own request")
        raise NotFound(f"introduction {introduction_id} not found")
    if intro.status != status:
        old = intro.status
        intro.status = status
        intro.handled_by = viewer.actor
        intro.handled_at = utcnow()
        audit.record(
            session,
            actor=viewer.actor or "anonymous",
            action="update",
            entity_type="introduction",
            entity_id=intro.id,
            changes={"status": [old, status]},
        )
        session.flush()
    return _view(session, viewer, intro)
