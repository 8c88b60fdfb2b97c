"""Near-me in the spatial index's own nearest-first order, rechecked with exact geodesic metres,
so a page costs about as many rows as it shows, however large the table.

- PostGIS: `ORDER BY location <-> point LIMIT k` over the GiST index (KNN, planar degrees)
  gives k candidates; each gets its exact distance. A candidate set is enough when the page's
  last distance is below the least geodesic distance any row outside it can have (a lower
  bound of metres per planar degree times the k-th candidate's degrees); else k grows.
- SpatiaLite 5.0.1 has VirtualKNN (at most 1,024 items, filters applied afterwards, a virtual
  table per connection) but not VirtualKNN2: the R*Tree is walked in growing boxes instead
  (radius/8, /4, /2, whole): a box that yields a full page holds the nearest rows, because
  every row within its radius is in it. Each box is probed first (its rows counted, unordered,
  up to a page), and a radius whose box holds few index entries at all is searched whole.

A search runs its attempts in order until one is complete (`complete`); the last attempt of
each is the whole radius, the same rows as an exhaustive search.
"""

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

from geoalchemy2 import Geography
from sqlalchemy import (
    Float,
    Integer,
    bindparam,
    case,
    cast,
    column,
    func,
    literal,
    or_,
    select,
    table,
)
from sqlalchemy.sql.elements import ColumnElement

from app.spatial.base import radius_envelope

_M_PER_DEG_LAT_MIN = 110_574.0
_M_PER_DEG_LON_EQUATOR = 111_320.0
_SAFETY = 1.01


@dataclass(frozen=True)
class NearAttempt:
    """One try at a near-me page: KNN candidates (None: no cap) within a radius in metres."""

    radius_m: float
    candidates: int | None = None


@dataclass(frozen=True)
class NearStage:
    """What one attempt adds to the page query: conditions, and (PostGIS) an SQL flag that is
    true when the candidates held every row within the search's radius."""

    conditions: list[ColumnElement[bool]]
    exhaustive: ColumnElement[bool] | None = None


class Nearest(Protocol):
    """Near-me strategy of one database."""

    # Whether to count an attempt's rows before running it (cheap next to the page itself).
    probes: bool

    def attempts(self, radius_m: float, limit: int) -> list[NearAttempt]:
        """The attempts to run, cheapest first; the last one is exhaustive."""
        ...

    def stage(
        self,
        backend: Any,
        attempt: NearAttempt,
        *,
        table_name: str,
        geom: Any,
        pk: Any,
        lon: float,
        lat: float,
        radius_m: float,
        where: list[Any],
    ) -> NearStage:
        """Conditions selecting this attempt's rows (all within radius_m), given the other
        conditions of the search (`where`)."""
        ...

    def complete(self, attempt: NearAttempt, radius_m: float, rows: int, wanted: int) -> bool:
        """Whether an attempt that gave `rows` rows (of `wanted`) answered the page, when the
        database did not say (no exhaustive flag)."""
        ...

    def crowding(
        self, table_name: str, geom: Any, lon: float, lat: float, radii: list[float], cap: int
    ) -> tuple[Any, dict[str, float]] | None:
        """A SELECT of one row and its parameters: how many index entries (of any row) each
        radius's box holds, each counted up to `cap` (so its cost does not grow with the
        table); None: not worth asking."""
        ...


def min_metres_per_degree(lat: float, radius_m: float) -> float:
    """A lower bound of geodesic metres per planar degree of lon/lat within radius_m of lat."""
    dlat = radius_m / _M_PER_DEG_LAT_MIN * _SAFETY
    far_lat = min(89.9, abs(lat) + dlat)
    lon_metres = _M_PER_DEG_LON_EQUATOR * math.cos(math.radians(far_lat))
    return min(_M_PER_DEG_LAT_MIN, lon_metres) / _SAFETY


