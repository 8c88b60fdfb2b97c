""" "Missing here": residents report what their place lacks, others say "me too", and a
connector or planner of the patch publishes, merges or declines each report.

Publishing makes a service deficit (app/services/needs/deficits.py, source "residents", source
id the gap's id) at the centre of the 100 m British National Grid square holding the point, so
a resident marking near their home never publishes their door. Who reported or supports a gap
is never shown to anybody: a gap carries only its support count, published through the people
rule (disclosure.publish: perturbed, and None for "fewer than 5").

Deciders: planners and admins decide every gap; connectors the gaps of their patch (every gap
when they have no patch). A gap belongs to a patch when its area is one of the patch's areas or
its point lies in one of them. A gap a caller may not see is a 404. Decisions are in
gap_decisions.py; what the planner and pages read of published gaps in published_gaps.py.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import shapely
from pyproj import CRS, Transformer
from shapely.geometry.base import BaseGeometry
from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.models import LEVELS, Area, Gap, GapSupport, Theme
from app.models.base import utcnow
from app.schemas.gaps import GapCreate
from app.services import audit
from app.services.assets.visibility import Viewer
from app.services.needs.areas import areas_covering
from app.services.needs.postcodes import lookup_postcode
from app.services.people.disclosure import FEWER, new_record_key, publish
from app.spatial.geometry import geometry_from_db

SOURCE = "residents"
ENTITY = "gap"
DECIDERS = ("connector", "planner", "admin")
# Published gaps are placed at the centre of their square of this size (metres).
SQUARE_M = 100
BNG = "EPSG:27700"
EQUAL_AREA = "EPSG:6933"
DECIMALS = 6


# ---- places --------------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _transformers(grid: str) -> tuple[Transformer, Transformer]:
    forward = Transformer.from_crs("EPSG:4326", grid, always_xy=True)
    return forward, Transformer.from_crs(grid, "EPSG:4326", always_xy=True)


@lru_cache(maxsize=1)
def _bng_bounds() -> tuple[float, float, float, float]:
    area = CRS.from_user_input(BNG).area_of_use
    assert area is not None
    return area.west, area.south, area.east, area.north


def public_point(lon: float, lat: float) -> tuple[float, float]:
    """Where a published gap is shown: the centre of the 100 m British National Grid square
    holding the point (outside Great Britain, of a 100 m equal-area grid square)."""
    west, south, east, north = _bng_bounds()
    grid = BNG if west <= lon <= east and south <= lat <= north else EQUAL_AREA
    forward, back = _transformers(grid)
    x, y = forward.transform(lon, lat)
    col, row = x // SQUARE_M, y // SQUARE_M
    centre = back.transform((col + 0.5) * SQUARE_M, (row + 0.5) * SQUARE_M)
    return round(centre[0], DECIMALS), round(centre[1], DECIMALS)


def _smallest_area(session: Session, lon: float, lat: float) -> int | None:
    covering = areas_covering(session, lon, lat)
    return next((covering[level] for level in LEVELS if level in covering), None)


def _place(session: Session, data: GapCreate) -> tuple[float, float]:
    if data.near is not None:
        return data.near[0], data.near[1]
    assert data.postcode is not None  # the schema requires one of the two
    try:
        found = lookup_postcode(session, data.postcode)
    except NotFound as exc:
        raise InvalidInput(("body", "postcode"), exc.message) from exc
    return found.lon, found.lat


# ---- who decides -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Patch:
    area_ids: frozenset[int]
    shapes: tuple[BaseGeometry, ...]

    def holds(self, gap: Gap) -> bool:
        if gap.area_id is not None and gap.area_id in self.area_ids:
            return True
        return any(shapely.intersects_xy(s, gap.lon, gap.lat) for s in self.shapes)


def _patch_of(session: Session, viewer: Viewer) -> _Patch | None:
    """A scoped connector's patch; None for those who decide every gap (and for non-deciders,
    who `may_decide` refuses first)."""
    if not viewer.is_connector or viewer.patch is None:
        return None
    ids = frozenset(viewer.patch)
    shapes = tuple(
        geometry_from_db(g)
        for g in session.scalars(select(Area.geom).where(Area.id.in_(sorted(ids))))
    )
    return _Patch(ids, shapes)


def is_decider(viewer: Viewer) -> bool:
    """Whether the viewer's role decides gaps at all (connectors, planners, admins)."""
    return viewer.role in DECIDERS


