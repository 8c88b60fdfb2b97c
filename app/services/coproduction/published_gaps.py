"""What the planner, the area profile, the gap analysis and the deficits page read of residents'
published gaps: where each is shown (its 100 m square's centre), its published "me too" count
(through the people rule, in app/services/coproduction/gaps.py), and the assets near a gap
that might help (the asset-based answer).
"""

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import NotFound
from app.models import Deficit, Gap, GapSupport
from app.schemas.assets import AssetRecord
from app.services.assets.records import AssetFilters, Near, list_assets
from app.services.assets.themes import related_codes
from app.services.assets.visibility import Viewer
from app.services.coproduction.gaps import public_point, support_counts
from app.services.needs.areas import areas_covering
from app.services.needs.matches import MATCH_DISTANCE_M
from app.services.people.disclosure import FEWER


@dataclass(frozen=True)
class PublishedGap:
    """A published gap as the planner and profiles show it: its deficit, theme, published
    point (its 100 m square's centre) and published support count (None: fewer than 5)."""

    gap_id: int
    deficit_id: int
    theme: str
    lon: float
    lat: float
    supports: int | None

    @property
    def supports_shown_as(self) -> str:
        """The count in words: the number, or 'fewer than 5'."""
        return FEWER if self.supports is None else str(self.supports)


def published_gaps(
    session: Session, *, theme: str | None = None, deficit_ids: Iterable[int] | None = None
) -> list[PublishedGap]:
    """Published gaps whose deficit still exists (of a theme, or of these deficits), by id."""
    stmt = (
        select(Gap.id, Gap.deficit_id, Gap.theme_code, Gap.lon, Gap.lat)
        .join(Deficit, Deficit.id == Gap.deficit_id)
        .where(Gap.status == "published")
        .order_by(Gap.id)
    )
    if theme is not None:
        stmt = stmt.where(Gap.theme_code == theme)
    if deficit_ids is not None:
        stmt = stmt.where(Gap.deficit_id.in_(sorted(set(deficit_ids))))
    rows = list(session.execute(stmt))
    counts = support_counts(session, [r.id for r in rows])
    found = []
    for gap_id, deficit_id, code, lon, lat in rows:
        plon, plat = public_point(lon, lat)
        assert deficit_id is not None  # joined to its deficit
        found.append(PublishedGap(gap_id, deficit_id, code, plon, plat, counts[gap_id]))
    return found


def supports_by_deficit(session: Session, deficit_ids: Iterable[int]) -> dict[int, PublishedGap]:
    """The published gap behind each of these deficits that came from residents."""
    return {g.deficit_id: g for g in published_gaps(session, deficit_ids=deficit_ids)}


def supported_by(session: Session, viewer: Viewer, gap_ids: Iterable[int]) -> set[int]:
    """Which of these gaps the viewer says "me too" to (shown to them alone)."""
    if viewer.user_id is None:
        return set()
    return set(
        session.scalars(
            select(GapSupport.gap_id).where(
                GapSupport.user_id == viewer.user_id, GapSupport.gap_id.in_(sorted(set(gap_ids)))
            )
        )
    )


def area_gap_supports(session: Session, *, theme: str, level: str) -> dict[int, int]:
    """Per area of the level, the sum of the published support counts of the theme's published
    gaps whose published point lies in it ("fewer than 5" counts as 0). Built only from
    published counts, so it tells nobody more than the gaps themselves do."""
    totals: dict[int, int] = {}
    for gap in published_gaps(session, theme=theme):
        area_id = areas_covering(session, gap.lon, gap.lat).get(level)
        if area_id is not None and gap.supports:
            totals[area_id] = totals.get(area_id, 0) + gap.supports
    return totals


def place_of(session: Session, gap_id: int) -> tuple[float, float]:
    """A gap's own place: for answering its reporter straight after they report it, never
    for showing anybody else."""
    gap = session.get(Gap, gap_id)
    if gap is None:
        raise NotFound(f"gap {gap_id} not found")
    return gap.lon, gap.lat


def might_help(
    session: Session, theme: str, lon: float, lat: float, *, limit: int = 5
) -> list[AssetRecord]:
    """The asset-based answer to a gap: published assets of its theme or a related one within
    MATCH_DISTANCE_M of the place, nearest first (people never: they are counts only)."""
    filters = AssetFilters(
        themes=tuple(related_codes(session, theme)), near=Near(lon, lat, MATCH_DISTANCE_M)
    )
    viewer = Viewer(with_people=False)
    return list_assets(session, viewer=viewer, filters=filters, limit=limit).records
