"""Need at a bigger level (MSOAs, wards, the local authority) from the small areas that hold an
indicator: each bigger area is the aggregate of the small areas whose population-weighted
centroid lies in it (or that name it as their parent).

No publisher ranks MSOAs or local authorities, and an average of ranks is not a rank, so the
aggregation is deliberate and stated (`AGGREGATION_NOTE`): a score (or any value that is not a
rank) becomes the population-weighted mean of its small areas' values; ranks are re-ranked: the
bigger areas are ordered by the population-weighted mean rank of their small areas and numbered
from 1 (most need). When the small areas' ranks are national (WIMD), each bigger area also
carries the share of its small areas in the nation's most deprived 10 %, which is what WIMD
itself reports for bigger areas. Without a held local-authority outline, the local authority is
the union of the small areas held (`UNION_CODE`).
"""

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Area, Indicator, IndicatorValue
from app.services.needs.indicators import national_decile, need_percentiles, ranked_among
from app.services.needs.shapes import area_shapes
from app.spatial import backend_of

# The code of the local authority made from the union of the small areas held.
UNION_CODE = "all-areas"
UNION_LEVEL = "local_authority"
AGGREGATION_NOTE = (
    "Values at this level are aggregated from the {base} areas whose population-weighted "
    "centroid lies in each area: {how}. Deciles are then within the areas shown."
)
SCORE_NOTE = "the population-weighted mean of their values"
RANK_NOTE = (
    "areas are re-ranked by the population-weighted mean rank of their {base} areas, 1 = most "
    "need (ranks are not averaged as values)"
)


@dataclass
class Zone:
    """A bigger area with its aggregated value, population and population-weighted centre."""

    code: str
    name_en: str | None
    name_cy: str | None
    population: int | None
    lon: float
    lat: float
    value: float = 0.0
    members: list[int] = field(default_factory=list)  # ids of its small areas
    # Share (0-1) of its small areas in the nation's most deprived 10 % (national ranks only).
    most_deprived_share: float | None = None
    geometry: BaseGeometry | None = None


def aggregation_note(indicator: Indicator, base: str) -> str:
    """How the values of a bigger level were made from the `base` areas, in plain words."""
    how = RANK_NOTE.format(base=base) if indicator.unit == "rank" else SCORE_NOTE
    return AGGREGATION_NOTE.format(base=base, how=how)


def zones(
    session: Session, indicator: Indicator, *, base: str, level: str, with_geometry: bool
) -> list[Zone]:
    """The areas of `level` that contain small areas (of `base`) with a value of the indicator,
    by code, each with its aggregated value (see the module docstring)."""
    backend = backend_of(session)
    small = session.execute(
        select(
            Area.id,
            Area.code,
            Area.parent_code,
            Area.population,
            backend.x(Area.centroid),
            backend.y(Area.centroid),
            IndicatorValue.value,
        )
        .join(IndicatorValue, IndicatorValue.area_id == Area.id)
        .where(Area.level == base, IndicatorValue.indicator_code == indicator.code)
        .order_by(Area.code)
    ).all()
    if not small:
        return []
    held = session.execute(
        select(Area.id, Area.code, Area.name_en, Area.name_cy, Area.population)
        .where(Area.level == level)
        .order_by(Area.code)
    ).all()
    big: list[tuple[str, str | None, str | None, int | None]] = [
        (b.code, b.name_en, b.name_cy, b.population) for b in held
    ]
    by_id = area_shapes(session, (b.id for b in held))
    shapes = [by_id[b.id] for b in held]
    if not big and level == UNION_LEVEL:
        big = [(UNION_CODE, None, None, None)]
        parts = area_shapes(session, (s.id for s in small))
        shapes = [shapely.union_all([parts[s.id] for s in small])]
        owners: list[int | None] = [0] * len(small)
    else:
        owners = _owners(small, [b[0] for b in big], shapes)
    found: list[Zone] = []
    for index, (code, name_en, name_cy, population) in enumerate(big):
        members = [s for s, owner in zip(small, owners, strict=True) if owner == index]
        if not members:
            continue
        weights = np.array([float(m.population or 0) for m in members])
        if weights.sum() <= 0:
            weights = np.ones(len(members))
        known = [m.population for m in members if m.population is not None]
        zone = Zone(
            code=code,
            name_en=name_en,
            name_cy=name_cy,
            population=population if population is not None else (sum(known) if known else None),
            lon=float(np.average([m[4] for m in members], weights=weights)),
            lat=float(np.average([m[5] for m in members], weights=weights)),
            value=float(np.average([m.value for m in members], weights=weights)),
            members=[m.id for m in members],
            geometry=shapes[index] if with_geometry else None,
        )
        of = ranked_among(
            {"unit": indicator.unit, "higher_is_more_need": indicator.higher_is_more_need,
             "source": indicator.source}
        )  # fmt: skip
        if of:
            first = sum(1 for m in members if national_decile(m.value, of) == 1)
            zone.most_deprived_share = round(first / len(members), 4)
        found.append(zone)
    if indicator.unit == "rank":
        _rerank(found, indicator.higher_is_more_need)
    return found


def _owners(small: Any, codes: list[str], shapes: list[BaseGeometry]) -> list[int | None]:
    """The index of the bigger area each small area belongs to: its parent when the parents are
    these areas, else the one its centroid lies in (None: none)."""
    index = {code: i for i, code in enumerate(codes)}
    if all(s.parent_code in index for s in small):
        return [index[s.parent_code] for s in small]
    points = shapely.points([(s[4], s[5]) for s in small])
    owners: list[int | None] = [None] * len(small)
    tree = shapely.STRtree(shapes)
    for point_i, shape_i in zip(*tree.query(points, predicate="within"), strict=True):
        if owners[point_i] is None:
            owners[point_i] = int(shape_i)
    return owners


def _rerank(found: list[Zone], higher_is_more_need: bool) -> None:
    """Number the zones from 1 (most need) by their mean rank; ties share the better rank."""
    percentiles = need_percentiles(
        {z.code: z.value for z in found}, higher_is_more_need=higher_is_more_need
    )
    for zone in found:
        zone.value = float(1 + sum(1 for p in percentiles.values() if p > percentiles[zone.code]))