def may_decide(session: Session, viewer: Viewer, gap: Gap) -> bool:
    """Whether the viewer publishes, merges and declines this gap: a connector or planner of
    its patch (planners, admins and connectors without a patch: every gap)."""
    if not is_decider(viewer):
        return False
    patch = _patch_of(session, viewer)
    return patch is None or patch.holds(gap)


def _own(session: Session, viewer: Viewer, gap: Gap) -> bool:
    if viewer.user_id is None:
        return False
    if gap.reporter_id == viewer.user_id:
        return True
    return session.get(GapSupport, (gap.id, viewer.user_id)) is not None


def _visible(session: Session, viewer: Viewer, gap_id: int) -> Gap:
    """The gap if the viewer may see it (published: anybody; else its reporter, supporters and
    deciders); NotFound otherwise."""
    gap = session.get(Gap, gap_id)
    if gap is None or not (
        gap.status == "published" or _own(session, viewer, gap) or may_decide(session, viewer, gap)
    ):
        raise NotFound(f"gap {gap_id} not found")
    return gap


# ---- views -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GapView:
    """A gap as a caller may see it: `point` is the published point for published gaps, the
    place itself only for deciders of pending ones (None otherwise); `supports` is the
    published count (None: fewer than 5); `decline_reason` only for the reporter, supporters
    and deciders."""

    id: int
    theme: str
    theme_label_en: str
    theme_label_cy: str
    text: str
    language: str
    status: str
    area_id: int | None
    area_code: str | None
    area_name_en: str | None
    area_name_cy: str | None
    point: tuple[float, float] | None
    supports: int | None
    supported_by_you: bool
    reported_by_you: bool
    deficit_id: int | None
    merged_into_id: int | None
    decline_reason: str | None
    created_at: datetime

    @property
    def supports_shown_as(self) -> str:
        """The count in words: the number, or 'fewer than 5'."""
        return FEWER if self.supports is None else str(self.supports)

    @property
    def theme_code(self) -> str:
        """The theme's code (as the models spell it)."""
        return self.theme

    @property
    def reported(self) -> bool:
        """Whether the viewer reported it (else they said "me too")."""
        return self.reported_by_you


def support_counts(session: Session, gap_ids: Iterable[int]) -> dict[int, int | None]:
    """Each gap's published support count (None: fewer than 5); every id given has an entry."""
    ids = sorted(set(gap_ids))
    tallies = {
        gap_id: (int(n), int(keys))
        for gap_id, n, keys in session.execute(
            select(GapSupport.gap_id, func.count(), func.sum(GapSupport.record_key))
            .where(GapSupport.gap_id.in_(ids))
            .group_by(GapSupport.gap_id)
        )
    }
    return {i: publish(*tallies.get(i, (0, 0))) for i in ids}