class PostGISNearest:
    """KNN candidates over the GiST index, growing eightfold, then no cap."""

    # The first attempt nearly always answers, and says itself when it does not.
    probes = False

    def attempts(self, radius_m: float, limit: int) -> list[NearAttempt]:
        """k = 4 pages, 32 pages, 256 pages, then every row within the radius."""
        first = max(4 * (limit + 1), 64)
        return [NearAttempt(radius_m, first * 8**step) for step in range(3)] + [
            NearAttempt(radius_m)
        ]

    def stage(
        self,
        backend: Any,
        attempt: NearAttempt,
        *,
        table_name: str,
        geom: Any,
        pk: Any,
        lon: float,
        lat: float,
        radius_m: float,
        where: list[Any],
    ) -> NearStage:
        """The k nearest by `<->` (inside the radius's box), then the exact radius and the
        certainty bound."""
        if attempt.candidates is None:
            return NearStage([backend.within_m(table_name, geom, pk, lon, lat, radius_m)])
        box = radius_envelope(lon, lat, radius_m)
        envelope = func.ST_MakeEnvelope(box.minx, box.miny, box.maxx, box.maxy, 4326)
        knn = geom.op("<->")(func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326))
        candidates = (
            select(pk.label("id"), knn.label("degrees"))
            .where(*where, geom.op("&&")(envelope))
            .order_by(knn)
            .limit(attempt.candidates)
            .cte("near_candidates")
        )
        seen = select(func.count()).select_from(candidates).scalar_subquery()
        frontier = select(func.max(candidates.c.degrees)).scalar_subquery()
        # Rows outside the candidates are at least this far (metres): those nearer are certain.
        beyond = literal(min_metres_per_degree(lat, radius_m)) * frontier
        distance = backend.distance_m(geom, lon, lat)
        all_seen = seen < attempt.candidates
        # The exact radius test of within_m without its box: the rows are reached through the
        # candidates' ids (primary key), not through the index again over the whole box.
        point = cast(func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326), Geography)
        exact = func.ST_DWithin(cast(geom, Geography), point, radius_m, True)
        return NearStage(
            [pk.in_(select(candidates.c.id)), exact, or_(all_seen, distance < beyond)],
            exhaustive=or_(all_seen, beyond > radius_m),
        )

    def complete(self, attempt: NearAttempt, radius_m: float, rows: int, wanted: int) -> bool:
        """A full page is certain; a short one only without a cap (else the flag says)."""
        return rows >= wanted or attempt.candidates is None

    def crowding(
        self, table_name: str, geom: Any, lon: float, lat: float, radii: list[float], cap: int
    ) -> None:
        """Not asked: KNN's first attempt answers as cheaply."""
        return None


class SpatiaLiteNearest:
    """The R*Tree in growing boxes: radius/8, /4, /2, whole."""

    probes = True

    def attempts(self, radius_m: float, limit: int) -> list[NearAttempt]:
        """Four boxes, each twice the radius of the one before."""
        return [NearAttempt(radius_m / 2**step) for step in (3, 2, 1, 0)]

    def stage(
        self,
        backend: Any,
        attempt: NearAttempt,
        *,
        table_name: str,
        geom: Any,
        pk: Any,
        lon: float,
        lat: float,
        radius_m: float,
        where: list[Any],
    ) -> NearStage:
        """Every row within the attempt's radius (R*Tree box, exact distance)."""
        return NearStage([backend.within_m(table_name, geom, pk, lon, lat, attempt.radius_m)])

    def complete(self, attempt: NearAttempt, radius_m: float, rows: int, wanted: int) -> bool:
        """A full page holds the nearest rows; a short one is the answer only at full radius."""
        return rows >= wanted or attempt.radius_m >= radius_m

    def crowding(
        self, table_name: str, geom: Any, lon: float, lat: float, radii: list[float], cap: int
    ) -> tuple[Any, dict[str, float]]:
        """The R*Tree's entries in each radius's box, at most `cap` of them per box, in one
        statement: the smaller boxes are counted only when the largest holds `cap` (else None),
        so a few hundred index entries are read at most. The statement is built once per index
        and number of boxes; each search gives it its boxes as parameters."""
        statement = _crowding_statement(f"idx_{table_name}_{geom.key}", len(radii))
        parameters: dict[str, float] = {"cap": cap}
        for number, radius_m in enumerate(radii):
            box = radius_envelope(lon, lat, radius_m)
            for name in ("minx", "miny", "maxx", "maxy"):
                parameters[f"{name}{number}"] = getattr(box, name)
        return statement, parameters


@lru_cache(maxsize=16)
def _crowding_statement(index_name: str, boxes: int) -> Any:
    """SpatiaLiteNearest.crowding's statement for `boxes` boxes (the last the largest), with the
    boxes' bounds and the cap as bound parameters (minx0, miny0, maxx0, maxy0, ..., cap)."""
    idx = table(index_name, *(column(c) for c in ("pkid", "xmin", "xmax", "ymin", "ymax")))
    cap = bindparam("cap", type_=Integer)

    def entries(number: int) -> Any:
        inside = (
            select(idx.c.pkid)
            .where(
                idx.c.xmin <= bindparam(f"maxx{number}", type_=Float),
                idx.c.xmax >= bindparam(f"minx{number}", type_=Float),
                idx.c.ymin <= bindparam(f"maxy{number}", type_=Float),
                idx.c.ymax >= bindparam(f"miny{number}", type_=Float),
            )
            .limit(cap)
            .subquery()
        )
        return select(func.count()).select_from(inside).scalar_subquery()

    largest = select(entries(boxes - 1).label("entries")).subquery("largest")
    crowded = largest.c.entries >= cap
    smaller = [case((crowded, entries(number))) for number in range(boxes - 1)]
    return select(*smaller, largest.c.entries)


def nearest_for(dialect_name: str) -> Nearest:
    """The near-me strategy of a database ('postgresql' or 'sqlite')."""
    if dialect_name == "postgresql":
        return PostGISNearest()
    if dialect_name == "sqlite":
        return SpatiaLiteNearest()
    raise ValueError(f"no near-me strategy for {dialect_name!r}")