def views_for(session: Session, viewer: Viewer, gaps: list[Gap]) -> list[GapView]:
    area_ids = sorted({g.area_id for g in gaps if g.area_id is not None})
    areas = {a.id: a for a in session.scalars(select(Area).where(Area.id.in_(area_ids)))}
    codes = sorted({g.theme_code for g in gaps})
    themes = {t.code: t for t in session.scalars(select(Theme).where(Theme.code.in_(codes)))}
    counts = support_counts(session, [g.id for g in gaps])
    mine: set[int] = set()
    if viewer.user_id is not None and gaps:
        mine = set(
            session.scalars(
                select(GapSupport.gap_id).where(
                    GapSupport.user_id == viewer.user_id,
                    GapSupport.gap_id.in_([g.id for g in gaps]),
                )
            )
        )
    views = []
    for gap in gaps:
        area = areas.get(gap.area_id) if gap.area_id is not None else None
        theme = themes[gap.theme_code]
        reported = viewer.user_id is not None and gap.reporter_id == viewer.user_id
        decides = may_decide(session, viewer, gap)
        point = None
        if gap.status == "published":
            point = public_point(gap.lon, gap.lat)
            if not decides:  # the area of the published point: not even which side of a border
                public_area = _smallest_area(session, *point)
                area = session.get(Area, public_area) if public_area is not None else None
        elif decides:
            point = (gap.lon, gap.lat)
        views.append(
            GapView(
                id=gap.id,
                theme=gap.theme_code,
                theme_label_en=theme.label_en,
                theme_label_cy=theme.label_cy,
                text=gap.text,
                language=gap.language,
                status=gap.status,
                area_id=area.id if area else None,
                area_code=area.code if area else None,
                area_name_en=area.name_en if area else None,
                area_name_cy=area.name_cy if area else None,
                point=point,
                supports=counts[gap.id],
                supported_by_you=gap.id in mine,
                reported_by_you=reported,
                deficit_id=gap.deficit_id,
                merged_into_id=gap.merged_into_id,
                decline_reason=(
                    gap.decline_reason if reported or gap.id in mine or decides else None
                ),
                created_at=gap.created_at,
            )
        )
    return views


def view_of(session: Session, viewer: Viewer, gap_id: int) -> GapView:
    """One gap as the viewer may see it; NotFound if they may not."""
    return views_for(session, viewer, [_visible(session, viewer, gap_id)])[0]


# ---- residents ---------------------------------------------------------------------------------


def _resident(viewer: Viewer) -> int:
    if viewer.user_id is None:
        raise Forbidden("the admin token is no user account: sign in as a user to do this")
    return viewer.user_id


def audit_gap(
    session: Session, viewer: Viewer, action: str, gap: Gap, **changes: list[object]
) -> None:
    # Never the text or the point: they are a resident's own words and place.
    audit.record(
        session,
        actor=viewer.actor or "anonymous",
        action=action,
        entity_type=ENTITY,
        entity_id=gap.id,
        changes={k: list(v) for k, v in changes.items()},
    )


def create_gap(session: Session, viewer: Viewer, data: GapCreate) -> GapView:
    """Record a signed-in resident's "missing here" as pending, routed to the patch of the
    smallest area holding the place, with the reporter's own support first (flushed)."""
    user_id = _resident(viewer)
    theme = session.get(Theme, data.theme)
    if theme is None or not theme.active:
        raise InvalidInput(("body", "theme"), f"unknown theme {data.theme!r}; see /api/v1/themes")
    lon, lat = _place(session, data)
    assert data.text is not None  # the schema refuses a blank text
    gap = Gap(
        reporter_id=user_id,
        theme_code=theme.code,
        text=data.text,
        language=data.language,
        lon=lon,
        lat=lat,
        area_id=_smallest_area(session, lon, lat),
        status="pending",
        created_at=utcnow(),
    )
    session.add(gap)
    session.flush()
    session.add(
        GapSupport(gap_id=gap.id, user_id=user_id, record_key=new_record_key(), created_at=utcnow())
    )
    audit_gap(
        session,
        viewer,
        "create",
        gap,
        theme_code=[None, gap.theme_code],
        area_id=[None, gap.area_id],
        status=[None, gap.status],
    )
    session.flush()
    return views_for(session, viewer, [gap])[0]


def support(session: Session, viewer: Viewer, gap_id: int) -> GapView:
    """Say "me too" to a published or pending gap the viewer may see (once; saying it again
    changes nothing). Conflict for a merged or declined gap (flushed)."""
    user_id = _resident(viewer)
    gap = _visible(session, viewer, gap_id)
    if gap.status not in ("pending", "published"):
        where = f": support gap {gap.merged_into_id} instead" if gap.merged_into_id else ""
        raise Conflict(f"gap {gap_id} was {gap.status}{where}")
    if session.get(GapSupport, (gap.id, user_id)) is None:
        try:
            with session.begin_nested():
                session.add(
                    GapSupport(
                        gap_id=gap.id,
                        user_id=user_id,
                        record_key=new_record_key(),
                        created_at=utcnow(),
                    )
                )
        except IntegrityError:
            pass  # the same resident's other request got there first: one support either way
    return views_for(session, viewer, [gap])[0]


def unsupport(session: Session, viewer: Viewer, gap_id: int) -> GapView:
    """Take the viewer's "me too" back (none: nothing changes); flushed."""
    user_id = _resident(viewer)
    gap = _visible(session, viewer, gap_id)
    session.execute(
        delete(GapSupport).where(GapSupport.gap_id == gap.id, GapSupport.user_id == user_id)
    )
    session.flush()
    return views_for(session, viewer, [gap])[0]


def gaps_of(session: Session, user_id: int) -> list[GapView]:
    """The gaps one resident reported or supports, newest first, with status and decline
    reason: for their own "My contributions" and download only."""
    supported = select(GapSupport.gap_id).where(GapSupport.user_id == user_id)
    gaps = list(
        session.scalars(
            select(Gap)
            .where(or_(Gap.reporter_id == user_id, Gap.id.in_(supported)))
            .order_by(Gap.id.desc())
        )
    )
    return views_for(
        session, Viewer(actor=f"resident:{user_id}", role="resident", user_id=user_id), gaps
    )


# ---- lists -------------------------------------------------------------------------------------


def list_gaps(
    session: Session,
    viewer: Viewer,
    *,
    status: str | None = None,
    theme: str | None = None,
    limit: int = 500,
) -> list[GapView]:
    """Published gaps and, for deciders, the pending ones they decide; newest first."""
    stmt = select(Gap).order_by(Gap.id.desc())
    wanted: tuple[str, ...] = ("published", "pending") if is_decider(viewer) else ("published",)
    if status is not None:
        wanted = tuple(s for s in wanted if s == status)
    stmt = stmt.where(Gap.status.in_(wanted))
    if theme is not None:
        stmt = stmt.where(Gap.theme_code == theme)
    found: list[Gap] = []
    for gap in session.scalars(stmt):
        if gap.status == "published" or may_decide(session, viewer, gap):
            found.append(gap)
            if len(found) >= limit:
                break
    return views_for(session, viewer, found)


def pending_gaps(session: Session, viewer: Viewer) -> list[GapView]:
    """The pending gaps the viewer decides, oldest first (the queue)."""
    if not is_decider(viewer):
        raise Forbidden("only connectors, planners and admins decide reported gaps")
    gaps = session.scalars(select(Gap).where(Gap.status == "pending").order_by(Gap.id))
    return views_for(session, viewer, [g for g in gaps if may_decide(session, viewer, g)])


def move_supports(session: Session, from_id: int, to_id: int) -> None:
    """Move one gap's "me too"s to another, one per resident (their secret keys go along)."""
    already = set(session.scalars(select(GapSupport.user_id).where(GapSupport.gap_id == to_id)))
    moving = list(session.scalars(select(GapSupport).where(GapSupport.gap_id == from_id)))
    rows = [(s.user_id, s.record_key, s.created_at) for s in moving if s.user_id not in already]
    session.execute(delete(GapSupport).where(GapSupport.gap_id == from_id))
    for user_id, key, created in rows:
        session.add(GapSupport(gap_id=to_id, user_id=user_id, record_key=key, created_at=created))
